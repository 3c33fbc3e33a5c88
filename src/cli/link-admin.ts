/**
 * `link pin LINK FILE` and `link detach LINK`, as bpftool's `do_pin` (through `do_pin_any`) and
 * `do_detach`: the same messages and exit codes, `null` under -j.
 */
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { AttrWriter } from '../sys/attr.js';
import { BpfCmd, bpfSyscall } from '../sys/bpf.js';
import { SysError } from '../sys/errors.js';
import { BpffsError, objPin } from '../sys/pin.js';
import { strerror } from '../sys/strerror.js';
import { CliError, type CliContext } from './context.js';
import { errnoExit } from './map-args.js';
import { parseLinkHandle } from './object-handle.js';

/**
 * `link pin LINK FILE`: `BPF_OBJ_PIN` of the link, mounting a bpffs on FILE's directory when it
 * is not on one (bpftool's `mount_bpffs_for_pin`).
 *
 * @example
 * ```ts
 * await linkPin(['id', '42', '/sys/fs/bpf/my_link'], ctx);
 * ```
 */
export async function linkPin(args: readonly string[], ctx: CliContext): Promise<number> {
  // bpftool's REQ_ARGS(3), whose message names the word before the arguments and exits -EINVAL.
  if (args.length < 3) throw new CliError(`'pin' needs at least 3 arguments, ${args.length} found`, errnoExit(22));
  const path = args[2] as string;
  using fd = parseLinkHandle(args);
  if (!existsSync(dirname(path))) {
    throw new CliError(`can't mount BPF file system to pin the object (${path}): mount --make-private ${dirname(path)} failed: ${strerror(2)}`);
  }
  try {
    objPin(fd, path);
  } catch (e) {
    if (e instanceof BpffsError) throw new CliError(`can't mount BPF file system to pin the object (${path}): ${e.message}`, 255, { cause: e });
    if (e instanceof SysError) throw new CliError(`can't pin the object (${path}): ${strerror(e.errno)}`, errnoExit(e.errno), { cause: e });
    throw e;
  }
  if (ctx.json) ctx.out('null\n');
  return 0;
}

/**
 * `link detach LINK`: `BPF_LINK_DETACH` (Linux 5.9+). The link object (and its pins) stays, now
 * defunct; the program is detached from its hook. Link types without detach (tracing, perf_event,
 * raw_tp) fail with EOPNOTSUPP as in bpftool.
 *
 * @example
 * ```ts
 * await linkDetach(['pinned', '/sys/fs/bpf/my_link'], ctx);
 * ```
 */
export async function linkDetach(args: readonly string[], ctx: CliContext): Promise<number> {
  // bpftool's message carries a stray newline; kept so scripts matching it keep working.
  if (args.length !== 2) throw new CliError('link specifier is invalid or missing\n', 1);
  let fd;
  try {
    fd = parseLinkHandle(args);
  } catch (e) {
    // bpftool's do_detach returns 1 whatever link_parse_fd failed with.
    if (e instanceof CliError) throw new CliError(e.message, 1, { cause: e.cause });
    throw e;
  }
  try {
    bpfSyscall(BpfCmd.LINK_DETACH, new AttrWriter(4).u32(0, fd.fd).bytes);
  } catch (e) {
    if (e instanceof SysError) throw new CliError(`failed link detach: ${strerror(e.errno)}`, 1, { cause: e });
    throw e;
  } finally {
    fd.close();
  }
  if (ctx.json) ctx.out('null\n');
  return 0;
}
