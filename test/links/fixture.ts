import { join } from 'node:path';
import { loadObject, loadObjectSpec, type BpfObject, type BpfProgram } from '../../src/loader/index.js';
import { getLinkInfo, linkGetFdById, objectIds } from '../../src/sys/index.js';
import { BPF_DIR } from '../helpers/paths.js';

/** Slots of `counts` in bpf/links/counters.bpf.c. */
export const Slot = {
  TRACEPOINT: 0,
  RAW_TP: 1,
  TP_BTF: 2,
  UPROBE: 3,
  URETPROBE: 4,
  PERF_EVENT: 5,
  XDP: 6,
  TCX: 7,
  CGROUP_SKB: 8,
  CGROUP_SOCK: 9,
  SOCKET: 10,
  XDP_SECOND: 11,
  SK_LOOKUP: 12,
  NETFILTER: 13,
  UPROBE_MULTI: 14,
  TCX_EGRESS: 15,
  URETVAL: 16,
  USDT: 17,
  SK_MSG: 18,
} as const;

export const COUNTERS_OBJ = join(BPF_DIR, 'links', 'counters.bpf.o');
export const UNSUPPORTED_OBJ = join(BPF_DIR, 'links', 'unsupported.bpf.o');
export const USDT_ARGS_OBJ = join(BPF_DIR, 'links', 'usdt_args.bpf.o');

/** counters.bpf.o loaded for this process (only `programs` when given). */
export async function loadCounters(programs?: readonly string[]): Promise<BpfObject> {
  const spec = await loadObjectSpec(COUNTERS_OBJ);
  spec.variables.get('target_tgid')?.set(process.pid);
  return loadObject(spec, programs === undefined ? {} : { programs });
}

/** The value of one slot of `counts`. */
export function count(obj: BpfObject, slot: number): bigint {
  const key = new Uint8Array(4);
  new DataView(key.buffer).setUint32(0, slot, true);
  const v = obj.map('counts')?.lookup(key);
  if (v === undefined) throw new Error(`counts[${slot}] missing`);
  return new DataView(v.buffer, v.byteOffset, v.byteLength).getBigUint64(0, true);
}

/** The named program, which must exist. */
export function program(obj: BpfObject, name: string): BpfProgram {
  const p = obj.program(name);
  if (p === undefined) throw new Error(`program ${name} missing`);
  return p;
}

/** Calls getppid(2) `n` times (Node's `process.ppid` getter asks the kernel each time). */
export function getppid(n: number): void {
  for (let i = 0; i < n; i++) void process.ppid;
}


/**
 * Closes `obj` after checking that no link in the kernel still runs one of its programs (every
 * link a test made was closed; pins removed).
 */
export function closeCheckingLinks(obj: BpfObject | undefined): void {
  if (obj === undefined) return;
  const progIds = new Set([...obj.programs.values()].map((p) => p.info().id));
  const leaked: string[] = [];
  for (const id of objectIds('link')) {
    let fd;
    try {
      fd = linkGetFdById(id);
    } catch {
      continue; // freed meanwhile
    }
    try {
      const info = getLinkInfo(fd);
      if (progIds.has(info.progId)) leaked.push(`link ${id} (${info.details.kind}) of prog ${info.progId}`);
    } finally {
      fd.close();
    }
  }
  obj.close();
  if (leaked.length > 0) throw new Error(`links left behind: ${leaked.join(', ')}`);
}
