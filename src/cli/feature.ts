/**
 * `bpf-ts feature { probe | list_builtins | help }`: bpftool's `feature` object. Plain output
 * keeps bpftool's layout line for line, `-j` its JSON names and types, `macros` its C header.
 */
import { readFileSync } from 'node:fs';
import { isNativeError } from '../sys/errors.js';
import { HELPER_NAMES } from '../sys/feature-probe-helper-names.js';
import { NOISY_HELPERS, probeKernelFeatures, type KernelFeatureReport, type SystemConfigReport } from '../sys/feature-probe-report.js';
import type { MiscFeature } from '../sys/feature-probe.js';
import { native } from '../sys/native.js';
import { AttachTypeName, LinkTypeName, MapTypeName, ProgTypeName } from '../sys/uapi.js';
import { CliError, type CliContext } from './context.js';
import { isKeyword } from './grammar.js';

const HELP = `Usage: bpf-ts feature probe [COMPONENT] [full] [unprivileged] [macros [prefix PREFIX]]
       bpf-ts feature list_builtins GROUP
       bpf-ts feature help

       COMPONENT := { kernel | dev NAME }
       GROUP := { prog_types | map_types | attach_types | link_types | helpers }
       OPTIONS := { {-j|--json} [{-p|--pretty}] | {-d|--debug} }
`;

/** `bpf-ts feature ...`. */
export async function runFeature(args: readonly string[], ctx: CliContext): Promise<number> {
  const [verb, ...rest] = args;
  // Like bpftool, a bare `feature` runs its first command, `probe`.
  if (verb === undefined) return featureProbe([], ctx);
  if (isKeyword(verb, 'help')) return featureHelp(ctx);
  if (isKeyword(verb, 'probe')) return featureProbe(rest, ctx);
  if (isKeyword(verb, 'list_builtins')) return featureListBuiltins(rest, ctx);
  throw new CliError(`unknown command '${verb}' for 'feature', see 'bpf-ts feature help'`);
}

function featureHelp(ctx: CliContext): number {
  // bpftool prints usage on stderr, and `null` as the JSON answer.
  if (ctx.json) ctx.out('null\n');
  else ctx.err(HELP);
  return 0;
}

// ---- list_builtins -------------------------------------------------------------------------

function featureListBuiltins(args: readonly string[], ctx: CliContext): number {
  const [group, ...extra] = args;
  if (group === undefined) throw new CliError("expected 'prog_types', 'map_types', 'attach_types', 'link_types' or 'helpers'");
  let names: readonly string[];
  if (isKeyword(group, 'prog_types')) names = [...ProgTypeName.values()];
  else if (isKeyword(group, 'map_types')) names = [...MapTypeName.values()];
  else if (isKeyword(group, 'attach_types')) names = [...AttachTypeName.values()];
  else if (isKeyword(group, 'link_types')) names = [...LinkTypeName.values()];
  else if (isKeyword(group, 'helpers')) names = HELPER_NAMES;
  else throw new CliError(`expected 'prog_types', 'map_types', 'attach_types', 'link_types' or 'helpers', got: ${group}`);
  if (extra.length > 0) throw new CliError(`too many arguments: '${extra.join(' ')}'`);
  if (ctx.json) ctx.out(formatJson(names, ctx.pretty));
  else ctx.out(names.map((n) => `${n}\n`).join(''));
  return 0;
}

// ---- probe: arguments and privileges -------------------------------------------------------

interface ProbeArgs {
  readonly device: { readonly ifindex: number; readonly ifname: string } | undefined;
  readonly full: boolean;
  readonly unprivileged: boolean;
  /** `undefined`: no `macros`; else the macro prefix (`''` by default). */
  readonly macroPrefix: string | undefined;
}

function parseProbeArgs(args: readonly string[]): ProbeArgs {
  let component: 'kernel' | 'dev' | undefined;
  let device: ProbeArgs['device'];
  let full = false;
  let unprivileged = false;
  let macroPrefix: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const word = args[i] as string;
    if (isKeyword(word, 'kernel')) {
      if (component !== undefined) throw new CliError('component to probe already specified');
      component = 'kernel';
    } else if (isKeyword(word, 'dev')) {
      if (component !== undefined) throw new CliError('component to probe already specified');
      const ifname = args[++i];
      if (ifname === undefined) throw new CliError("'dev' needs an interface name");
      component = 'dev';
      device = { ifindex: interfaceIndex(ifname), ifname };
    } else if (isKeyword(word, 'full')) {
      full = true;
    } else if (isKeyword(word, 'macros') && macroPrefix === undefined) {
      macroPrefix = '';
    } else if (isKeyword(word, 'prefix')) {
      if (macroPrefix === undefined) throw new CliError("'prefix' argument can only be use after 'macros'");
      if (macroPrefix !== '') throw new CliError("'prefix' already defined");
      const prefix = args[++i];
      if (prefix === undefined) throw new CliError("'prefix' needs a PREFIX");
      macroPrefix = prefix;
    } else if (isKeyword(word, 'unprivileged')) {
      unprivileged = true;
    } else {
      throw new CliError(`expected no more arguments, 'kernel', 'dev', 'macros' or 'prefix', got: '${word}'?`);
    }
  }
  return { device, full, unprivileged, macroPrefix };
}

function interfaceIndex(ifname: string): number {
  try {
    return native().ifNameToIndex(ifname);
  } catch (e) {
    if (isNativeError(e)) throw new CliError(`unrecognized netdevice '${ifname}': No such device`, 255, { cause: e });
    throw e;
  }
}

/** Capabilities bpftool (with libcap) wants for a full probe, with their numbers. */
const PROBE_CAPABILITIES: ReadonlyArray<readonly [string, number]> = [
  ['CAP_SYS_ADMIN', 21],
  ['CAP_BPF', 39],
  ['CAP_NET_ADMIN', 12],
  ['CAP_PERFMON', 38],
];

function effectiveCapabilities(): bigint {
  const status = readFileSync('/proc/self/status', 'utf8');
  const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(status);
  return m === null ? 0n : BigInt(`0x${m[1]}`);
}

function lastCapability(): number {
  try {
    return Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8').trim());
  } catch {
    return 40;
  }
}

/**
 * bpftool's `handle_perms()`: a full probe needs CAP_SYS_ADMIN, CAP_BPF, CAP_NET_ADMIN and
 * CAP_PERFMON (only CAP_SYS_ADMIN before CAP_BPF existed), else results would be misleading.
 * `unprivileged` asks for the view of a process without them; we cannot drop capabilities, so
 * that only runs in a process that has none.
 */
function checkPrivileges(unprivileged: boolean): void {
  const eff = effectiveCapabilities();
  const wanted = lastCapability() >= 39 ? PROBE_CAPABILITIES : PROBE_CAPABILITIES.slice(0, 1);
  const held = wanted.filter(([, bit]) => (eff >> BigInt(bit)) & 1n);
  if (unprivileged) {
    if (held.length > 0) {
      throw new CliError(
        `unprivileged probing needs a process without ${held.map(([n]) => n).join(', ')}: bpf-ts cannot drop capabilities, run it as an unprivileged user`,
        1,
      );
    }
    return;
  }
  if (held.length === wanted.length) return;
  const missing = wanted.filter((c) => !held.includes(c)).map(([n]) => `${n}, `).join('');
  throw new CliError(`missing ${missing}required for full feature probing; run as root or use 'unprivileged'`, 1);
}

async function featureProbe(args: readonly string[], ctx: CliContext): Promise<number> {
  const parsed = parseProbeArgs(args);
  checkPrivileges(parsed.unprivileged);
  const report = probeKernelFeatures({ full: parsed.full, ...(parsed.device === undefined ? {} : { device: parsed.device }) });
  if (ctx.json) ctx.out(formatJson(reportToJson(report), ctx.pretty));
  else if (parsed.macroPrefix !== undefined) {
    const sc = report.systemConfig;
    if (sc !== undefined && !sc.kernelConfig.ok) ctx.err(`skipping kernel config, ${sc.kernelConfig.reason}\n`);
    ctx.out(formatMacros(report, parsed.macroPrefix, parsed.full));
  } else {
    if (report.systemConfig !== undefined) notices(report.systemConfig).forEach((n) => ctx.err(n));
    ctx.out(formatPlain(report));
  }
  return 0;
}

// ---- probe: output -------------------------------------------------------------------------

const MISC_PLAIN: Readonly<Record<MiscFeature, string>> = {
  large_insn_limit: 'Large program size limit',
  bounded_loops: 'Bounded loop support',
  v2_isa_extension: 'ISA extension v2',
  v3_isa_extension: 'ISA extension v3',
  v4_isa_extension: 'ISA extension v4',
};

/** bpftool's `p_info` lines (stderr in plain mode) for what it could not read. */
function notices(sc: SystemConfigReport): string[] {
  const out: string[] = [];
  if (!sc.procfs) out.push('/* procfs not mounted, skipping related probes */\n');
  if (!sc.kernelConfig.ok) out.push(`skipping kernel config, ${sc.kernelConfig.reason}\n`);
  return out;
}

function sysctlLine(value: number, lines: Readonly<Record<number, string>>, unreadable: string, unknown: string): string {
  if (value === -1) return unreadable;
  return lines[value] ?? `${unknown} ${value}`;
}

function plainSystemConfig(sc: SystemConfigReport): string {
  let s = 'Scanning system configuration...\n';
  if (sc.procfs) {
    s +=
      sysctlLine(
        sc.unprivilegedBpfDisabled,
        {
          0: 'bpf() syscall for unprivileged users is enabled',
          1: 'bpf() syscall restricted to privileged users (without recovery)',
          2: 'bpf() syscall restricted to privileged users (admin can change)',
        },
        'Unable to retrieve required privileges for bpf() syscall',
        'bpf() syscall restriction has unknown value',
      ) + '\n';
    s +=
      sysctlLine(
        sc.bpfJitEnable,
        { 0: 'JIT compiler is disabled', 1: 'JIT compiler is enabled', 2: 'JIT compiler is enabled with debugging traces in kernel logs' },
        'Unable to retrieve JIT-compiler status',
        'JIT-compiler status has unknown value',
      ) + '\n';
    s +=
      sysctlLine(
        sc.bpfJitHarden,
        {
          0: 'JIT compiler hardening is disabled',
          1: 'JIT compiler hardening is enabled for unprivileged users',
          2: 'JIT compiler hardening is enabled for all users',
        },
        'Unable to retrieve JIT hardening status',
        'JIT hardening status has unknown value',
      ) + '\n';
    s +=
      sysctlLine(
        sc.bpfJitKallsyms,
        { 0: 'JIT compiler kallsyms exports are disabled', 1: 'JIT compiler kallsyms exports are enabled for root' },
        'Unable to retrieve JIT kallsyms export status',
        'JIT kallsyms exports status has unknown value',
      ) + '\n';
    s +=
      (sc.bpfJitLimit === -1
        ? 'Unable to retrieve global memory limit for JIT compiler for unprivileged users'
        : `Global memory limit for JIT compiler for unprivileged users is ${sc.bpfJitLimit} bytes`) + '\n';
  }
  for (const o of sc.options) s += o.value === null ? `${o.name} is not set\n` : `${o.name} is set to ${o.value}\n`;
  return s + '\n';
}

/** The plain report, byte for byte in bpftool's layout. */
export function formatPlain(r: KernelFeatureReport): string {
  let s = r.systemConfig === undefined ? '' : plainSystemConfig(r.systemConfig);
  s += 'Scanning system call availability...\n';
  s += `bpf() syscall is ${r.bpfSyscall ? '' : 'NOT '}available\n\n`;
  if (!r.bpfSyscall) return s;
  s += 'Scanning eBPF program types...\n';
  for (const t of r.progTypes) s += `eBPF program_type ${t.name} is ${t.available ? '' : 'NOT '}available\n`;
  s += '\nScanning eBPF map types...\n';
  for (const t of r.mapTypes) s += `eBPF map_type ${t.name} is ${t.available ? '' : 'NOT '}available\n`;
  s += '\nScanning eBPF helper functions...\n';
  for (const h of r.helpers) {
    s += `eBPF helpers supported for program type ${h.progTypeName}:`;
    for (const name of h.helpers) s += `\n\t- ${name}`;
    s += '\n';
    if (h.helpers.length === 0) {
      s += h.progTypeAvailable ? '\tCould not determine which helpers are available\n' : '\tProgram type not supported\n';
    }
  }
  s += '\nScanning miscellaneous eBPF features...\n';
  for (const m of r.misc) s += `${MISC_PLAIN[m.feature]} is ${m.available ? '' : 'NOT '}available\n`;
  return s + '\n';
}

type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };

/** The report as bpftool's JSON object (same field names, order and types). */
export function reportToJson(r: KernelFeatureReport): { [key: string]: Json } {
  const out: { [key: string]: Json } = {};
  const sc = r.systemConfig;
  if (sc !== undefined) {
    const system: { [key: string]: Json } = {};
    if (sc.procfs) {
      system['unprivileged_bpf_disabled'] = sc.unprivilegedBpfDisabled;
      system['bpf_jit_enable'] = sc.bpfJitEnable;
      system['bpf_jit_harden'] = sc.bpfJitHarden;
      system['bpf_jit_kallsyms'] = sc.bpfJitKallsyms;
      system['bpf_jit_limit'] = sc.bpfJitLimit;
    }
    // bpftool emits config values as strings: its number check looks for a '\n' it has stripped.
    for (const o of sc.options) system[o.name] = o.value;
    out['system_config'] = system;
  }
  out['syscall_config'] = { have_bpf_syscall: r.bpfSyscall };
  if (!r.bpfSyscall) return out;
  out['program_types'] = Object.fromEntries(r.progTypes.map((t) => [`have_${t.name}_prog_type`, t.available]));
  out['map_types'] = Object.fromEntries(r.mapTypes.map((t) => [`have_${t.name}_map_type`, t.available]));
  out['helpers'] = Object.fromEntries(r.helpers.map((h) => [`${h.progTypeName}_available_helpers`, h.helpers]));
  out['misc'] = Object.fromEntries(r.misc.map((m) => [`have_${m.feature}`, m.available]));
  return out;
}

/**
 * JSON in bpftool's `json_writer` layout: compact has no whitespace; pretty indents objects by
 * 4 spaces but writes the values of an array of plain values on the line that opens it, and
 * closes it on a line of its own.
 */
export function formatJson(value: Json, pretty: boolean): string {
  if (!pretty) return JSON.stringify(value) + '\n';
  const write = (v: Json, depth: number): string => {
    if (v === null || typeof v !== 'object') return JSON.stringify(v);
    const pad = '    '.repeat(depth + 1);
    if (Array.isArray(v)) {
      const items = v as readonly Json[];
      if (items.length === 0) return '[]';
      if (items.every((x) => x === null || typeof x !== 'object')) {
        return `[${items.map((x) => JSON.stringify(x)).join(',')}\n${'    '.repeat(depth)}]`;
      }
      return `[${items.map((x) => `\n${pad}${write(x, depth + 1)}`).join(',')}\n${'    '.repeat(depth)}]`;
    }
    const entries = Object.entries(v as { readonly [key: string]: Json });
    if (entries.length === 0) return '{}';
    return `{${entries.map(([k, x]) => `\n${pad}${JSON.stringify(k)}: ${write(x, depth + 1)}`).join(',')}\n${'    '.repeat(depth)}}`;
  };
  return write(value, 0) + '\n';
}

/** bpftool's `macros [prefix PREFIX]` output: a C header of `#define`s. */
export function formatMacros(r: KernelFeatureReport, prefix: string, full: boolean): string {
  const bool = (name: string, ok: boolean): string => `#define ${prefix}${ok ? '' : 'NO_'}HAVE_${name}\n`;
  let s = '';
  if (r.systemConfig !== undefined) {
    s += '/*** Misc kernel config items ***/\n';
    for (const o of r.systemConfig.options) {
      if (!o.macro) continue;
      s += o.value === null ? `/* ${prefix}${o.name} is not set */\n` : `#define ${prefix}${o.name} ${o.value}\n`;
    }
    s += '\n';
  }
  s += '/*** System call availability ***/\n' + bool('BPF_SYSCALL', r.bpfSyscall) + '\n';
  if (!r.bpfSyscall) return s;
  s += '/*** eBPF program types ***/\n';
  for (const t of r.progTypes) s += bool(`${t.name.toUpperCase()}_PROG_TYPE`, t.available);
  s += '\n/*** eBPF map types ***/\n';
  for (const t of r.mapTypes) s += bool(`${t.name.toUpperCase()}_MAP_TYPE`, t.available);
  s += '\n/*** eBPF helper functions ***/\n';
  s +=
    '/*\n' +
    ` * Use ${prefix}HAVE_PROG_TYPE_HELPER(prog_type_name, helper_name)\n` +
    ' * to determine if <helper_name> is available for <prog_type_name>,\n' +
    ' * e.g.\n' +
    ` *\t#if ${prefix}HAVE_PROG_TYPE_HELPER(xdp, bpf_redirect)\n` +
    ' *\t\t// do stuff with this helper\n' +
    ' *\t#elif\n' +
    ' *\t\t// use a workaround\n' +
    ' *\t#endif\n' +
    ' */\n' +
    `#define ${prefix}HAVE_PROG_TYPE_HELPER(prog_type, helper)\t\\\n` +
    `\t${prefix}BPF__PROG_TYPE_ ## prog_type ## __HELPER_ ## helper\n`;
  for (const h of r.helpers) {
    const available = new Set(h.helpers);
    for (let id = 1; id < HELPER_NAMES.length; id++) {
      const name = HELPER_NAMES[id] as string;
      if (!full && NOISY_HELPERS.has(name)) continue;
      s += `#define ${prefix}BPF__PROG_TYPE_${h.progTypeName}__HELPER_${name} ${available.has(name) ? 1 : 0}\n`;
    }
  }
  s += '\n/*** eBPF misc features ***/\n';
  for (const m of r.misc) s += bool(m.feature.toUpperCase(), m.available);
  return s + '\n';
}
