/**
 * Shared pieces of the CLI attach/events tests: bpf/cli/cli.bpf.o, running `bpf-ts` and bpftool
 * as separate processes (so what stays attached has outlived the command), reading the `hits`
 * counter of a process, and waiting for a kernel object to be freed.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { BpfMap } from '../../src/maps/index.js';
import { getFdById, objGet, ObjectNotFoundError, type BpfObjectKind } from '../../src/sys/index.js';
import { BPF_DIR, CLI } from '../helpers/paths.js';

export const CLI_OBJ = join(BPF_DIR, 'cli', 'cli.bpf.o');
export const BPFTOOL = '/usr/sbin/bpftool';

export interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `bpf-ts ARGS` (the real entry point, in a child) or another command, to completion. */
export function run(cmd: string, args: readonly string[], input?: Buffer | string): Run {
  const r = spawnSync(cmd === 'bpf-ts' ? process.execPath : cmd, cmd === 'bpf-ts' ? [CLI, ...args] : args, {
    encoding: 'utf8',
    ...(input === undefined ? {} : { input }),
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The `hits` value of process `pid` in the pinned hash map at `mapPath` (0 when absent). */
export function hitsOf(mapPath: string, pid: number): bigint {
  using map = BpfMap.fromFd(objGet(mapPath));
  const key = new Uint8Array(4);
  new DataView(key.buffer).setUint32(0, pid, true);
  const v = map.lookup(key);
  return v === undefined ? 0n : new DataView(v.buffer, v.byteOffset, v.byteLength).getBigUint64(0, true);
}

/** True once no object of `kind` has `id` (freeing is deferred in the kernel); waits up to 5 s. */
export async function waitFreed(kind: BpfObjectKind, id: number): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    try {
      getFdById(kind, id).close();
    } catch (e) {
      if (e instanceof ObjectNotFoundError) return true;
      throw e;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

/** Calls getppid() `n` times (Node reads `process.ppid` with a fresh syscall each time). */
export function callGetppid(n: number): void {
  for (let i = 0; i < n; i++) void process.ppid;
}
