import { expect } from 'chai';
import { decodePoisonedCall, PoisonMarker } from '../../src/verifier-log/index.js';
import { readFixture } from './fixture-files.js';

describe('verifier-log: libbpf poison markers', () => {
  it('uses libbpf\'s values (0xbad2310 "bad relo", 2001000000 maps, 2002000000 kfuncs)', () => {
    expect(PoisonMarker.coreRelocation).to.equal(0xbad2310);
    expect(PoisonMarker.mapBase).to.equal(2001000000);
    expect(PoisonMarker.kfuncBase).to.equal(2002000000);
  });

  it('decodes the helper ids the kernel printed for the captured poison calls', () => {
    const ids = ['core_poison_raw', 'map_poison_raw', 'kfunc_poison_raw'].map((name) => {
      const m = /^invalid func unknown#(\d+)$/m.exec(readFixture(name));
      return decodePoisonedCall(Number(m?.[1]));
    });
    expect(ids).to.deep.equal([{ kind: 'core-relocation' }, { kind: 'map', mapIndex: 7 }, { kind: 'kfunc', externIndex: 7 }]);
  });

  it('leaves ordinary and out-of-range helper ids alone', () => {
    expect(decodePoisonedCall(1)).to.equal(undefined);
    expect(decodePoisonedCall(2000999999)).to.equal(undefined);
    expect(decodePoisonedCall(2003000000)).to.equal(undefined);
    expect(decodePoisonedCall(2001999999)).to.deep.equal({ kind: 'map', mapIndex: 999999 });
  });
});
