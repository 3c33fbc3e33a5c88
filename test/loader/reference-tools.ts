/**
 * What the reference tools say about a BPF object, in plain data the loader tests compare with:
 * llvm-readelf (sections, symbols, relocations), llvm-objdump (instructions per function), the
 * system libbpf through a small C oracle (programs, maps, SEC() table, CO-RE), and bpftool.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/paths.js';

export const LLVM_READELF = '/usr/bin/llvm-readelf-19';
export const LLVM_OBJDUMP = '/usr/bin/llvm-objdump';
export const BPFTOOL = '/usr/sbin/bpftool';
export const CC = '/usr/bin/cc';
export const LIBBPF_HEADER = '/usr/include/bpf/libbpf.h';

export interface ReadelfSection {
  readonly index: number;
  readonly name: string;
  readonly type: string;
  readonly info: number;
  readonly size: number;
  readonly flags: readonly string[];
}

export interface ReadelfSymbol {
  readonly index: number;
  readonly name: string;
  readonly value: number;
  readonly size: number;
  readonly bind: string;
  readonly type: string;
  readonly section: string;
  readonly sectionIndex: number;
  /** `st_other`: the visibility in its low 2 bits (2 = STV_HIDDEN). */
  readonly other: number;
}

export interface ReadelfRelocation {
  /** The section the relocation patches (by name). */
  readonly target: string;
  readonly offset: number;
  readonly type: string;
  readonly symbol: string;
}

export interface ReadelfReport {
  readonly sections: ReadelfSection[];
  readonly symbols: ReadelfSymbol[];
  readonly relocations: ReadelfRelocation[];
}

interface Named {
  Name: string;
  Value: number;
}

/** `llvm-readelf-19 --elf-output-style=JSON -S -s -r FILE`, flattened. */
export function readelf(file: string): ReadelfReport {
  const out = execFileSync(LLVM_READELF, ['--elf-output-style=JSON', '-S', '-s', '-r', file], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const doc = (JSON.parse(out) as Record<string, unknown>[])[0] as {
    Sections: { Section: { Index: number; Name: Named; Type: Named; Info: number; Size: number; Flags: { Flags: Named[] } } }[];
    Symbols: { Symbol: { Name: Named; Value: number; Size: number; Binding: Named; Type: Named; Section: Named; Other: { Value: number } } }[];
    Relocations: { SectionIndex: number; Relocs: { Relocation: { Offset: number; Type: Named; Symbol: Named } }[] }[];
  };
  const sections = doc.Sections.map(({ Section: s }) => ({
    index: s.Index,
    name: s.Name.Name,
    type: s.Type.Name,
    info: s.Info,
    size: s.Size,
    flags: s.Flags.Flags.map((f) => f.Name),
  }));
  const symbols = doc.Symbols.map(({ Symbol: s }, index) => ({
    index,
    name: s.Name.Name,
    value: s.Value,
    size: s.Size,
    bind: s.Binding.Name,
    type: s.Type.Name,
    section: s.Section.Name,
    sectionIndex: s.Section.Value,
    other: s.Other.Value,
  }));
  const relocations: ReadelfRelocation[] = [];
  for (const group of doc.Relocations) {
    const rel = sections.find((s) => s.index === group.SectionIndex);
    const target = sections.find((s) => s.index === rel?.info)?.name ?? '?';
    for (const { Relocation: r } of group.Relocs) relocations.push({ target, offset: r.Offset, type: r.Type.Name, symbol: r.Symbol.Name });
  }
  return { sections, symbols, relocations };
}

/** `llvm-readelf -x SECTION FILE` as bytes. */
export function sectionBytes(file: string, section: string): Uint8Array {
  const out = execFileSync(LLVM_READELF, ['-x', section, file], { encoding: 'utf8' });
  const hex: string[] = [];
  for (const line of out.split('\n')) {
    const m = /^\s*0x[0-9a-f]+ ((?:[0-9a-f]{2,8} ){1,4})/.exec(line);
    if (m?.[1] !== undefined) hex.push(m[1].replace(/ /g, ''));
  }
  return Uint8Array.from(Buffer.from(hex.join(''), 'hex'));
}

/**
 * Instruction slots per function, from `llvm-objdump -d`: every disassembled line adds 1 slot
 * per 8 raw bytes (an `ld_imm64` shows 16). Labels that are not in `functions` (LBB...) continue
 * the current function.
 */
export function objdumpSlots(file: string, functions: ReadonlySet<string>): Map<string, number> {
  const out = execFileSync(LLVM_OBJDUMP, ['-d', file], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const slots = new Map<string, number>();
  let current: string | undefined;
  for (const line of out.split('\n')) {
    const header = /^[0-9a-f]{16} <(.+)>:$/.exec(line);
    if (header?.[1] !== undefined) {
      if (functions.has(header[1])) current = header[1];
      continue;
    }
    if (line.startsWith('Disassembly of section')) current = undefined;
    const insn = /^\s+\d+:\t((?:[0-9a-f]{2} ?)+)\t/.exec(line);
    if (insn?.[1] !== undefined && current !== undefined) {
      const bytes = insn[1].trim().split(' ').length;
      slots.set(current, (slots.get(current) ?? 0) + bytes / 8);
    }
  }
  return slots;
}

let oracle: string | undefined;

/** Builds (once per process) the libbpf oracle from `test/loader/fixtures/libbpf-oracle.c`. */
export function libbpfOracle(): string {
  if (oracle !== undefined && existsSync(oracle)) return oracle;
  const dir = mkdtempSync(join(tmpdir(), 'bpf-ts-oracle-'));
  const out = join(dir, 'libbpf-oracle');
  execFileSync(CC, ['-O1', '-Wall', '-o', out, join(REPO_ROOT, 'test', 'loader', 'fixtures', 'libbpf-oracle.c'), '-lbpf'], { stdio: 'pipe' });
  oracle = out;
  return out;
}

export interface OracleProgram {
  readonly name: string;
  readonly section: string;
  readonly type: number;
  readonly attachType: number;
  readonly autoload: boolean;
  readonly insnCnt: number;
}

export interface OracleMap {
  readonly name: string;
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  readonly numaNode: number;
  readonly mapExtra: number;
  readonly internal: boolean;
  readonly btfKeyTypeId: number;
  readonly btfValueTypeId: number;
  readonly pinPath: string | null;
  readonly initialValue: string | null;
}

export interface OracleObject {
  readonly error?: number;
  readonly programs: OracleProgram[];
  readonly maps: OracleMap[];
}

/** What libbpf's `bpf_object__open_file()` makes of FILE. */
export function libbpfOpen(file: string): OracleObject {
  // A refused object exits 1 and prints {"error": -errno}.
  const run = spawnSync(libbpfOracle(), ['open', file], { encoding: 'utf8' });
  if (run.status !== 0 && run.status !== 1) throw new Error(`libbpf oracle failed on ${file}: ${run.stderr}`);
  return JSON.parse(run.stdout) as OracleObject;
}

export interface OracleSection {
  readonly name: string;
  readonly known: boolean;
  readonly progType: number;
  readonly attachType: number;
}

/** libbpf's `libbpf_prog_type_by_name()` for each name. */
export function libbpfSections(names: readonly string[]): OracleSection[] {
  const out = execFileSync(libbpfOracle(), ['sec', ...names], { encoding: 'utf8' });
  return out.trim().split('\n').map((l) => JSON.parse(l) as OracleSection);
}

export interface OracleCoreRelo {
  readonly program: string;
  readonly insn: number;
  readonly kind: string;
  readonly typeId: number;
  readonly spec: string;
}

/**
 * The CO-RE relocations libbpf applies when loading FILE (needs root): parsed from its debug log
 * lines `prog 'P': relo #N: <kind> [id] spec` and `prog 'P': relo #N: patched insn #I`.
 */
export function libbpfCoreRelocations(file: string): OracleCoreRelo[] {
  const out = execFileSync(libbpfOracle(), ['core', file], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const specs = new Map<string, { kind: string; typeId: number; spec: string }>();
  const result: OracleCoreRelo[] = [];
  for (const line of out.split('\n')) {
    const spec = /^libbpf: prog '([^']+)': relo #(\d+): <([a-z_0-9]+)> \[(\d+)\] (.*)$/.exec(line);
    if (spec !== null) {
      const [, prog, n, kind, id, rest] = spec as unknown as [string, string, string, string, string, string];
      specs.set(`${prog}#${n}`, { kind, typeId: Number(id), spec: rest });
      continue;
    }
    const patched = /^libbpf: prog '([^']+)': relo #(\d+): patched insn #(\d+)/.exec(line);
    if (patched !== null) {
      const [, prog, n, insn] = patched as unknown as [string, string, string, string];
      const s = specs.get(`${prog}#${n}`);
      if (s !== undefined) result.push({ program: prog, insn: Number(insn), ...s });
    }
  }
  return result;
}

/** Runs bpftool with JSON output and parses it. */
export function bpftoolJson<T>(args: readonly string[]): T {
  return JSON.parse(execFileSync(BPFTOOL, ['-j', ...args], { encoding: 'utf8' })) as T;
}
