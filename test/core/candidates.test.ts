/**
 * Candidate search: essential names, flavored target types found through the string-section
 * scan (checked against a brute-force scan of every vmlinux type), modules searched only when
 * vmlinux has no candidate, and libbpf's per-type pruning of the shared candidate list.
 */
import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { BpfCoreReloKind, loadKernelBtf, parseBtf, parseBtfFile, type Btf, type BtfKindName } from '../../src/btf/index.js';
import { CoreCandidateCache, essentialName, essentialNameLength, findTargetCandidates, relocateCore } from '../../src/btf/core/index.js';
import { kernelCoreTargets } from '../../src/loader/kernel-core-targets.js';
import type { KernelFacts } from '../../src/loader/kernel-facts.js';
import { OP, buildBtf, insns, int, m, struct } from './synthetic.js';

const K = BpfCoreReloKind;
const movImm = (imm: number): Uint8Array => insns([OP.MOV64_K, 1, 0, 0, imm], [OP.MOV64_K, 2, 0, 0, imm], [OP.EXIT, 0, 0, 0, 0]);

describe('btf/core candidates', () => {
  it('essential names drop the last X___Y flavor only', () => {
    const names = ['task_struct___mine', 'nf_conn___init', 'a___b___c', '____fput', '___slab_alloc', 'x___', 'x____y', 'plain', '', 'a__b'];
    expect(names.map(essentialName)).to.deep.equal(['task_struct', 'nf_conn', 'a___b', '____fput', '___slab_alloc', 'x___', 'x____y', 'plain', '', 'a__b']);
    expect(essentialNameLength('task_struct___mine')).to.equal('task_struct'.length);
  });

  describe('in vmlinux', function () {
    let vmlinux: Btf;
    before(function () {
      if (!existsSync('/sys/kernel/btf/vmlinux')) this.skip();
      vmlinux = loadKernelBtf();
    });

    /** Every type, compared by essential name and CO-RE kind compatibility: libbpf's linear scan. */
    function bruteForce(name: string, kind: BtfKindName): number[] {
      const out: number[] = [];
      const isEnum = (k: BtfKindName): boolean => k === 'ENUM' || k === 'ENUM64';
      for (let id = 1; id < vmlinux.typeCount; id++) {
        const k = vmlinux.kindOf(id);
        if (k !== kind && !(isEnum(k) && isEnum(kind))) continue;
        const n = vmlinux.typeName(id);
        if (n !== '' && essentialName(n) === name) out.push(id);
      }
      return out;
    }

    const CASES = [['nf_conn', 'STRUCT'], ['task_struct', 'STRUCT'], ['bpf_map_type', 'ENUM'], ['perf_callchain_context', 'ENUM'], ['____fput', 'FUNC'], ['u64', 'TYPEDEF']] as const;
    for (const [name, kind] of CASES) {
      it(`${kind} ${name}: the indexed search finds what a scan of every type finds`, () => {
        // Past its linear lookups, the BTF answers names from the hash index.
        for (let i = 0; i < 10; i++) vmlinux.findByName(`no_such_type_${i}`);
        expect(vmlinux.namesIndexed).to.equal(true);
        const found = findTargetCandidates(vmlinux, name, kind);
        expect(found.length).to.be.greaterThan(0);
        expect(found).to.deep.equal(bruteForce(name, kind));
      });
    }

    it('a freshly parsed vmlinux (one linear pass per search) finds the same candidates', () => {
      for (const [name, kind] of CASES) {
        const fresh = parseBtfFile('/sys/kernel/btf/vmlinux');
        expect(fresh.namesIndexed).to.equal(false);
        expect(findTargetCandidates(fresh, name, kind), `${kind} ${name}`).to.deep.equal(bruteForce(name, kind));
      }
    });

    it('one batched pass (prefetchNames) answers every search as its own pass would, and only those', () => {
      const fresh = parseBtfFile('/sys/kernel/btf/vmlinux');
      const queries = [
        ...CASES.map(([name, kind]) => ({ name, kinds: kind === 'ENUM' ? (['ENUM', 'ENUM64'] as const) : [kind], flavors: true })),
        { name: 'btf_trace_sched_switch', kinds: ['TYPEDEF'] as const },
        { name: 'do_nanosleep', kinds: ['FUNC'] as const },
        { name: 'task_struct' },
        { name: 'no_such_type_at_all', kinds: ['STRUCT'] as const, flavors: true },
      ];
      fresh.prefetchNames(queries);
      expect(fresh.namesIndexed).to.equal(false);
      for (const [name, kind] of CASES) expect(findTargetCandidates(fresh, name, kind), `${kind} ${name}`).to.deep.equal(bruteForce(name, kind));
      const reference = parseBtfFile('/sys/kernel/btf/vmlinux');
      for (const [name, kind] of [['btf_trace_sched_switch', 'TYPEDEF'], ['do_nanosleep', 'FUNC'], ['task_struct', undefined]] as const) {
        const ids = fresh.findByName(name, kind);
        expect(ids.length, name).to.be.greaterThan(0);
        expect(ids, name).to.deep.equal(reference.findByName(name, kind));
      }
      expect(fresh.findByNameWithFlavors('no_such_type_at_all', ['STRUCT'])).to.deep.equal([]);
      // A question the batch did not ask (another kind) is still answered by a pass of its own.
      expect(fresh.findByName('task_struct', 'TYPEDEF')).to.deep.equal(reference.findByName('task_struct', 'TYPEDEF'));
    });

    it('the same batch given to the parse (ParseBtfOptions.names) is answered by the parse, aligned or not', () => {
      const raw = readFileSync('/sys/kernel/btf/vmlinux');
      // At an odd address the parse takes its checked path, and the batch gets a pass of its own.
      const unaligned = new Uint8Array(raw.length + 1).subarray(1);
      unaligned.set(raw);
      const queries = [
        { name: 'task_struct', kinds: ['STRUCT'] as const, flavors: true },
        { name: 'nf_conn', kinds: ['STRUCT'] as const, flavors: true },
        { name: 'btf_trace_sched_switch', kinds: ['TYPEDEF'] as const },
      ];
      for (const bytes of [Buffer.from(raw), unaligned]) {
        const btf = parseBtf(bytes, { names: queries });
        expect(btf.namesIndexed).to.equal(false);
        expect(findTargetCandidates(btf, 'task_struct', 'STRUCT')).to.deep.equal(bruteForce('task_struct', 'STRUCT'));
        expect(findTargetCandidates(btf, 'nf_conn', 'STRUCT')).to.deep.equal(bruteForce('nf_conn', 'STRUCT'));
        expect(btf.findByName('btf_trace_sched_switch', 'TYPEDEF')).to.deep.equal(vmlinux.findByName('btf_trace_sched_switch', 'TYPEDEF'));
      }
    });

    it('nf_conn has the flavored nf_conn___init as a second candidate', () => {
      expect(findTargetCandidates(vmlinux, 'nf_conn', 'STRUCT').map((id) => vmlinux.typeName(id))).to.deep.equal(['nf_conn', 'nf_conn___init']);
    });
  });

  describe('modules and pruning (synthetic kernel)', () => {
    const base = buildBtf([int('int', 4, true), struct('in_base', 8, [m('pad', 1, 0), m('x', 1, 32)])]);
    const mod = buildBtf([struct('mod_only', 12, [m('pad', 1, 0), m('pad2', 1, 32), m('b', 1, 64)]), struct('in_base', 4, [m('x', 1, 0)])], base);

    it('a batched pass over split BTF finds its own types, by names of either string section', () => {
      const split = buildBtf([struct('mod_only', 12, [m('pad', 1, 0), m('pad2', 1, 32), m('b', 1, 64)]), struct('in_base', 4, [m('x', 1, 0)]), struct('mod_only___v2', 4, [m('b', 1, 0)])], base);
      split.prefetchNames([{ name: 'in_base', kinds: ['STRUCT'] }, { name: 'mod_only', kinds: ['STRUCT'], flavors: true }, { name: 'int', kinds: ['INT'] }]);
      // Base ids first (the base is searched by its own lookup), then the split BTF's own.
      expect(split.findByName('in_base', 'STRUCT')).to.deep.equal([2, 4]);
      expect(split.findByNameWithFlavors('mod_only', ['STRUCT'])).to.deep.equal([3, 5]);
      expect(split.findByName('int', 'INT')).to.deep.equal([1]);
    });
    const local = buildBtf([
      int('int', 4, true), // 1
      struct('mod_only', 4, [m('b', 1, 0)]), // 2
      struct('in_base', 4, [m('x', 1, 0)]), // 3
      struct('p', 8, [m('x', 1, 0), m('y', 1, 32)]), // 4
    ]);

    it('a type missing from vmlinux is found in a module, under its split-BTF id', () => {
      const { results } = relocateCore({
        localBtf: local,
        targets: [{ name: 'vmlinux', btf: base }, { name: 'mymod', btf: mod }],
        instructions: movImm(0),
        coreRelos: [{ insnIndex: 0, typeId: 2, accessString: '0:0', kind: K.FIELD_BYTE_OFFSET }, { insnIndex: 1, typeId: 2, accessString: '0', kind: K.TYPE_ID_TARGET }],
      });
      const [id] = mod.findByName('mod_only', 'STRUCT');
      expect(id).to.be.at.least(base.typeCount);
      expect(results.map((r) => [r.targetSpec?.btfName, r.newValue])).to.deep.equal([['mymod', 8n], ['mymod', BigInt(id ?? -1)]]);
    });

    it('result texts rendered on first read enumerate in place, with the values of an eager report', () => {
      const { results } = relocateCore({
        localBtf: local,
        targets: [{ name: 'vmlinux', btf: base }, { name: 'mymod', btf: mod }],
        instructions: movImm(0),
        coreRelos: [{ insnIndex: 0, typeId: 2, accessString: '0:0', kind: K.FIELD_BYTE_OFFSET }],
      });
      const r = results[0]!;
      expect(Object.keys(r)).to.deep.equal(['index', 'insnIndex', 'kind', 'kindName', 'localSpec', 'targetSpec', 'candidates', 'matched', 'origValue', 'newValue', 'poisoned', 'patch', 'description']);
      expect(r.localSpec.text).to.equal(r.localSpec.text);
      expect(r.localSpec).to.equal(r.localSpec);
      expect(r.description).to.equal('struct mod_only.b');
      expect(r.targetSpec).to.include({ btfName: 'mymod', bitOffset: 64 });
      expect({ ...r }.description).to.equal('struct mod_only.b');
    });

    it('kernel targets read a module BTF only when vmlinux has no candidate; an unreadable module has none', () => {
      const asked: string[] = [];
      const facts = { vmlinuxBtf: () => base, moduleNames: () => ['broken', 'mymod'], moduleBtf: (name: string) => (asked.push(name), name === 'mymod' ? mod : undefined) } as unknown as KernelFacts;
      const targets = kernelCoreTargets(facts);
      expect(targets.map((t) => t.name)).to.deep.equal(['vmlinux', 'module#1', 'module#2']);
      const relo = (typeId: number) => relocateCore({ localBtf: local, targets, instructions: movImm(0), coreRelos: [{ insnIndex: 0, typeId, accessString: '0:0', kind: K.FIELD_BYTE_OFFSET }], candidateCache: cache });
      const cache = new CoreCandidateCache();
      expect(relo(3).results[0]?.targetSpec?.btfName).to.equal('vmlinux');
      expect(asked).to.deep.equal([]);
      expect(relo(2).results[0]?.targetSpec?.btfName).to.equal('module#2');
      expect(asked).to.deep.equal(['broken', 'mymod']);
    });

    it('a record seen again (a subprogram in another program) reuses its resolution when it had at most one candidate', () => {
      class CountingCache extends CoreCandidateCache {
        finds = 0;
        override find(...args: Parameters<CoreCandidateCache['find']>): ReturnType<CoreCandidateCache['find']> {
          this.finds++;
          return super.find(...args);
        }
      }
      const kernel = buildBtf([int('int', 4, true), struct('in_base', 8, [m('pad', 1, 0), m('x', 1, 32)]), struct('p', 8, [m('x', 1, 0), m('y', 1, 32)]), struct('p___v2', 8, [m('x', 1, 0), m('y', 1, 32)])]);
      const cache = new CountingCache();
      const run = (typeId: number) => relocateCore({ localBtf: local, targets: [kernel], instructions: movImm(0), coreRelos: [{ insnIndex: 0, typeId, accessString: '0:0', kind: K.FIELD_BYTE_OFFSET }], candidateCache: cache });
      const first = run(3);
      expect(cache.finds).to.equal(1);
      const again = run(3);
      expect(cache.finds).to.equal(1);
      expect(again).to.deep.equal(first);
      expect(again.results[0]?.newValue).to.equal(4n);
      // Two candidates (p, p___v2): resolved each time, since pruning could change what it sees.
      const two = run(4);
      expect(two.results[0]?.candidates).to.equal(2);
      expect(cache.finds).to.equal(2);
      expect(run(4)).to.deep.equal(two);
      expect(cache.finds).to.equal(3);
    });

    it('modules are not searched when vmlinux has a candidate', () => {
      const { results } = relocateCore({
        localBtf: local,
        targets: [base, mod],
        instructions: movImm(0),
        coreRelos: [{ insnIndex: 0, typeId: 3, accessString: '0:0', kind: K.FIELD_BYTE_OFFSET }],
      });
      expect([results[0]?.targetSpec?.btfName, results[0]?.candidates, results[0]?.newValue]).to.deep.equal(['vmlinux', 1, 4n]);
    });

    it('matching candidates replace the list for later relocations of the same type (libbpf pruning)', () => {
      const kernel = buildBtf([int('int', 4, true), struct('p___1', 8, [m('x', 1, 0), m('y', 1, 32)]), struct('p___2', 4, [m('x', 1, 0)])]);
      const coreRelos = [
        { insnIndex: 0, typeId: 4, accessString: '0:1', kind: K.FIELD_BYTE_OFFSET },
        { insnIndex: 1, typeId: 4, accessString: '0:0', kind: K.FIELD_BYTE_OFFSET },
      ];
      const cache = new CoreCandidateCache();
      const first = relocateCore({ localBtf: local, targets: [kernel], instructions: insns([OP.MOV64_K, 1, 0, 0, 4], [OP.MOV64_K, 2, 0, 0, 0], [OP.EXIT, 0, 0, 0, 0]), coreRelos, candidateCache: cache });
      expect(first.results.map((r) => [r.candidates, r.matched])).to.deep.equal([[2, 1], [1, 1]]);
      // The same cache remembers the pruning for the next program; a fresh one starts over.
      const again = relocateCore({ localBtf: local, targets: [kernel], instructions: movImm(0), coreRelos: [coreRelos[1]!], candidateCache: cache });
      const fresh = relocateCore({ localBtf: local, targets: [kernel], instructions: movImm(0), coreRelos: [coreRelos[1]!] });
      expect([again.results[0]?.candidates, fresh.results[0]?.candidates, fresh.results[0]?.matched]).to.deep.equal([1, 2, 2]);
      // Another object (local BTF) sharing the cache starts from the unpruned name search.
      const other = buildBtf([int('int', 4, true), struct('p', 4, [m('x', 1, 0)])]);
      const second = relocateCore({ localBtf: other, targets: [kernel], instructions: movImm(0), coreRelos: [{ insnIndex: 0, typeId: 2, accessString: '0:0', kind: K.FIELD_BYTE_OFFSET }], candidateCache: cache });
      expect([second.results[0]?.candidates, second.results[0]?.matched]).to.deep.equal([2, 2]);
    });
  });
});
