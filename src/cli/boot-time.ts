import { readFileSync } from 'node:fs';

const NS_PER_MS = 1_000_000n;

/**
 * CLOCK_REALTIME - CLOCK_BOOTTIME in nanoseconds: the wall-clock time of boot, which turns a
 * `bpf_prog_info.load_time` (boot-time ns) into a date as bpftool's `print_boot_time()` does.
 *
 * Node has neither clock directly: CLOCK_MONOTONIC is `process.hrtime`, and CLOCK_REALTIME with
 * sub-millisecond precision is `performance.timeOrigin` plus `performance.now()` (both sampled
 * against the monotonic clock). BOOTTIME differs from MONOTONIC only by the time spent
 * suspended, which `/proc/uptime` (BOOTTIME, 10 ms resolution) reveals.
 */
export function realtimeMinusBoottimeNs(): bigint {
  const mono = process.hrtime.bigint();
  // Realtime at µs precision, as long as the wall clock has not been stepped since start-up;
  // otherwise Date.now() (ms precision) is the truth. `performance` is the global (the object
  // node:perf_hooks exports): importing that module loads its histograms and observers too.
  const fine = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000)) * 1000n;
  const coarse = BigInt(Date.now()) * NS_PER_MS;
  const real = fine - coarse < 2n * NS_PER_MS && coarse - fine < 2n * NS_PER_MS ? fine : coarse;
  return real - mono - suspendedNs(mono);
}

function suspendedNs(mono: bigint): bigint {
  let uptime: string;
  try {
    uptime = readFileSync('/proc/uptime', 'utf8').split(' ')[0] ?? '';
  } catch {
    return 0n;
  }
  const m = /^(\d+)\.(\d{2})$/.exec(uptime);
  if (!m) return 0n;
  const boot = BigInt(m[1] as string) * 1_000_000_000n + BigInt(m[2] as string) * 10_000_000n;
  const diff = boot - mono;
  // Within /proc/uptime's resolution the clocks agree: nothing was suspended.
  return diff < 50n * NS_PER_MS ? 0n : diff;
}

/** Seconds since the epoch at which something happened `bootNs` after boot (bpftool's rounding: down). */
export function bootTimeToEpochSeconds(bootNs: bigint, offsetNs: bigint = realtimeMinusBoottimeNs()): number {
  const total = offsetNs + bootNs;
  return Number(total / 1_000_000_000n);
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** `strftime("%FT%T%z")` in local time: `2024-05-01T12:34:56+0200`. */
export function formatLocalIso(epochSeconds: number): string {
  const d = new Date(epochSeconds * 1000);
  const off = -d.getTimezoneOffset();
  const sign = off < 0 ? '-' : '+';
  const abs = Math.abs(off);
  return (
    `${pad(d.getFullYear(), 4)}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}` +
    `T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}` +
    `${sign}${pad(Math.floor(abs / 60))}${pad(abs % 60)}`
  );
}
