import type { Btf } from '../btf/btf.js';
import { BtfIntEncoding } from '../btf/types.js';
import type { Endianness } from '../elf/constants.js';
import { ObjectSpecError } from './errors.js';

/** Which kind of libbpf internal map a data section becomes (`enum libbpf_map_type`). */
export const DataSectionKind = { DATA: 'data', RODATA: 'rodata', BSS: 'bss', KCONFIG: 'kconfig' } as const;
/** One of the `DataSectionKind` values. */
export type DataSectionKind = (typeof DataSectionKind)[keyof typeof DataSectionKind];

/** How a variable's value is interpreted, from its BTF type (after typedefs and modifiers). */
export type VariableValueKind = 'bool' | 'int' | 'enum' | 'pointer' | 'other';

/** What {@link VariableSpec} is constructed from. */
export interface VariableSpecInit {
  readonly name: string;
  readonly offset: number;
  readonly size: number;
  /** `STB_LOCAL` symbol or `BTF_VAR_STATIC`: not exposed by skeletons. */
  readonly isStatic: boolean;
  /** BTF id of the VAR (0 when the object has no BTF for it). */
  readonly btfVarId: number;
  /** BTF id of the VAR's declared type (0 when unknown). */
  readonly btfTypeId: number;
  readonly valueKind: VariableValueKind;
  /** For `int`/`enum`: the value is signed. */
  readonly signed: boolean;
}

/**
 * A global variable inside a {@link DataSection}: a window onto the section's bytes. Values set
 * here are what the internal map is created with (libbpf: set `.rodata` before load).
 *
 * @example
 * ```ts
 * const spec = parseObjectSpec(bytes, { fileName: 'globals.bpf.o' });
 * spec.variables.get('min_duration_ns')?.set(1000n);
 * spec.variables.get('verbose')?.set(true);
 * ```
 */
export class VariableSpec {
  readonly name: string;
  /** Byte offset inside the section. */
  readonly offset: number;
  readonly size: number;
  readonly isStatic: boolean;
  readonly btfVarId: number;
  readonly btfTypeId: number;
  readonly valueKind: VariableValueKind;
  readonly signed: boolean;
  /** The section holding the bytes. */
  readonly section: DataSection;

  constructor(section: DataSection, init: VariableSpecInit) {
    this.section = section;
    this.name = init.name;
    this.offset = init.offset;
    this.size = init.size;
    this.isStatic = init.isStatic;
    this.btfVarId = init.btfVarId;
    this.btfTypeId = init.btfTypeId;
    this.valueKind = init.valueKind;
    this.signed = init.signed;
  }

  /** Read-only for programs (`.rodata*`, `.kconfig`); still settable before load. */
  get readonly(): boolean {
    return this.section.readonly;
  }

  /** A copy of the variable's current bytes. */
  bytes(): Uint8Array {
    return new Uint8Array(this.section.bytes.subarray(this.offset, this.offset + this.size));
  }

  /** Replaces the variable's bytes; `value` must be exactly `size` bytes long. */
  setBytes(value: Uint8Array): void {
    if (value.length !== this.size) {
      throw this.#error(`expects ${this.size} bytes, got ${value.length}`);
    }
    this.section.bytes.set(value, this.offset);
  }

  /**
   * The value of an integer, enum, bool or pointer variable: `bigint` (signedness from BTF), or
   * `boolean` for `bool`. Other types (structs, arrays) are read with `bytes()`.
   */
  get(): bigint | boolean {
    const bytes = this.#scalarBytes();
    let raw = 0n;
    for (let i = 0; i < bytes.length; i++) raw |= BigInt(bytes[this.#byteIndex(i)] as number) << BigInt(8 * i);
    if (this.signed) raw = BigInt.asIntN(bytes.length * 8, raw);
    return this.valueKind === 'bool' ? raw !== 0n : raw;
  }

  /** Sets an integer, enum, bool or pointer variable; throws when the value does not fit. */
  set(value: bigint | number | boolean): void {
    const bytes = this.#scalarBytes();
    const big = typeof value === 'boolean' ? (value ? 1n : 0n) : BigInt(value);
    const bits = BigInt(this.size * 8);
    const min = this.signed ? -(1n << (bits - 1n)) : 0n;
    const max = this.signed ? (1n << (bits - 1n)) - 1n : (1n << bits) - 1n;
    if (big < min || big > max) {
      throw this.#error(`value ${big} does not fit in ${this.signed ? 'signed' : 'unsigned'} ${this.size * 8}-bit`);
    }
    const unsigned = BigInt.asUintN(Number(bits), big);
    for (let i = 0; i < bytes.length; i++) bytes[this.#byteIndex(i)] = Number((unsigned >> BigInt(8 * i)) & 0xffn);
  }

  /** The variable's bytes (a view) when it holds a scalar; throws for structs and arrays. */
  #scalarBytes(): Uint8Array {
    if (this.valueKind === 'other') {
      throw this.#error('is not an integer, enum, bool or pointer; use bytes()/setBytes()');
    }
    return this.section.bytes.subarray(this.offset, this.offset + this.size);
  }

  /** Index of the i-th least significant byte in the object's byte order. */
  #byteIndex(i: number): number {
    return this.section.endianness === 'little' ? i : this.size - 1 - i;
  }

  #error(reason: string): ObjectSpecError {
    return new ObjectSpecError(`variable '${this.name}' ${reason}`, {
      section: this.section.name,
      offset: this.offset,
      symbol: this.name,
    });
  }
}

/** What {@link DataSection} is constructed from. */
export interface DataSectionInit {
  readonly name: string;
  readonly mapName: string;
  readonly kind: DataSectionKind;
  readonly sectionIndex: number;
  readonly bytes: Uint8Array;
  readonly btfTypeId: number;
  readonly endianness: Endianness;
}

/**
 * A global data section (`.data`, `.rodata`, `.bss`, `.data.*`, `.rodata.*`) or the synthesized
 * `.kconfig` area, with its initial contents and named variables. Each becomes a one-element
 * array map (libbpf's internal maps); `bytes` is that element's initial value.
 */
export class DataSection {
  /** ELF section name (`.kconfig` for the extern area). */
  readonly name: string;
  /** Name of the internal map, libbpf-style (`globals.rodata`, `.data.custom`). */
  readonly mapName: string;
  readonly kind: DataSectionKind;
  /** ELF section index (-1 for `.kconfig`). */
  readonly sectionIndex: number;
  /** Initial contents (zeros for `.bss` and `.kconfig`); variables read and write here. */
  readonly bytes: Uint8Array;
  /** BTF id of the section's DATASEC, 0 when the object has none (e.g. `.rodata.str1.1`). */
  readonly btfTypeId: number;
  readonly endianness: Endianness;
  /** Variables in offset order. */
  readonly variables: VariableSpec[] = [];

  constructor(init: DataSectionInit) {
    this.name = init.name;
    this.mapName = init.mapName;
    this.kind = init.kind;
    this.sectionIndex = init.sectionIndex;
    this.bytes = init.bytes;
    this.btfTypeId = init.btfTypeId;
    this.endianness = init.endianness;
  }

  /** Read-only for programs (`BPF_F_RDONLY_PROG`): `.rodata*` and `.kconfig`. */
  get readonly(): boolean {
    return this.kind === 'rodata' || this.kind === 'kconfig';
  }

  /** Adds a variable window onto this section (offsets must lie inside it). */
  addVariable(init: VariableSpecInit): VariableSpec {
    if (init.offset < 0 || init.offset + init.size > this.bytes.length) {
      throw new ObjectSpecError(
        `variable '${init.name}' (${init.size} bytes at ${init.offset}) lies outside the section (${this.bytes.length} bytes)`,
        { section: this.name, offset: init.offset, symbol: init.name },
      );
    }
    const v = new VariableSpec(this, init);
    this.variables.push(v);
    this.variables.sort((a, b) => a.offset - b.offset);
    return v;
  }

  /** The variable whose bytes include `offset`, if any (the first by offset when they overlap). */
  variableAt(offset: number): VariableSpec | undefined {
    return this.variables.find((v) => offset >= v.offset && offset < v.offset + Math.max(v.size, 1));
  }

  /** A deep copy with its own bytes and variables. */
  clone(): DataSection {
    const copy = new DataSection({ ...this, bytes: new Uint8Array(this.bytes) });
    for (const v of this.variables) copy.addVariable(v);
    return copy;
  }
}

/**
 * Classifies a variable's BTF type for {@link VariableSpec.get}/{@link VariableSpec.set}.
 * Without BTF, a symbol of 1/2/4/8 bytes is read as an unsigned integer.
 */
export function classifyVariableType(btf: Btf | undefined, typeId: number, size: number): { valueKind: VariableValueKind; signed: boolean } {
  if (btf === undefined || typeId === 0) {
    return { valueKind: [1, 2, 4, 8].includes(size) ? 'int' : 'other', signed: false };
  }
  const t = btf.typeById(btf.resolveType(typeId));
  switch (t.kind) {
    case 'INT':
      if ((t.encoding & BtfIntEncoding.BOOL) !== 0) return { valueKind: 'bool', signed: false };
      return { valueKind: [1, 2, 4, 8].includes(t.size) ? 'int' : 'other', signed: (t.encoding & BtfIntEncoding.SIGNED) !== 0 };
    case 'ENUM':
    case 'ENUM64':
      return { valueKind: 'enum', signed: t.signed };
    case 'PTR':
      return { valueKind: 'pointer', signed: false };
    default:
      return { valueKind: 'other', signed: false };
  }
}
