import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BPF_DIR, REPO_ROOT } from '../helpers/paths.js';

/** Where capture.sh writes the logs. */
export const FIXTURE_DIR = join(REPO_ROOT, 'test', 'verifier-log', 'fixtures');
/** The capture script itself (the kernel test runs it live). */
export const CAPTURE_SCRIPT = join(FIXTURE_DIR, 'capture.sh');
export const LLVM_OBJDUMP = '/usr/bin/llvm-objdump';

/** A captured log: `null_deref` or `null_deref.level2`. */
export function readFixture(name: string): string {
  return readFileSync(join(FIXTURE_DIR, `${name}.log`), 'utf8');
}

/** The object a fixture was captured from: `null_deref.level2` -> `null_deref`. */
export function objectOf(fixture: string): string {
  return fixture.replace(/\.level2$/, '');
}

/** Lines of bpf/verifier/NAME.bpf.c, 1-based through `[line - 1]`. */
export function sourceLines(object: string): string[] {
  return readFileSync(join(BPF_DIR, 'verifier', `${object}.bpf.c`), 'utf8').split('\n');
}

/** The 1-based line of the one source line that is `text` (or, if none is, starts with it). */
export function lineOf(object: string, text: string): number {
  const lines = sourceLines(object).map((l) => l.trim());
  let hits = lines.flatMap((l, i) => (l === text ? [i + 1] : []));
  if (hits.length === 0) hits = lines.flatMap((l, i) => (l.startsWith(text) ? [i + 1] : []));
  if (hits.length !== 1) throw new Error(`${object}.bpf.c: expected one line starting with ${JSON.stringify(text)}, found ${hits.length}`);
  return hits[0] ?? 0;
}

/**
 * Opcode byte of every instruction slot of the object's program, as llvm-objdump disassembles
 * it (the second slot of an ld_imm64 is absent): an oracle for instruction indices that does not
 * go through the verifier log. Subprograms in `.text` follow the program, as libbpf appends them.
 */
export function objectOpcodes(object: string): Map<number, number> {
  const out = execFileSync(LLVM_OBJDUMP, ['-d', join(BPF_DIR, 'verifier', `${object}.bpf.o`)], { encoding: 'utf8' });
  const sections = new Map<string, [number, number, number][]>();
  let current: [number, number, number][] = [];
  for (const line of out.split('\n')) {
    const header = /^Disassembly of section (.*):$/.exec(line);
    if (header) {
      current = [];
      sections.set(header[1] ?? '', current);
      continue;
    }
    const m = /^\s*(\d+):\t((?:[0-9a-f]{2} )*[0-9a-f]{2})\t/.exec(line);
    const bytes = m?.[2]?.split(' ') ?? [];
    if (m && bytes[0] !== undefined) current.push([Number(m[1]), Number.parseInt(bytes[0], 16), bytes.length]);
  }
  const opcodes = new Map<number, number>();
  let base = 0;
  const ordered = [...sections.entries()].sort(([a], [b]) => Number(a === '.text') - Number(b === '.text'));
  for (const [, insns] of ordered) {
    let end = base;
    for (const [index, opcode, bytes] of insns) {
      opcodes.set(base + index, opcode);
      end = base + index + bytes / 8;
    }
    base = end;
  }
  return opcodes;
}
