import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { MapError } from '../maps/errors.js';
import { SysError } from '../sys/errors.js';
import { BpffsError } from '../sys/pin.js';
import { strerror } from '../sys/strerror.js';
import { CliError, type CliContext } from './context.js';
import { errnoExit, openOneMap } from './map-args.js';

/** `map freeze MAP` and `map pin MAP FILE`, as bpftool's `do_freeze` and `do_pin`. */

/** `map freeze MAP`: `BPF_MAP_FREEZE`. */
export async function mapFreeze(args: readonly string[], ctx: CliContext): Promise<number> {
  if (args.length < 2) throw new CliError("'map freeze' needs a MAP (id N | pinned FILE | name NAME)");
  const map = openOneMap(args);
  if (map === undefined) return 255;
  try {
    if (args.length > 2) throw new CliError(`what is '${args[2] ?? ''}'?`);
    try {
      map.freeze();
    } catch (e) {
      if (e instanceof MapError) throw new CliError(`failed to freeze map: ${strerror(e.errno)}`, errnoExit(e.errno), { cause: e });
      throw e;
    }
  } finally {
    map.close();
  }
  if (ctx.json) ctx.out('null\n');
  return 0;
}

/** `map pin MAP FILE`: `BPF_OBJ_PIN`, mounting a bpffs at FILE's directory when needed. */
export async function mapPin(args: readonly string[], ctx: CliContext): Promise<number> {
  if (args.length < 3) throw new CliError("'map pin' needs a MAP and a FILE");
  const path = args[2] as string;
  const map = openOneMap(args);
  if (map === undefined) return 255;
  try {
    if (!existsSync(dirname(path))) {
      throw new CliError(`can't mount BPF file system to pin the object (${path}): mount --make-private ${dirname(path)} failed: ${strerror(2)}`);
    }
    try {
      map.pin(path);
    } catch (e) {
      const cause = e instanceof MapError ? e.cause : e;
      if (cause instanceof BpffsError) throw new CliError(`can't mount BPF file system to pin the object (${path}): ${cause.message}`, 255, { cause });
      if (cause instanceof SysError) throw new CliError(`can't pin the object (${path}): ${strerror(cause.errno)}`, errnoExit(cause.errno), { cause });
      throw e;
    }
  } finally {
    map.close();
  }
  if (ctx.json) ctx.out('null\n');
  return 0;
}
