/**
 * `--set NAME=VALUE` of `bpf-ts run`/`load`: a global variable of the object (`.rodata`,
 * `.data`, `.bss`, custom `.data.*`/`.rodata.*` sections) set before load, the text parsed
 * through the variable's BTF type.
 */
import type { Btf } from '../btf/btf.js';
import { BtfIntEncoding } from '../btf/types.js';
import { btfTypeLabel, createBtfCodec, CodecError } from '../btf/codec/index.js';
import type { VariableSpec } from '../loader/data-section.js';
import type { ObjectSpec } from '../loader/object-spec.js';
import { CliError } from './context.js';

/** One `--set` assignment, split at the first `=`. */
export interface VariableAssignment {
  readonly name: string;
  readonly text: string;
}

/** Splits `NAME=VALUE`; the value may be empty (an empty string for a char array). */
export function parseAssignment(arg: string): VariableAssignment {
  const eq = arg.indexOf('=');
  if (eq <= 0) throw new CliError(`--set ${arg}: expected NAME=VALUE`);
  return { name: arg.slice(0, eq), text: arg.slice(eq + 1) };
}

/** C-style integer text: decimal, `0x` hex, `0o`/leading-0 octal, `0b` binary, optional sign. */
export function parseIntegerText(text: string): bigint | undefined {
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[bB][01]+|0[oO][0-7]+|0[0-7]*|[1-9][0-9]*)$/.exec(text.trim().replace(/_/g, ''));
  if (m === null) return undefined;
  const [, sign, digits] = m as unknown as [string, string, string];
  let v: bigint;
  if (/^0[0-7]+$/.test(digits)) v = BigInt(`0o${digits.slice(1)}`);
  else if (/^0[oO]/.test(digits)) v = BigInt(`0o${digits.slice(2)}`);
  else v = BigInt(digits);
  return sign === '-' ? -v : v;
}

function fail(a: VariableAssignment, type: string, why: string): CliError {
  return new CliError(`--set ${a.name}=${a.text}: ${why} (${a.name} is ${type})`);
}

/**
 * The JS value the BTF codec encodes for `text` of type `typeId`: integers (any size and
 * signedness, decimal/hex/octal/binary), `bool` (`true`/`false`/`1`/`0`), `char` (one
 * character or a number), enums (an enumerator name or a number), char arrays (the string),
 * floats, and arrays of those written `[a,b,c]`. Structs and pointers are refused.
 */
function textValue(btf: Btf, typeId: number, text: string, a: VariableAssignment, label: string): unknown {
  const id = btf.resolveType(typeId);
  const t = btf.typeById(id);
  switch (t.kind) {
    case 'INT': {
      if ((t.encoding & BtfIntEncoding.BOOL) !== 0) {
        if (/^(true|1)$/i.test(text)) return true;
        if (/^(false|0)$/i.test(text)) return false;
        throw fail(a, label, `'${text}' is not a bool (true, false, 1, 0)`);
      }
      const n = parseIntegerText(text);
      if (n !== undefined) {
        const signed = (t.encoding & BtfIntEncoding.SIGNED) !== 0;
        const bits = BigInt(t.bits > 0 ? t.bits : t.size * 8);
        const min = signed ? -(1n << (bits - 1n)) : 0n;
        const max = signed ? (1n << (bits - 1n)) - 1n : (1n << bits) - 1n;
        if (n < min || n > max) throw fail(a, label, `${n} is out of range (${min}..${max})`);
        return n;
      }
      if (t.size === 1 && [...text].length === 1 && Buffer.byteLength(text) === 1) return BigInt(text.charCodeAt(0));
      throw fail(a, label, `'${text}' is not an integer`);
    }
    case 'ENUM':
    case 'ENUM64': {
      const byName = (t.values as readonly { name: string }[]).find((v) => v.name === text);
      if (byName !== undefined) return text;
      const n = parseIntegerText(text);
      if (n !== undefined) return n;
      const names = t.values.map((v) => v.name).join(', ');
      throw fail(a, label, `'${text}' is neither an enumerator (${names}) nor a number`);
    }
    case 'FLOAT': {
      const f = Number(text);
      if (text.trim() === '' || Number.isNaN(f)) throw fail(a, label, `'${text}' is not a number`);
      return f;
    }
    case 'ARRAY': {
      const elem = btf.typeById(btf.resolveType(t.type));
      const isChar = elem.kind === 'INT' && elem.size === 1 && ((elem.encoding & BtfIntEncoding.CHAR) !== 0 || elem.name === 'char');
      if (isChar) {
        if (Buffer.byteLength(text) > t.nelems) throw fail(a, label, `'${text}' is ${Buffer.byteLength(text)} bytes; the array holds ${t.nelems}`);
        return text;
      }
      const m = /^\[(.*)\]$/s.exec(text.trim());
      const items = m === null ? text.split(',') : m[1]!.split(',');
      if (items.length !== t.nelems) throw fail(a, label, `${items.length} elements given; the array has ${t.nelems} (write a,b,c or [a,b,c])`);
      return items.map((s) => textValue(btf, t.type, s.trim(), a, label));
    }
    default:
      throw fail(a, label, `cannot be set from the command line (only integers, bool, enums, floats, char arrays and arrays of them)`);
  }
}

/** The variable `a` names, or a CliError listing the object's variables. */
function findVariable(spec: ObjectSpec, a: VariableAssignment): VariableSpec {
  const v = spec.variables.get(a.name);
  if (v !== undefined) return v;
  const names = [...spec.variables.keys()].sort();
  throw new CliError(`--set ${a.name}=${a.text}: the object has no global variable '${a.name}' (${names.length === 0 ? 'it has none' : `variables: ${names.join(', ')}`})`);
}

/**
 * Applies `--set` assignments to the spec's variables before load. Throws {@link CliError} for
 * unknown names and values that do not parse or fit, naming the variable and its C type.
 *
 * @example
 * ```ts
 * applyAssignments(spec, [parseAssignment('min_duration_ns=1000000'), parseAssignment('comm=bash')]);
 * ```
 */
export function applyAssignments(spec: ObjectSpec, assignments: readonly VariableAssignment[]): void {
  for (const a of assignments) {
    const v = findVariable(spec, a);
    const btf = spec.btf;
    if (btf === undefined || v.btfTypeId === 0) {
      // No BTF: integers by size only.
      const n = parseIntegerText(a.text);
      if (n === undefined) throw new CliError(`--set ${a.name}=${a.text}: '${a.text}' is not an integer (the object has no BTF for ${a.name})`);
      try {
        v.set(n);
      } catch (e) {
        throw new CliError(`--set ${a.name}=${a.text}: ${(e as Error).message}`, 255, { cause: e });
      }
      continue;
    }
    const label = btfTypeLabel(btf, v.btfTypeId);
    const value = textValue(btf, v.btfTypeId, a.text, a, label);
    let bytes: Uint8Array;
    try {
      bytes = createBtfCodec(btf, v.btfTypeId).encode(value);
    } catch (e) {
      if (e instanceof CodecError) throw fail(a, label, e.message.replace(/^[^:]*: /, ''));
      throw e;
    }
    if (bytes.length !== v.size) throw fail(a, label, `encodes to ${bytes.length} bytes; the variable has ${v.size}`);
    v.setBytes(bytes);
  }
}
