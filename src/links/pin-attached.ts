/**
 * Attach-and-pin: what `bpftool prog load|loadall ... autoattach` does so programs stay attached
 * after the loading process exits. Each program is auto-attached from its SEC() name and its link
 * pinned; a program that cannot be auto-attached (xdp, tc, cgroup, `SEC("uprobe")` without a
 * target, ...) is pinned itself instead, as bpftool falls back to.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { autoAttach, type AutoAttachContext, type SectionAttachInfo } from './attach.js';
import { LinkError } from './errors.js';
import { LinkGroup, type Link } from './link.js';
import { programLabel, type AttachableProgram } from './program.js';

/** A loaded program that can pin itself (the loader's `BpfProgram` fits). */
export interface PinnableProgram extends AttachableProgram {
  readonly name: string;
  /** `BPF_OBJ_PIN` of the program fd. */
  pin(path: string): void;
}

/** One program to attach and pin, with its SEC() classification (the loader's `matchSection`). */
export interface PinAttachEntry {
  readonly program: PinnableProgram;
  readonly section: SectionAttachInfo;
}

/** What {@link attachAndPin} left in the BPF file system for one program. */
export interface PinnedAttachment {
  /** The program's name. */
  readonly program: string;
  /**
   * `'link'`: the program is attached and its link pinned at `paths`; `'program'`: it could not
   * be auto-attached and the program itself is pinned at `paths[0]` (loaded, not attached).
   */
  readonly kind: 'link' | 'program';
  /**
   * Where the pins are: one path, or for a program attached at several sites (a USDT probe in
   * several places) `PATH_0`, `PATH_1`, ... (bpffs names cannot hold dots).
   */
  readonly paths: readonly string[];
}

/** Options of {@link attachAndPin} and {@link attachAndPinAll}. */
export interface AttachAndPinOptions {
  /** What auto-attach may need from the object (its `__bpf_usdt_specs` map). */
  readonly context?: AutoAttachContext;
  /** Called for each program that is pinned instead of attached (bpftool prints a note). */
  readonly onFallback?: (program: string) => void;
}

function closeLinks(links: readonly Link[]): void {
  for (const l of links) {
    try {
      l.close();
    } catch {
      // Closing a pinned link only drops our fd; the pin is what keeps it.
    }
  }
}

/**
 * Auto-attaches one program and pins its link at `path` (bpftool's `auto_attach_program`), or
 * pins the program at `path` when it has no auto-attach target. This process's link fds are
 * closed before returning: the pins keep the attachment alive. On failure nothing stays pinned.
 *
 * @example
 * ```ts
 * using obj = await loadObject('bpf/cli/cli.bpf.o');
 * const p = obj.program('count_getppid')!;
 * attachAndPin({ program: p, section: matchSection(p.section) }, '/sys/fs/bpf/count_getppid');
 * // still attached after obj.close() and after this process exits; rm the pin to detach
 * ```
 */
export function attachAndPin(entry: PinAttachEntry, path: string, options: AttachAndPinOptions = {}): PinnedAttachment {
  const { program, section } = entry;
  const attached = autoAttach(program, section, options.context ?? {});
  if (attached === undefined) {
    options.onFallback?.(program.name);
    program.pin(path);
    return { program: program.name, kind: 'program', paths: [path] };
  }
  const links = attached instanceof LinkGroup ? attached.links : [attached];
  const paths = links.length === 1 ? [path] : links.map((_, i) => `${path}_${i}`);
  const done: string[] = [];
  try {
    links.forEach((l, i) => {
      l.pin(paths[i] as string);
      done.push(paths[i] as string);
    });
  } catch (e) {
    for (const p of done) rmSync(p, { force: true });
    closeLinks(links);
    if (e instanceof LinkError) throw e;
    throw new LinkError(`pin at ${path} failed: ${(e as Error).message}`, { program: programLabel(program) }, { cause: e });
  }
  closeLinks(links);
  return { program: program.name, kind: 'link', paths };
}

/**
 * {@link attachAndPin} for every entry, each at `dir/<program name>` (bpftool's
 * `auto_attach_programs`). All or nothing: on a failure the pins made so far are removed (which
 * detaches those programs again) and the error is rethrown. `dir` must exist on a bpffs.
 *
 * @example
 * ```ts
 * using obj = await loadObject('bpf/cli/cli.bpf.o');
 * const entries = [...obj.programs.values()].map((p) => ({ program: p, section: matchSection(p.section) }));
 * for (const a of attachAndPinAll(entries, '/sys/fs/bpf/cli')) console.log(a.program, a.kind, a.paths);
 * ```
 */
export function attachAndPinAll(entries: Iterable<PinAttachEntry>, dir: string, options: AttachAndPinOptions = {}): PinnedAttachment[] {
  const done: PinnedAttachment[] = [];
  try {
    for (const entry of entries) done.push(attachAndPin(entry, join(dir, entry.program.name), options));
  } catch (e) {
    for (const a of done) for (const p of a.paths) rmSync(p, { force: true });
    throw e;
  }
  return done;
}
