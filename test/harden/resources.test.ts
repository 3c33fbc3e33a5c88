/**
 * Resources come back: open -> load -> attach -> close cycles in one process return fds, kernel
 * programs, maps and links (ours, by unique name) and memory to their baseline; objects dropped
 * without close() are reclaimed by the FinalizationRegistry (a child with --expose-gc).
 * `npm run soak` runs 10,000 cycles (BPF_TS_SOAK_CYCLES); npm test runs 200.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { attachRawTracepoint } from '../../src/links/index.js';
import { loadObject, loadObjectSpec } from '../../src/loader/index.js';
import { BPF_DIR, REPO_ROOT } from '../helpers/paths.js';
import { requirePrivileges } from '../helpers/privileges.js';
import { census, type Census } from './census.js';

const OBJECT = join(BPF_DIR, 'harden', 'unpriv.bpf.o');
const CYCLES = Number(process.env['BPF_TS_SOAK_CYCLES'] ?? 200);

/** The kernel frees programs, maps and links from deferred work: wait until it has. */
async function settled(target: Census): Promise<Census> {
  let now = census();
  for (let i = 0; i < 100 && (now.progs > target.progs || now.maps > target.maps || now.links > target.links); i++) {
    await new Promise((r) => setTimeout(r, 100));
    now = census();
  }
  return now;
}

function forceGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

function memory(gc: () => void): { rss: number; js: number } {
  gc();
  gc();
  const u = process.memoryUsage();
  return { rss: u.rss, js: u.heapUsed + u.external + u.arrayBuffers };
}

describe(`resources: ${CYCLES} open/load/attach/close cycles come back to baseline`, function () {
  this.timeout(Math.max(120_000, CYCLES * 200));
  before(function () {
    requirePrivileges(this);
  });

  it('fds, programs, maps, links and memory', async function () {
    const gc = forceGc();
    const cycle = async (): Promise<void> => {
      const spec = await loadObjectSpec(OBJECT);
      using obj = await loadObject(spec);
      using link = attachRawTracepoint(obj.program('bpfts_unpriv_tp')!, 'sys_enter');
      expect(link).to.not.equal(undefined);
    };
    // Warm-up: kernel BTF, kallsyms, the addon, JIT and V8's heap growth (RSS rises for the
    // first ~2,000 cycles as the heap reserves pages, then stays flat) are per process.
    const warmUp = CYCLES >= 5000 ? 2000 : 20;
    for (let i = 0; i < warmUp; i++) await cycle();
    const base = await settled({ ...census(), progs: 0, maps: 0, links: 0 });
    expect(base.progs + base.maps + base.links, 'nothing of ours before the cycles').to.equal(0);
    const memBefore = memory(gc);
    const started = process.hrtime.bigint();
    for (let i = 0; i < CYCLES; i++) await cycle();
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const after = await settled(base);
    const memAfter = memory(gc);
    expect(after, 'census after the cycles').to.deep.equal(base);
    const jsGrowth = memAfter.js - memBefore.js;
    const rssGrowth = memAfter.rss - memBefore.rss;
    // Bounds that catch a per-cycle leak of a few hundred bytes over 10,000 cycles (the soak), or
    // of kilobytes over the short run, while allowing the allocator's own slack.
    expect(jsGrowth, `JS heap + external grew ${jsGrowth} bytes`).to.be.below(4 << 20);
    expect(rssGrowth, `RSS grew ${rssGrowth} bytes`).to.be.below(48 << 20);
    console.log(`      ${CYCLES} cycles in ${(ms / 1000).toFixed(1)} s (${(ms / CYCLES).toFixed(2)} ms each); JS memory ${(jsGrowth / 1024).toFixed(0)} KiB, RSS ${(rssGrowth / 1024).toFixed(0)} KiB after vs before`);
  });

  it('objects and links dropped without close() are closed by the finalizers (child with --expose-gc)', async function () {
    const script = `
      import { loadObject } from ${JSON.stringify(new URL('../../src/loader/index.js', import.meta.url).href)};
      import { attachRawTracepoint } from ${JSON.stringify(new URL('../../src/links/index.js', import.meta.url).href)};
      import { census } from ${JSON.stringify(new URL('./census.js', import.meta.url).href)};
      const settle = async (done) => { for (let i = 0; i < 100; i++) { globalThis.gc(); const c = census(); if (done(c)) return c; await new Promise((r) => setTimeout(r, 100)); } return census(); };
      const base = census();
      // In a function of its own: a suspended async frame may keep its last values reachable.
      const drop = async () => {
        for (let i = 0; i < 30; i++) {
          const obj = await loadObject(${JSON.stringify(OBJECT)});
          attachRawTracepoint(obj.program('bpfts_unpriv_tp'), 'sys_enter'); // link dropped
        } // obj dropped
        return census();
      };
      const loaded = await drop();
      const after = await settle((c) => c.progs === base.progs && c.maps === base.maps && c.links === base.links && c.fds === base.fds);
      console.log(JSON.stringify({ base, loaded, after }));
    `;
    const out = execFileSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 });
    const { base, loaded, after } = JSON.parse(out.trim().split('\n').pop() ?? '{}') as { base: Census; loaded: Census; after: Census };
    // The drops held real kernel objects (so the finalizers had work to do) ...
    expect(loaded.progs - base.progs, 'programs held before collection').to.be.greaterThan(0);
    expect(loaded.links - base.links, 'links held before collection').to.be.greaterThan(0);
    // ... and collection gave every one back.
    expect(after).to.deep.equal(base);
  });
});
