/**
 * `generateSkeleton()`: a BPF object -> the text of a TypeScript module with its types, a
 * layout and a `Skeleton` subclass (bpftool's `gen skeleton` for TypeScript). Pure: bytes in,
 * text out.
 */
import type { Btf } from '../btf/btf.js';
import { createBtfCodec } from '../btf/codec/codec.js';
import type { BtfKindName } from '../btf/types.js';
import type { MapSpec } from '../loader/map-spec.js';
import { parseObjectSpec, type ObjectSpec } from '../loader/object-spec.js';
import { MapType } from '../sys/uapi.js';
import { SkeletonGenerateError } from './errors.js';
import { RECORD_MARKER_PREFIX, exposedSections, exposedVariables, type SkeletonLayout, type SkeletonMapLayout } from './layout.js';
import { identifier, sectionAccessorName, tsTypeName } from './names.js';
import { TsTypeEmitter, propertyKey } from './ts-types.js';

/** Options of {@link generateSkeleton}. */
export interface GenerateSkeletonOptions {
  /** The object's file name (messages, the header, the default `--path`). */
  readonly fileName: string;
  /** Object name (default: the file name up to its first `.`, as libbpf and bpftool). */
  readonly name?: string;
  /**
   * How the module finds the object: `{ embed: true }` (default) writes it as base64;
   * `{ path }` references it, relative paths resolved against the generated module's URL.
   */
  readonly object?: { readonly embed: true } | { readonly path: string };
  /** Module specifier to import bpf-ts from (default `'bpf-ts'`; in-repo `'../../src/index.js'`). */
  readonly importFrom?: string;
  /**
   * Extra types (`event`, `struct event`, `enum kind`) to declare and expose as codecs, and
   * `MAP=TYPE` to give a ring buffer / perf event array its record type.
   */
  readonly types?: readonly string[];
  /** `char[]` members as `Uint8Array` instead of `string`. */
  readonly charBytes?: boolean;
  /** The command line to print in the header (how to regenerate). */
  readonly command?: string;
}

const SKELETON_MEMBERS = new Set(['spec', 'layout', 'load', 'maps', 'programs', 'attach', 'links', 'detach', 'close', 'object', 'loaded', 'codecs', 'section', 'typeCodec', 'constructor']);
const IMPORTS = ['Skeleton', 'openSkeletonSpec', 'BpfProgram', 'BpfMap', 'TypedMap', 'RingBufferEvents', 'PerfBufferEvents', 'BtfCodec', 'SkeletonLayout', 'SkeletonObjectSource', 'SkeletonOpenOptions'];

interface NamedType {
  readonly id: number;
  readonly kind: BtfKindName;
  readonly name: string;
}

/** Finds `event`, `struct event`, `union u`, `enum e` (typedefs resolved to what they name). */
function findType(btf: Btf, text: string, objectName: string): NamedType {
  const m = /^(?:(struct|union|enum)\s+)?([A-Za-z_]\w*)$/.exec(text.trim());
  if (m === null) throw new SkeletonGenerateError(objectName, `'${text}' is not a type name (want NAME, struct NAME, union NAME or enum NAME)`);
  const kinds: BtfKindName[] = m[1] === 'struct' ? ['STRUCT'] : m[1] === 'union' ? ['UNION'] : m[1] === 'enum' ? ['ENUM', 'ENUM64'] : ['STRUCT', 'UNION', 'ENUM', 'ENUM64', 'TYPEDEF'];
  const name = m[2] as string;
  for (const kind of kinds) {
    const [id] = btf.findByName(name, kind);
    if (id === undefined) continue;
    if (kind !== 'TYPEDEF') return { id, kind, name };
    const r = btf.resolveType(id);
    const t = r === 0 ? undefined : btf.typeById(r);
    if (t !== undefined && t.name !== '' && (t.kind === 'STRUCT' || t.kind === 'UNION' || t.kind === 'ENUM' || t.kind === 'ENUM64')) return { id: r, kind: t.kind, name: t.name };
    throw new SkeletonGenerateError(objectName, `typedef '${name}' does not name a struct, union or enum`);
  }
  throw new SkeletonGenerateError(objectName, `the object's BTF has no type '${text}'`);
}

/** `MAP -> record type` from `__bpf_ts_record__MAP` marker variables (a pointer to the record type). */
function markedRecords(spec: ObjectSpec, btf: Btf): Map<string, NamedType> {
  const out = new Map<string, NamedType>();
  for (const d of spec.dataSections) {
    for (const v of d.variables) {
      if (!v.name.startsWith(RECORD_MARKER_PREFIX) || v.btfTypeId === 0) continue;
      const r = btf.resolveType(v.btfTypeId);
      const ptr = r === 0 ? undefined : btf.typeById(r);
      const target = ptr?.kind === 'PTR' ? btf.resolveType(ptr.type) : 0;
      const t = target === 0 ? undefined : btf.typeById(target);
      if (t === undefined || t.name === '' || (t.kind !== 'STRUCT' && t.kind !== 'UNION')) {
        throw new SkeletonGenerateError(spec.objectName, `marker '${v.name}' must be a pointer to a named struct or union`);
      }
      out.set(v.name.slice(RECORD_MARKER_PREFIX.length), { id: target, kind: t.kind, name: t.name });
    }
  }
  return out;
}

/** True when the codec can represent the map's key and value with the sizes the map declares. */
function hasTypedValues(btf: Btf, m: MapSpec, charBytes: boolean): boolean {
  if (m.btfValueTypeId === 0 || m.source === 'internal' || m.source === 'struct_ops') return false;
  try {
    const options = charBytes ? { charArrays: 'bytes' as const } : {};
    if (createBtfCodec(btf, m.btfValueTypeId, options).size !== m.valueSize) return false;
    if (m.btfKeyTypeId === 0) return m.keySize === 0;
    return createBtfCodec(btf, m.btfKeyTypeId, options).size === m.keySize;
  } catch {
    return false;
  }
}

function quote(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/**
 * The TypeScript module `bpf-ts gen skeleton` writes for a BPF object. Throws
 * {@link SkeletonGenerateError} for objects without BTF and for `types` naming nothing.
 *
 * @example
 * ```ts
 * const text = generateSkeleton(readFileSync('demo.bpf.o'), { fileName: 'demo.bpf.o', types: ['events=event'] });
 * writeFileSync('demo.skel.ts', text);
 * ```
 */
export function generateSkeleton(bytes: Uint8Array, options: GenerateSkeletonOptions): string {
  const spec = parseObjectSpec(bytes, { fileName: options.fileName, ...(options.name === undefined ? {} : { objectName: options.name }) });
  const name = spec.objectName;
  const btf = spec.btf;
  if (btf === undefined) throw new SkeletonGenerateError(options.fileName, 'the object has no BTF (compile with -g)');
  const charBytes = options.charBytes === true;
  const emitter = new TsTypeEmitter(btf, charBytes ? { charArrays: 'bytes' } : {});
  const base = tsTypeName(name);
  const className = `${base}Skeleton`;
  for (const n of IMPORTS) emitter.reserve(n);
  for (const n of [className, `${base}Programs`, `${base}Maps`]) emitter.reserve(n);

  // Sections first (their interface names are reserved before BTF types take names).
  const sections = exposedSections(spec).map((d) => {
    const accessor = sectionAccessorName(d.name);
    return { d, accessor: SKELETON_MEMBERS.has(accessor) ? `${accessor}_` : accessor, typeName: `${base}${tsTypeName(sectionAccessorName(d.name))}` };
  });
  for (const s of sections) emitter.reserve(s.typeName);

  // Record types: --type MAP=TYPE and marker variables; plain --type TYPE declares a codec.
  const records = markedRecords(spec, btf);
  const extraTypes: NamedType[] = [];
  for (const t of options.types ?? []) {
    const eq = t.indexOf('=');
    if (eq < 0) {
      const found = findType(btf, t, options.fileName);
      if (!extraTypes.some((x) => x.id === found.id)) extraTypes.push(found);
      continue;
    }
    const mapName = t.slice(0, eq);
    if (spec.map(mapName) === undefined) throw new SkeletonGenerateError(options.fileName, `--type ${t}: no map '${mapName}'`);
    records.set(mapName, findType(btf, t.slice(eq + 1), options.fileName));
  }

  // Programs.
  const programLines: string[] = [];
  const programLayout: Record<string, string> = {};
  const taken = new Set<string>();
  const unique = (n: string): string => {
    let k = identifier(n);
    while (taken.has(k)) k = `${k}_`;
    taken.add(k);
    return k;
  };
  for (const p of spec.programs) {
    const key = unique(p.name);
    programLayout[key] = p.name;
    programLines.push(`  /** \`SEC("${p.sectionName}")\` ${p.name}${p.autoload ? '' : ' (autoload off: undefined unless enabled on the spec)'}. */\n  readonly ${propertyKey(key)}: BpfProgram${p.autoload ? '' : ' | undefined'};`);
  }

  // Maps.
  taken.clear();
  const mapLines: string[] = [];
  const mapLayout: Record<string, SkeletonMapLayout> = {};
  for (const m of spec.maps) {
    if (m.source === 'internal') continue;
    const key = unique(m.name);
    const record = records.get(m.name);
    let type: string;
    if (record !== undefined) {
      if (m.type !== MapType.RINGBUF && m.type !== MapType.PERF_EVENT_ARRAY) {
        throw new SkeletonGenerateError(options.fileName, `map '${m.name}' is not a ring buffer or perf event array: it cannot have a record type`);
      }
      mapLayout[key] = { name: m.name, kind: 'records', record: { kind: record.kind, name: record.name } };
      type = `${m.type === MapType.RINGBUF ? 'RingBufferEvents' : 'PerfBufferEvents'}<${emitter.declare(record.id)}>`;
    } else if (hasTypedValues(btf, m, charBytes)) {
      mapLayout[key] = { name: m.name, kind: 'typed' };
      const k = m.btfKeyTypeId === 0 ? 'never' : emitter.typeOf(m.btfKeyTypeId);
      type = `TypedMap<${k}, ${emitter.typeOf(m.btfValueTypeId)}>`;
    } else {
      mapLayout[key] = { name: m.name, kind: 'raw' };
      type = 'BpfMap';
    }
    const optional = m.autocreate ? '' : ' | undefined';
    mapLines.push(`  /** Map \`${m.name}\`${m.autocreate ? '' : ' (autocreate off: undefined unless enabled on the spec)'}. */\n  readonly ${propertyKey(key)}: ${type}${optional};`);
  }

  // Sections.
  const sectionDecls: string[] = [];
  const sectionLayout: Record<string, string> = {};
  for (const s of sections) {
    sectionLayout[s.accessor] = s.d.name;
    const fields = exposedVariables(s.d).map((v) => `  ${propertyKey(v.name)}: ${emitter.typeOf(v.btfTypeId)};`);
    const ro = s.d.readonly ? ' Settable before `load()`, read-only after.' : ' Live after `load()` (the mmap()ed map).';
    sectionDecls.push(`/** Variables of \`${s.d.name}\`.${ro} */\nexport interface ${s.typeName} {\n${fields.join('\n')}\n}\n`);
  }

  // --type codecs.
  const typeLayout: Record<string, { kind: BtfKindName; name: string }> = {};
  const codecLines: string[] = [];
  for (const t of extraTypes) {
    const tsName = emitter.declare(t.id);
    typeLayout[tsName] = { kind: t.kind, name: t.name };
    codecLines.push(`${propertyKey(tsName)}: this.typeCodec<${tsName}>(${quote(tsName)})`);
  }

  const layout: SkeletonLayout = {
    name,
    programs: programLayout,
    maps: mapLayout,
    sections: sectionLayout,
    ...(extraTypes.length === 0 ? {} : { types: typeLayout }),
    ...(charBytes ? { codec: { charArrays: 'bytes' as const } } : {}),
  };

  const objectSource = options.object ?? { embed: true };
  const objectLine =
    'path' in objectSource
      ? objectSource.path.startsWith('/')
        ? `const object: SkeletonObjectSource = { path: ${quote(objectSource.path)} };`
        : `const object: SkeletonObjectSource = { path: new URL(${quote(objectSource.path)}, import.meta.url) };`
      : `const object: SkeletonObjectSource = {\n  base64: [\n${base64Lines(bytes).map((l) => `    '${l}',`).join('\n')}\n  ].join(''),\n};`;

  const used = ['Skeleton', 'openSkeletonSpec', 'type SkeletonLayout', 'type SkeletonObjectSource', 'type SkeletonOpenOptions'];
  const body = [...programLines, ...mapLines].join('\n');
  if (spec.programs.length > 0) used.push('type BpfProgram');
  if (/: BpfMap[; ]/.test(body)) used.push('type BpfMap');
  if (body.includes('TypedMap<')) used.push('type TypedMap');
  if (body.includes('RingBufferEvents<')) used.push('type RingBufferEvents');
  if (body.includes('PerfBufferEvents<')) used.push('type PerfBufferEvents');
  if (codecLines.length > 0) used.push('type BtfCodec');

  const accessors = sections.map(
    (s) => `  /** \`${s.d.name}\` variables (map \`${s.d.mapName}\`). */\n  get ${s.accessor}(): ${s.typeName} {\n    return this.section<${s.typeName}>(${quote(s.accessor)});\n  }\n`,
  );
  if (codecLines.length > 0) {
    const shape = extraTypes.map((_, i) => {
      const n = Object.keys(typeLayout)[i] as string;
      return `readonly ${propertyKey(n)}: BtfCodec<${n}>`;
    });
    accessors.push(`  /** Codecs of the types named with \`--type\`. */\n  get codecs(): { ${shape.join('; ')} } {\n    return { ${codecLines.join(', ')} };\n  }\n`);
  }

  const regenerate = options.command ?? `bpf-ts gen skeleton ${options.fileName}`;
  return [
    `// Code generated by \`${regenerate}\`. DO NOT EDIT.`,
    '// @generated by bpf-ts gen skeleton',
    '',
    `import { ${used.join(', ')} } from ${quote(options.importFrom ?? 'bpf-ts')};`,
    '',
    ...emitter.declarations(),
    ...sectionDecls,
    `/** Programs of \`${options.fileName}\`. */\nexport interface ${base}Programs ${block(programLines)}\n`,
    `/** Maps of \`${options.fileName}\`. */\nexport interface ${base}Maps ${block(mapLines)}\n`,
    `const layout: SkeletonLayout = ${JSON.stringify(layout, null, 2)};\n`,
    `${objectLine}\n`,
    `/**\n * Skeleton of \`${options.fileName}\`: \`${className}.open()\`, set \`.rodata\`, \`load()\`, \`attach()\`, \`close()\`.\n *\n * @example\n * \`\`\`ts\n * using skel = ${className}.open();\n * skel.load().attach();\n * \`\`\`\n */`,
    `export class ${className} extends Skeleton<${base}Programs, ${base}Maps> {`,
    '  /** Parses the object; nothing reaches the kernel before `load()`. */',
    `  static open(options: SkeletonOpenOptions = {}): ${className} {`,
    `    return new ${className}(openSkeletonSpec(options.object ?? object, layout), layout);`,
    '  }',
    '',
    accessors.join('\n') + '}',
    '',
  ].join('\n');
}

/** `{ ... }` with one member per line, `{}` when empty. */
function block(lines: readonly string[]): string {
  return lines.length === 0 ? '{}' : `{\n${lines.join('\n')}\n}`;
}

function base64Lines(bytes: Uint8Array): string[] {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < text.length; i += 100) lines.push(text.slice(i, i + 100));
  return lines;
}
