import { expect } from 'chai';
import { loadObjectSpec } from '../../src/index.js';
import { CliError } from '../../src/cli/context.js';
import { applyAssignments, parseAssignment, parseIntegerText } from '../../src/cli/run-set.js';
import { exactJson, formatRecord } from '../../src/cli/run-records.js';
import { parseRunArgs } from '../../src/cli/run-args.js';
import { KILL_OBJ } from './run-fixture.js';

describe('cli run: --set values through BTF (pure)', () => {
  it('reads C integer syntax', () => {
    const cases: [string, bigint | undefined][] = [
      ['42', 42n], ['-42', -42n], ['0x1F', 31n], ['-0x10', -16n], ['017', 15n], ['0o17', 15n], ['0b101', 5n], ['1_000_000', 1000000n], ['0', 0n],
      ['08', undefined], ['abc', undefined], ['', undefined], ['1.5', undefined], ['0x', undefined],
    ];
    for (const [text, want] of cases) expect([text, parseIntegerText(text)]).to.deep.equal([text, want]);
  });

  it('sets integers of each size and signedness, bool, enum by name, char arrays', async () => {
    const spec = await loadObjectSpec(KILL_OBJ);
    applyAssignments(spec, ['target_tgid=4294967295', 'tag=0xffffffffffffffff', 'delta=-32768', 'use_perf=true', 'mode=MODE_COUNT_ONLY', 'label=abc', 'data_offset=-7'].map(parseAssignment));
    const v = (n: string) => spec.variables.get(n)!;
    expect(v('target_tgid').get()).to.equal(4294967295n);
    expect(v('tag').get()).to.equal(2n ** 64n - 1n);
    expect(v('delta').get()).to.equal(-32768n);
    expect(v('use_perf').get()).to.equal(true);
    expect(v('mode').get()).to.equal(1n);
    expect([...v('label').bytes()]).to.deep.equal([97, 98, 99, 0, 0, 0, 0, 0]);
    expect(v('data_offset').get()).to.equal(-7n);
    applyAssignments(spec, ['label=', 'mode=0', 'use_perf=0'].map(parseAssignment));
    expect([...v('label').bytes()]).to.deep.equal([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(v('mode').get()).to.equal(0n);
    expect(v('use_perf').get()).to.equal(false);
  });

  it('refuses values out of range with the type named', async () => {
    const spec = await loadObjectSpec(KILL_OBJ);
    const bad: [string, string][] = [
      ['target_tgid=4294967296', '--set target_tgid=4294967296: 4294967296 is out of range (0..4294967295) (target_tgid is const volatile __u32)'],
      ['target_tgid=-1', '--set target_tgid=-1: -1 is out of range (0..4294967295) (target_tgid is const volatile __u32)'],
      ['tag=0x10000000000000000', '--set tag=0x10000000000000000: 18446744073709551616 is out of range (0..18446744073709551615) (tag is const volatile __u64)'],
      ['kill_event_btf_anchor=1', '--set kill_event_btf_anchor=1: cannot be set from the command line (only integers, bool, enums, floats, char arrays and arrays of them) (kill_event_btf_anchor is struct kill_event)'],
      ['=1', '--set =1: expected NAME=VALUE'],
    ];
    for (const [arg, msg] of bad) expect(() => applyAssignments(spec, [parseAssignment(arg)])).to.throw(CliError, msg);
  });
});

describe('cli run: record lines (pure)', () => {
  const rec = { pid: 7, big: 2n ** 64n - 1n, comm: 'bash', path: 'a b', empty: '', bytes: Uint8Array.of(1, 0xab), inner: { x: -1, y: [1, 2] }, ok: true };

  it('plain: name=value, strings bare unless they need quotes, structs in braces, bytes in hex', () => {
    expect(formatRecord(rec, false)).to.equal('pid=7 big=18446744073709551615 comm=bash path="a b" empty="" bytes=01ab inner={x=-1 y=[1,2]} ok=true');
    expect(formatRecord(Uint8Array.of(0xde, 0xad), false)).to.equal('dead');
    expect(formatRecord(Uint8Array.of(0xde, 0xad), false, 'rb')).to.equal('rb: dead');
  });

  it('JSON: exact integer digits, hex bytes, and a map wrapper when several maps stream', () => {
    expect(formatRecord(rec, true)).to.equal('{"pid":7,"big":18446744073709551615,"comm":"bash","path":"a b","empty":"","bytes":"01ab","inner":{"x":-1,"y":[1,2]},"ok":true}');
    expect(formatRecord(Uint8Array.of(1), true)).to.equal('{"bytes":"01"}');
    expect(formatRecord({ a: 1 }, true, 'rb')).to.equal('{"map":"rb","record":{"a":1}}');
    expect(exactJson(-(2n ** 63n))).to.equal('-9223372036854775808');
  });
});

describe('cli run: arguments (pure)', () => {
  const d = { json: false, pretty: false, debug: false };
  it('takes options before or after OBJ, as --opt VALUE or --opt=VALUE', () => {
    const a = parseRunArgs(['--set=x=-1', 'o.bpf.o', '--events', 'rb:struct event', '--hist=h:linear:ms', '--duration', '1.5', '-j'], d);
    expect(a).to.deep.include({ object: 'o.bpf.o', durationMs: 1500, json: true });
    expect(a.sets).to.deep.equal([{ name: 'x', text: '-1' }]);
    expect(a.events).to.deep.equal([{ map: 'rb', struct: 'event' }]);
    expect(a.hists).to.deep.equal([{ map: 'h', kind: 'linear', label: 'ms' }]);
    expect(parseRunArgs(['o', '--hist', 'h:usecs'], d).hists).to.deep.equal([{ map: 'h', kind: 'log2', label: 'usecs' }]);
  });
  it('refuses what it does not know, in one line', () => {
    expect(() => parseRunArgs([], d)).to.throw(CliError, 'run: expected an object file (OBJ or FILE.bpf.c) (see bpf-ts run help)');
    expect(() => parseRunArgs(['a', 'b'], d)).to.throw(CliError, "run: unexpected argument 'b' (the object is 'a')");
    expect(() => parseRunArgs(['a', '--events'], d)).to.throw(CliError, '--events needs a value');
    expect(() => parseRunArgs(['a', '--events', 'a:b:c'], d)).to.throw(CliError, '--events a:b:c: expected MAP or MAP:STRUCT');
  });
});
