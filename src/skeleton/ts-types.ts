/**
 * BTF types -> TypeScript declarations that describe exactly what `createBtfCodec` (src/btf/codec)
 * decodes and accepts, so a generated skeleton's types and its runtime values agree:
 *
 * - `_Bool` -> `boolean`; integers and bitfields of up to 32 bits -> `number`; wider -> `bigint`;
 *   pointers -> `bigint`; `float`/`double` -> `number`.
 * - `char[N]` -> `string` (`Uint8Array` with `charArrays: 'bytes'`); other byte arrays ->
 *   `Uint8Array`; other arrays -> `T[]` (the codec requires exactly N elements).
 * - named structs -> `interface`; a struct with anonymous struct/union members -> an intersection
 *   (their members are flattened into the parent, as C accesses them); unions -> "at least one
 *   member" (`({ a } | { b }) & Partial<{ a } & { b }>`): decoding gives all, encoding needs one.
 * - enums -> a const object of the enumerators plus a same-named type of their values (numbers,
 *   or bigints for 8-byte enums).
 * - typedefs and qualifiers are looked through; an anonymous struct/union/enum named only by a
 *   typedef takes the typedef's name.
 */
import type { Btf } from '../btf/btf.js';
import { BtfIntEncoding, type BtfComposite, type BtfEnum, type BtfEnum64 } from '../btf/types.js';
import { tsTypeName } from './names.js';

/** Options of {@link TsTypeEmitter}, mirroring the codec options the skeleton runtime uses. */
export interface TsTypeOptions {
  /** `char[]` as `'string'` (default) or `'bytes'` (`Uint8Array`). */
  readonly charArrays?: 'string' | 'bytes';
}

/** A declaration the emitter produced for one named BTF type. */
interface Declaration {
  readonly id: number;
  readonly name: string;
  readonly text: string;
}

/**
 * Turns BTF type ids into TypeScript type expressions, collecting a declaration for every named
 * struct, union and enum it meets (and for anonymous ones a typedef names). Names are unique in
 * the emitted module: {@link reserve} names the module uses for itself first.
 */
export class TsTypeEmitter {
  readonly #names = new Map<number, string>();
  readonly #used = new Set<string>();
  readonly #declared = new Map<number, Declaration | null>();
  readonly #typedefNames = new Map<number, string>();

  constructor(
    readonly btf: Btf,
    readonly options: TsTypeOptions = {},
  ) {
    // Anonymous composites/enums named through `typedef struct { ... } name_t;`.
    for (let id = 1; id < btf.typeCount; id++) {
      const t = btf.typeById(id);
      if (t.kind !== 'TYPEDEF') continue;
      const target = skipQualifiers(btf, t.type);
      if (target === 0) continue;
      const tt = btf.typeById(target);
      if ((tt.kind === 'STRUCT' || tt.kind === 'UNION' || tt.kind === 'ENUM' || tt.kind === 'ENUM64') && tt.name === '' && !this.#typedefNames.has(target)) {
        this.#typedefNames.set(target, t.name);
      }
    }
  }

  /** Marks a name as taken by the module itself (imports, generated interfaces). */
  reserve(name: string): void {
    this.#used.add(name);
  }

  /** A fresh module-level name derived from `base` (`Foo`, `Foo2`, ...). */
  uniqueName(base: string): string {
    let name = base;
    for (let i = 2; this.#used.has(name) || GLOBAL_NAMES.has(name); i++) name = `${base}${i}`;
    this.#used.add(name);
    return name;
  }

  /** The TypeScript type of a value of BTF type `id`, as the codec represents it. */
  typeOf(id: number): string {
    const r = this.btf.resolveType(id);
    if (r === 0) return 'never';
    const t = this.btf.typeById(r);
    switch (t.kind) {
      case 'INT':
        if ((t.encoding & BtfIntEncoding.BOOL) !== 0 && t.size === 1) return 'boolean';
        return t.bits > 32 ? 'bigint' : 'number';
      case 'PTR':
        return 'bigint';
      case 'FLOAT':
        return t.size === 4 || t.size === 8 ? 'number' : 'Uint8Array';
      case 'ARRAY':
        return this.#array(t.type);
      case 'STRUCT':
      case 'UNION':
        return this.#named(r) ?? this.compositeExpression(t);
      case 'ENUM':
      case 'ENUM64':
        return this.#named(r) ?? (enumLiterals(t) || 'number');
      default:
        return 'never';
    }
  }

  /** The type of a bitfield member (`bits` wide, of BTF type `id`). */
  bitfieldTypeOf(id: number, bits: number): string {
    const r = this.btf.resolveType(id);
    const t = r === 0 ? undefined : this.btf.typeById(r);
    if (t?.kind === 'INT' && (t.encoding & BtfIntEncoding.BOOL) !== 0) return 'boolean';
    if ((t?.kind === 'ENUM' || t?.kind === 'ENUM64') && (t.size <= 4 || bits > 32)) return this.typeOf(r);
    return bits > 32 ? 'bigint' : 'number';
  }

  /** Every declaration produced so far, in BTF id order (deterministic output). */
  declarations(): string[] {
    return [...this.#declared.values()]
      .filter((d): d is Declaration => d !== null)
      .sort((a, b) => a.id - b.id)
      .map((d) => d.text);
  }

  /** The declared name of type `id` (emitting its declaration), or undefined when anonymous. */
  #named(id: number): string | undefined {
    const t = this.btf.typeById(id);
    const cName = t.name !== '' ? t.name : this.#typedefNames.get(id);
    if (cName === undefined) return undefined;
    let name = this.#names.get(id);
    if (name === undefined) {
      name = this.uniqueName(tsTypeName(cName));
      this.#names.set(id, name);
    }
    if (!this.#declared.has(id)) {
      this.#declared.set(id, null);
      this.#declared.set(id, { id, name, text: this.#declare(id, name) });
    }
    return name;
  }

  /** The name declared for a struct/union/enum the caller names (`--type`), declaring it. */
  declare(id: number): string {
    return this.#named(id) ?? this.typeOf(id);
  }

  #declare(id: number, name: string): string {
    const t = this.btf.typeById(id);
    const label = `${t.kind === 'STRUCT' ? 'struct' : t.kind === 'UNION' ? 'union' : 'enum'} ${t.name === '' ? `(anon, typedef ${this.#typedefNames.get(id) ?? ''})` : t.name}`;
    const size = this.btf.sizeOf(id);
    const doc = `/** \`${label}\` (${size} byte${size === 1 ? '' : 's'}). */\n`;
    if (t.kind === 'ENUM' || t.kind === 'ENUM64') {
      const entries = enumEntries(t);
      const body = entries.length === 0 ? '{}' : `{\n${entries.map(([k, v]) => `  ${propertyKey(k)}: ${v},`).join('\n')}\n}`;
      const type = entries.length === 0 ? (t.size === 8 ? 'bigint' : 'number') : `(typeof ${name})[keyof typeof ${name}]`;
      return `${doc}export const ${name} = ${body} as const;\n${doc}export type ${name} = ${type};\n`;
    }
    if (t.kind !== 'STRUCT' && t.kind !== 'UNION') throw new Error(`not declarable: ${t.kind}`);
    const parts = this.#compositeParts(t);
    if (t.kind === 'STRUCT' && parts.anonymous.length === 0) {
      const body = parts.fields.map(([k, v]) => `  ${propertyKey(k)}: ${v};\n`).join('');
      return `${doc}export interface ${name} {\n${body}}\n`;
    }
    if (t.kind === 'STRUCT') {
      // Own members one per line, then the flattened anonymous members.
      const own = parts.fields.length === 0 ? [] : [`{\n${parts.fields.map(([k, v]) => `  ${propertyKey(k)}: ${v};\n`).join('')}}`];
      return `${doc}export type ${name} = ${[...own, ...parts.anonymous.map((a) => `(${a})`)].join(' & ')};\n`;
    }
    return `${doc}export type ${name} = ${this.compositeExpression(t)};\n`;
  }

  /** A struct or union as an inline type expression. */
  compositeExpression(t: BtfComposite): string {
    const parts = this.#compositeParts(t);
    if (t.kind === 'STRUCT') {
      const own = parts.fields.length === 0 && parts.anonymous.length > 0 ? [] : [objectLiteral(parts.fields)];
      return [...own, ...parts.anonymous.map((a) => `(${a})`)].join(' & ');
    }
    const alternatives = [...parts.fields.map((f) => objectLiteral([f])), ...parts.anonymous.map((a) => `(${a})`)];
    if (alternatives.length === 0) return '{}';
    if (alternatives.length === 1) return alternatives[0] as string;
    return `(${alternatives.join(' | ')}) & Partial<${alternatives.join(' & ')}>`;
  }

  /** Named members (with their types) and anonymous struct/union members (as expressions). */
  #compositeParts(t: BtfComposite): { fields: [string, string][]; anonymous: string[] } {
    const fields: [string, string][] = [];
    const anonymous: string[] = [];
    for (const m of t.members) {
      const r = this.btf.resolveType(m.type);
      const rt = r === 0 ? undefined : this.btf.typeById(r);
      if (m.name === '') {
        if (rt?.kind === 'STRUCT' || rt?.kind === 'UNION') anonymous.push(this.compositeExpression(rt));
        continue; // unnamed bitfields are padding: no value
      }
      if (rt === undefined) continue;
      const isBitfield = m.bitfieldSize !== 0 || (m.bitOffset & 7) !== 0 || (rt.kind === 'INT' && (rt.bits !== rt.size * 8 || rt.bitOffset !== 0));
      if (isBitfield) {
        const bits = m.bitfieldSize !== 0 ? m.bitfieldSize : rt.kind === 'INT' ? rt.bits : this.btf.sizeOf(r) * 8;
        fields.push([m.name, this.bitfieldTypeOf(m.type, bits)]);
      } else {
        fields.push([m.name, this.typeOf(m.type)]);
      }
    }
    return { fields, anonymous };
  }

  #array(elemId: number): string {
    if (isCharType(this.btf, elemId)) return this.options.charArrays === 'bytes' ? 'Uint8Array' : 'string';
    if (isByteType(this.btf, elemId)) return 'Uint8Array';
    const inner = this.typeOf(elemId);
    return /^[\w.[\]]+$/.test(inner) ? `${inner}[]` : `(${inner})[]`;
  }
}

/** Names a generated module must not shadow (it, or code importing it, uses them). */
const GLOBAL_NAMES = new Set([
  'Array', 'ArrayBuffer', 'BigInt', 'Boolean', 'DataView', 'Date', 'Error', 'Function', 'Map', 'Number', 'Object', 'Partial',
  'Promise', 'Readonly', 'Record', 'Set', 'String', 'Symbol', 'Uint8Array', 'WeakMap', 'URL', 'Buffer', 'JSON', 'Math',
  'Iterator', 'Generator', 'AsyncIterator', 'AsyncIterableIterator', 'Pick', 'Omit', 'Exclude', 'Extract',
]);

function skipQualifiers(btf: Btf, id: number): number {
  let cur = id;
  for (let i = 0; i < 32 && cur !== 0; i++) {
    const t = btf.typeById(cur);
    if (t.kind !== 'CONST' && t.kind !== 'VOLATILE' && t.kind !== 'RESTRICT' && t.kind !== 'TYPE_TAG') return cur;
    cur = t.type;
  }
  return cur;
}

/** `char` as the codec sees it: by name or CHAR encoding, through qualifiers but not typedefs. */
function isCharType(btf: Btf, id: number): boolean {
  const r = skipQualifiers(btf, id);
  if (r === 0) return false;
  const t = btf.typeById(r);
  return t.kind === 'INT' && t.size === 1 && ((t.encoding & BtfIntEncoding.CHAR) !== 0 || t.name === 'char');
}

/** A 1-byte non-bool integer through typedefs (`__u8`, `unsigned char`). */
function isByteType(btf: Btf, id: number): boolean {
  const r = btf.resolveType(id);
  if (r === 0) return false;
  const t = btf.typeById(r);
  return t.kind === 'INT' && t.size === 1 && t.bits === 8 && t.bitOffset === 0 && (t.encoding & BtfIntEncoding.BOOL) === 0;
}

/** Enumerator values normalized as the codec decodes them (sign from the kind flag). */
export function enumEntries(t: BtfEnum | BtfEnum64): [string, string][] {
  const bits = t.size * 8;
  return t.values.map((e) => {
    const v = BigInt(e.value);
    const n = t.signed ? BigInt.asIntN(bits, v) : BigInt.asUintN(bits, v);
    return [e.name, t.size === 8 ? `${n}n` : `${n}`];
  });
}

function enumLiterals(t: BtfEnum | BtfEnum64): string {
  return [...new Set(enumEntries(t).map(([, v]) => v))].join(' | ');
}

function objectLiteral(fields: readonly (readonly [string, string])[]): string {
  if (fields.length === 0) return '{}';
  return `{ ${fields.map(([k, v]) => `${propertyKey(k)}: ${v}`).join('; ')} }`;
}

/** A property key: the identifier itself when valid, else quoted. */
export function propertyKey(name: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(name) ? name : JSON.stringify(name);
}
