import { expect } from 'chai';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BtfStringTable, dumpBtfRaw, dumpBtfRawJson, encodeBtf, parseBtf, type BtfType } from '../../src/btf/index.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { requireTool } from '../helpers/privileges.js';
import { runCli as cli } from '../helpers/cli.js';
import { BPFTOOL, bpftool, firstDifference, KINDS_OBJ, objectsWithBtf, VMLINUX } from './tools.js';


describe('btf raw dump matches bpftool byte for byte', function () {
  before(function () {
    requireTool(this, BPFTOOL);
    requireTool(this, VMLINUX);
  });

  it('vmlinux: format raw', function () {
    const ours = dumpBtfRaw(parseBtf(readFileSync(VMLINUX)));
    expect(firstDifference(ours, bpftool(['btf', 'dump', 'file', VMLINUX, 'format', 'raw']))).to.equal(undefined);
  });

  // -p of vmlinux is 40 MB that only re-checks the whitespace rules the objects below cover.
  it('vmlinux: -j JSON', function () {
    const btf = parseBtf(readFileSync(VMLINUX));
    expect(firstDifference(dumpBtfRawJson(btf), bpftool(['-j', 'btf', 'dump', 'file', VMLINUX]))).to.equal(undefined);
  });

  it('module BTF in /sys/kernel/btf (split on vmlinux automatically)', async function () {
    const modules = readdirSync('/sys/kernel/btf').filter((m) => m !== 'vmlinux');
    if (modules.length === 0) this.skip(); // this kernel has no modules with BTF loaded
    for (const m of modules.slice(0, 5)) {
      const path = join('/sys/kernel/btf', m);
      const r = await cli(['btf', 'dump', 'file', path]);
      expect(r.code, r.err).to.equal(0);
      expect(firstDifference(r.out, bpftool(['btf', 'dump', 'file', path])), m).to.equal(undefined);
    }
  });

  for (const obj of objectsWithBtf()) {
    it(`${obj}: raw text and JSON through the CLI`, async function () {
      const path = join(REPO_ROOT, obj);
      const text = await cli(['btf', 'dump', 'file', path, 'format', 'raw']);
      expect(text.code, text.err).to.equal(0);
      expect(firstDifference(text.out, bpftool(['btf', 'dump', 'file', path, 'format', 'raw']))).to.equal(undefined);
      const json = await cli(['-j', 'btf', 'dump', 'file', path]);
      expect(firstDifference(json.out, bpftool(['-j', 'btf', 'dump', 'file', path]))).to.equal(undefined);
      const pretty = await cli(['-p', 'btf', 'dump', 'file', path]);
      expect(firstDifference(pretty.out, bpftool(['-p', 'btf', 'dump', 'file', path]))).to.equal(undefined);
    });
  }

  it('format c goes to dumpBtfAsC (same header as bpftool)', async function () {
    const r = await cli(['btf', 'dump', 'file', KINDS_OBJ, 'format', 'c']);
    expect(r.code, r.err).to.equal(0);
    expect(firstDifference(r.out, bpftool(['btf', 'dump', 'file', KINDS_OBJ, 'format', 'c']))).to.equal(undefined);
  });

  it('root_id selects types, in the order given', async function () {
    const r = await cli(['btf', 'dump', 'file', KINDS_OBJ, 'root_id', '21', 'root_id', '3']);
    expect(r.code, r.err).to.equal(0);
    // bpftool 7.1 has no root_id for raw dumps: cut the same records out of its full dump.
    const blocks = bpftool(['btf', 'dump', 'file', KINDS_OBJ]).split(/^(?=\[)/m);
    const block = (id: number): string => blocks.find((b) => b.startsWith(`[${id}] `)) ?? '';
    expect(r.out).to.equal(block(21) + block(3));
    expect(r.out.startsWith('[21] ENUM64')).to.equal(true);
  });

  it('split BTF with -B: ids and strings continue after the base', async function () {
    const base = parseBtf(readFileSync(VMLINUX));
    const first = base.typeCount;
    const [taskStruct] = base.findByName('task_struct', 'STRUCT');
    const [int] = base.findByName('int', 'INT');
    const types: BtfType[] = [
      { kind: 'PTR', id: first, name: '', type: taskStruct as number },
      { kind: 'STRUCT', id: first + 1, name: 'split_holder', size: 16, kindFlag: true, members: [
        { name: 'task', type: first, bitOffset: 0, bitfieldSize: 0 },
        { name: 'flags', type: int as number, bitOffset: 64, bitfieldSize: 5 },
        // 'comm' is already in vmlinux's strings: it must reuse the base offset
        { name: 'comm', type: int as number, bitOffset: 96, bitfieldSize: 0 },
      ] },
      { kind: 'ENUM64', id: first + 2, name: 'split_e', size: 8, signed: true, values: [{ name: 'SPLIT_MIN', value: -(1n << 63n) }] },
      { kind: 'DECL_TAG', id: first + 3, name: 'split_tag', type: first + 1, componentIdx: 1, kindFlag: false },
    ];
    const strings = new BtfStringTable(base.strings);
    const bytes = encodeBtf(types, strings);
    const split = parseBtf(bytes, { base });
    expect(split.firstId).to.equal(first);
    expect(split.typeById(first + 1)).to.deep.equal(types[1]);
    expect(split.findByName('comm')).to.deep.equal(base.findByName('comm'));
    expect(split.findByName('split_holder', 'STRUCT')).to.deep.equal([first + 1]);
    const dir = mkdtempSync(join(tmpdir(), 'bpf-ts-split-'));
    const file = join(dir, 'split.btf');
    writeFileSync(file, bytes);
    const prev = process.env['BPF_TS_BASE_BTF'];
    try {
      const r = await cli(['-B', VMLINUX, 'btf', 'dump', 'file', file]);
      expect(r.code, r.err).to.equal(0);
      expect(firstDifference(r.out, bpftool(['-B', VMLINUX, 'btf', 'dump', 'file', file]))).to.equal(undefined);
      const j = await cli(['-B', VMLINUX, '-j', 'btf', 'dump', 'file', file]);
      expect(firstDifference(j.out, bpftool(['-B', VMLINUX, '-j', 'btf', 'dump', 'file', file]))).to.equal(undefined);
    } finally {
      if (prev === undefined) delete process.env['BPF_TS_BASE_BTF'];
      else process.env['BPF_TS_BASE_BTF'] = prev;
    }
  });
});

describe('bpf-ts btf dump: errors', function () {
  it('missing file', async function () {
    const r = await cli(['btf', 'dump', 'file', '/nonexistent/x.btf']);
    expect(r.code).to.equal(255);
    expect(r.err).to.equal('Error: failed to load BTF from /nonexistent/x.btf: No such file or directory\n');
  });

  it('malformed BTF is reported with its BtfError context', async function () {
    const dir = mkdtempSync(join(tmpdir(), 'bpf-ts-bad-'));
    const file = join(dir, 'bad.btf');
    writeFileSync(file, Uint8Array.of(0x9f, 0xeb, 1, 0, 24, 0, 0, 0));
    const r = await cli(['btf', 'dump', 'file', file]);
    expect(r.code).to.equal(255);
    expect(r.err).to.equal(`Error: failed to load BTF from ${file}: BTF header truncated: hdr_len 24 exceeds blob size 8 (offset 4)\n`);
  });

  it('ELF without .BTF', async function () {
    const noBtf = join(REPO_ROOT, 'bpf', 'elf-asm', 'programs-nodebug.bpf.o');
    const r = await cli(['btf', 'dump', 'file', noBtf]);
    expect(r.err).to.equal(`Error: failed to load BTF from ${noBtf}: no .BTF section\n`);
  });

  it('bad source, format, root id, and -j with format c', async function () {
    expect((await cli(['btf', 'dump', 'blob', 'x'])).err).to.equal("Error: unrecognized BTF source specifier: 'blob'\n");
    expect((await cli(['btf', 'dump', 'file', KINDS_OBJ, 'format', 'xml'])).err).to.equal("Error: unrecognized format specifier: 'xml', possible values: raw, c\n");
    expect((await cli(['btf', 'dump', 'file', KINDS_OBJ, 'root_id', '9999'])).err).to.equal('Error: invalid root ID: 9999\n');
    expect((await cli(['btf', 'dump', 'file', KINDS_OBJ, 'root_id', 'x'])).err).to.equal("Error: can't parse x as root ID\n");
    expect((await cli(['btf', 'dump', 'file', KINDS_OBJ, 'bogus'])).err).to.equal("Error: unrecognized option: 'bogus'\n");
    const j = await cli(['-j', 'btf', 'dump', 'file', KINDS_OBJ, 'format', 'c']);
    expect(j.out).to.equal('{"error":"JSON output for C-syntax dump is not supported"}\n');
  });
});
