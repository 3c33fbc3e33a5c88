/**
 * Run by test/harden/privileges.test.ts as a user without privileges: tries each library
 * operation and prints one JSON line per attempt (the error's class chain, message, whether it
 * is a permission error). Argument: the path of bpf/harden/unpriv.bpf.o. A program fd loaded by
 * the (root) parent is inherited as fd 3, so attaching can be tried without loading.
 */
import { BpfMap, BpfTsError, isPermissionError, loadObject, loadObjectSpec, MapType } from '../../src/index.js';
import { attachRawTracepoint, attachTracepoint } from '../../src/links/index.js';

/** One operation tried without privileges, as the parent test reads it from stdout. */
export interface Attempt {
  readonly op: string;
  readonly ok: boolean;
  readonly classes?: string[];
  readonly message?: string;
  readonly permission?: boolean;
  readonly typed?: boolean;
}

function classesOf(e: unknown): string[] {
  const out: string[] = [];
  for (let p = Object.getPrototypeOf(e) as object | null; p !== null && p !== Object.prototype; p = Object.getPrototypeOf(p) as object | null) {
    out.push((p as { constructor: { name: string } }).constructor.name);
  }
  return out;
}

async function attempt(op: string, fn: () => Promise<unknown> | unknown): Promise<Attempt> {
  try {
    const r = await fn();
    (r as { close?: () => void } | undefined)?.close?.();
    return { op, ok: true };
  } catch (e) {
    return { op, ok: false, classes: classesOf(e), message: (e as Error).message, permission: isPermissionError(e), typed: e instanceof BpfTsError };
  }
}

const object = process.argv[2] ?? '';
const attempts: Attempt[] = [];
attempts.push(await attempt('loadObject', () => loadObject(object)));
attempts.push(await attempt('loadObject pinRoot', async () => loadObject(await loadObjectSpec(object), { pinRoot: '/sys/fs/bpf/bpfts-unpriv-root' })));
attempts.push(await attempt('BpfMap.create', () => BpfMap.create({ type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1, name: 'bpfts_unpriv_c' })));
attempts.push(await attempt('attachRawTracepoint', () => attachRawTracepoint({ fd: 3, name: 'bpfts_unpriv_tp' }, 'sys_enter')));
attempts.push(await attempt('attachTracepoint', () => attachTracepoint({ fd: 3, name: 'bpfts_unpriv_tp' }, 'syscalls', 'sys_enter_getpid')));
attempts.push(await attempt('BpfMap.fromId', () => BpfMap.fromId(1)));
for (const a of attempts) console.log(JSON.stringify(a));
