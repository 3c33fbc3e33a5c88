/**
 * Where the CLI may pin: on a BPF file system only. bpftool mounts a new bpffs on any directory
 * a pin path names (`mount_bpffs_for_pin`), which turns a typo (`/tmp/x/pin`) into a stray mount
 * that outlives the command. We mount only the standard `/sys/fs/bpf` (a fresh system has it
 * unmounted) and refuse every other path outside a bpffs with one line that says what to do.
 */
import { existsSync, mkdirSync, rmdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DEFAULT_BPFFS, ensureBpffs, isBpffs, nearestExisting } from '../sys/pin.js';
import { CliError } from './context.js';

/**
 * Makes `dir` exist on a bpffs for pinning `path` in it, and returns the directories it created
 * (deepest last), for {@link removeCreatedDirs} when pinning fails after all.
 */
export function preparePinDir(dir: string, path: string): string[] {
  const base = nearestExisting(dir);
  if (!isBpffs(base)) {
    if (resolve(base) === DEFAULT_BPFFS) {
      ensureBpffs(DEFAULT_BPFFS);
    } else {
      throw new CliError(`can't pin at ${path}: ${base} is not on a BPF file system (bpffs); pin under ${DEFAULT_BPFFS}, or mount one first with 'mount -t bpf bpf DIR'`);
    }
  }
  const created: string[] = [];
  const missing: string[] = [];
  for (let at = resolve(dir); !existsSync(at); at = dirname(at)) missing.unshift(at);
  for (const d of missing) {
    mkdirSync(d, { mode: 0o700 });
    created.push(d);
  }
  return created;
}

/** Removes directories {@link preparePinDir} created, deepest first, if they are still empty. */
export function removeCreatedDirs(created: readonly string[]): void {
  for (const d of [...created].reverse()) {
    try {
      rmdirSync(d);
    } catch {
      // not empty (something else pinned there meanwhile) or gone: leave it
    }
  }
}
