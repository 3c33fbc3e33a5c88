/**
 * Hostile objects the fuzzer found (test/fuzz/regressions): the spec refuses them with an
 * ObjectSpecError that says what is wrong, instead of allocating terabytes or recursing forever.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ObjectSpecError, parseObjectSpec } from '../../src/loader/index.js';
import { REPO_ROOT } from '../helpers/paths.js';

function regression(name: string): Uint8Array {
  const r = JSON.parse(readFileSync(join(REPO_ROOT, 'test', 'fuzz', 'regressions', `${name}.json`), 'utf8')) as { input: string };
  return new Uint8Array(gunzipSync(Buffer.from(r.input, 'base64')));
}

function refusal(bytes: Uint8Array): ObjectSpecError {
  try {
    parseObjectSpec(bytes, { fileName: 'hostile.o' });
  } catch (e) {
    expect(e).to.be.instanceOf(ObjectSpecError);
    return e as ObjectSpecError;
  }
  expect.fail('the object parsed');
}

describe('loader: hostile objects', function () {
  it('a .bss claiming 4 GiB is refused before anything is allocated', function () {
    const e = refusal(regression('spec-bss-size-4gib-hang'));
    expect(e.message).to.equal("hostile.o: section '.bss': global data section is 4294967288 bytes, more than a program can address (536870912)");
    expect(e.section).to.equal('.bss');
  });

  it('a .kconfig extern typed as an array of itself is an unsupported kconfig type, not a stack overflow', function () {
    const e = refusal(regression('spec-kconfig-array-cycle-stack-overflow'));
    expect(e.message).to.match(/extern \(kconfig\) '[A-Za-z_0-9]+': type \[\d+\] is not supported/);
  });
});
