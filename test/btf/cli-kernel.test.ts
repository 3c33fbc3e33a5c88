import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { encodeBtf, type BtfType } from '../../src/btf/index.js';
import { btfLoad, getBtfInfo, getMapInfo, getProgInfo, mapCreate, native, progLoad } from '../../src/sys/index.js';
import { requirePrivileges, requireTool } from '../helpers/privileges.js';
import { runCli as cli } from '../helpers/cli.js';
import { BPFTOOL } from './tools.js';


/** bpftool's stdout and stderr, whether it succeeds or not. */
function bpftoolResult(args: readonly string[]): { out: string; err: string } {
  try {
    return { out: execFileSync(BPFTOOL, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }), err: '' };
  } catch (e) {
    const x = e as { stdout: string; stderr: string };
    return { out: x.stdout, err: x.stderr };
  }
}

const TYPES: BtfType[] = [
  { kind: 'INT', id: 1, name: 'int', size: 4, encoding: 1, bitOffset: 0, bits: 32 },
  { kind: 'STRUCT', id: 2, name: 'val', size: 8, kindFlag: true, members: [
    { name: 'a', type: 1, bitOffset: 0, bitfieldSize: 0 },
    { name: 'b', type: 1, bitOffset: 32, bitfieldSize: 3 },
  ] },
  { kind: 'PTR', id: 3, name: '', type: 0 },
  { kind: 'FUNC_PROTO', id: 4, name: '', returnType: 1, params: [{ name: 'ctx', type: 3 }] },
  { kind: 'FUNC', id: 5, name: 'btf_dump_prog', type: 4, linkage: 1 },
];

describe('bpf-ts btf dump id | map | prog (kernel BTF objects) vs bpftool', function () {
  const fds: number[] = [];
  let btfId = 0;
  let mapId = 0;
  let progId = 0;
  let bareProgId = 0;

  before(function () {
    requirePrivileges(this);
    requireTool(this, BPFTOOL);
    const { fd } = btfLoad({ data: encodeBtf(TYPES) });
    fds.push(fd);
    btfId = getBtfInfo(fd).id;
    const map = mapCreate({ type: 1, keySize: 4, valueSize: 8, maxEntries: 1, name: 'btf_dump_t', btfFd: fd, btfKeyTypeId: 1, btfValueTypeId: 2 });
    fds.push(map);
    mapId = getMapInfo(map).id;
    // r0 = 0; exit
    const insns = Uint8Array.of(0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0);
    const funcInfo = new Uint8Array(8);
    new DataView(funcInfo.buffer).setUint32(4, 5, true);
    const prog = progLoad({ progType: 1, insns, license: 'GPL', name: 'btf_dump_prog', progBtfFd: fd, funcInfo: { data: funcInfo, recSize: 8 } });
    fds.push(prog.fd);
    progId = getProgInfo(prog.fd).id;
    const bare = progLoad({ progType: 1, insns, license: 'GPL', name: 'btf_dump_bare' });
    fds.push(bare.fd);
    bareProgId = getProgInfo(bare.fd).id;
  });

  after(function () {
    for (const fd of fds) native().close(fd);
  });

  const cases = (): string[][] => [
    ['btf', 'dump', 'id', String(btfId)],
    ['-j', 'btf', 'dump', 'id', String(btfId)],
    ['btf', 'dump', 'map', 'id', String(mapId)],
    ['btf', 'dump', 'map', 'id', String(mapId), 'key'],
    ['btf', 'dump', 'map', 'id', String(mapId), 'value'],
    ['-p', 'btf', 'dump', 'map', 'id', String(mapId), 'kv'],
    ['btf', 'dump', 'map', 'id', String(mapId), 'all'],
    ['btf', 'dump', 'map', 'name', 'btf_dump_t'],
    ['btf', 'dump', 'prog', 'id', String(progId)],
    ['btf', 'dump', 'prog', 'name', 'btf_dump_prog'],
    ['btf', 'dump', 'map', 'id', String(mapId), 'format', 'c'],
    ['btf', 'dump', 'id', String(btfId), 'format', 'c'],
  ];

  it('same output as bpftool for every source form', async function () {
    for (const args of cases()) {
      const want = bpftoolResult(args);
      const got = await cli(args);
      expect(got.err, args.join(' ')).to.equal(want.err);
      expect(got.out, args.join(' ')).to.equal(want.out);
      expect(got.out.length, args.join(' ')).to.be.greaterThan(0);
    }
  });

  it('errors: unknown BTF id, program without BTF, unknown handles', async function () {
    for (const args of [['btf', 'dump', 'id', '4000000000'], ['btf', 'dump', 'prog', 'id', String(bareProgId)], ['btf', 'dump', 'id', 'x1']]) {
      const want = bpftoolResult(args);
      const got = await cli(args);
      expect(got.code, args.join(' ')).to.equal(255);
      expect(got.err, args.join(' ')).to.equal(want.err);
    }
    const none = await cli(['btf', 'dump', 'map', 'name', 'no_such_map_x']);
    expect(none.err).to.equal('Error: no map matches this handle\n');
  });
});
