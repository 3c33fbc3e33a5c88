/**
 * System facts feature reports show next to the probes: BPF sysctls, kernel build options, and
 * the kernel version kprobes used to need. Read from procfs and the kernel config, never probed.
 */
import { existsSync, readFileSync, statfsSync } from 'node:fs';
import { release, version } from 'node:os';
import { gunzipSync } from 'node:zlib';

/** `PROC_SUPER_MAGIC` from `include/uapi/linux/magic.h`. */
const PROC_SUPER_MAGIC = 0x9fa0;

/** True when `/proc` is a mounted procfs (sysctl values come from there). */
export function procfsMounted(): boolean {
  try {
    return statfsSync('/proc').type === PROC_SUPER_MAGIC;
  } catch {
    return false;
  }
}

/**
 * A sysctl's integer value read like bpftool's `read_procfs()`: the first line must be one
 * decimal integer, else (or when the file is missing) -1.
 */
export function readSysctlInt(path: string): number {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return -1;
  }
  const nl = text.indexOf('\n');
  const line = nl < 0 ? text : text.slice(0, nl + 1);
  const m = /^([+-]?\d+)\n$/.exec(line);
  return m === null ? -1 : Number(m[1]);
}

/** The outcome of reading the kernel's build configuration. */
export type KernelConfigRead =
  | {
      readonly ok: true;
      /** Where it was read from. */
      readonly path: string;
      /** `CONFIG_FOO` -> value (`'y'`, `'m'`, `'250'`, `'"string"'`), for options that are set. */
      readonly values: ReadonlyMap<string, string>;
    }
  | {
      readonly ok: false;
      /** Why not, phrased like bpftool's `skipping kernel config, ...` notice. */
      readonly reason: string;
    };

const CONFIG_HEADER = '# Automatically generated file; DO NOT EDIT.';

/**
 * Reads the kernel config the way bpftool does: the first of `candidates` that opens
 * (`/boot/config-$(uname -r)`, else `/proc/config.gz`), gzip or plain text; its second line
 * must be Kconfig's "Automatically generated" banner.
 */
export function readKernelConfig(candidates: readonly string[] = [`/boot/config-${release()}`, '/proc/config.gz']): KernelConfigRead {
  let bytes: Buffer | undefined;
  let path = '';
  let openError = '';
  for (const candidate of candidates) {
    try {
      bytes = readFileSync(candidate);
      path = candidate;
      break;
    } catch (e) {
      openError = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'No such file or directory' : (e as Error).message;
    }
  }
  if (bytes === undefined) return { ok: false, reason: `can't open file: ${openError}` };
  let text: string;
  try {
    text = (bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes).toString('utf8');
  } catch (e) {
    return { ok: false, reason: `can't read from file: ${(e as Error).message}` };
  }
  const lines = text.split('\n');
  if (lines.length < 3) return { ok: false, reason: "can't read from file: too short" };
  if (lines[1] !== CONFIG_HEADER) return { ok: false, reason: "can't find correct file" };
  const values = new Map<string, string>();
  for (const line of lines) {
    if (!line.startsWith('CONFIG_')) continue;
    const eq = line.indexOf('=');
    if (eq < 0 || eq === line.length - 1) continue;
    const name = line.slice(0, eq);
    // bpftool keeps the first occurrence of an option.
    if (!values.has(name)) values.set(name, line.slice(eq + 1));
  }
  return { ok: true, path, values };
}

/** `KERNEL_VERSION(a, b, c)` from `include/uapi/linux/version.h` (sublevel saturates at 255). */
export function kernelVersionCode(major: number, minor: number, patch: number): number {
  return (major << 16) + (minor << 8) + Math.min(patch, 255);
}

/**
 * `LINUX_VERSION_CODE` of the running kernel as libbpf computes it for `kern_version`: Ubuntu's
 * `/proc/version_signature`, then Debian's `uname -v` ("Debian 6.1.76-1"), then `uname -r`.
 * 0 when none parses.
 */
export function runningKernelVersionCode(): number {
  const sig = '/proc/version_signature';
  if (existsSync(sig)) {
    try {
      const m = /^\S+ \S+ (\d+)\.(\d+)\.(\d+)/.exec(readFileSync(sig, 'utf8'));
      if (m) return kernelVersionCode(Number(m[1]), Number(m[2]), Number(m[3]));
    } catch {
      // fall through to uname
    }
  }
  const debian = /Debian (\d+)\.(\d+)\.(\d+)/.exec(version());
  if (debian) return kernelVersionCode(Number(debian[1]), Number(debian[2]), Number(debian[3]));
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(release());
  return m ? kernelVersionCode(Number(m[1]), Number(m[2]), Number(m[3])) : 0;
}
