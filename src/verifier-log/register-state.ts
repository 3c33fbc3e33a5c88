import type {
  RegisterMap,
  RegisterState,
  RegisterValue,
  ScalarBounds,
  StackSlot,
  VerifierState,
} from './records.js';

// The printers are kernel/bpf/log.c print_verifier_state() and print_reg_state(): tokens are
// separated by spaces, but values nest parentheses that contain spaces and semicolons
// (`var_off=(0x0; 0xff)`), so splitting is depth-aware. Nothing here throws: a token that does
// not parse is kept in `other`, a number that does not parse is left out.

const BOUND_KEYS = ['smin', 'smax', 'umin', 'umax', 'smin32', 'smax32', 'umin32', 'umax32'] as const;

const OPEN_PAREN = 0x28;
const CLOSE_PAREN = 0x29;

/** Splits `text` at `separator` characters that are outside any parentheses. */
export function splitTopLevel(text: string, separator: string): string[] {
  const sep = separator.charCodeAt(0);
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === OPEN_PAREN) depth++;
    else if (c === CLOSE_PAREN) depth = depth > 0 ? depth - 1 : 0;
    else if (c === sep && depth === 0) {
      if (i > start) parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  if (text.length > start) parts.push(text.slice(start));
  return parts;
}

function toBigInt(text: string): bigint | undefined {
  if (!/^-?(0x[0-9a-fA-F]+|\d+)$/.test(text)) return undefined;
  const negative = text.startsWith('-');
  const magnitude = BigInt(negative ? text.slice(1) : text);
  return negative ? -magnitude : magnitude;
}

function toInt(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = toBigInt(text);
  if (value === undefined) return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** `var_off=(0x0; 0xffffffff)` -> value and mask. */
function parseTnum(text: string): { value: bigint; mask: bigint } | undefined {
  const m = /^\(\s*([^;\s]+)\s*;\s*([^)\s]+)\s*\)$/.exec(text);
  if (!m) return undefined;
  const value = toBigInt(m[1] ?? '');
  const mask = toBigInt(m[2] ?? '');
  return value === undefined || mask === undefined ? undefined : { value, mask };
}

/** The `k=v,k2=k3=v2` list inside a register's parentheses; chained keys share one value. */
function parseFields(args: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const part of splitTopLevel(args, ',')) {
    const item = part.trim();
    // Values never contain '=' but may contain parentheses (var_off), so the value is what
    // follows the last '=' and every '='-separated word before it is a key.
    const lastEq = item.lastIndexOf('=');
    if (lastEq < 0) {
      fields[item] = '';
      continue;
    }
    const value = item.slice(lastEq + 1);
    let start = 0;
    while (start <= lastEq) {
      const eq = item.indexOf('=', start);
      fields[item.slice(start, eq)] = value;
      start = eq + 1;
    }
  }
  return fields;
}

type BoundKey = (typeof BOUND_KEYS)[number];
// Kernels before 5.19 (log.c's predecessor in verifier.c) spelled the bounds `umax_value=`,
// `s32_min_value=`, ...; they mean the same.
const BOUND_KEY_OF: ReadonlyMap<string, BoundKey> = new Map<string, BoundKey>([
  ...BOUND_KEYS.map((k): [string, BoundKey] => [k, k]),
  ['smin_value', 'smin'], ['smax_value', 'smax'], ['umin_value', 'umin'], ['umax_value', 'umax'],
  ['s32_min_value', 'smin32'], ['s32_max_value', 'smax32'], ['u32_min_value', 'umin32'], ['u32_max_value', 'umax32'],
]);

function boundsOf(fields: Readonly<Record<string, string>>, known: bigint | undefined): ScalarBounds {
  const bounds: { -readonly [K in keyof ScalarBounds]: ScalarBounds[K] } = {};
  if (known !== undefined) {
    bounds.smin = bounds.smax = bounds.umin = bounds.umax = known;
  }
  for (const key in fields) {
    const bound = BOUND_KEY_OF.get(key);
    if (bound === undefined) continue;
    const n = toBigInt(fields[key] ?? '');
    if (n !== undefined) bounds[bound] = n;
  }
  const varOff = fields['var_off'];
  const tnum = varOff === undefined ? undefined : parseTnum(varOff);
  if (tnum) bounds.varOff = tnum;
  return bounds;
}

function mapOf(fields: Readonly<Record<string, string>>): RegisterMap | undefined {
  const name = fields['map'];
  if (name === undefined) return undefined;
  const keySize = toInt(fields['ks']);
  const valueSize = toInt(fields['vs']);
  return {
    name,
    ...(keySize !== undefined ? { keySize } : {}),
    ...(valueSize !== undefined ? { valueSize } : {}),
  };
}

/**
 * Parses what follows `R1=` (or `fp-8=` for a spilled register): `scalar(smin=0,umax=7)`,
 * `map_value_or_null(id=1,map=m,ks=4,vs=8)`, `fp-8`, `ctx()`, `pkt(off=14,r=34)`, `5`, `0x1f`.
 *
 * @example
 * ```ts
 * parseRegisterValue('map_value_or_null(id=1,map=counts,ks=4,vs=8)').nullable // true
 * ```
 */
export function parseRegisterValue(raw: string): RegisterValue {
  const known = toBigInt(raw);
  if (known !== undefined) {
    return { raw, type: 'scalar', nullable: false, value: known, bounds: boundsOf({}, known), fields: {} };
  }
  const fp = /^fp(-?\d+)$/.exec(raw);
  if (fp) {
    const offset = toInt(fp[1]);
    return { raw, type: 'fp', nullable: false, ...(offset !== undefined ? { offset } : {}), bounds: {}, fields: {} };
  }
  // A log cut mid-value leaves `scalar(smin=0,var_off=(0x0; `: keep the type and whatever
  // arguments are there rather than giving up on the token.
  const m = /^([A-Za-z_][\w.]*)(\()?/.exec(raw);
  // Before 5.18 scalars printed as `inv` (`invP` once marked precise).
  const type = m?.[1] === 'inv' || m?.[1] === 'invP' ? 'scalar' : (m?.[1] ?? raw);
  const args = m?.[2] !== undefined ? raw.slice(m[0].length).replace(/\)$/, '') : undefined;
  const fields = args !== undefined ? parseFields(args) : {};
  const id = toInt(fields['id']);
  const refObjId = toInt(fields['ref_obj_id']);
  const offset = toInt(fields['off']);
  const map = mapOf(fields);
  return {
    raw,
    type,
    nullable: type.includes('_or_null'),
    ...(offset !== undefined ? { offset } : {}),
    ...(id !== undefined ? { id } : {}),
    ...(refObjId !== undefined ? { refObjId } : {}),
    ...(map !== undefined ? { map } : {}),
    bounds: boundsOf(fields, undefined),
    fields,
  };
}

const REGISTER_TOKEN = /^R(\d+)(?:_([A-Za-z]+))?=(.*)$/s;
const STACK_TOKEN = /^fp(-\d+)(?:_([A-Za-z]+))?=(.*)$/s;
const SLOT_TYPES = /^[mr0?difI]{8}$/;

/** Parses one `fp-8=...` token's value into slot types or a spilled register. */
function parseStackSlot(offsetText: string, liveness: string | undefined, value: string, raw: string): StackSlot | undefined {
  const offset = toInt(offsetText);
  if (offset === undefined) return undefined;
  const base = { offset, raw, ...(liveness !== undefined ? { liveness } : {}) };
  if (SLOT_TYPES.test(value)) return { ...base, slotTypes: value };
  return { ...base, spilled: parseRegisterValue(value) };
}

/**
 * Parses a printed verifier state: `frame1: R1_w=ctx() R10=fp0 fp-8=mmmm???? refs=2`.
 * Returns undefined when the text holds no register, stack slot or `refs=` token at all, so
 * callers can tell a state from other text that follows a `;`.
 *
 * @example
 * ```ts
 * const state = parseVerifierState('R1=ctx() R10=fp0 fp-8=mmmm????');
 * state?.registers.map((r) => `${r.reg}:${r.type}`); // ['R1:ctx', 'R10:fp']
 * ```
 */
export function parseVerifierState(text: string): VerifierState | undefined {
  const registers: RegisterState[] = [];
  const stack: StackSlot[] = [];
  const refs: number[] = [];
  const other: string[] = [];
  let frame: number | undefined;
  for (const token of splitTopLevel(text.trim(), ' ')) {
    const frameMatch = /^frame(\d+):$/.exec(token);
    if (frameMatch) {
      frame = toInt(frameMatch[1]);
      continue;
    }
    const reg = REGISTER_TOKEN.exec(token);
    if (reg) {
      const regno = toInt(reg[1]);
      if (regno !== undefined) {
        registers.push({
          reg: `R${regno}`,
          regno,
          ...(reg[2] !== undefined ? { liveness: reg[2] } : {}),
          ...parseRegisterValue(reg[3] ?? ''),
        });
        continue;
      }
    }
    const slot = STACK_TOKEN.exec(token);
    if (slot) {
      const parsed = parseStackSlot(slot[1] ?? '', slot[2], slot[3] ?? '', token);
      if (parsed) {
        stack.push(parsed);
        continue;
      }
    }
    const refsMatch = /^refs=([\d,]+)$/.exec(token);
    if (refsMatch) {
      for (const id of (refsMatch[1] ?? '').split(',')) {
        const n = toInt(id);
        if (n !== undefined) refs.push(n);
      }
      continue;
    }
    other.push(token);
  }
  if (registers.length === 0 && stack.length === 0 && refs.length === 0) return undefined;
  return { ...(frame !== undefined ? { frame } : {}), registers, stack, refs, other };
}
