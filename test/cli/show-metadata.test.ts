import { expect } from 'chai';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { BPF_DIR } from '../helpers/paths.js';
import { requirePrivileges, requireTool } from '../helpers/privileges.js';
import { BPFTOOL, bpftool, bpftoolRun, runCli } from '../sys/show-fixture.js';

/** `prog show` prints `bpf_metadata_*` variables of `.rodata` as bpftool does (bpf/show/metadata.bpf.c). */
describe('cli: prog show metadata agrees with bpftool (kernel)', function () {
  const dir = `/sys/fs/bpf/bpfts-meta-${process.pid}-${Date.now()}`;
  let id = 0;

  before(function () {
    requirePrivileges(this);
    requireTool(this, BPFTOOL);
    bpftool('prog', 'loadall', join(BPF_DIR, 'show', 'metadata.bpf.o'), dir);
    id = (JSON.parse(bpftool('-j', 'prog', 'show', 'pinned', join(dir, 'show_metadata'))) as { id: number }).id;
  });
  after(() => {
    if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  });

  for (const flags of [[], ['-j'], ['-p']]) {
    it(`${[...flags, 'prog', 'show'].join(' ')}: byte-identical to bpftool, metadata included`, async () => {
      const args = [...flags, 'prog', 'show', 'id', String(id)];
      const ours = await runCli(args);
      expect(ours.code).to.equal(0);
      expect(ours.out).to.equal(bpftoolRun(args).out);
      expect(ours.out).to.include(flags.length === 0 ? '\tmetadata:\n\t\tname = "show-metadata"\n' : '"metadata":');
    });
  }

  it('decodes strings, signed and 64-bit integers, bools, arrays, bitfields and enums', async () => {
    const json = JSON.parse((await runCli(['-j', 'prog', 'show', 'id', String(id)])).out) as { metadata: Record<string, unknown> };
    expect(json.metadata).to.deep.equal({
      name: 'show-metadata',
      negative: -42,
      // JSON.parse rounds 2^64-1; the text is exact (compared with bpftool above).
      big: 18446744073709551615,
      enabled: true,
      list: [1, 2, 3],
      record: { a: 7, flag: '0x5', rest: '0x11', color: 'SHOW_GREEN' },
      unnamed_color: 3,
    });
    expect(json.metadata).to.not.have.property('not_metadata');
  });
});
