/**
 * Pin directories for tests. A fresh machine has no bpffs at /sys/fs/bpf until something mounts
 * one (bpftool and our loader do it on first pin), so a test that makes its own directory there
 * first mounts it through the library, the way a first `bpf-ts prog load ... PATH` would;
 * otherwise it would pass or fail depending on which test happened to pin first.
 */
import { mkdtempSync } from 'node:fs';
import { DEFAULT_BPFFS, ensureBpffs } from '../../src/sys/index.js';

/**
 * A new directory `/sys/fs/bpf/PREFIXxxxxxx` (as `mkdtempSync`), with bpffs mounted first when
 * it is not. The caller removes it.
 */
export function bpffsTempDir(prefix: string): string {
  ensureBpffs(DEFAULT_BPFFS);
  return mkdtempSync(`${DEFAULT_BPFFS}/${prefix}`);
}

/** Mounts bpffs at /sys/fs/bpf when it is not, before a test makes its own directory there. */
export function ensureTestBpffs(): void {
  ensureBpffs(DEFAULT_BPFFS);
}
