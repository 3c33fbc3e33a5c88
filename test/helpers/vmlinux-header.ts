import { existsSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dumpBtfAsC, loadKernelBtf } from '../../src/btf/index.js';
import { BPF_DIR } from './paths.js';

const KERNEL_BTF = '/sys/kernel/btf/vmlinux';

/**
 * The path of `bpf/vmlinux.h`, generated from the running kernel's BTF by our own C dumper when
 * missing or older than the kernel's BTF (as `npm run build:bpf` does). It is git-ignored, so a
 * fresh clone has none: tests that compile BPF C call this instead of skipping.
 */
export function ensureVmlinuxHeader(): string {
  const header = join(BPF_DIR, 'vmlinux.h');
  if (existsSync(header) && statSync(header).mtimeMs >= statSync(KERNEL_BTF).mtimeMs) return header;
  const tmp = `${header}.${process.pid}.tmp`;
  writeFileSync(tmp, dumpBtfAsC(loadKernelBtf()));
  renameSync(tmp, header);
  return header;
}
