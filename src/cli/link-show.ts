import { readdirSync, readFileSync } from 'node:fs';
import type { OwnedFd } from '../sys/fd.js';
import { progGetFdById } from '../sys/ids.js';
import { getLinkInfo, getProgInfo, type LinkInfo, type PerfEventLinkInfo } from '../sys/info.js';
import { AttachTypeName, LinkTypeName, ProgTypeName } from '../sys/uapi.js';
import { CliError, type CliContext } from './context.js';
import { JsonWriter } from './json-writer.js';
import { cliSysError, forEachObject, parseLinkHandle } from './object-handle.js';
import type { BpftoolMultiMap } from './bpftool-multimap.js';
import { formatPidsPlain, pidsTable, writePidsJson, type PidsTable } from './show-pids.js';
import { pinnedTable } from './show-pinned.js';

type PinnedTable = BpftoolMultiMap<string> | undefined;

/** Facts a link's output needs beyond its info: resolved lazily, once per command. */
interface LinkShowEnv {
  readonly pinned: PinnedTable;
  readonly pids: PidsTable;
  /** `if_indextoname()`. */
  readonly ifName: (ifindex: number) => string | undefined;
  /** Kernel symbol at an address (from /proc/kallsyms), for kprobe_multi links. */
  readonly ksym: (addr: bigint) => { readonly name: string; readonly module: string } | undefined;
}

function attachTypeName(t: number): string {
  return AttachTypeName.get(t) ?? String(t);
}

function ifName(ifindex: number): string | undefined {
  // if_indextoname() asks the kernel over a socket; /sys/class/net/<dev>/ifindex holds the same
  // mapping for this network namespace.
  try {
    for (const dev of readdirSync('/sys/class/net')) {
      try {
        if (Number.parseInt(readFileSync(`/sys/class/net/${dev}/ifindex`, 'utf8'), 10) === ifindex) return dev;
      } catch {
        continue;
      }
    }
  } catch {
    return undefined;
  }
  return undefined;
}

function kallsymsLookup(): LinkShowEnv['ksym'] {
  let table: Map<bigint, { name: string; module: string }> | undefined;
  return (addr) => {
    if (table === undefined) {
      table = new Map();
      try {
        for (const line of readFileSync('/proc/kallsyms', 'utf8').split('\n')) {
          const [a, , name, mod] = line.split(/\s+/);
          if (a === undefined || name === undefined) continue;
          const address = BigInt(`0x${a}`);
          if (!table.has(address)) table.set(address, { name, module: mod?.replace(/^\[|\]$/g, '') ?? '' });
        }
      } catch {
        // No kallsyms: kprobe_multi functions print without names, as bpftool does.
      }
    }
    // With x86 IBT the probe sits after the 4-byte endbr.
    return table.get(addr) ?? table.get(addr - 4n);
  };
}

/** The program type of a tracing link's program (bpftool looks it up by id). */
function progTypeOf(progId: number): number {
  let fd: OwnedFd;
  try {
    fd = progGetFdById(progId);
  } catch (e) {
    throw cliSysError(e, "can't get prog info");
  }
  try {
    return getProgInfo(fd).type;
  } catch (e) {
    throw cliSysError(e, "can't get prog info");
  } finally {
    fd.close();
  }
}

const PERF_TYPE_NAMES = ['hardware', 'software', 'tracepoint', 'hw-cache', 'raw', 'breakpoint'];
const HW_EVENTS = ['cpu-cycles', 'instructions', 'cache-references', 'cache-misses', 'branch-instructions', 'branch-misses', 'bus-cycles', 'stalled-cycles-frontend', 'stalled-cycles-backend', 'ref-cycles'];
const SW_EVENTS = ['cpu-clock', 'task-clock', 'page-faults', 'context-switches', 'cpu-migrations', 'minor-faults', 'major-faults', 'alignment-faults', 'emulation-faults', 'dummy', 'bpf-output', 'cgroup-switches'];
const HW_CACHE = ['L1-dcache', 'L1-icache', 'LLC', 'dTLB', 'iTLB', 'branch', 'node'];
const HW_CACHE_OP = ['load', 'store', 'prefetch'];
const HW_CACHE_RESULT = ['refs', 'misses'];

function pick(table: readonly string[], i: bigint): string | undefined {
  return i < BigInt(table.length) ? table[Number(i)] : undefined;
}

/** bpftool's `perf_config_str`: `cpu-cycles`, `L1-dcache-load-misses`, ... or undefined. */
function perfConfigName(type: number, config: bigint): string | undefined {
  switch (type) {
    case 0: return pick(HW_EVENTS, config);
    case 1: return pick(SW_EVENTS, config);
    case 3: {
      const part = (t: readonly string[], v: bigint): string => pick(t, v) ?? String(v);
      return `${part(HW_CACHE, config & 0xffn)}-${part(HW_CACHE_OP, (config >> 8n) & 0xffn)}-${part(HW_CACHE_RESULT, config >> 16n)}`;
    }
    default: return undefined;
  }
}

const NF_PF = new Map([[1, 'inet'], [2, 'ip'], [3, 'arp'], [5, 'netdev'], [7, 'bridge'], [10, 'ip6']]);
const NF_INET_HOOKS = ['prerouting', 'input', 'forward', 'output', 'postrouting'];
const NF_ARP_HOOKS = ['input', 'output'];

/**
 * bpftool's `netfilter_dump_plain`: `\n\tip input prio -128[ flags 0x1]` (also used by `net show`).
 *
 * @example
 * ```ts
 * netfilterPlain({ pf: 2, hooknum: 1, priority: -128, flags: 0 }); // '\n\tip input prio -128'
 * ```
 */
export function netfilterPlain(d: { readonly pf: number; readonly hooknum: number; readonly priority: number; readonly flags: number }): string {
  const pf = NF_PF.get(d.pf);
  const hooks = d.pf === 3 ? NF_ARP_HOOKS : [1, 2, 7, 10].includes(d.pf) ? NF_INET_HOOKS : [];
  const hook = hooks[d.hooknum];
  let s = pf !== undefined ? `\n\t${pf}` : `\n\tpf: ${d.pf}`;
  s += hook !== undefined ? ` ${hook}` : `, hook ${d.hooknum},`;
  s += ` prio ${d.priority}`;
  if (d.flags !== 0) s += ` flags 0x${hex(d.flags)}`;
  return s;
}

function hex(v: bigint | number): string {
  return v.toString(16);
}

function perfEventPlain(e: PerfEventLinkInfo): string {
  switch (e.kind) {
    case 'kprobe':
    case 'kretprobe': {
      if (e.funcName === '' && e.addr === 0n) return '';
      let s = `\n\t${e.kind} `;
      if (e.addr !== 0n) s += `${hex(e.addr)} `;
      s += e.funcName;
      if (e.offset !== 0) s += `+0x${hex(e.offset)}`;
      if (e.missed !== 0n) s += `  missed ${e.missed}`;
      if (e.cookie !== 0n) s += `  cookie ${e.cookie}`;
      return s + '  ';
    }
    case 'uprobe':
    case 'uretprobe': {
      if (e.fileName === '') return '';
      let s = `\n\t${e.kind} ${e.fileName}+${e.offset === 0 ? '0' : `0x${hex(e.offset)}`}  `;
      if (e.cookie !== 0n) s += `cookie ${e.cookie}  `;
      if (e.refCtrOffset !== 0n) s += `ref_ctr_offset 0x${hex(e.refCtrOffset)}  `;
      return s;
    }
    case 'tracepoint': {
      if (e.tpName === '') return '';
      let s = `\n\ttracepoint ${e.tpName}  `;
      if (e.cookie !== 0n) s += `cookie ${e.cookie}  `;
      return s;
    }
    case 'event': {
      const typeName = PERF_TYPE_NAMES[e.type];
      let s = `\n\tevent ${typeName !== undefined ? `${typeName}:` : `${e.type} :`}`;
      s += `${perfConfigName(e.type, e.config) ?? String(e.config)}  `;
      if (e.cookie !== 0n) s += `cookie ${e.cookie}  `;
      return s;
    }
    default:
      return '';
  }
}

function ifindexPlain(ifindex: number, env: LinkShowEnv): string {
  if (ifindex === 0) return 'ifindex (detached)  ';
  const name = env.ifName(ifindex);
  return `ifindex ${name !== undefined ? `${name}(${ifindex})` : '(unknown)'}  `;
}

function isMapIter(target: string): boolean {
  return target === 'bpf_map_elem' || target === 'bpf_sk_storage_map';
}
function isTaskIter(target: string): boolean {
  return target === 'task' || target === 'task_file' || target === 'task_vma';
}
const CGROUP_ITER_ORDER = ['order_unspec', 'self_only', 'descendants_pre', 'descendants_post', 'ancestors_up'];

/** One link in bpftool's plain layout (`show_link_close_plain`). */
export function formatLinkPlain(info: LinkInfo, env: LinkShowEnv): string {
  const type = LinkTypeName.get(info.type);
  const d = info.details;
  let s = `${info.id}: ${type !== undefined ? `${type}  ` : `type ${info.type}  `}`;
  s += d.kind === 'struct_ops' ? `map ${d.mapId}  ` : `prog ${info.progId}  `;
  switch (d.kind) {
    case 'raw_tracepoint':
      s += `\n\ttp '${d.tpName}'  `;
      if (d.cookie !== 0n) s += `cookie ${d.cookie}  `;
      break;
    case 'tracing': {
      const pt = progTypeOf(info.progId);
      s += `\n\tprog_type ${ProgTypeName.get(pt) ?? String(pt)}  `;
      s += `attach_type ${attachTypeName(d.attachType)}  `;
      if (d.targetObjId !== 0 || d.targetBtfId !== 0) s += `\n\ttarget_obj_id ${d.targetObjId}  target_btf_id ${d.targetBtfId}  `;
      if (d.cookie !== 0n) s += `\n\tcookie ${d.cookie}  `;
      break;
    }
    case 'cgroup':
      s += `\n\tcgroup_id ${d.cgroupId}  attach_type ${attachTypeName(d.attachType)}  `;
      break;
    case 'iter':
      s += `target_name ${d.targetName}  `;
      if (isMapIter(d.targetName)) s += `map_id ${d.mapId}  `;
      else if (isTaskIter(d.targetName)) {
        if (d.tid !== 0) s += `tid ${d.tid} `;
        else if (d.pid !== 0) s += `pid ${d.pid} `;
      }
      if (d.targetName === 'cgroup') s += `cgroup_id ${d.cgroupId}  order ${CGROUP_ITER_ORDER[d.order] ?? 'unknown'}  `;
      break;
    case 'netns':
      s += `\n\tnetns_ino ${d.netnsIno}  attach_type ${attachTypeName(d.attachType)}  `;
      break;
    case 'netfilter':
      s += netfilterPlain(d);
      break;
    case 'tcx':
    case 'netkit':
      s += `\n\t${ifindexPlain(d.ifindex, env)}attach_type ${attachTypeName(d.attachType)}  `;
      break;
    case 'sockmap':
      s += `\n\tmap_id ${d.mapId}  attach_type ${attachTypeName(d.attachType)}  `;
      break;
    case 'xdp':
      s += `\n\t${ifindexPlain(d.ifindex, env)}`;
      break;
    case 'kprobe_multi': {
      if (d.count === 0) break;
      s += (d.flags & 1) !== 0 ? '\n\tkretprobe.multi  ' : '\n\tkprobe.multi  ';
      s += `func_cnt ${d.count}  `;
      if (d.missed !== 0n) s += `missed ${d.missed}  `;
      s += `\n\t${'addr'.padEnd(16)} ${'cookie'.padEnd(16)} func [module]`;
      for (const { addr, cookie } of sortedAddrCookies(d.addrs, d.cookies)) {
        const sym = env.ksym(addr);
        if (sym === undefined) continue;
        s += `\n\t${hex(addr).padStart(16, '0')} ${hex(cookie).padEnd(16)} ${sym.name}`;
        s += sym.module !== '' ? ` [${sym.module}]  ` : '  ';
      }
      break;
    }
    case 'uprobe_multi': {
      if (d.count === 0) break;
      s += (d.flags & 1) !== 0 ? '\n\turetprobe.multi  ' : '\n\tuprobe.multi  ';
      s += `path ${d.path}  func_cnt ${d.count}  `;
      if (d.pid !== 0) s += `pid ${d.pid}  `;
      s += `\n\t${'offset'.padEnd(16)}   ${'ref_ctr_offset'.padEnd(16)}   ${'cookies'.padEnd(16)}`;
      for (let i = 0; i < d.count; i++) {
        s += `\n\t0x${hex(d.offsets[i] ?? 0n).padEnd(16)} 0x${hex(d.refCtrOffsets[i] ?? 0n).padEnd(16)} 0x${hex(d.cookies[i] ?? 0n).padEnd(16)}`;
      }
      break;
    }
    case 'perf_event':
      s += perfEventPlain(d.event);
      break;
    default:
      break;
  }
  for (const path of env.pinned?.get(info.id) ?? []) s += `\n\tpinned ${path}`;
  s += formatPidsPlain(env.pids, info.id, perfEventCookie(info));
  return s + '\n';
}

/** bpftool reports a perf_event link's BPF cookie next to its pids. */
function perfEventCookie(info: LinkInfo): bigint | undefined {
  const d = info.details;
  if (d.kind !== 'perf_event') return undefined;
  return 'cookie' in d.event ? d.event.cookie : 0n;
}

function sortedAddrCookies(addrs: readonly bigint[], cookies: readonly bigint[]): Array<{ addr: bigint; cookie: bigint }> {
  return addrs.map((addr, i) => ({ addr, cookie: cookies[i] ?? 0n })).sort((a, b) => (a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : 0));
}

function attachTypeJson(w: JsonWriter, t: number): void {
  const name = AttachTypeName.get(t);
  if (name !== undefined) w.stringField('attach_type', name);
  else w.uintField('attach_type', t);
}

function ifindexJson(w: JsonWriter, ifindex: number, env: LinkShowEnv): void {
  const name = ifindex === 0 ? '(detached)' : (env.ifName(ifindex) ?? '(unknown)');
  w.stringField('devname', name).uintField('ifindex', ifindex);
}

function perfEventJson(w: JsonWriter, e: PerfEventLinkInfo): void {
  switch (e.kind) {
    case 'kprobe':
    case 'kretprobe':
      w.boolField('retprobe', e.kind === 'kretprobe').uintField('addr', e.addr).stringField('func', e.funcName);
      w.uintField('offset', e.offset).uintField('missed', e.missed).uintField('cookie', e.cookie);
      break;
    case 'uprobe':
    case 'uretprobe':
      w.boolField('retprobe', e.kind === 'uretprobe').stringField('file', e.fileName).uintField('offset', e.offset);
      w.uintField('cookie', e.cookie).uintField('ref_ctr_offset', e.refCtrOffset);
      break;
    case 'tracepoint':
      w.stringField('tracepoint', e.tpName).uintField('cookie', e.cookie);
      break;
    case 'event': {
      const typeName = PERF_TYPE_NAMES[e.type];
      if (typeName !== undefined) w.stringField('event_type', typeName);
      else w.uintField('event_type', e.type);
      const config = perfConfigName(e.type, e.config);
      if (config !== undefined) w.stringField('event_config', config);
      else w.uintField('event_config', e.config);
      w.uintField('cookie', e.cookie);
      break;
    }
    default:
      break;
  }
}

/** One link as bpftool's JSON object (`show_link_close_json`). */
export function writeLinkJson(w: JsonWriter, info: LinkInfo, env: LinkShowEnv): void {
  const d = info.details;
  w.startObject().uintField('id', info.id);
  const type = LinkTypeName.get(info.type);
  if (type !== undefined) w.stringField('type', type);
  else w.uintField('type', info.type);
  w.uintField('prog_id', info.progId);
  switch (d.kind) {
    case 'raw_tracepoint':
      w.stringField('tp_name', d.tpName).uintField('cookie', d.cookie);
      break;
    case 'tracing': {
      const pt = progTypeOf(info.progId);
      const name = ProgTypeName.get(pt);
      if (name !== undefined) w.stringField('prog_type', name);
      else w.uintField('prog_type', pt);
      attachTypeJson(w, d.attachType);
      w.uintField('target_obj_id', d.targetObjId).uintField('target_btf_id', d.targetBtfId).uintField('cookie', d.cookie);
      break;
    }
    case 'cgroup':
      w.uintField('cgroup_id', d.cgroupId);
      attachTypeJson(w, d.attachType);
      break;
    case 'iter':
      w.stringField('target_name', d.targetName);
      if (isMapIter(d.targetName)) w.uintField('map_id', d.mapId);
      else if (isTaskIter(d.targetName)) {
        if (d.tid !== 0) w.uintField('tid', d.tid);
        else if (d.pid !== 0) w.uintField('pid', d.pid);
      }
      if (d.targetName === 'cgroup') w.uintField('cgroup_id', d.cgroupId).stringField('order', CGROUP_ITER_ORDER[d.order] ?? 'unknown');
      break;
    case 'netns':
      w.uintField('netns_ino', d.netnsIno);
      attachTypeJson(w, d.attachType);
      break;
    case 'netfilter':
      w.uintField('pf', d.pf).uintField('hook', d.hooknum).name('prio').raw(String(d.priority));
      w.uintField('flags', d.flags);
      break;
    case 'tcx':
    case 'netkit':
      ifindexJson(w, d.ifindex, env);
      attachTypeJson(w, d.attachType);
      break;
    case 'sockmap':
      w.uintField('map_id', d.mapId);
      attachTypeJson(w, d.attachType);
      break;
    case 'xdp':
      ifindexJson(w, d.ifindex, env);
      break;
    case 'struct_ops':
      w.uintField('map_id', d.mapId);
      break;
    case 'kprobe_multi':
      w.boolField('retprobe', (d.flags & 1) !== 0).uintField('func_cnt', d.count).uintField('missed', d.missed);
      w.name('funcs').startArray();
      for (const { addr, cookie } of sortedAddrCookies(d.addrs, d.cookies)) {
        const sym = env.ksym(addr);
        if (sym === undefined) continue;
        w.startObject().uintField('addr', addr).stringField('func', sym.name);
        if (sym.module === '') w.name('module').null();
        else w.stringField('module', sym.module);
        w.uintField('cookie', cookie).endObject();
      }
      w.endArray();
      break;
    case 'uprobe_multi':
      w.boolField('retprobe', (d.flags & 1) !== 0).stringField('path', d.path).uintField('func_cnt', d.count);
      w.name('pid').raw(String(d.pid | 0));
      w.name('funcs').startArray();
      for (let i = 0; i < d.count; i++) {
        w.startObject().uintField('offset', d.offsets[i] ?? 0n).uintField('ref_ctr_offset', d.refCtrOffsets[i] ?? 0n).uintField('cookie', d.cookies[i] ?? 0n).endObject();
      }
      w.endArray();
      break;
    case 'perf_event':
      perfEventJson(w, d.event);
      break;
    default:
      break;
  }
  if (env.pinned !== undefined && !env.pinned.empty) w.stringArrayField('pinned', env.pinned.get(info.id));
  writePidsJson(w, env.pids, info.id, perfEventCookie(info));
  w.endObject();
}

/**
 * `bpf-ts link show|list [LINK]`: bpftool's `link show`, same plain layout and JSON fields for
 * every link type bpftool knows (`pids` from /proc rather than bpftool's BPF iterator).
 *
 * @example
 * ```ts
 * await linkShow(['id', '3'], ctx);
 * ```
 */
export async function linkShow(args: readonly string[], ctx: CliContext): Promise<number> {
  const env: LinkShowEnv = { pinned: pinnedTable(ctx.bpffs, 'link'), pids: pidsTable('link'), ifName, ksym: kallsymsLookup() };
  const w = ctx.json ? new JsonWriter(ctx.pretty) : undefined;
  let text = '';
  const show = (fd: OwnedFd): void => {
    let info: LinkInfo;
    try {
      info = getLinkInfo(fd);
    } catch (e) {
      throw cliSysError(e, "can't get link info");
    }
    if (w !== undefined) writeLinkJson(w, info, env);
    else text += formatLinkPlain(info, env);
  };
  if (args.length === 2) {
    const fd = parseLinkHandle(args);
    try {
      show(fd);
    } finally {
      fd.close();
    }
  } else if (args.length !== 0) {
    throw new CliError(`what is '${args[0] ?? ''}'?`);
  } else {
    w?.startArray();
    forEachObject('link', "can't get next link", (id) => `can't get link by id (${id})`, (fd) => {
      show(fd);
    });
    w?.endArray();
  }
  ctx.out(w !== undefined ? w.finish() : text);
  return 0;
}
