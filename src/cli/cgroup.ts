/**
 * `cgroup { show | list } CGROUP [effective]`, `cgroup tree [ROOT] [effective]`,
 * `cgroup attach CGROUP ATTACH_TYPE PROG [multi] [override]`, `cgroup detach CGROUP ATTACH_TYPE
 * PROG`, as bpftool's cgroup.c. The attach types queried are the cgroup ones, in the order of
 * bpftool 7.3+'s `cgroup_attach_types[]` (7.1 queried every type in numeric order).
 */
import { closeSync, existsSync, lstatSync, openSync, opendirSync, readFileSync } from 'node:fs';
import { loadKernelBtf } from '../btf/kernel-btf.js';
import { SysError } from '../sys/errors.js';
import type { OwnedFd } from '../sys/fd.js';
import { getFdById } from '../sys/ids.js';
import { getBtfInfo, getProgInfo } from '../sys/info.js';
import { CgroupAttachFlag, progAttach, progDetach } from '../sys/prog-attach.js';
import { BPF_F_QUERY_EFFECTIVE, progQuery } from '../sys/prog-query.js';
import { strerror } from '../sys/strerror.js';
import { AttachType, AttachTypeName } from '../sys/uapi.js';
import { CliError, type CliContext } from './context.js';
import { isKeyword } from './grammar.js';
import { JsonWriter } from './json-writer.js';
import { parseProgHandle } from './object-handle.js';
import { permissionAware } from './permission.js';
import { progFullName } from './prog-name.js';

const ATTACH_TYPES_HELP = `       ATTACH_TYPE := { cgroup_inet_ingress | cgroup_inet_egress |
                        cgroup_inet_sock_create | cgroup_sock_ops |
                        cgroup_device | cgroup_inet4_bind |
                        cgroup_inet6_bind | cgroup_inet4_post_bind |
                        cgroup_inet6_post_bind | cgroup_inet4_connect |
                        cgroup_inet6_connect | cgroup_unix_connect |
                        cgroup_inet4_getpeername | cgroup_inet6_getpeername |
                        cgroup_unix_getpeername | cgroup_inet4_getsockname |
                        cgroup_inet6_getsockname | cgroup_unix_getsockname |
                        cgroup_udp4_sendmsg | cgroup_udp6_sendmsg |
                        cgroup_unix_sendmsg | cgroup_udp4_recvmsg |
                        cgroup_udp6_recvmsg | cgroup_unix_recvmsg |
                        cgroup_sysctl | cgroup_getsockopt |
                        cgroup_setsockopt | cgroup_inet_sock_release }`;

const HELP = `Usage: bpf-ts cgroup { show | list } CGROUP [**effective**]
       bpf-ts cgroup tree [CGROUP_ROOT] [**effective**]
       bpf-ts cgroup attach CGROUP ATTACH_TYPE PROG [ATTACH_FLAGS]
       bpf-ts cgroup detach CGROUP ATTACH_TYPE PROG
       bpf-ts cgroup help

${ATTACH_TYPES_HELP}
       ATTACH_FLAGS := { multi | override }
       PROG := { id PROG_ID | pinned FILE | tag PROG_TAG | name PROG_NAME }
       OPTIONS := { {-j|--json} [{-p|--pretty}] | {-d|--debug} | {-f|--bpffs} }
`;

const VMLINUX_BTF = '/sys/kernel/btf/vmlinux';

/** bpftool's `cgroup_attach_types[]`, in its order. */
const CGROUP_ATTACH_TYPES: readonly number[] = [
  AttachType.CGROUP_INET_INGRESS,
  AttachType.CGROUP_INET_EGRESS,
  AttachType.CGROUP_INET_SOCK_CREATE,
  AttachType.CGROUP_INET_SOCK_RELEASE,
  AttachType.CGROUP_INET4_BIND,
  AttachType.CGROUP_INET6_BIND,
  AttachType.CGROUP_INET4_POST_BIND,
  AttachType.CGROUP_INET6_POST_BIND,
  AttachType.CGROUP_INET4_CONNECT,
  AttachType.CGROUP_INET6_CONNECT,
  AttachType.CGROUP_UNIX_CONNECT,
  AttachType.CGROUP_INET4_GETPEERNAME,
  AttachType.CGROUP_INET6_GETPEERNAME,
  AttachType.CGROUP_UNIX_GETPEERNAME,
  AttachType.CGROUP_INET4_GETSOCKNAME,
  AttachType.CGROUP_INET6_GETSOCKNAME,
  AttachType.CGROUP_UNIX_GETSOCKNAME,
  AttachType.CGROUP_UDP4_SENDMSG,
  AttachType.CGROUP_UDP6_SENDMSG,
  AttachType.CGROUP_UNIX_SENDMSG,
  AttachType.CGROUP_UDP4_RECVMSG,
  AttachType.CGROUP_UDP6_RECVMSG,
  AttachType.CGROUP_UNIX_RECVMSG,
  AttachType.CGROUP_SOCK_OPS,
  AttachType.CGROUP_DEVICE,
  AttachType.CGROUP_SYSCTL,
  AttachType.CGROUP_GETSOCKOPT,
  AttachType.CGROUP_SETSOCKOPT,
  AttachType.LSM_CGROUP,
];

/** bpftool's `bpf_attach_type_input_str`: the traditional names, accepted as prefixes. */
const INPUT_NAMES: ReadonlyMap<number, string> = new Map([
  [AttachType.CGROUP_INET_INGRESS, 'ingress'],
  [AttachType.CGROUP_INET_EGRESS, 'egress'],
  [AttachType.CGROUP_INET_SOCK_CREATE, 'sock_create'],
  [AttachType.CGROUP_INET_SOCK_RELEASE, 'sock_release'],
  [AttachType.CGROUP_SOCK_OPS, 'sock_ops'],
  [AttachType.CGROUP_DEVICE, 'device'],
  [AttachType.CGROUP_INET4_BIND, 'bind4'],
  [AttachType.CGROUP_INET6_BIND, 'bind6'],
  [AttachType.CGROUP_INET4_CONNECT, 'connect4'],
  [AttachType.CGROUP_INET6_CONNECT, 'connect6'],
  [AttachType.CGROUP_INET4_POST_BIND, 'post_bind4'],
  [AttachType.CGROUP_INET6_POST_BIND, 'post_bind6'],
  [AttachType.CGROUP_INET4_GETPEERNAME, 'getpeername4'],
  [AttachType.CGROUP_INET6_GETPEERNAME, 'getpeername6'],
  [AttachType.CGROUP_INET4_GETSOCKNAME, 'getsockname4'],
  [AttachType.CGROUP_INET6_GETSOCKNAME, 'getsockname6'],
  [AttachType.CGROUP_UDP4_SENDMSG, 'sendmsg4'],
  [AttachType.CGROUP_UDP6_SENDMSG, 'sendmsg6'],
  [AttachType.CGROUP_SYSCTL, 'sysctl'],
  [AttachType.CGROUP_UDP4_RECVMSG, 'recvmsg4'],
  [AttachType.CGROUP_UDP6_RECVMSG, 'recvmsg6'],
  [AttachType.CGROUP_GETSOCKOPT, 'getsockopt'],
  [AttachType.CGROUP_SETSOCKOPT, 'setsockopt'],
  [AttachType.TRACE_RAW_TP, 'raw_tp'],
  [AttachType.TRACE_FENTRY, 'fentry'],
  [AttachType.TRACE_FEXIT, 'fexit'],
  [AttachType.MODIFY_RETURN, 'mod_ret'],
  [AttachType.SK_REUSEPORT_SELECT, 'sk_skb_reuseport_select'],
  [AttachType.SK_REUSEPORT_SELECT_OR_MIGRATE, 'sk_skb_reuseport_select_or_migrate'],
]);

/** bpftool's `parse_attach_type`: libbpf's names exactly, else a prefix of the traditional names. */
export function parseCgroupAttachType(word: string): number | undefined {
  for (const [type, name] of AttachTypeName) if (name === word) return type;
  for (const [type, name] of AttachTypeName) if (isKeyword(word, INPUT_NAMES.get(type) ?? name)) return type;
  return undefined;
}

function openCgroup(path: string, what: (path: string, e: unknown) => string): number {
  try {
    return openSync(path, 'r');
  } catch (e) {
    throw new CliError(what(path, e), 255, { cause: e });
  }
}

function errnoOf(e: unknown): number {
  if (e instanceof SysError) return e.errno;
  const table: Record<string, number> = { ENOENT: 2, EACCES: 13, ENOTDIR: 20, EPERM: 1 };
  return table[(e as NodeJS.ErrnoException).code ?? ''] ?? 5;
}

/** `cgroup_has_attached_progs`: any program at any cgroup attach type (EINVAL: unknown type). */
function hasAttachedPrograms(fd: number, queryFlags: number): boolean {
  for (const type of CGROUP_ATTACH_TYPES) {
    try {
      if (progQuery(fd, type, { queryFlags }).progIds.length > 0) return true;
    } catch (e) {
      if (e instanceof SysError && e.code === 'EINVAL') continue;
      throw e;
    }
  }
  return false;
}

function flagsName(flags: number): string {
  switch (flags) {
    case CgroupAttachFlag.ALLOW_MULTI:
      return 'multi';
    case CgroupAttachFlag.ALLOW_OVERRIDE:
      return 'override';
    case 0:
      return '';
    default:
      return `unknown(${flags.toString(16)})`;
  }
}

/** Where `show_bpf_prog` writes, and the vmlinux BTF id it guessed so far (0: none yet). */
interface ProgPrinter {
  readonly json: JsonWriter | undefined;
  text: string;
  vmlinuxBtfId: number;
}

/** bpftool's `guess_vmlinux_btf_id`: the id, when `btfObjId` is the kernel's vmlinux BTF. */
function guessVmlinuxBtfId(btfObjId: number): number {
  if (btfObjId === 0) return 0;
  try {
    using fd = getFdById('btf', btfObjId);
    const info = getBtfInfo(fd);
    return info.kernelBtf && info.name === 'vmlinux' ? info.id : 0;
  } catch {
    return 0;
  }
}

/**
 * The name bpftool prints as `attach_btf_name`: the vmlinux type the program attaches to
 * (lsm_cgroup). Like bpftool, a program without an attach BTF object "matches" while no vmlinux
 * id is known, giving type 0's empty name (its quirk: a padded blank column and `""` in JSON).
 */
function attachBtfName(p: ProgPrinter, objId: number, typeId: number): string | undefined {
  if (!existsSync(VMLINUX_BTF)) return undefined;
  if (p.vmlinuxBtfId === 0) p.vmlinuxBtfId = guessVmlinuxBtfId(objId);
  if (p.vmlinuxBtfId !== objId) return undefined;
  if (typeId === 0) return '';
  const btf = loadKernelBtf();
  return typeId < btf.typeCount ? btf.typeName(typeId) : undefined;
}

/** `show_bpf_prog`: one attached program. */
function printProgram(p: ProgPrinter, id: number, type: number, flags: string | undefined, level: number): void {
  let fd: OwnedFd;
  try {
    fd = getFdById('prog', id);
  } catch {
    return;
  }
  try {
    const info = getProgInfo(fd);
    const typeName = AttachTypeName.get(type);
    const name = progFullName(info, fd);
    const btfName = attachBtfName(p, info.attachBtfObjId, info.attachBtfId);
    if (p.json !== undefined) {
      p.json.startObject().uintField('id', info.id);
      if (typeName !== undefined) p.json.stringField('attach_type', typeName);
      else p.json.uintField('attach_type', type);
      if (flags !== undefined) p.json.stringField('attach_flags', flags);
      p.json.stringField('name', name);
      if (btfName !== undefined) p.json.stringField('attach_btf_name', btfName);
      p.json.uintField('attach_btf_obj_id', info.attachBtfObjId).uintField('attach_btf_id', info.attachBtfId).endObject();
      return;
    }
    let line = `${level > 0 ? '    ' : ''}${String(info.id).padEnd(8)} `;
    line += typeName !== undefined ? typeName.padEnd(15) : `type ${String(type).padEnd(10)}`;
    line += flags === undefined ? ` ${name.padEnd(15)}` : ` ${flags.padEnd(15)} ${name.padEnd(15)}`;
    if (btfName !== undefined) line += ` ${btfName.padEnd(15)}`;
    else if (info.attachBtfId !== 0) line += ` attach_btf_obj_id=${info.attachBtfObjId} attach_btf_id=${info.attachBtfId}`;
    p.text += `${line}\n`;
  } finally {
    fd.close();
  }
}

/** `show_bpf_progs` for one attach type; false when the query failed. */
function printPrograms(p: ProgPrinter, cgroupFd: number, type: number, effective: boolean, level: number): boolean {
  let r;
  try {
    r = progQuery(cgroupFd, type, effective ? { queryFlags: BPF_F_QUERY_EFFECTIVE } : { perProgramFlags: true });
  } catch {
    return false;
  }
  r.progIds.forEach((id, i) => printProgram(p, id, type, effective ? undefined : flagsName((r.progAttachFlags[i] ?? 0) || r.attachFlags), level));
  return true;
}

function header(effective: boolean): string {
  return effective ? `${'ID'.padEnd(8)} ${'AttachType'.padEnd(15)} ${'Name'.padEnd(15)}\n` : `${'ID'.padEnd(8)} ${'AttachType'.padEnd(15)} ${'AttachFlags'.padEnd(15)} ${'Name'.padEnd(15)}\n`;
}

/** `[effective]` after the path; bpftool's messages for a repeat or another word. */
function parseEffective(args: readonly string[]): boolean {
  let effective = false;
  for (const word of args) {
    if (!isKeyword(word, 'effective')) throw new CliError(`expected no more arguments, 'effective', got: '${word}'?`);
    if (effective) throw new CliError(`duplicated argument: ${word}`);
    effective = true;
  }
  return effective;
}

/**
 * `cgroup show CGROUP [effective]`.
 *
 * @example
 * ```ts
 * await cgroupShow(['/sys/fs/cgroup/my.slice'], ctx);
 * ```
 */
export async function cgroupShow(args: readonly string[], ctx: CliContext): Promise<number> {
  const [path] = args;
  if (path === undefined) throw new CliError("'show' needs at least 1 arguments, 0 found");
  const effective = parseEffective(args.slice(1));
  const fd = openCgroup(path, (p) => `can't open cgroup ${p}`);
  try {
    let any: boolean;
    try {
      any = hasAttachedPrograms(fd, effective ? BPF_F_QUERY_EFFECTIVE : 0);
    } catch (e) {
      throw permissionAware(`can't query bpf programs attached to ${path}: ${strerror(errnoOf(e))}`, e, 'BPF_PROG_QUERY needs CAP_NET_ADMIN');
    }
    if (!any) {
      // bpftool prints nothing at all here (its JSON writer then ends with a bare newline).
      if (ctx.json) ctx.out('\n');
      return 0;
    }
    const p: ProgPrinter = { json: ctx.json ? new JsonWriter(ctx.pretty).startArray() : undefined, text: ctx.json ? '' : header(effective), vmlinuxBtfId: 0 };
    let ok = false;
    for (const type of CGROUP_ATTACH_TYPES) if (printPrograms(p, fd, type, effective, 0)) ok = true;
    ctx.out(p.json !== undefined ? p.json.endArray().finish() : p.text);
    return ok ? 0 : 255;
  } finally {
    closeSync(fd);
  }
}

/** The first cgroup2 mount in /proc/mounts (bpftool's `find_cgroup_root`). */
function cgroupRoot(): string | undefined {
  for (const line of readFileSync('/proc/mounts', 'utf8').split('\n')) {
    const f = line.split(' ');
    if (f[2] === 'cgroup2' && f[1] !== undefined) return f[1].replace(/\\040/g, ' ');
  }
  return undefined;
}

/**
 * `nftw(root, ..., FTW_MOUNT)`: every directory, parent first, children in the directory's own
 * order (not sorted), staying on root's file system; `level` 0 for root.
 */
function* walkDirectories(root: string): Generator<{ path: string; level: number }, void, void> {
  const dev = lstatSync(root).dev;
  const stack: Array<{ path: string; level: number }> = [{ path: root, level: 0 }];
  while (stack.length > 0) {
    const here = stack.pop() as { path: string; level: number };
    yield here;
    const children: string[] = [];
    const dir = opendirSync(here.path);
    try {
      for (let e = dir.readSync(); e !== null; e = dir.readSync()) {
        if (!e.isDirectory()) continue;
        const child = here.path.endsWith('/') ? `${here.path}${e.name}` : `${here.path}/${e.name}`;
        if (lstatSync(child).dev === dev) children.push(child);
      }
    } finally {
      dir.closeSync();
    }
    for (const c of children.reverse()) stack.push({ path: c, level: here.level + 1 });
  }
}

/**
 * `cgroup tree [ROOT] [effective]`.
 *
 * @example
 * ```ts
 * await cgroupTree(['/sys/fs/cgroup/my.slice', 'effective'], ctx);
 * ```
 */
export async function cgroupTree(args: readonly string[], ctx: CliContext): Promise<number> {
  let root = args[0];
  const effective = args.length > 0 ? parseEffective(args.slice(1)) : false;
  if (root === undefined) {
    root = cgroupRoot();
    if (root === undefined) throw new CliError("cgroup v2 isn't mounted");
  }
  const p: ProgPrinter = {
    json: ctx.json ? new JsonWriter(ctx.pretty).startArray() : undefined,
    text: ctx.json ? '' : `CgroupPath\n${header(effective)}`,
    vmlinuxBtfId: 0,
  };
  const flush = (): void => {
    ctx.out(p.json !== undefined ? p.json.take() : p.text);
    p.text = '';
  };
  let status = 0;
  try {
    for (const { path, level } of walkDirectories(root)) {
      let fd: number;
      try {
        fd = openSync(path, 'r');
      } catch (e) {
        throw new CliError(`can't open cgroup ${path}: ${strerror(errnoOf(e))}`, 255, { cause: e });
      }
      try {
        let any: boolean;
        try {
          any = hasAttachedPrograms(fd, effective ? BPF_F_QUERY_EFFECTIVE : 0);
        } catch (e) {
          throw permissionAware(`can't query bpf programs attached to ${path}: ${strerror(errnoOf(e))}`, e, 'BPF_PROG_QUERY needs CAP_NET_ADMIN');
        }
        if (!any) continue;
        if (p.json !== undefined) p.json.startObject().stringField('cgroup', path).name('programs').startArray();
        else p.text += `${path}\n`;
        for (const type of CGROUP_ATTACH_TYPES) printPrograms(p, fd, type, effective, level);
        if (p.json !== undefined) p.json.endArray().endObject();
        flush();
      } finally {
        closeSync(fd);
      }
    }
  } catch (e) {
    if (!(e instanceof CliError)) throw new CliError(`can't iterate over ${root}: ${strerror(errnoOf(e))}`, 255, { cause: e });
    status = 255;
    flush();
    if (p.json !== undefined) ctx.out(p.json.endArray().finish());
    throw e;
  }
  flush();
  if (p.json !== undefined) ctx.out(p.json.endArray().finish());
  return status;
}

/** `cgroup attach` (`detach` = false) and `cgroup detach`: BPF_PROG_ATTACH / BPF_PROG_DETACH. */
async function cgroupAttachDetach(args: readonly string[], ctx: CliContext, attach: boolean): Promise<number> {
  const verb = attach ? 'attach' : 'detach';
  if (args.length < 4) throw new CliError(`too few parameters for cgroup ${verb}`);
  const fd = openCgroup(args[0] as string, (p) => `can't open cgroup ${p}`);
  try {
    const type = parseCgroupAttachType(args[1] as string);
    if (type === undefined) throw new CliError('invalid attach type');
    const progs = parseProgHandle(args.slice(2));
    if (progs.length !== 1) {
      for (const f of progs) f.close();
      if (progs.length > 1) throw new CliError('several programs match this handle');
      return 255;
    }
    const prog = progs[0] as OwnedFd;
    try {
      let flags = 0;
      if (attach) {
        for (const word of args.slice(4)) {
          if (isKeyword(word, 'multi')) flags |= CgroupAttachFlag.ALLOW_MULTI;
          else if (isKeyword(word, 'override')) flags |= CgroupAttachFlag.ALLOW_OVERRIDE;
          else throw new CliError(`unknown option: ${word}`);
        }
      }
      try {
        if (attach) progAttach(fd, prog.fd, type, flags);
        else progDetach(fd, prog.fd, type);
      } catch (e) {
        if (ctx.debug && e instanceof SysError) ctx.err(`${e.message}\n`);
        throw permissionAware(`failed to ${verb} program`, e, `BPF_PROG_${verb.toUpperCase()} needs CAP_NET_ADMIN`);
      }
    } finally {
      prog.close();
    }
  } finally {
    closeSync(fd);
  }
  if (ctx.json) ctx.out('null\n');
  return 0;
}

/** `bpf-ts cgroup ...`. */
export async function runCgroup(args: readonly string[], ctx: CliContext): Promise<number> {
  const [verb, ...rest] = args;
  if (verb === undefined || isKeyword(verb, 'show') || isKeyword(verb, 'list')) return cgroupShow(rest, ctx);
  if (isKeyword(verb, 'tree')) return cgroupTree(rest, ctx);
  if (isKeyword(verb, 'attach')) return cgroupAttachDetach(rest, ctx, true);
  if (isKeyword(verb, 'detach')) return cgroupAttachDetach(rest, ctx, false);
  if (isKeyword(verb, 'help')) {
    ctx.out(HELP);
    return 0;
  }
  throw new CliError(`unknown command '${verb}' for 'cgroup', see 'bpf-ts cgroup help'`);
}
