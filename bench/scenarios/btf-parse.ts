/**
 * Scenario 1, kernel BTF: read `/sys/kernel/btf/vmlinux`, parse it and find `task_struct`, in
 * process, vs libbpf `btf__parse` + `btf__find_by_name_kind` (bench/c/btf-parse.c). Both sides
 * go from the path: bpf-ts `parseBtfFile` (which maps vmlinux BTF where the kernel allows it, as
 * libbpf 1.6 does for vmlinux) vs libbpf's own read of the file. Each round:
 * one warm-up then 20 bpf-ts runs; one libbpf process doing its 20 runs. Also the first (cold)
 * run of each and the memory one parsed BTF holds. Target: time <= 2x libbpf.
 */
import { parseBtfFile } from '../../src/btf/index.js';
import { buildC, runC, values } from '../runner/c-program.js';
import { heldMemory } from '../runner/memory.js';
import type { Row } from '../runner/row.js';
import { alternate, type BenchContext, type Scenario } from '../runner/scenario.js';

const FILE = '/sys/kernel/btf/vmlinux';
const NAME = 'task_struct';
const RUNS = 20;

function parseAndFind(): { ms: number; ids: readonly number[] } {
  const t0 = performance.now();
  const ids = parseBtfFile(FILE).findByName(NAME, 'STRUCT');
  const ms = performance.now() - t0;
  if (ids.length === 0) throw new Error(`${NAME} not found in ${FILE}`);
  return { ms, ids };
}

export const btfParse: Scenario = {
  name: 'btf',
  title: `kernel BTF: parse ${FILE} + find ${NAME}`,
  async run(ctx: BenchContext): Promise<Row[]> {
    const binary = buildC('btf-parse');
    const tsCold = parseAndFind().ms;
    const ts: number[] = [];
    const ref: number[] = [];
    let refCold: number[] = [];
    let refRss: readonly number[] = [];
    await alternate(ctx.rounds, [
      () => {
        parseAndFind();
        for (let i = 0; i < RUNS; i++) ts.push(parseAndFind().ms);
      },
      () => {
        const out = runC(binary, [FILE, NAME, String(RUNS)]);
        ref.push(...values(out, 'run'));
        refCold = [...refCold, ...values(out, 'cold')];
        refRss = values(out, 'rss_kb');
      },
    ]);
    const held = await heldMemory(() => {
      const btf = parseBtfFile(FILE);
      btf.findByName(NAME, 'STRUCT');
      return btf;
    });
    const scenario = '1 kernel BTF';
    return [
      { scenario, measure: `parse + find ${NAME}`, unit: 'ms', ts, ref, target: { maxRatio: 2 } },
      { scenario, measure: 'first (cold) run', unit: 'ms', ts: [tsCold], ref: refCold.slice(0, 1), note: 'bpf-ts: first in the bench process; libbpf: first in its process' },
      // bpf-ts: what the Btf object holds (heap + ArrayBuffers) across a full GC. Its RSS growth is
      // not usable here: after the runs before it, malloc hands the file buffer memory it already
      // has (RSS +1 MiB in one run, +7 MiB in another). libbpf: RSS growth in its process.
      { scenario, measure: 'memory held by one parsed BTF', unit: 'KiB', ts: [held.heapKb + held.externalKb], ref: refRss, note: `bpf-ts heap ${held.heapKb} KiB + buffers ${held.externalKb} KiB (RSS +${held.rssKb} KiB; the file's bytes are the kernel's own pages, mapped, where the kernel allows mmap); libbpf RSS growth` },
    ];
  },
};
