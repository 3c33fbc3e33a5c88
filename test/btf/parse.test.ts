import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BtfError, BtfKind, loadKernelBtf, loadModuleBtf, parseBtf, parseBtfFile, type Btf, type BtfKindName } from '../../src/btf/index.js';
import { requireTool } from '../helpers/privileges.js';
import { BPFTOOL, bpftool, btfSectionOf, buildBtfQuery, KINDS_BE_OBJ, KINDS_OBJ, VMLINUX } from './tools.js';

interface LibbpfAnswer {
  readonly kind: number;
  readonly resolved: number;
  readonly size: number;
  readonly align: number;
}

/** libbpf's btf__resolve_type / btf__resolve_size / btf__align_of for every type of `file`. */
function libbpfAnswers(file: string): Map<number, LibbpfAnswer> {
  const out = execFileSync(buildBtfQuery(), [file], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const answers = new Map<number, LibbpfAnswer>();
  for (const line of out.split('\n')) {
    if (line === '') continue;
    const [id, kind, resolved, size, align] = line.split(' ').map(Number) as [number, number, number, number, number];
    answers.set(id, { kind, resolved, size, align });
  }
  return answers;
}

function compareWithLibbpf(btf: Btf, file: string): void {
  const answers = libbpfAnswers(file);
  expect(answers.size).to.equal(btf.typeCount - 1);
  const mismatches: string[] = [];
  const attempt = (f: () => number): number => {
    try {
      return f();
    } catch {
      return -1;
    }
  };
  for (const [id, want] of answers) {
    if (BtfKind[btf.kindOf(id)] !== want.kind) mismatches.push(`${id}: kind ${btf.kindOf(id)} vs ${want.kind}`);
    // libbpf answers errors with negative errnos; we throw BtfError. Compare success values.
    const resolved = attempt(() => btf.resolveType(id));
    if (want.resolved >= 0 && resolved !== want.resolved) mismatches.push(`${id}: resolveType ${resolved} vs ${want.resolved}`);
    const size = attempt(() => btf.sizeOf(id));
    if ((want.size >= 0 ? want.size : -1) !== size) mismatches.push(`${id}: sizeOf ${size} vs ${want.size}`);
    const align = attempt(() => btf.alignOf(id));
    if ((want.align > 0 ? want.align : -1) !== align) mismatches.push(`${id}: alignOf ${align} vs ${want.align}`);
    if (mismatches.length > 10) break;
  }
  expect(mismatches).to.deep.equal([]);
}

describe('parseBtf', function () {
  before(function () {
    requireTool(this, BPFTOOL);
    requireTool(this, VMLINUX);
  });

  it('vmlinux: type count and every name lookup agree with bpftool', function () {
    const btf = parseBtf(readFileSync(VMLINUX));
    const dump = bpftool(['btf', 'dump', 'file', VMLINUX]);
    const byName = new Map<string, number[]>();
    let last = 0;
    for (const m of dump.matchAll(/^\[(\d+)\] (\w+) '([^']*)'/gm)) {
      const id = Number(m[1]);
      last = id;
      if (m[3] === '(anon)') continue;
      const key = `${m[2]}\0${m[3]}`;
      const list = byName.get(key) ?? [];
      list.push(id);
      byName.set(key, list);
    }
    expect(btf.typeCount).to.equal(last + 1);
    let checked = 0;
    for (const [key, ids] of byName) {
      const [kind, name] = key.split('\0') as [BtfKindName, string];
      expect(btf.findByName(name, kind), key).to.deep.equal(ids);
      checked++;
    }
    expect(checked).to.be.greaterThan(50000);
    expect(btf.findByName('task_struct', 'STRUCT')).to.have.length(1);
    expect(btf.findByName('no_such_type_anywhere')).to.deep.equal([]);
    expect(btf.findByName('')).to.deep.equal([]);
  });

  it('vmlinux: the first lookups (linear scans) and later ones (hash index) agree', function () {
    const bytes = readFileSync(VMLINUX);
    const indexed = parseBtf(bytes);
    for (let i = 0; i < 20; i++) indexed.findByName(`warm_up_${i}`); // past the linear-scan budget
    const names = ['int', 'task_struct', 'sk_buff', 'file', 'u32', 'bpf_prog', 'x', 'comm', 'list_head', 'page'];
    for (let id = 1; id < indexed.typeCount; id += 4099) names.push(indexed.typeName(id));
    for (const name of names) {
      expect(parseBtf(bytes).findByName(name), name).to.deep.equal(indexed.findByName(name));
    }
  });

  it('vmlinux: findByName without a kind returns every kind, ascending', function () {
    const btf = parseBtf(readFileSync(VMLINUX));
    const all = btf.findByName('task_struct');
    expect(all).to.deep.equal([...all].sort((a, b) => a - b));
    for (const id of all) expect(btf.typeName(id)).to.equal('task_struct');
    expect(all).to.include.members(btf.findByName('task_struct', 'STRUCT'));
  });

  it('vmlinux: resolveType, sizeOf, alignOf equal libbpf for every type', function () {
    compareWithLibbpf(parseBtf(readFileSync(VMLINUX)), VMLINUX);
  });

  it('kinds.bpf.o: resolveType, sizeOf, alignOf equal libbpf for every type', function () {
    compareWithLibbpf(parseBtf(btfSectionOf(KINDS_OBJ)), KINDS_OBJ);
  });

  it('loadKernelBtf reads vmlinux once and caches it; loadModuleBtf("vmlinux") is the same object', function () {
    const a = loadKernelBtf();
    expect(loadKernelBtf()).to.equal(a);
    expect(loadModuleBtf('vmlinux')).to.equal(a);
    expect(a.typeCount).to.equal(parseBtf(readFileSync(VMLINUX)).typeCount);
  });

  it('parseBtfFile of vmlinux (mapped where the kernel allows) has the bytes and answers of the read file', function () {
    const read = parseBtf(readFileSync(VMLINUX));
    const file = parseBtfFile(VMLINUX);
    expect(Buffer.compare(Buffer.from(file.bytes), Buffer.from(read.bytes))).to.equal(0);
    expect(file.typeCount).to.equal(read.typeCount);
    for (const [name, kind] of [['task_struct', 'STRUCT'], ['int', 'INT'], ['pid_t', 'TYPEDEF']] as const) {
      const ids = file.findByName(name, kind);
      expect(ids, name).to.have.length.greaterThan(0);
      expect(ids).to.deep.equal(read.findByName(name, kind));
      expect(file.typeById(ids[0]!)).to.deep.equal(read.typeById(ids[0]!));
    }
  });

  it('parseBtfFile reads an ordinary raw BTF file; a missing one is a BtfError naming the path', function () {
    const dir = mkdtempSync(join(tmpdir(), 'bpf-ts-btf-file-'));
    try {
      const path = join(dir, 'kinds.btf');
      writeFileSync(path, btfSectionOf(KINDS_OBJ));
      const btf = parseBtfFile(path);
      expect([...btf]).to.deep.equal([...parseBtf(btfSectionOf(KINDS_OBJ))]);
      const missing = join(dir, 'missing.btf');
      expect(() => parseBtfFile(missing)).to.throw(BtfError, `cannot read ${missing}: ENOENT`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('findByName gives the same ids on an aligned blob and on a copy at an odd byte offset', function () {
    const bytes = readFileSync(VMLINUX);
    const odd = new Uint8Array(bytes.length + 1).subarray(1);
    odd.set(bytes);
    const aligned = parseBtf(bytes);
    const shifted = parseBtf(odd);
    for (const [name, kind] of [['task_struct', 'STRUCT'], ['sk_buff', undefined], ['no_such_type_xyz', undefined]] as const) {
      expect(shifted.findByName(name, kind), name).to.deep.equal(aligned.findByName(name, kind));
    }
    expect(aligned.findByName('task_struct', 'STRUCT')).to.have.length(1);
  });

  it('iteration, uncached decodeType and typeById agree; ids run from firstId', function () {
    const btf = parseBtf(btfSectionOf(KINDS_OBJ));
    const all = [...btf];
    expect(all.map((t) => t.id)).to.deep.equal(Array.from({ length: btf.ownTypeCount }, (_, i) => i + 1));
    for (const t of all) {
      expect(btf.decodeType(t.id)).to.deep.equal(t);
      expect(btf.typeById(t.id)).to.equal(btf.typeById(t.id));
      expect(btf.kindOf(t.id)).to.equal(t.kind);
      expect(btf.typeName(t.id)).to.equal(t.name);
    }
  });

  it('big-endian BTF parses to the same types as little-endian', function () {
    const le = parseBtf(btfSectionOf(KINDS_OBJ));
    const be = parseBtf(btfSectionOf(KINDS_BE_OBJ));
    expect(le.header.littleEndian).to.equal(true);
    expect(be.header.littleEndian).to.equal(false);
    expect([...be.types()]).to.deep.equal([...le.types()]);
  });

  it('decodes each kind of the corpus as clang wrote it (checked against the C source)', function () {
    const btf = parseBtf(btfSectionOf(KINDS_OBJ));
    const one = (name: string, kind: BtfKindName): ReturnType<Btf['typeById']> => {
      const ids = btf.findByName(name, kind);
      expect(ids, `${kind} ${name}`).to.have.length(1);
      return btf.typeById(ids[0] as number);
    };
    const bits = one('bits', 'STRUCT');
    expect(bits.kind === 'STRUCT' && bits.kindFlag).to.equal(true);
    if (bits.kind !== 'STRUCT') return;
    expect(bits.members.slice(0, 3).map((m) => [m.name, m.bitOffset, m.bitfieldSize])).to.deep.equal([['a', 0, 3], ['b', 3, 13], ['c', 16, 7]]);
    const color = one('color', 'ENUM');
    expect(color.kind === 'ENUM' && color.values.map((v) => v.value)).to.deep.equal([0, 5, 0xfffffff0]);
    const sign = one('sign', 'ENUM');
    expect(sign.kind === 'ENUM' && sign.signed && sign.values.map((v) => v.value)).to.deep.equal([-2, 0, 7]);
    const big = one('big', 'ENUM64');
    expect(big.kind === 'ENUM64' && big.values[1]?.value).to.equal(0xfedcba9876543210n);
    const sbig = one('sbig', 'ENUM64');
    expect(sbig.kind === 'ENUM64' && sbig.values[0]?.value).to.equal(-5000000000n);
    expect(one('user', 'TYPE_TAG').kind).to.equal('TYPE_TAG');
    expect(one('float', 'FLOAT')).to.include({ size: 4 });
    const printfFn = btf.typeById(btf.resolveType(one('printf_fn', 'TYPEDEF').id));
    expect(printfFn.kind).to.equal('PTR');
    const proto = printfFn.kind === 'PTR' ? btf.typeById(printfFn.type) : printfFn;
    expect(proto.kind === 'FUNC_PROTO' && proto.params.at(-1)).to.deep.equal({ name: '', type: 0 });
    const helper = one('helper', 'FUNC');
    expect(helper.kind === 'FUNC' && helper.linkage).to.equal(0);
    const tags = btf.findByName('param_tag', 'DECL_TAG').map((id) => btf.typeById(id));
    expect(tags.map((t) => t.kind === 'DECL_TAG' && [t.type, t.componentIdx])).to.deep.equal([[helper.id, 0]]);
    expect(one('some_extern', 'VAR')).to.include({ linkage: 2 });
    expect(one('.data', 'DATASEC')).to.include({ size: 0 });
    expect(btf.kindOf(0)).to.equal('UNKN');
    expect(btf.typeName(0)).to.equal('');
  });
});
