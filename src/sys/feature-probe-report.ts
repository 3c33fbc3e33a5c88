/**
 * Everything `bpftool feature probe kernel` reports, gathered in its order: system
 * configuration, syscall availability, program types, map types, helpers per program type and
 * miscellaneous verifier features. Formatting is the CLI's job.
 */
import { FeatureProbeError, MiscFeature, probeBpfSyscall, probeHelper, probeMapType, probeMiscFeature, probeProgType } from './feature-probe.js';
import { HELPER_NAMES } from './feature-probe-helper-names.js';
import { MapTypeName, ProgTypeName } from './uapi.js';
import { DEVICE_MAP_TYPES, DEVICE_PROG_TYPES, probeDeviceHelper, probeDeviceMapType, probeDeviceMiscFeature, probeDeviceProgType } from './feature-probe-device.js';
import { procfsMounted, readKernelConfig, readSysctlInt, type KernelConfigRead } from './feature-probe-system.js';

/**
 * Kernel build options bpftool's `probe_kernel_image_config()` reports, in its order.
 * `macro` marks the ones its `macros` output includes.
 */
export const KERNEL_CONFIG_OPTIONS: ReadonlyArray<{ readonly name: string; readonly macro?: true }> = [
  { name: 'CONFIG_BPF' },
  { name: 'CONFIG_BPF_SYSCALL' },
  { name: 'CONFIG_HAVE_EBPF_JIT' },
  { name: 'CONFIG_BPF_JIT' },
  { name: 'CONFIG_BPF_JIT_ALWAYS_ON' },
  { name: 'CONFIG_DEBUG_INFO_BTF' },
  { name: 'CONFIG_DEBUG_INFO_BTF_MODULES' },
  { name: 'CONFIG_CGROUPS' },
  { name: 'CONFIG_CGROUP_BPF' },
  { name: 'CONFIG_CGROUP_NET_CLASSID' },
  { name: 'CONFIG_SOCK_CGROUP_DATA' },
  { name: 'CONFIG_BPF_EVENTS' },
  { name: 'CONFIG_KPROBE_EVENTS' },
  { name: 'CONFIG_UPROBE_EVENTS' },
  { name: 'CONFIG_TRACING' },
  { name: 'CONFIG_FTRACE_SYSCALLS' },
  { name: 'CONFIG_FUNCTION_ERROR_INJECTION' },
  { name: 'CONFIG_BPF_KPROBE_OVERRIDE' },
  { name: 'CONFIG_NET' },
  { name: 'CONFIG_XDP_SOCKETS' },
  { name: 'CONFIG_LWTUNNEL_BPF' },
  { name: 'CONFIG_NET_ACT_BPF' },
  { name: 'CONFIG_NET_CLS_BPF' },
  { name: 'CONFIG_NET_CLS_ACT' },
  { name: 'CONFIG_NET_SCH_INGRESS' },
  { name: 'CONFIG_XFRM' },
  { name: 'CONFIG_IP_ROUTE_CLASSID' },
  { name: 'CONFIG_IPV6_SEG6_BPF' },
  { name: 'CONFIG_BPF_LIRC_MODE2' },
  { name: 'CONFIG_BPF_STREAM_PARSER' },
  { name: 'CONFIG_NETFILTER_XT_MATCH_BPF' },
  { name: 'CONFIG_TEST_BPF' },
  { name: 'CONFIG_HZ', macro: true },
];

/**
 * Helpers bpftool skips unless asked for `full`: calling them makes the kernel print a warning
 * to dmesg when a program using them loads.
 */
export const NOISY_HELPERS: ReadonlySet<string> = new Set(['bpf_trace_printk', 'bpf_trace_vprintk', 'bpf_probe_write_user']);

/** The system configuration section. */
export interface SystemConfigReport {
  /** False when `/proc` is not procfs: the sysctl values are then not read (all -1). */
  readonly procfs: boolean;
  /** `kernel.unprivileged_bpf_disabled` (-1: unreadable). */
  readonly unprivilegedBpfDisabled: number;
  /** `net.core.bpf_jit_enable`. */
  readonly bpfJitEnable: number;
  /** `net.core.bpf_jit_harden`. */
  readonly bpfJitHarden: number;
  /** `net.core.bpf_jit_kallsyms`. */
  readonly bpfJitKallsyms: number;
  /** `net.core.bpf_jit_limit`. */
  readonly bpfJitLimit: number;
  /** The kernel config read, or why it could not be. */
  readonly kernelConfig: KernelConfigRead;
  /** {@link KERNEL_CONFIG_OPTIONS} with their values (`null`: not set), when the config was read. */
  readonly options: ReadonlyArray<{ readonly name: string; readonly value: string | null; readonly macro: boolean }>;
}

/** One program or map type and whether it is available. */
export interface TypeAvailability {
  /** `enum bpf_prog_type` / `enum bpf_map_type` value. */
  readonly id: number;
  /** libbpf's name (`sched_cls`, `lru_hash`, ...). */
  readonly name: string;
  readonly available: boolean;
}

/** Helpers available to one program type. */
export interface ProgTypeHelpers {
  readonly progType: number;
  readonly progTypeName: string;
  /** Whether the program type itself loads. */
  readonly progTypeAvailable: boolean;
  /**
   * False when the helpers could not be probed although the type exists (`tracing`, `ext`,
   * `lsm`, `struct_ops`: they need an attach target).
   */
  readonly probed: boolean;
  /** Available helpers' names, by ascending `enum bpf_func_id`. */
  readonly helpers: readonly string[];
}

/** The whole report, in bpftool's section order. */
export interface KernelFeatureReport {
  /** Absent for a device probe (bpftool skips the section there). */
  readonly systemConfig?: SystemConfigReport;
  /** `bpf()` exists; when false the other sections are empty (bpftool stops there too). */
  readonly bpfSyscall: boolean;
  readonly progTypes: readonly TypeAvailability[];
  readonly mapTypes: readonly TypeAvailability[];
  readonly helpers: readonly ProgTypeHelpers[];
  readonly misc: ReadonlyArray<{ readonly feature: MiscFeature; readonly available: boolean }>;
}

/** Options of {@link probeKernelFeatures}. */
export interface KernelFeatureProbeOptions {
  /** bpftool's `full`: also probe {@link NOISY_HELPERS}. */
  readonly full?: boolean;
  /**
   * bpftool's `dev NAME`: probe offload to this network device instead of the kernel (only
   * `sched_cls`/`xdp` programs and `hash`/`array` maps; no system configuration section).
   */
  readonly device?: { readonly ifindex: number; readonly ifname: string };
}

/** Reads the system configuration section (no bpf() calls). */
export function probeSystemConfig(): SystemConfigReport {
  const procfs = procfsMounted();
  const sysctl = (path: string): number => (procfs ? readSysctlInt(path) : -1);
  const kernelConfig = readKernelConfig();
  const options = kernelConfig.ok
    ? KERNEL_CONFIG_OPTIONS.map((o) => ({ name: o.name, value: kernelConfig.values.get(o.name) ?? null, macro: o.macro === true }))
    : [];
  return {
    procfs,
    unprivilegedBpfDisabled: sysctl('/proc/sys/kernel/unprivileged_bpf_disabled'),
    bpfJitEnable: sysctl('/proc/sys/net/core/bpf_jit_enable'),
    bpfJitHarden: sysctl('/proc/sys/net/core/bpf_jit_harden'),
    bpfJitKallsyms: sysctl('/proc/sys/net/core/bpf_jit_kallsyms'),
    bpfJitLimit: sysctl('/proc/sys/net/core/bpf_jit_limit'),
    kernelConfig,
    options,
  };
}

function probeHelpersOf(progType: number, available: boolean, full: boolean, probe: (progType: number, id: number) => boolean): ProgTypeHelpers {
  const progTypeName = ProgTypeName.get(progType) ?? `${progType}`;
  const helpers: string[] = [];
  let probed = available;
  if (available) {
    try {
      for (let id = 1; id < HELPER_NAMES.length; id++) {
        const name = HELPER_NAMES[id] as string;
        if (!full && NOISY_HELPERS.has(name)) continue;
        if (probe(progType, id)) helpers.push(name);
      }
    } catch (e) {
      if (!(e instanceof FeatureProbeError)) throw e;
      probed = false;
    }
  }
  return { progType, progTypeName, progTypeAvailable: available, probed, helpers };
}

/**
 * Probes everything bpftool's `feature probe kernel` reports. Every probe is memoized, so a
 * second call costs nothing.
 *
 * @example
 * ```ts
 * const report = probeKernelFeatures();
 * const xdp = report.helpers.find((h) => h.progTypeName === 'xdp');
 * console.log(xdp?.helpers.includes('bpf_redirect_map'));
 * ```
 */
export function probeKernelFeatures(options: KernelFeatureProbeOptions = {}): KernelFeatureReport {
  const full = options.full === true;
  const device = options.device;
  if (device !== undefined) return probeDevice(device.ifindex, device.ifname, full);
  const systemConfig = probeSystemConfig();
  const bpfSyscall = probeBpfSyscall();
  if (!bpfSyscall) return { systemConfig, bpfSyscall, progTypes: [], mapTypes: [], helpers: [], misc: [] };
  const progTypes: TypeAvailability[] = [];
  for (const [id, name] of ProgTypeName) {
    if (id !== 0) progTypes.push({ id, name, available: probeProgType(id) });
  }
  const mapTypes: TypeAvailability[] = [];
  for (const [id, name] of MapTypeName) {
    if (id !== 0) mapTypes.push({ id, name, available: probeMapType(id) });
  }
  const helpers = progTypes.map((t) => probeHelpersOf(t.id, t.available, full, probeHelper));
  const misc = Object.values(MiscFeature).map((feature) => ({ feature, available: probeMiscFeature(feature) }));
  return { systemConfig, bpfSyscall, progTypes, mapTypes, helpers, misc };
}

function probeDevice(ifindex: number, ifname: string, full: boolean): KernelFeatureReport {
  const bpfSyscall = probeBpfSyscall();
  if (!bpfSyscall) return { bpfSyscall, progTypes: [], mapTypes: [], helpers: [], misc: [] };
  const named = (table: ReadonlyMap<number, string>, id: number): string => table.get(id) ?? `${id}`;
  const progTypes = DEVICE_PROG_TYPES.map((id) => ({ id, name: named(ProgTypeName, id), available: probeDeviceProgType(id, ifindex) }));
  const mapTypes = DEVICE_MAP_TYPES.map((id) => ({ id, name: named(MapTypeName, id), available: probeDeviceMapType(id, ifindex) }));
  const helpers = progTypes.map((t) => probeHelpersOf(t.id, t.available, full, (p, h) => probeDeviceHelper(p, h, ifindex, ifname)));
  const misc = Object.values(MiscFeature).map((feature) => ({ feature, available: probeDeviceMiscFeature(feature, ifindex) }));
  return { bpfSyscall, progTypes, mapTypes, helpers, misc };
}
