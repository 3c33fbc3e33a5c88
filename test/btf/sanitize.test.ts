import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ALL_BTF_FEATURES, encodeBtf, parseBtf, sanitizeBtf, type BtfFeatures, type BtfType } from '../../src/btf/index.js';
import { requirePrivileges, requireTool } from '../helpers/privileges.js';
import { loadableKindsTypes } from './elf-facts.js';
import { loadIntoKernel } from './kernel-load.js';
import { BPFTOOL, bpftool } from './tools.js';

function dumpWithBpftool(types: readonly BtfType[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'bpf-ts-sanitize-'));
  const file = join(dir, 'btf.raw');
  writeFileSync(file, encodeBtf(types));
  return bpftool(['btf', 'dump', 'file', file]);
}

function byName(types: readonly BtfType[], name: string, kind?: string): BtfType {
  const t = types.find((x) => x.name === name && (kind === undefined || x.kind === kind));
  if (t === undefined) throw new Error(`no ${kind ?? ''} ${name}`);
  return t;
}

const without = (feature: keyof BtfFeatures): BtfFeatures => ({ ...ALL_BTF_FEATURES, [feature]: false });

describe('sanitizeBtf (libbpf bpf_object__sanitize_btf rewrites)', function () {
  let input: BtfType[];
  before(function () {
    requireTool(this, BPFTOOL);
    input = loadableKindsTypes();
  });

  it('changes nothing when the kernel has every feature', function () {
    expect(sanitizeBtf(input, ALL_BTF_FEATURES)).to.deep.equal(input);
  });

  it('datasec: VAR -> INT size 1, DATASEC -> STRUCT with VAR-named members at offset*8', function () {
    const out = sanitizeBtf(input, without('datasec'));
    expect(out.filter((t) => t.kind === 'VAR' || t.kind === 'DATASEC')).to.deep.equal([]);
    const dump = dumpWithBpftool(out);
    expect(dump).to.contain("] INT 'counter' size=1 bits_offset=0 nr_bits=8 encoding=(none)\n");
    const data = byName(input, '.data', 'DATASEC');
    expect(data.kind).to.equal('DATASEC');
    const s = out[data.id - 1];
    expect(s?.kind === 'STRUCT' && s.name).to.equal('_data');
    expect(dump).to.match(/\] STRUCT '_data' size=128 vlen=3\n\t'counter' type_id=\d+ bits_offset=0\n\t'hidden_global' type_id=\d+ bits_offset=32\n\t'global_holder' type_id=\d+ bits_offset=64\n/);
    expect(dump).to.contain("] STRUCT '_data_custom' size=16 vlen=1");
  });

  it('qmarkDatasec: a leading ? of a DATASEC name becomes _', function () {
    const withQmark = input.map((t) => (t.kind === 'DATASEC' && t.name === '.data.custom' ? { ...t, name: '?.data.custom' } : t));
    const out = sanitizeBtf(withQmark, without('qmarkDatasec'));
    expect(out.filter((t) => t.kind === 'DATASEC').map((t) => t.name)).to.include('_.data.custom');
    expect(sanitizeBtf(withQmark, ALL_BTF_FEATURES).filter((t) => t.kind === 'DATASEC').map((t) => t.name)).to.include('?.data.custom');
  });

  it('func: FUNC_PROTO -> ENUM of its parameters, FUNC -> TYPEDEF', function () {
    const out = sanitizeBtf(input, without('func'));
    expect(out.filter((t) => t.kind === 'FUNC' || t.kind === 'FUNC_PROTO')).to.deep.equal([]);
    const helper = byName(input, 'helper', 'FUNC');
    expect(out[helper.id - 1]).to.deep.equal({ kind: 'TYPEDEF', id: helper.id, name: 'helper', type: helper.kind === 'FUNC' ? helper.type : -1 });
    const dump = dumpWithBpftool(out);
    expect(dump).to.match(/\] ENUM '\(anon\)' encoding=UNSIGNED size=4 vlen=2\n\t'x' val=\d+\n\t'h' val=\d+\n/);
    expect(dump).to.contain("] TYPEDEF 'global_fn' type_id=");
  });

  it('funcGlobal: global FUNC linkage -> static', function () {
    const out = sanitizeBtf(input, without('funcGlobal'));
    expect(out.filter((t) => t.kind === 'FUNC').map((t) => t.kind === 'FUNC' && t.linkage)).to.deep.equal([0, 0, 0]);
    expect(dumpWithBpftool(out)).to.contain("] FUNC 'global_fn' type_id=48 linkage=static\n");
  });

  it('float: FLOAT -> anonymous empty STRUCT of the same size', function () {
    const out = sanitizeBtf(input, without('float'));
    const f = byName(input, 'double', 'FLOAT');
    expect(out[f.id - 1]).to.deep.equal({ kind: 'STRUCT', id: f.id, name: '', size: 8, kindFlag: false, members: [] });
    expect(dumpWithBpftool(out)).to.contain(`[${f.id}] STRUCT '(anon)' size=8 vlen=0\n`);
  });

  it('declTag: DECL_TAG -> INT size 1', function () {
    const out = sanitizeBtf(input, without('declTag'));
    expect(out.filter((t) => t.kind === 'DECL_TAG')).to.deep.equal([]);
    expect(dumpWithBpftool(out)).to.contain("] INT 'param_tag' size=1 bits_offset=0 nr_bits=8 encoding=(none)\n");
  });

  it('typeTag: TYPE_TAG -> anonymous CONST', function () {
    const out = sanitizeBtf(input, without('typeTag'));
    const tag = byName(input, 'user', 'TYPE_TAG');
    expect(out[tag.id - 1]).to.deep.equal({ kind: 'CONST', id: tag.id, name: '', type: tag.kind === 'TYPE_TAG' ? tag.type : -1 });
  });

  it('enum64: signed ENUM -> unsigned, ENUM64 -> UNION of the appended enum64_placeholder INT', function () {
    const out = sanitizeBtf(input, without('enum64'));
    expect(out).to.have.length(input.length + 1);
    const placeholder = out.at(-1);
    expect(placeholder).to.deep.equal({ kind: 'INT', id: input.length + 1, name: 'enum64_placeholder', size: 1, encoding: 0, bitOffset: 0, bits: 8 });
    const sign = out[byName(input, 'sign', 'ENUM').id - 1];
    expect(sign?.kind === 'ENUM' && [sign.signed, sign.values[0]?.value]).to.deep.equal([false, 0xfffffffe]);
    const dump = dumpWithBpftool(out);
    expect(dump).to.contain(`] UNION 'big' size=8 vlen=2\n\t'SMALL' type_id=${input.length + 1} bits_offset=0\n\t'HUGE' type_id=${input.length + 1} bits_offset=0\n`);
    expect(dump).to.contain("] ENUM 'sign' encoding=UNSIGNED size=4 vlen=3\n\t'NEG' val=4294967294\n");
    expect(parseBtf(encodeBtf(out)).findByName('enum64_placeholder', 'INT')).to.deep.equal([input.length + 1]);
  });

  // Kernels gained these kinds in this order, so a real kernel lacks a suffix of the list: test
  // each such cumulative set (5.19 back to 5.1). Not `func` (pre-5.0): its FUNC_PROTO -> ENUM
  // rewrite makes anonymous enumerators of anonymous parameters, which this kernel's validator
  // rejects ("Invalid name"), exactly as it would reject libbpf's identical rewrite.
  it('each feature set of an older kernel (5.19 back to 5.1) passes the kernel BTF validator', function () {
    requirePrivileges(this);
    const newestFirst: (keyof BtfFeatures)[] = ['enum64', 'qmarkDatasec', 'typeTag', 'declTag', 'float', 'funcGlobal', 'datasec'];
    for (let n = 1; n <= newestFirst.length; n++) {
      const features = { ...ALL_BTF_FEATURES, ...Object.fromEntries(newestFirst.slice(0, n).map((f) => [f, false])) } as BtfFeatures;
      const bytes = encodeBtf(sanitizeBtf(input, features));
      expect(loadIntoKernel(bytes).length, JSON.stringify(features)).to.equal(bytes.length);
    }
  });
});
