/**
 * Failure descriptions and the verifier-log rewrite, on synthetic relocations (the real-kernel
 * comparison with libbpf's rewrite is in run.test.ts).
 */
import { expect } from 'chai';
import { BpfCoreReloKind } from '../../src/btf/index.js';
import { CORE_POISON_HELPER_ID, coreFailures, describeCoreFailure, fixupCoreFailureLog, relocateCore } from '../../src/btf/core/index.js';
import { OP, array, buildBtf, enumOf, insns, int, m, struct } from './synthetic.js';

const K = BpfCoreReloKind;
const local = buildBtf([int('int', 4, true), struct('s___v1', 8, [m('gone', 1, 0), m('kept', 1, 32)]), enumOf('e', { GONE: 5 }), array(1, 2, 1)]);
const target = buildBtf([int('int', 4, true), struct('s', 4, [m('kept', 1, 0)]), enumOf('e', { OTHER: 1 })]);

function run() {
  return relocateCore({
    localBtf: local,
    targets: [target],
    instructions: insns([OP.LDX_W, 0, 1, 0, 0], [OP.LDX_W, 0, 1, 4, 0], [OP.LD_IMM64, 2, 0, 0, 5], [0, 0, 0, 0, 0], [OP.EXIT, 0, 0, 0, 0]),
    coreRelos: [
      { insnIndex: 0, typeId: 2, accessString: '0:0', kind: K.FIELD_BYTE_OFFSET },
      { insnIndex: 1, typeId: 2, accessString: '0:1', kind: K.FIELD_BYTE_OFFSET },
      { insnIndex: 2, typeId: 3, accessString: '0', kind: K.ENUMVAL_VALUE },
    ],
  });
}

describe('btf/core failure descriptions', () => {
  it('name the missing field with its flavor, and the missing enumerator', () => {
    const { results } = run();
    expect(results.map((r) => [r.poisoned, r.poisonReason, describeCoreFailure(r)])).to.deep.equal([
      [true, 'not-found', 'struct s___v1.gone'],
      [false, undefined, 'struct s___v1.kept'],
      [true, 'not-found', 'enum e::GONE = 5'],
    ]);
    expect(coreFailures(results)).to.deep.equal([
      { insnIndex: 0, description: 'struct s___v1.gone' },
      { insnIndex: 2, description: 'enum e::GONE = 5' },
    ]);
  });

  it('an ldimm64 is poisoned in both slots', () => {
    const v = new DataView(run().instructions.buffer);
    expect([16, 24].map((at) => [v.getUint8(at), v.getInt32(at + 4, true)])).to.deep.equal([[OP.CALL, CORE_POISON_HELPER_ID], [OP.CALL, CORE_POISON_HELPER_ID]]);
  });

  it('the log rewrite replaces only poison calls of poisoned relocations', () => {
    const { results } = run();
    const log = [
      '0: (85) call unknown#195896080',
      'invalid func unknown#195896080',
      'processed 1 insns',
      '7: (85) call unknown#195896080',
      'invalid func unknown#195896080',
    ].join('\n');
    expect(fixupCoreFailureLog(log, results).split('\n')).to.deep.equal([
      '0: <invalid CO-RE relocation>',
      'failed to resolve CO-RE relocation <byte_off> [2] struct s___v1.gone (0:0 @ offset 0)',
      'processed 1 insns',
      '7: (85) call unknown#195896080',
      'invalid func unknown#195896080',
    ]);
  });
});
