/**
 * Scenario 4, object load: open + load (no attach) of the largest objects of bpf/ and examples/
 * (bpf/load/tracer.bpf.o: 24 programs with CO-RE), in process: bpf-ts `loadObject()` vs libbpf
 * `bpf_object__open_file` + `bpf_object__load` (bench/c/object-load.c), target <= 1.3x. Each
 * load on both sides reads and parses vmlinux BTF itself (libbpf keeps none between loads). Then the
 * whole process: `bpf-ts prog loadall` vs `bpftool prog loadall` (pins removed after each run),
 * with `node -e ''` beside it (reported).
 */
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { freshKernelFacts, loadObject } from '../../src/loader/index.js';
import { buildC, runC, values } from '../runner/c-program.js';
import { timeNodeStartup, timeProcess } from '../runner/process-time.js';
import { CLI, ROOT } from '../runner/repo.js';
import type { Row } from '../runner/row.js';
import { alternate, type BenchContext, type Scenario } from '../runner/scenario.js';

const RUNS_PER_ROUND = 5;
const WARM_UP_LOADS = 3;
/** The 24-program CO-RE tracer, and an object with one program per loadable SEC() family. */
const FIXED = ['bpf/load/tracer.bpf.o', 'bpf/spec/loadable.bpf.o'];

/** The largest object of examples/ (by size), when that folder exists. */
function largestExample(): string[] {
  const dir = join(ROOT, 'examples');
  if (!existsSync(dir)) return [];
  const found: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (e.name.endsWith('.bpf.o')) found.push(join(d, e.name));
    }
  };
  walk(dir);
  found.sort((a, b) => statSync(b).size - statSync(a).size);
  return found.slice(0, 1).map((p) => relative(ROOT, p));
}

async function loadAndClose(path: string): Promise<number> {
  const t0 = performance.now();
  // libbpf reads and parses vmlinux BTF inside every bpf_object__load that needs it (strace: one
  // open of /sys/kernel/btf/vmlinux per load; freed at the end of the load), and its C process
  // runs all its loads in one process like this one. bpf-ts's process-wide kernel BTF cache
  // would skip that work in every measured load after the first, so each load gets fresh facts.
  // libbpf frees its vmlinux BTF at the end of bpf_object__load; releasing ours is timed too.
  using facts = freshKernelFacts();
  const obj = await loadObject(path, { facts });
  facts.release();
  const ms = performance.now() - t0;
  obj.close();
  return ms;
}

function loadall(tool: string, args: readonly string[], path: string, pinDir: string): number {
  try {
    return timeProcess(tool, [...args, 'prog', 'loadall', path, pinDir]);
  } finally {
    rmSync(pinDir, { recursive: true, force: true });
  }
}

export const objectLoad: Scenario = {
  name: 'load',
  title: 'object open + load, in process and whole process',
  async run(ctx: BenchContext): Promise<Row[]> {
    const binary = buildC('object-load');
    const rows: Row[] = [];
    const scenario = '4 object load';
    const pinDir = `/sys/fs/bpf/${ctx.tag}_loadall`;
    for (const object of [...FIXED, ...largestExample()]) {
      const path = join(ROOT, object);
      const ts: number[] = [];
      const ref: number[] = [];
      // Warm-up: the loader's code compiled by V8 (one load leaves most of it in the interpreter).
      // The libbpf side warms up once too. Kernel BTF is not kept between loads (see loadAndClose).
      for (let i = 0; i < WARM_UP_LOADS; i++) await loadAndClose(path);
      await alternate(ctx.rounds, [
        async () => {
          for (let i = 0; i < RUNS_PER_ROUND; i++) ts.push(await loadAndClose(path));
        },
        () => ref.push(...values(runC(binary, [path, String(RUNS_PER_ROUND)]), 'run')),
      ]);
      rows.push({ scenario, measure: `${object}: open + load, in process`, unit: 'ms', ts, ref, target: { maxRatio: 1.3 } });
    }
    const object = FIXED[0] as string;
    const ours: number[] = [];
    const bpftool: number[] = [];
    const node: number[] = [];
    await alternate(ctx.rounds, [
      () => ours.push(loadall(CLI, [], join(ROOT, object), pinDir)),
      () => bpftool.push(loadall('bpftool', [], join(ROOT, object), pinDir)),
      () => node.push(timeNodeStartup()),
    ]);
    rows.push({ scenario, measure: `${object}: prog loadall, whole process (bpf-ts vs bpftool)`, unit: 'ms', ts: ours, ref: bpftool });
    rows.push({ scenario, measure: "node -e '' (node's own start-up, inside the bpf-ts figure)", unit: 'ms', ts: node, ref: [] });
    return rows;
  },
};
