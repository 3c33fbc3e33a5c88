/**
 * The runtime half of generated skeletons (`bpf-ts gen skeleton`): libbpf's skeleton flow
 * (open -> set `.rodata` -> load -> attach -> destroy) over an {@link ObjectSpec} and the
 * {@link BpfObject} it loads into, with values encoded and decoded through the object's BTF.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Btf } from '../btf/btf.js';
import { createBtfCodec, type BtfCodec } from '../btf/codec/codec.js';
import type { BtfKindName } from '../btf/types.js';
import { PerfBufferReader, type PerfBufferOptions } from '../events/perf-buffer-reader.js';
import { RingBufferReader } from '../events/ring-buffer-reader.js';
import type { Link, LinkGroup } from '../links/link.js';
import { attachObject, type ObjectLinks } from '../loader/attach-object.js';
import { loadObjectSync, type BpfObject, type LoadObjectOptions } from '../loader/bpf-object.js';
import type { DataSection } from '../loader/data-section.js';
import { parseObjectSpec, type ObjectSpec } from '../loader/object-spec.js';
import type { BpfProgram } from '../loader/program.js';
import type { BpfMap } from '../maps/map.js';
import { TypedMap } from '../maps/typed-map.js';
import { MapType } from '../sys/uapi.js';
import { SkeletonError } from './errors.js';
import { exposedVariables, type SkeletonLayout } from './layout.js';

/**
 * Where a skeleton's object comes from: a path (a `URL` from `import.meta.url` for objects kept
 * next to the generated module), the bytes, or base64 text (what `--embed` writes).
 */
export type SkeletonObjectSource = { readonly path: string | URL } | { readonly bytes: Uint8Array } | { readonly base64: string };

/** Options of a generated skeleton's `open()`. */
export interface SkeletonOpenOptions {
  /** Use this object instead of the one the skeleton was generated with (same programs, maps and types). */
  readonly object?: SkeletonObjectSource;
}

/**
 * A ring buffer or perf event array whose records are a known BTF type (`--type MAP=STRUCT` or a
 * `__bpf_ts_record__MAP` marker variable): the map, the record codec, and a reader.
 * Generated skeletons type such maps as {@link RingBufferEvents} or {@link PerfBufferEvents}.
 */
export abstract class EventMap<T> {
  constructor(
    /** The byte-level map. */
    readonly map: BpfMap,
    /** Decoder (and encoder) of one record. */
    readonly codec: BtfCodec<T>,
  ) {}

  /** A reader of the map's records. */
  abstract open(): RingBufferReader | PerfBufferReader;

  /** Decodes one record (the first `codec.size` bytes at `offset`). */
  decode(bytes: Uint8Array, offset = 0): T {
    return this.codec.decode(bytes, offset);
  }
}

/**
 * A `BPF_MAP_TYPE_RINGBUF` of typed records.
 *
 * @example
 * ```ts
 * using reader = skel.maps.events.open();
 * for await (const ev of reader.decoded(skel.maps.events.codec)) console.log(ev.pid, ev.comm);
 * ```
 */
export class RingBufferEvents<T> extends EventMap<T> {
  /** `RingBufferReader.open(map)`. */
  open(): RingBufferReader {
    return RingBufferReader.open(this.map);
  }
}

/**
 * A `BPF_MAP_TYPE_PERF_EVENT_ARRAY` of typed records (a perf buffer per CPU).
 *
 * @example
 * ```ts
 * using reader = skel.maps.events.open({ pageCount: 8 });
 * for await (const ev of reader.decoded(skel.maps.events.codec)) console.log(ev.pid);
 * ```
 */
export class PerfBufferEvents<T> extends EventMap<T> {
  /** `PerfBufferReader.open(map, options)`. */
  open(options: PerfBufferOptions = {}): PerfBufferReader {
    return PerfBufferReader.open(this.map, options);
  }
}

/** Bytes of an object source, and the file name errors should carry. */
function readSource(source: SkeletonObjectSource, fallbackName: string): { bytes: Uint8Array; fileName: string } {
  if ('bytes' in source) return { bytes: source.bytes, fileName: fallbackName };
  if ('base64' in source) return { bytes: new Uint8Array(Buffer.from(source.base64, 'base64')), fileName: fallbackName };
  const path = source.path instanceof URL ? fileURLToPath(source.path) : source.path;
  return { bytes: new Uint8Array(readFileSync(path)), fileName: basename(path) };
}

/**
 * Parses a skeleton's object (nothing reaches the kernel), naming it as the skeleton was
 * generated (`layout.name`), so internal maps are called `<name>.rodata`, ... as with libbpf.
 */
export function openSkeletonSpec(source: SkeletonObjectSource, layout: SkeletonLayout): ObjectSpec {
  const { bytes, fileName } = readSource(source, `${layout.name}.bpf.o`);
  return parseObjectSpec(bytes, { fileName, objectName: layout.name });
}

const NO_LINKS: ReadonlyMap<string, Link | LinkGroup> = new Map();

/** Where a section accessor reads and writes: the spec before load, the kernel's map after. */
interface SectionBacking {
  read(): Uint8Array;
  write(offset: number, bytes: Uint8Array): void;
}

/**
 * Base class of generated skeletons. `P` and `M` are the generated program and map types;
 * the generated subclass adds one accessor per data section (`rodata`, `bss`, ...).
 *
 * Before `load()`: section accessors read and write the spec's initial values (`.rodata` knobs),
 * `spec` is editable (map sizes, autoload), `programs`/`maps` throw. After: `programs` and `maps`
 * are the kernel objects, section accessors read and write the mmap()ed maps live, and `.rodata`
 * is read-only. `close()` (or `using`) detaches every link and closes every fd.
 *
 * @example
 * ```ts
 * import { DemoSkeleton } from './demo.skel.js';
 * using skel = DemoSkeleton.open();
 * skel.rodata.target_tgid = process.pid;
 * skel.load().attach();
 * console.log(skel.bss.hits, skel.maps.stats.get(0));
 * ```
 */
export class Skeleton<P extends object, M extends object> implements Disposable {
  /** The parsed object; edit it before `load()`. */
  readonly spec: ObjectSpec;
  /** What the generated code said about the object. */
  readonly layout: SkeletonLayout;
  #object: BpfObject | undefined;
  #programs: P | undefined;
  #maps: M | undefined;
  #links: ObjectLinks | undefined;
  readonly #sections = new Map<string, object>();
  readonly #codecs = new Map<string, BtfCodec<unknown>>();
  #closed = false;

  constructor(spec: ObjectSpec, layout: SkeletonLayout) {
    this.spec = spec;
    this.layout = layout;
  }

  #error(member: string, reason: string, options?: ErrorOptions): SkeletonError {
    return new SkeletonError(this.layout.name, member, reason, options);
  }

  get #btf(): Btf {
    const btf = this.spec.btf;
    if (btf === undefined) throw this.#error('', 'the object has no BTF');
    return btf;
  }

  /** True between a successful `load()` and `close()`. */
  get loaded(): boolean {
    return this.#object !== undefined && !this.#closed;
  }

  /** The loaded object (all maps and programs by their names). */
  get object(): BpfObject {
    return this.#loaded('object');
  }

  #loaded(member: string): BpfObject {
    if (this.#closed) throw this.#error(member, 'the skeleton is closed');
    if (this.#object === undefined) throw this.#error(member, 'not loaded yet: call load() first');
    return this.#object;
  }

  /**
   * Creates the maps (with the section values set so far) and loads the programs
   * (`bpf_object__load()`). Throws what `loadObject` throws (`VerifierError`, `LoadError`).
   */
  load(options: LoadObjectOptions = {}): this {
    if (this.#closed) throw this.#error('load()', 'the skeleton is closed');
    if (this.#object !== undefined) throw this.#error('load()', 'already loaded');
    this.#object = loadObjectSync(this.spec, options);
    return this;
  }

  /** The loaded programs by accessor name (programs not loaded, e.g. autoload off, are `undefined`). */
  get programs(): P {
    const obj = this.#loaded('programs');
    if (this.#programs === undefined) {
      const out: Record<string, BpfProgram | undefined> = {};
      for (const [key, name] of Object.entries(this.layout.programs)) out[key] = obj.program(name);
      this.#programs = Object.freeze(out) as P;
    }
    return this.#programs;
  }

  /**
   * The maps by accessor name: `TypedMap`s, `EventMap`s for typed event buffers, else `BpfMap`s;
   * `undefined` for maps that were not created (autocreate off).
   */
  get maps(): M {
    const obj = this.#loaded('maps');
    if (this.#maps === undefined) {
      const out: Record<string, unknown> = {};
      for (const [key, m] of Object.entries(this.layout.maps)) {
        // Maps not created (autocreate off) are undefined, as their generated types say.
        const map = obj.map(m.name);
        out[key] = map === undefined ? undefined : this.#mapView(key, m, map);
      }
      this.#maps = Object.freeze(out) as M;
    }
    return this.#maps;
  }

  #mapView(key: string, m: SkeletonLayout['maps'][string], map: BpfMap): unknown {
    if (m.kind === 'raw') return map;
    if (m.kind === 'records') {
      const codec = this.#codecByName(`maps.${key}`, m.record.kind, m.record.name);
      return map.type === MapType.PERF_EVENT_ARRAY ? new PerfBufferEvents(map, codec) : new RingBufferEvents(map, codec);
    }
    const spec = this.spec.map(m.name);
    if (spec === undefined || spec.btfValueTypeId === 0) throw this.#error(`maps.${key}`, `map '${m.name}' has no BTF value type`);
    const keyCodec = spec.btfKeyTypeId === 0 ? undefined : this.#codecById(spec.btfKeyTypeId);
    return new TypedMap(map, keyCodec, this.#codecById(spec.btfValueTypeId));
  }

  #codecById(id: number): BtfCodec<unknown> {
    const key = `#${id}`;
    let codec = this.#codecs.get(key);
    if (codec === undefined) {
      codec = createBtfCodec(this.#btf, id, this.layout.codec ?? {});
      this.#codecs.set(key, codec);
    }
    return codec;
  }

  #codecByName(member: string, kind: BtfKindName, name: string): BtfCodec<unknown> {
    const [id] = this.#btf.findByName(name, kind);
    if (id === undefined) throw this.#error(member, `the object's BTF has no ${kind.toLowerCase()} '${name}'`);
    return this.#codecById(id);
  }

  /** The codec of a type named with `--type` (generated subclasses expose them as `codecs`). */
  protected typeCodec<T>(accessor: string): BtfCodec<T> {
    const t = this.layout.types?.[accessor];
    if (t === undefined) throw this.#error(`codecs.${accessor}`, 'not in the skeleton layout');
    return this.#codecByName(`codecs.${accessor}`, t.kind, t.name) as BtfCodec<T>;
  }

  /**
   * The accessor object of a data section: one property per exposed variable, each read decoding
   * the current bytes and each write encoding into them (a struct variable is written whole:
   * mutating a decoded object changes nothing until it is assigned back).
   */
  protected section<T extends object>(accessor: string): T {
    let view = this.#sections.get(accessor);
    if (view === undefined) {
      view = this.#sectionView(accessor);
      this.#sections.set(accessor, view);
    }
    return view as T;
  }

  #dataSection(accessor: string): DataSection {
    const name = this.layout.sections[accessor];
    const section = name === undefined ? undefined : this.spec.dataSections.find((d) => d.name === name);
    if (section === undefined) throw this.#error(accessor, `the object has no section '${name ?? accessor}'`);
    return section;
  }

  #sectionView(accessor: string): object {
    const section = this.#dataSection(accessor);
    const backing = this.#backing(accessor, section);
    const view: Record<string, unknown> = {};
    for (const v of exposedVariables(section)) {
      const codec = this.#codecById(v.btfVarId !== 0 ? v.btfVarId : v.btfTypeId);
      const member = `${accessor}.${v.name}`;
      Object.defineProperty(view, v.name, {
        enumerable: true,
        get: () => codec.decode(backing().read(), v.offset),
        set: (value: unknown) => {
          const target = backing();
          if (this.#object !== undefined && section.readonly) {
            throw this.#error(member, `is read-only after load (${section.name} is frozen); set it before load()`);
          }
          // Encode aside first: a value that does not fit leaves the variable as it was.
          const bytes = codec.encode(value);
          target.write(v.offset, bytes);
        },
      });
    }
    return Object.seal(view);
  }

  /** The current backing of a section: spec bytes before load, the live map after. */
  #backing(accessor: string, section: DataSection): () => SectionBacking {
    const before: SectionBacking = {
      read: () => section.bytes,
      write: (offset, bytes) => section.bytes.set(bytes, offset),
    };
    let after: SectionBacking | undefined;
    return () => {
      if (this.#closed) throw this.#error(accessor, 'the skeleton is closed');
      const obj = this.#object;
      if (obj === undefined) return before;
      if (after === undefined) after = liveBacking(obj, section);
      return after;
    };
  }

  /**
   * Attaches every loaded program whose SEC() name says where (libbpf's
   * `bpf_object__attach_skeleton()`, through `attachObject`); programs that need a target (xdp,
   * tc, cgroup, ...) are skipped: attach those with the links API. On failure the links made so
   * far are closed. Attaching again is a no-op until `detach()`.
   */
  attach(): this {
    const obj = this.#loaded('attach()');
    if (this.#links === undefined || this.#links.closed) this.#links = attachObject(obj);
    return this;
  }

  /** Links made by `attach()`, by program name (empty before `attach()` and after `detach()`). */
  get links(): ReadonlyMap<string, Link | LinkGroup> {
    return this.#links === undefined || this.#links.closed ? NO_LINKS : this.#links.links;
  }

  /** Closes the links `attach()` made (programs stay loaded; `attach()` may be called again). */
  detach(): void {
    this.#links?.close();
    this.#links = undefined;
  }

  /** Detaches, then closes every map and program (libbpf's `__destroy()`). Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.detach();
    this.#object?.close();
    this.#closed = true;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/** A loaded section: the mmap()ed value when the map is mmap-able, else lookup/update of key 0. */
function liveBacking(obj: BpfObject, section: DataSection): SectionBacking {
  let memory: Uint8Array | undefined;
  try {
    memory = obj.globalData(section.mapName);
  } catch {
    memory = undefined;
  }
  if (memory !== undefined) {
    const live = memory;
    return { read: () => live, write: (offset, bytes) => live.set(bytes, offset) };
  }
  const map = obj.map(section.mapName);
  if (map === undefined) throw new SkeletonError(obj.spec.objectName, section.name, `no map '${section.mapName}' was created`);
  const key = new Uint8Array(4);
  const read = (): Uint8Array => map.lookup(key) ?? new Uint8Array(map.valueSize);
  return {
    read,
    write: (offset, bytes) => {
      const value = new Uint8Array(read());
      value.set(bytes, offset);
      map.update(key, value);
    },
  };
}
