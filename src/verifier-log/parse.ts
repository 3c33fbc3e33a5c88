import type {
  InstructionRecord,
  SourceLocation,
  StateRecord,
  SummaryRecord,
  VerifierLog,
  VerifierLogRecord,
  VerifierState,
} from './records.js';
import { parseVerifierState } from './register-state.js';

// Line shapes of kernel/bpf/verifier.c and kernel/bpf/log.c (6.x). Every pattern is anchored
// and linear, so a hostile or corrupted log costs time proportional to its length.
const FUNCTION_LINE = /^func#(\d+) @(\d+)$/;
const LIVE_REGS_HEADING = /^Live regs before insn:$/;
const LIVE_REGS_LINE = /^\s+(\d+): ([.0-9]{10,12}) (.*)$/;
const SOURCE_LINE = /^;(.*)$/;
const SOURCE_FILE_LINE = /^([^\s@]+):(\d+)$/;
const SUMMARY_LINE = /^processed (\d+) insns? \(limit (\d+)\)(.*)$/;
const VERIFICATION_TIME = /^verification time \d+ usec$/;
const STACK_DEPTH = /^stack depth [\d+]+$/;
const PRECISION_LINE = /^mark_precise: /;
// 6.18's stack liveness pass (kernel/bpf/liveness.c) at level 2: `(0) frame 0 insn 7 +live -8`.
const STACK_LIVENESS_LINE = /^\(\d+\) (?:frame \d+ insn \d+ |live stack update )/;
const BRANCH_STATE = /^from (\d+) to (\d+)(?: \(speculative execution\))?: ?(.*)$/;
const INSTRUCTION_LINE = /^(\d+): \(([0-9a-f]{2})\) (.*)$/;
const PATCHED_INSTRUCTION = /^(\d+): (<[^>]*>)$/;
const INDEXED_STATE = /^(\d+): (.*)$/;
const LABELLED_STATE = /^(cur state|old state|caller|callee|returning from callee|to caller at \d+):\s*(.*)$/;
const STATE_START = /^(?:frame\d+: )?(?:R\d+|fp-\d+)(?:_[A-Za-z]+)?=/;
// Level 1 glues the state at a branch target to the jump that reached it: `5: (55) if r2 != 0x0
// goto pc-4 2: R1=...` (the jump, then insn 2's state).
const GLUED_STATE = /^(.*?) (\d+): ((?:frame\d+: )?(?:R\d+|fp-\d+)(?:_[A-Za-z]+)?=.*)$/;

const EMPTY_STATE: VerifierState = { registers: [], stack: [], refs: [], other: [] };

function int(text: string | undefined): number {
  return Number.parseInt(text ?? '', 10);
}

/** Splits `code @ file:line` at its last ` @ ` (found without backtracking regexes). */
function sourceAt(body: string): { text: string; file: string; line: number } | undefined {
  const at = body.lastIndexOf('@ ');
  if (at < 0 || (at > 0 && body[at - 1] !== ' ')) return undefined;
  const m = SOURCE_FILE_LINE.exec(body.slice(at + 2));
  if (!m) return undefined;
  return { text: body.slice(0, at).trim(), file: m[1] ?? '', line: int(m[2]) };
}

function parseSource(body: string): SourceLocation {
  return sourceAt(body) ?? { text: body.trim() };
}

// What follows `;` after an instruction is its state (`R1_w=...`, `fp-8=...`, `frame1: ...`,
// `refs=...`), unless it is the line info the kernel glued on.
const TRAILER_STATE = /^(?:frame\d+: )?(?:R\d+|fp-?\d+|refs)(?:_[A-Za-z]+)?=/;

/**
 * An instruction record whose `state` is parsed on first access: a 16 MiB log holds a few
 * hundred thousand states, and a diagnosis reads only a handful of them.
 */
function instructionRecord(fields: Omit<InstructionRecord, 'state'>, stateText: string | undefined): InstructionRecord {
  if (stateText === undefined) return fields;
  let cached: VerifierState | undefined | null = null;
  return Object.defineProperty({ ...fields }, 'state', {
    enumerable: true,
    get(): VerifierState | undefined {
      if (cached === null) cached = parseVerifierState(stateText);
      return cached;
    },
  });
}

/** Index of the first `;` outside parentheses (states contain `var_off=(a; b)`), or -1. */
function topLevelSemicolon(text: string): number {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') depth = Math.max(0, depth - 1);
    else if (c === ';' && depth === 0) return i;
  }
  return -1;
}

function parseInstruction(lineNo: number, raw: string, m: RegExpExecArray): VerifierLogRecord[] {
  const insnIndex = int(m[1]);
  const opcode = Number.parseInt(m[2] ?? '', 16);
  const rest = m[3] ?? '';
  const semicolon = topLevelSemicolon(rest);
  let text = semicolon >= 0 ? rest.slice(0, semicolon) : rest;
  const trailer = semicolon >= 0 ? rest.slice(semicolon + 1).trim() : undefined;
  let glued: StateRecord | undefined;
  const g = GLUED_STATE.exec(text);
  if (g) {
    const state = parseVerifierState(g[3] ?? '');
    if (state) {
      text = g[1] ?? text;
      glued = { kind: 'state', lineNo, raw, insnIndex: int(g[2]), state };
    }
  }
  let stateText: string | undefined;
  let source: SourceLocation | undefined;
  if (trailer !== undefined) {
    source = sourceAt(trailer);
    if (!source) {
      if (TRAILER_STATE.test(trailer)) stateText = trailer;
      else source = { text: trailer };
    }
  }
  const records: VerifierLogRecord[] = [
    instructionRecord({ kind: 'instruction', lineNo, raw, insnIndex, opcode, text: text.trim() }, stateText),
  ];
  if (glued) records.push(glued);
  if (source) records.push({ kind: 'source', lineNo, raw, source });
  return records;
}

function parseSummary(lineNo: number, raw: string, m: RegExpExecArray): SummaryRecord {
  const counters: Record<string, number> = {};
  for (const pair of (m[3] ?? '').matchAll(/(\w+) (\d+)/g)) {
    if (pair[1] !== undefined) counters[pair[1]] = int(pair[2]);
  }
  return { kind: 'summary', lineNo, raw, insnsProcessed: int(m[1]), insnLimit: int(m[2]), counters };
}

/** Classifies one line (never throws; unrecognised lines become `unknown`). */
function parseLine(lineNo: number, raw: string): VerifierLogRecord[] {
  let m: RegExpExecArray | null;
  if ((m = INSTRUCTION_LINE.exec(raw))) return parseInstruction(lineNo, raw, m);
  if ((m = SOURCE_LINE.exec(raw))) return [{ kind: 'source', lineNo, raw, source: parseSource(m[1] ?? '') }];
  if ((m = PATCHED_INSTRUCTION.exec(raw))) {
    return [{ kind: 'instruction', lineNo, raw, insnIndex: int(m[1]), text: m[2] ?? '' }];
  }
  if ((m = FUNCTION_LINE.exec(raw))) return [{ kind: 'function', lineNo, raw, funcIndex: int(m[1]), insnIndex: int(m[2]) }];
  if ((m = LIVE_REGS_LINE.exec(raw))) {
    const live: number[] = [];
    const column = m[2] ?? '';
    for (let r = 0; r < column.length; r++) if (column[r] !== '.') live.push(r);
    return [{ kind: 'live-registers', lineNo, raw, insnIndex: int(m[1]), live, text: m[3] ?? '' }];
  }
  if ((m = SUMMARY_LINE.exec(raw))) return [parseSummary(lineNo, raw, m)];
  if ((m = BRANCH_STATE.exec(raw))) {
    const rest = m[3] ?? '';
    const state = parseVerifierState(rest);
    return [{
      kind: 'state',
      lineNo,
      raw,
      fromInsn: int(m[1]),
      insnIndex: int(m[2]),
      ...(state ? {} : { label: rest.trim() }),
      state: state ?? EMPTY_STATE,
    }];
  }
  if ((m = INDEXED_STATE.exec(raw)) && STATE_START.test(m[2] ?? '')) {
    const state = parseVerifierState(m[2] ?? '');
    if (state) return [{ kind: 'state', lineNo, raw, insnIndex: int(m[1]), state }];
  }
  if ((m = LABELLED_STATE.exec(raw))) {
    const state = parseVerifierState(m[2] ?? '');
    return [{ kind: 'state', lineNo, raw, label: m[1] ?? '', state: state ?? EMPTY_STATE }];
  }
  if (STATE_START.test(raw.trim())) {
    const state = parseVerifierState(raw);
    if (state) return [{ kind: 'state', lineNo, raw, state }];
  }
  if (LIVE_REGS_HEADING.test(raw)) return [{ kind: 'note', lineNo, raw, topic: 'live-registers-heading' }];
  if (VERIFICATION_TIME.test(raw)) return [{ kind: 'note', lineNo, raw, topic: 'verification-time' }];
  if (STACK_DEPTH.test(raw)) return [{ kind: 'note', lineNo, raw, topic: 'stack-depth' }];
  if (PRECISION_LINE.test(raw)) return [{ kind: 'note', lineNo, raw, topic: 'precision' }];
  if (STACK_LIVENESS_LINE.test(raw)) return [{ kind: 'note', lineNo, raw, topic: 'stack-liveness' }];
  return [{ kind: 'unknown', lineNo, raw }];
}

/**
 * Parses a verifier log (level 1 or 2, Linux 6.x format) into records, one or two per line,
 * and finds the error, the instruction it happened at and the source line of that instruction.
 *
 * Never throws: lines it does not know are kept as `unknown` records, and a log cut by the
 * kernel's buffer (head or tail) is parsed as far as it goes and flagged `truncated`. The error
 * lines are the unrecognised lines after the last instruction the verifier printed (before the
 * walk, when it printed none: errors of the CFG check, BTF or func_info).
 *
 * @example
 * ```ts
 * const log = parseVerifierLog(rawLog);
 * log.errors;       // ["R0 invalid mem access 'map_value_or_null'"]
 * log.failedInsn;   // 7
 * log.failedSource; // { text: 'return *value;', file: 'prog.bpf.c', line: 18 }
 * ```
 */
export function parseVerifierLog(text: string): VerifierLog {
  // The buffer is a C string: whatever follows the first NUL is stale memory.
  const nul = text.indexOf('\0');
  const body = nul >= 0 ? text.slice(0, nul) : text;
  const lines = body.split('\n');
  const parsed: VerifierLogRecord[] = [];
  // Level 2 prints `caller:` / `callee:` on a line of their own and the state on the next one.
  let pendingLabel: string | undefined;
  for (let lineNo = 0; lineNo < lines.length; lineNo++) {
    const raw = (lines[lineNo] ?? '').replace(/\r$/, '');
    if (raw.trim().length === 0) continue;
    for (const record of parseLine(lineNo, raw)) {
      if (record.kind === 'state' && pendingLabel !== undefined && record.label === undefined && record.insnIndex === undefined) {
        parsed.push({ ...record, label: pendingLabel });
      } else {
        parsed.push(record);
      }
      pendingLabel = record.kind === 'state' && record.state.registers.length === 0 && record.state.stack.length === 0
        && (record.label === 'caller' || record.label === 'callee')
        ? record.label
        : undefined;
    }
  }

  let lastInsnAt = -1;
  for (let i = 0; i < parsed.length; i++) if (parsed[i]?.kind === 'instruction') lastInsnAt = i;
  const records = parsed.map((r, i): VerifierLogRecord =>
    r.kind === 'unknown' && i > lastInsnAt ? { kind: 'error', lineNo: r.lineNo, raw: r.raw, message: r.raw.trim() } : r,
  );

  const errors: string[] = [];
  let summary: SummaryRecord | undefined;
  let firstInsn: number | undefined;
  for (const r of records) {
    if (r.kind === 'error') errors.push(r.message);
    else if (r.kind === 'summary') summary = r;
    else if (r.kind === 'instruction' && firstInsn === undefined) firstInsn = r.insnIndex;
  }

  const last = records[lastInsnAt];
  const failedInsn = last?.kind === 'instruction' ? last.insnIndex : undefined;
  let failedSource: SourceLocation | undefined;
  for (let i = lastInsnAt - 1; i >= 0; i--) {
    const r = records[i];
    if (r?.kind === 'source' && r.source.line !== 0 && r.lineNo !== last?.lineNo) {
      failedSource = r.source;
      break;
    }
  }

  return {
    records,
    errors,
    ...(failedInsn !== undefined ? { failedInsn } : {}),
    ...(failedSource !== undefined ? { failedSource } : {}),
    ...(summary !== undefined ? { insnsProcessed: summary.insnsProcessed } : {}),
    truncated: summary === undefined || (firstInsn !== undefined && firstInsn !== 0),
  };
}
