/**
 * Scenario 5, CLI start-up: `bpf-ts prog show` as a whole process with 100 programs of ours
 * loaded (socket filters named `<tag>_<n>`, held by this process), minus `node -e ''`. Target:
 * < 60 ms of our own. `bpftool prog show` beside it (the ratio compares our own time with
 * bpftool's whole process). Other engineers' programs are listed too: the row says how many.
 */
import { OwnedFd, ProgType, objectIds, progLoad } from '../../src/sys/index.js';
import { timeNodeStartup, timeProcess } from '../runner/process-time.js';
import { CLI } from '../runner/repo.js';
import { median } from '../runner/stats.js';
import type { Row } from '../runner/row.js';
import { alternate, type BenchContext, type Scenario } from '../runner/scenario.js';

const PROGRAMS = 100;
const RUNS_PER_ROUND = 5;
/** `r0 = 0; exit`. */
const RETURN_ZERO = Uint8Array.of(0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0);

export const cliStartup: Scenario = {
  name: 'cli',
  title: `bpf-ts prog show with ${PROGRAMS} programs loaded, whole process`,
  async run(ctx: BenchContext): Promise<Row[]> {
    const held: OwnedFd[] = [];
    try {
      for (let i = 0; i < PROGRAMS; i++) {
        const name = `${ctx.tag}_${i}`;
        held.push(new OwnedFd(progLoad({ progType: ProgType.SOCKET_FILTER, insns: RETURN_ZERO, license: 'GPL', name }).fd, `program ${name}`));
      }
      const listed = [...objectIds('prog')].length;
      const ours: number[] = [];
      const bpftool: number[] = [];
      const node: number[] = [];
      const repeat = (samples: number[], f: () => number) => () => {
        for (let i = 0; i < RUNS_PER_ROUND; i++) samples.push(f());
      };
      await alternate(ctx.rounds, [
        repeat(ours, () => timeProcess(CLI, ['prog', 'show'])),
        repeat(node, timeNodeStartup),
        repeat(bpftool, () => timeProcess('bpftool', ['prog', 'show'])),
      ]);
      const floor = median(node);
      const scenario = '5 CLI start-up';
      return [
        { scenario, measure: 'prog show, whole process', unit: 'ms', ts: ours, ref: bpftool, note: `${listed} programs listed` },
        { scenario, measure: "prog show minus node -e ''", unit: 'ms', ts: ours.map((x) => x - floor), ref: bpftool, target: { maxValue: 60 } },
        { scenario, measure: "node -e ''", unit: 'ms', ts: node, ref: [] },
      ];
    } finally {
      for (const fd of held) fd.close();
    }
  },
};
