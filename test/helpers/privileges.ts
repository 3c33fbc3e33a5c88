import { existsSync } from 'node:fs';

/** True when this process can use bpf(): root (we do not try to detect CAP_BPF alone). */
export function hasBpfPrivileges(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0 && existsSync('/sys/kernel/btf/vmlinux');
}

/**
 * Skips the current test (or suite, from a `before` hook) when the machine cannot run privileged
 * BPF tests. Under `CI=true` a skip of a privileged test is a failure, so it throws instead.
 */
export function requirePrivileges(ctx: Mocha.Context, what = 'bpf() as root'): void {
  if (hasBpfPrivileges()) return;
  const reason = `needs ${what}`;
  if (process.env['CI'] === 'true') throw new Error(`privileged test cannot run under CI=true: ${reason}`);
  ctx.skip();
}

/** Skips (or fails under CI=true) when an external reference tool is missing. */
export function requireTool(ctx: Mocha.Context, path: string): void {
  if (existsSync(path)) return;
  if (process.env['CI'] === 'true') throw new Error(`reference tool ${path} is missing under CI=true (npm install should provide it)`);
  ctx.skip();
}
