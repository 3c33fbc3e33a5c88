import { BtfDumpError } from './c-dump-error.js';
import { BtfLayout } from './c-dump-layout.js';
import { CNameResolver } from './c-dump-names.js';
import { bitPadding } from './c-dump-padding.js';
import type { BtfComposite, BtfEnum, BtfEnum64, BtfType, BtfTypeTable } from './types.js';

const NOT_EMITTED = 0;
const EMITTING = 1;
const EMITTED = 2;

/** libbpf indents with at most 13 tabs, however deep anonymous types nest. */
const MAX_INDENT = 13;
const INDENTS: readonly string[] = Array.from({ length: MAX_INDENT + 1 }, (_, n) => '\t'.repeat(n));

function indent(level: number): string {
  return INDENTS[Math.min(level, MAX_INDENT)] ?? '';
}

/**
 * GCC's BTF for Arm SIMD code has typedefs to internal `__PolyN_t` types that clang lacks;
 * libbpf defines them as the equivalent standard integers when it meets them.
 */
const MISSING_BASE_TYPES: ReadonlyMap<string, string> = new Map([
  ['__Poly8_t', 'unsigned char'],
  ['__Poly16_t', 'unsigned short'],
  ['__Poly64_t', 'unsigned long long'],
  ['__Poly128_t', 'unsigned __int128'],
]);

/** Modifier kinds that libbpf drops where C has no place for them (arrays, functions). */
function isModifier(t: BtfType): boolean {
  return t.kind === 'VOLATILE' || t.kind === 'CONST' || t.kind === 'RESTRICT' || t.kind === 'TYPE_TAG';
}

/**
 * How a {@link CTypeEmitter} writes what BTF alone does not decide.
 *
 * @example
 * ```ts
 * const options: CTypeEmitterOptions = { pointerSize: pointerSizeOf(btf), enumModes: false };
 * ```
 */
export interface CTypeEmitterOptions {
  /** Bytes in a pointer and a `long` of the target (see `pointerSizeOf`). */
  readonly pointerSize: number;
  /** Give 1- and 8-byte enums `__attribute__((mode(byte|word)))` (see `CDumpOptions`). */
  readonly enumModes: boolean;
}

/**
 * Writes BTF types as C definitions, the way libbpf's `btf_dump` does: forward declarations
 * where a pointer cycle needs one, anonymous types inlined at their use, declarators built
 * inside-out (`int (*fn[4])(void *)`), struct layout reproduced with bitfields, padding members
 * and `__attribute__((packed))`. Stateful: each type is defined once per emitter, and names get
 * their `___N` suffixes in print order.
 *
 * @example
 * ```ts
 * const emitter = new CTypeEmitter(btf, { pointerSize: pointerSizeOf(btf), enumModes: false });
 * for (const id of order.definitionsFor(rootId)) emitter.emitType(id);
 * const text = emitter.text();
 * ```
 */
export class CTypeEmitter {
  readonly #btf: BtfTypeTable;
  readonly #pointerSize: number;
  readonly #enumModes: boolean;
  readonly #layout: BtfLayout;
  readonly #names: CNameResolver;
  readonly #emitState: Uint8Array;
  readonly #fwdEmitted: Uint8Array;
  #text = '';

  constructor(btf: BtfTypeTable, options: CTypeEmitterOptions) {
    this.#btf = btf;
    this.#pointerSize = options.pointerSize;
    this.#enumModes = options.enumModes;
    this.#layout = new BtfLayout(btf, options.pointerSize);
    this.#names = new CNameResolver(btf);
    this.#emitState = new Uint8Array(btf.typeCount);
    this.#emitState[0] = EMITTED;
    this.#fwdEmitted = new Uint8Array(btf.typeCount);
  }

  /** Everything written so far. */
  text(): string {
    return this.#text;
  }

  // V8 concatenates into ropes: cheaper than collecting millions of fragments in an array.
  #put(fragment: string): void {
    this.#text += fragment;
  }

  /**
   * Writes the definition of `id` (and forward declarations it needs) unless already written.
   * `containerId` is the struct/typedef being defined around this reference, 0 at top level.
   */
  emitType(id: number, containerId = 0): void {
    const state = this.#emitState[id];
    if (state === EMITTED) return;
    const t = this.#btf.typeById(id);
    if (state === EMITTING) {
      this.#emitForwardWhileEmitting(id, t, containerId);
      return;
    }
    const topLevel = containerId === 0;
    switch (t.kind) {
      case 'INT': {
        // libbpf resolves the INT's name here, so it takes its slot in the tag namespace.
        const name = this.#names.tagName(id);
        const alias = MISSING_BASE_TYPES.get(name);
        if (alias !== undefined) this.#put(`typedef ${alias} ${name};\n\n`);
        this.#emitState[id] = EMITTED;
        break;
      }
      case 'ENUM':
      case 'ENUM64':
        if (topLevel) {
          this.#emitEnumDef(id, t, 0);
          this.#put(';\n\n');
        }
        this.#emitState[id] = EMITTED;
        break;
      case 'PTR':
      case 'VOLATILE':
      case 'CONST':
      case 'RESTRICT':
      case 'TYPE_TAG':
      case 'ARRAY':
        this.emitType(t.type, containerId);
        break;
      case 'FWD':
        this.#put(`${t.union ? 'union' : 'struct'} ${this.#names.tagName(id)};\n\n`);
        this.#emitState[id] = EMITTED;
        break;
      case 'TYPEDEF':
        this.#emitState[id] = EMITTING;
        this.emitType(t.type, id);
        // Someone may have needed the typedef through a pointer meanwhile and got it already.
        if (this.#fwdEmitted[id] === 0 && !isCompilerBuiltin(t)) {
          this.#emitTypedefDef(id, t.type, 0);
          this.#put(';\n\n');
        }
        this.#emitState[id] = EMITTED;
        break;
      case 'STRUCT':
      case 'UNION':
        this.#emitState[id] = EMITTING;
        if (topLevel || t.name === '') {
          // Members get written out in full, so what they use must be declared first.
          const memberContainer = t.name === '' ? containerId : id;
          for (const m of t.members) this.emitType(m.type, memberContainer);
        } else if (this.#fwdEmitted[id] === 0 && id !== containerId) {
          this.#put(`${this.#structKeyword(t)} ${this.#names.tagName(id)};\n\n`);
          this.#fwdEmitted[id] = 1;
        }
        if (topLevel) {
          this.#emitStructDef(id, t, 0);
          this.#put(';\n\n');
          this.#emitState[id] = EMITTED;
        } else {
          this.#emitState[id] = NOT_EMITTED;
        }
        break;
      case 'FUNC_PROTO':
        this.emitType(t.returnType, containerId);
        for (const p of t.params) this.emitType(p.type, containerId);
        break;
      default:
        break;
    }
  }

  /** A type reached again while its own definition is being written: a pointer cycle. */
  #emitForwardWhileEmitting(id: number, t: BtfType, containerId: number): void {
    if (this.#fwdEmitted[id] !== 0) return;
    if (t.kind === 'STRUCT' || t.kind === 'UNION') {
      // A struct pointing to itself needs no forward declaration.
      if (id === containerId) return;
      // An anonymous one cannot be forward-declared, but CDumpOrder has rejected that cycle.
      if (t.name === '') return;
      this.#put(`${this.#structKeyword(t)} ${this.#names.tagName(id)};\n\n`);
      this.#fwdEmitted[id] = 1;
    } else if (t.kind === 'TYPEDEF') {
      // A typedef doubles as its own forward declaration for uses through pointers.
      if (!isCompilerBuiltin(t)) {
        this.#emitTypedefDef(id, t.type, 0);
        this.#put(';\n\n');
      }
      this.#fwdEmitted[id] = 1;
    }
  }

  #structKeyword(t: BtfComposite): string {
    return t.kind === 'STRUCT' ? 'struct' : 'union';
  }

  #emitStructDef(id: number, t: BtfComposite, level: number): void {
    const isStruct = t.kind === 'STRUCT';
    checkCompositeBounds(id, t);
    const align = this.#layout.alignOf(id);
    const packed = isStruct && this.#layout.isPacked(t);
    const memberIndent = indent(level + 1);
    const name = this.#names.tagName(id);
    this.#put(name === '' ? `${this.#structKeyword(t)} {` : `${this.#structKeyword(t)} ${name} {`);
    let off = 0;
    let prevBitfield = false;
    for (const m of t.members) {
      const memberAlign = packed ? 1 : this.#layout.alignOf(m.type);
      const inBitfield = prevBitfield && m.bitfieldSize !== 0;
      this.#put(bitPadding(off, m.bitOffset, memberAlign, inBitfield, memberIndent, this.#pointerSize));
      this.#put(`\n${memberIndent}`);
      this.#emitTypeDecl(m.type, m.name, level + 1);
      if (m.bitfieldSize !== 0) {
        this.#put(`: ${m.bitfieldSize}`);
        off = m.bitOffset + m.bitfieldSize;
        prevBitfield = true;
      } else {
        off = m.bitOffset + Math.max(0, this.#layout.sizeOf(m.type)) * 8;
        prevBitfield = false;
      }
      this.#put(';');
    }
    if (isStruct) this.#put(bitPadding(off, t.size * 8, align, false, memberIndent, this.#pointerSize));
    // `struct empty {}` stays on one line.
    this.#put(t.members.length > 0 || t.size !== 0 ? `\n${indent(level)}}` : '}');
    if (packed) this.#put(' __attribute__((packed))');
  }

  #emitEnumDef(id: number, t: BtfEnum | BtfEnum64, level: number): void {
    const name = this.#names.tagName(id);
    this.#put(name === '' ? 'enum' : `enum ${name}`);
    if (t.values.length === 0) return;
    this.#put(' {');
    const valueIndent = indent(level + 1);
    if (t.kind === 'ENUM') {
      for (const v of t.values) {
        const value = t.signed ? v.value | 0 : v.value >>> 0;
        this.#put(`\n${valueIndent}${this.#names.enumerator(v.name)} = ${value},`);
      }
    } else {
      for (const v of t.values) {
        const value = t.signed ? `${BigInt.asIntN(64, v.value)}LL` : `${BigInt.asUintN(64, v.value)}ULL`;
        this.#put(`\n${valueIndent}${this.#names.enumerator(v.name)} = ${value},`);
      }
    }
    this.#put(`\n${indent(level)}}`);
    if (!this.#enumModes) return;
    if (t.size === 1) {
      this.#put(' __attribute__((mode(byte)))');
    } else if (t.size === 8 && this.#pointerSize === 8 && needsWordMode(t)) {
      this.#put(' __attribute__((mode(word)))');
    }
  }

  #emitTypedefDef(id: number, targetId: number, level: number): void {
    const name = this.#names.identName(id);
    // Old GCCs describe __gnuc_va_list as a typedef of void; the compiler builtin is meant.
    if (targetId === 0 && name === '__gnuc_va_list') {
      this.#put('typedef __builtin_va_list __gnuc_va_list');
      return;
    }
    this.#put('typedef ');
    this.#emitTypeDecl(targetId, name, level);
  }

  /**
   * Writes a declaration of `name` with type `id` (a member, parameter or typedef). The chain of
   * modifiers/pointers/arrays/function prototypes down to a named or anonymous base type is
   * collected first, then unwound from the base outwards.
   */
  #emitTypeDecl(id: number, name: string, level: number): void {
    const chain: number[] = [];
    let next: number | undefined = id;
    while (next !== undefined) {
      // Every link is a distinct type unless the chain loops (a pointer to itself).
      if (chain.length > this.#btf.typeCount) throw new BtfDumpError(`declarator chain of type ${id} loops`, id);
      chain.push(next);
      next = next === 0 ? undefined : this.#declaredThrough(this.#btf.typeById(next));
    }
    this.#emitTypeChain(chain, name, level);
  }

  /** The next type of a declarator chain, or `undefined` when `t` ends it. */
  #declaredThrough(t: BtfType): number | undefined {
    switch (t.kind) {
      case 'PTR':
      case 'ARRAY':
      case 'VOLATILE':
      case 'CONST':
      case 'RESTRICT':
      case 'TYPE_TAG':
        return t.type;
      case 'FUNC_PROTO':
        return t.returnType;
      default:
        return undefined;
    }
  }

  /** Writes the modifiers on top of the chain (`const volatile int`) and pops them. */
  #emitModifiers(chain: number[]): void {
    for (;;) {
      const top = chain[chain.length - 1];
      if (top === undefined || top === 0) return;
      const kind = this.#btf.typeById(top).kind;
      if (kind === 'VOLATILE') this.#put('volatile ');
      else if (kind === 'CONST') this.#put('const ');
      else if (kind === 'RESTRICT') this.#put('restrict ');
      else return;
      chain.pop();
    }
  }

  #dropModifiers(chain: number[]): void {
    for (;;) {
      const top = chain[chain.length - 1];
      if (top === undefined || top === 0 || !isModifier(this.#btf.typeById(top))) return;
      chain.pop();
    }
  }

  #emitName(name: string, lastWasPtr: boolean): void {
    this.#put(name !== '' && !lastWasPtr ? ` ${name}` : name);
  }

  /** Unwinds `chain` (outermost type first) from its end; see `#emitTypeDecl`. */
  #emitTypeChain(chain: number[], name: string, level: number): void {
    // `int ***p`, not `int * * *p`; true at the start for a lone `(*name)` in a function pointer.
    let lastWasPtr = true;
    for (;;) {
      const id = chain.pop();
      if (id === undefined) break;
      if (id === 0) {
        this.#emitModifiers(chain);
        this.#put('void');
        lastWasPtr = false;
        continue;
      }
      const t = this.#btf.typeById(id);
      switch (t.kind) {
        case 'INT':
        case 'FLOAT':
          this.#emitModifiers(chain);
          this.#put(t.name);
          break;
        case 'STRUCT':
        case 'UNION':
          this.#emitModifiers(chain);
          if (t.name === '') this.#emitStructDef(id, t, level);
          else this.#put(`${this.#structKeyword(t)} ${this.#names.tagName(id)}`);
          break;
        case 'ENUM':
        case 'ENUM64':
          this.#emitModifiers(chain);
          if (t.name === '') this.#emitEnumDef(id, t, level);
          else this.#put(`enum ${this.#names.tagName(id)}`);
          break;
        case 'FWD':
          this.#emitModifiers(chain);
          this.#put(`${t.union ? 'union' : 'struct'} ${this.#names.tagName(id)}`);
          break;
        case 'TYPEDEF':
          this.#emitModifiers(chain);
          this.#put(this.#names.identName(id));
          break;
        case 'PTR':
          this.#put(lastWasPtr ? '*' : ' *');
          break;
        case 'VOLATILE':
          this.#put(' volatile');
          break;
        case 'CONST':
          this.#put(' const');
          break;
        case 'RESTRICT':
          this.#put(' restrict');
          break;
        case 'TYPE_TAG':
          this.#emitModifiers(chain);
          // Kind-flagged tags (kernel 6.13+, attributes) too: libbpf 1.6 writes those as
          // `__attribute__((NAME))`, bpftool 7.1 as below; the header format is bpftool 7.1's.
          this.#put(` __attribute__((btf_type_tag("${t.name}")))`);
          break;
        case 'ARRAY': {
          // GCC puts the element's const/volatile on the array too; C has no place for them.
          this.#dropModifiers(chain);
          const inner = chain[chain.length - 1];
          if (inner === undefined) {
            this.#emitName(name, lastWasPtr);
            this.#put(`[${t.nelems}]`);
            return;
          }
          const multidim = inner !== 0 && this.#btf.typeById(inner).kind === 'ARRAY';
          if (name !== '' && !lastWasPtr) this.#put(' ');
          // `int (*p)[4]` needs parentheses, `int a[2][4]` does not.
          if (!multidim) this.#put('(');
          this.#emitTypeChain(chain, name, level);
          if (!multidim) this.#put(')');
          this.#put(`[${t.nelems}]`);
          return;
        }
        case 'FUNC_PROTO': {
          // GCC marks noreturn function pointers volatile; dropped like array modifiers.
          this.#dropModifiers(chain);
          if (chain.length > 0) {
            this.#put(' (');
            this.#emitTypeChain(chain, name, level);
            this.#put(')');
          } else {
            this.#emitName(name, lastWasPtr);
          }
          this.#put('(');
          const params = t.params;
          // No parameters (pahole) and clang's single void parameter both mean `(void)`; `()`
          // would declare an unprototyped function (libbpf fixed this in 1.5 and in 6.1.y).
          if (params.length === 0 || (params.length === 1 && params[0]?.type === 0)) {
            this.#put('void)');
            return;
          }
          for (let i = 0; i < params.length; i++) {
            const p = params[i];
            if (p === undefined) break;
            if (i > 0) this.#put(', ');
            if (i === params.length - 1 && p.type === 0) {
              this.#put('...');
              break;
            }
            this.#emitTypeDecl(p.type, p.name, level);
          }
          this.#put(')');
          return;
        }
        default:
          throw new BtfDumpError(`${t.kind} cannot appear in a C type declaration`, id);
      }
      lastWasPtr = t.kind === 'PTR';
    }
    this.#emitName(name, lastWasPtr);
  }
}

/** `__builtin_va_list` is the compiler's own; redefining it breaks compiling with another one. */
function isCompilerBuiltin(t: BtfType): boolean {
  return t.name === '__builtin_va_list';
}

/**
 * An 8-byte enum needs `mode(word)` unless one of its values already forces 64 bits (ENUM cannot
 * hold such values, so it always needs it).
 */
function needsWordMode(t: BtfEnum | BtfEnum64): boolean {
  if (t.kind === 'ENUM') return true;
  return t.values.every((v) => BigInt.asUintN(64, v.value) >> 32n === 0n);
}

/** The kernel's `BTF_MAX_SIZE`: no struct, union or array it accepts is larger. */
const BTF_MAX_SIZE = 16 * 1024 * 1024;

/**
 * Refuses composites the kernel would refuse (`btf_struct_check_member`, `BTF_MAX_SIZE`): their
 * padding lines would otherwise run to billions (one `long: 64;` per 8 bytes of a 4 GiB hole).
 */
function checkCompositeBounds(id: number, t: BtfComposite): void {
  if (t.size > BTF_MAX_SIZE) throw new BtfDumpError(`${t.kind} '${t.name}' has size ${t.size}, larger than BTF allows (${BTF_MAX_SIZE})`, id);
  const bits = t.size * 8;
  for (const m of t.members) {
    if (m.bitOffset + m.bitfieldSize > bits) {
      throw new BtfDumpError(`member '${m.name}' of ${t.kind} '${t.name}' at bit ${m.bitOffset} lies past its ${t.size} bytes`, id);
    }
  }
}
