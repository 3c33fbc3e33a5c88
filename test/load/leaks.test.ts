/**
 * Loading the same object 500 times in one process leaves nothing behind: no fds, no programs,
 * no maps (counted in /proc/self/fd and, by the object's names, in the kernel's id lists), including after
 * failed loads.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { loadObject, loadObjectSpec } from '../../src/loader/index.js';
import { getMapInfo, getProgInfo, mapGetFdById, objectIds, progGetFdById } from '../../src/sys/index.js';
import { VerifierError } from '../../src/verifier-log/index.js';
import { BPF_DIR } from '../helpers/paths.js';
import { requirePrivileges } from '../helpers/privileges.js';

/**
 * Our fds, and the kernel objects named like the test object's (other processes may create
 * unrelated objects while the test runs, so only these names are counted).
 */
function census(progNames: readonly string[], mapNames: readonly string[]): { fds: number; progs: number; maps: number } {
  let progs = 0;
  let maps = 0;
  for (const id of objectIds('prog')) {
    try {
      using fd = progGetFdById(id);
      if (progNames.includes(getProgInfo(fd).name)) progs++;
    } catch {
      // freed meanwhile
    }
  }
  for (const id of objectIds('map')) {
    try {
      using fd = mapGetFdById(id);
      if (mapNames.includes(getMapInfo(fd).name)) maps++;
    } catch {
      // freed meanwhile
    }
  }
  return { fds: readdirSync('/proc/self/fd').length, progs, maps };
}

/** The kernel frees closed programs and maps from deferred work (RCU): give it a moment. */
async function settledCensus(before: ReturnType<typeof census>, progNames: readonly string[], mapNames: readonly string[]): Promise<ReturnType<typeof census>> {
  let now = census(progNames, mapNames);
  for (let i = 0; i < 50 && (now.progs > before.progs || now.maps > before.maps); i++) {
    await new Promise((r) => setTimeout(r, 100));
    now = census(progNames, mapNames);
  }
  return now;
}

describe('loadObject leaks nothing', function () {
  this.timeout(300_000);
  before(function () {
    requirePrivileges(this);
  });

  it('500 loads and closes of an object with maps, global data, BTF and subprograms', async function () {
    const spec = await loadObjectSpec(join(BPF_DIR, 'subprogs.bpf.o'));
    // Warm-up: kernel BTF, kallsyms and the addon are loaded once per process, not per load.
    (await loadObject(spec)).close();
    const progNames = spec.programs.map((p) => p.name);
    const mapNames = spec.maps.map((m) => m.name);
    const before = census(progNames, mapNames);
    const started = process.hrtime.bigint();
    for (let i = 0; i < 500; i++) {
      using obj = await loadObject(spec);
      expect(obj.programs.size).to.equal(3);
    }
    const perLoadMs = Number(process.hrtime.bigint() - started) / 1e6 / 500;
    const after = await settledCensus(before, progNames, mapNames);
    // Other processes may create objects meanwhile; ours must all be gone.
    expect(after.fds).to.equal(before.fds);
    expect(after.progs).to.be.at.most(before.progs);
    expect(after.maps).to.be.at.most(before.maps);
    console.log(`      ${perLoadMs.toFixed(2)} ms per load of subprogs.bpf.o (3 programs, 1 map, BTF)`);
  });

  it('500 failed loads (verifier rejection after maps were created) leave nothing behind', async function () {
    const spec = await loadObjectSpec(join(BPF_DIR, 'load', 'bad_verify.bpf.o'));
    await loadObject(spec).catch(() => undefined);
    const progNames = spec.programs.map((p) => p.name);
    const mapNames = spec.maps.map((m) => m.name);
    const before = census(progNames, mapNames);
    for (let i = 0; i < 500; i++) {
      const err = await loadObject(spec).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(VerifierError);
    }
    const after = await settledCensus(before, progNames, mapNames);
    expect(after.fds).to.equal(before.fds);
    expect(after.progs).to.be.at.most(before.progs);
    expect(after.maps).to.be.at.most(before.maps);
  });
});
