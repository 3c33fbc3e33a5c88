/**
 * The kernel facts a load needs, gathered lazily from the running system and cached per
 * process: vmlinux and module BTF, the kernel config, kallsyms, the version code and a few
 * feature probes. The relocation code takes them as values; tests pass their own.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { parseBtf, type Btf, type BtfNameQuery } from '../btf/btf.js';
import { loadKernelBtf, parseBtfFile, releaseBtfFile, SYSFS_BTF_DIR } from '../btf/kernel-btf.js';
import { readKernelConfig, runningKernelVersionCode } from '../sys/feature-probe-system.js';
import { probeHelper } from '../sys/feature-probe.js';
import { ProgType } from '../sys/uapi.js';

/** What the loader asks of the kernel; every member is computed on first use. */
export interface KernelFacts {
  /**
   * vmlinux BTF (`/sys/kernel/btf/vmlinux`), or a custom target BTF. `names` are lookups the
   * caller is about to make: a parse this call triggers may answer them in its own pass over the
   * types (see `ParseBtfOptions.names`); otherwise they are simply asked later.
   */
  vmlinuxBtf(names?: readonly BtfNameQuery[]): Btf;
  /** The BTF of module `name` (split on vmlinux), or `undefined` when not loaded. */
  moduleBtf(name: string): Btf | undefined;
  /** Names of loaded modules that have BTF. */
  moduleNames(): readonly string[];
  /** `CONFIG_*` values of the kernel config (empty when none is readable). */
  kernelConfig(): ReadonlyMap<string, string>;
  /** `/proc/kallsyms`: symbol -> address (first occurrence). */
  kallsyms(): ReadonlyMap<string, bigint>;
  /** `LINUX_VERSION_CODE` as libbpf computes it. */
  kernelVersion(): number;
  /** `__<arch>_sys_bpf` exists: syscalls go through pt_regs wrappers. */
  hasSyscallWrapper(): boolean;
  /** `bpf_get_attach_cookie()` is available to tracing programs. */
  hasBpfCookie(): boolean;
}

function lazy<T>(fn: () => T): () => T {
  let done = false;
  let value: T;
  return () => {
    if (!done) {
      value = fn();
      done = true;
    }
    return value;
  };
}

/** `BPF_FUNC_get_attach_cookie`. */
const BPF_FUNC_GET_ATTACH_COOKIE = 174;

/** libbpf's syscall-wrapper prefixes per architecture (`arch_specific_syscall_pfx()`). */
function syscallPrefix(): string {
  switch (process.arch) {
    case 'x64':
      return 'x64';
    case 'ia32':
      return 'ia32';
    case 'arm64':
      return 'arm64';
    case 's390x':
      return 's390x';
    case 'riscv64':
      return 'riscv';
    default:
      return process.arch;
  }
}

/** Parses `/proc/kallsyms` text (`addr type name [module]`). */
export function parseKallsyms(text: string): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const line of text.split('\n')) {
    const s1 = line.indexOf(' ');
    const s2 = s1 < 0 ? -1 : line.indexOf(' ', s1 + 1);
    if (s1 <= 0 || s2 < 0) continue;
    const tab = line.indexOf('\t', s2 + 1);
    const name = line.slice(s2 + 1, tab < 0 ? line.length : tab);
    if (!out.has(name)) out.set(name, BigInt(`0x${line.slice(0, s1)}`));
  }
  return out;
}

let shared: KernelFacts | undefined;

/**
 * The running kernel's facts, shared by every load in this process (vmlinux BTF is parsed once).
 * With `targetBtf`, a new set whose vmlinux BTF is that one (CO-RE against another kernel).
 *
 * @example
 * ```ts
 * const facts = kernelFacts();
 * facts.vmlinuxBtf().findByName('task_struct', 'STRUCT');
 * ```
 */
export function kernelFacts(targetBtf?: Btf): KernelFacts {
  if (targetBtf === undefined && shared !== undefined) return shared;
  const facts = gatherFacts(targetBtf === undefined ? lazy(() => loadKernelBtf()) : () => targetBtf);
  if (targetBtf === undefined) shared = facts;
  return facts;
}

/** {@link freshKernelFacts}: kernel facts that own their vmlinux BTF and can give it back. */
export interface FreshKernelFacts extends KernelFacts, Disposable {
  /**
   * Gives back the vmlinux BTF these facts parsed, as libbpf frees its vmlinux BTF at the end of
   * `bpf_object__load`: on Linux 6.16+ the mapping of the kernel's pages is unmapped now rather
   * than when the garbage collector finds it (each is ~5 MiB that V8 counts as external memory,
   * so a load a few milliseconds apart would otherwise bring collections on). The `Btf`s these
   * facts returned (vmlinux and modules) must not be used afterwards; the facts themselves
   * stay usable and read vmlinux BTF again when next asked. `[Symbol.dispose]` does the same.
   */
  release(): void;
}

/**
 * The running kernel's facts gathered anew and shared with no other load, each read only when
 * the load asks for it: vmlinux BTF is read and parsed again (not taken from `loadKernelBtf()`'s
 * cache), as libbpf does inside every `bpf_object__load`. For benchmarks against libbpf, or a
 * long-lived process that wants no kernel BTF kept between loads: release the facts (or let
 * `using` do it) once the load is done.
 *
 * @example
 * ```ts
 * using facts = freshKernelFacts();
 * using obj = await loadObject('bpf/load/tracer.bpf.o', { facts });
 * facts.release(); // the load is done with vmlinux BTF; the loaded object does not need it
 * ```
 */
export function freshKernelFacts(): FreshKernelFacts {
  let btf: Btf | undefined;
  const modules = new Map<string, Btf | undefined>();
  const facts = gatherFacts((names) => (btf ??= parseBtfFile(`${SYSFS_BTF_DIR}/vmlinux`, names === undefined ? {} : { names })), modules);
  const release = (): void => {
    modules.clear();
    if (btf !== undefined) releaseBtfFile(btf);
    btf = undefined;
  };
  return { ...facts, release, [Symbol.dispose]: release };
}

function gatherFacts(vmlinux: (names?: readonly BtfNameQuery[]) => Btf, modules = new Map<string, Btf | undefined>()): KernelFacts {
  const moduleNames = lazy(() => {
    try {
      return readdirSync(SYSFS_BTF_DIR).filter((n) => n !== 'vmlinux');
    } catch {
      return [];
    }
  });
  const kallsyms = lazy(() => {
    try {
      return parseKallsyms(readFileSync('/proc/kallsyms', 'utf8'));
    } catch {
      return new Map<string, bigint>();
    }
  });
  const facts: KernelFacts = {
    vmlinuxBtf: vmlinux,
    moduleBtf(name) {
      if (!modules.has(name)) {
        let btf: Btf | undefined;
        try {
          btf = parseBtf(readFileSync(`${SYSFS_BTF_DIR}/${name}`), { base: vmlinux() });
        } catch {
          btf = undefined;
        }
        modules.set(name, btf);
      }
      return modules.get(name);
    },
    moduleNames,
    kernelConfig: lazy(() => {
      const r = readKernelConfig();
      return r.ok ? r.values : new Map<string, string>();
    }),
    kallsyms,
    kernelVersion: lazy(runningKernelVersionCode),
    hasSyscallWrapper: lazy(() => kallsyms().has(`__${syscallPrefix()}_sys_bpf`)),
    hasBpfCookie: lazy(() => {
      try {
        return probeHelper(ProgType.KPROBE, BPF_FUNC_GET_ATTACH_COOKIE);
      } catch {
        return false;
      }
    }),
  };
  return facts;
}
