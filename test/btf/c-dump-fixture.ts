import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BtfStringTable, encodeBtf, parseBtf, type Btf, type BtfMember, type BtfType } from '../../src/btf/index.js';
import { parseElf } from '../../src/elf/index.js';

export const BPFTOOL = '/usr/sbin/bpftool';
export const CLANG = '/usr/bin/clang';
export const CLANG_19 = '/usr/bin/clang-19';
export const LLVM_OBJCOPY = '/usr/bin/llvm-objcopy';

/**
 * Builds hand-made BTF type lists for edge cases that no compiler emits. Ids are positions,
 * starting after the base's types when building split BTF.
 */
export class BtfListBuilder {
  readonly types: BtfType[] = [];
  readonly base: Btf | undefined;

  constructor(base?: Btf) {
    this.base = base;
  }

  add(type: DistributiveOmit<BtfType, 'id'>): number {
    const id = this.types.length + (this.base?.typeCount ?? 1);
    this.types.push({ ...type, id } as BtfType);
    return id;
  }

  int(name: string, size: number, signed = false, bits = size * 8): number {
    return this.add({ kind: 'INT', name, size, encoding: signed ? 1 : 0, bitOffset: 0, bits });
  }

  ref(kind: 'PTR' | 'CONST' | 'VOLATILE' | 'RESTRICT', type: number): number {
    return this.add({ kind, name: '', type });
  }

  typedef(name: string, type: number): number {
    return this.add({ kind: 'TYPEDEF', name, type });
  }

  array(type: number, nelems: number, indexType: number): number {
    return this.add({ kind: 'ARRAY', name: '', type, indexType, nelems });
  }

  /** Members as `[name, type, bitOffset, bitfieldSize?]`; the kind flag is set if any has a size. */
  composite(kind: 'STRUCT' | 'UNION', name: string, size: number, members: readonly (readonly [string, number, number, number?])[]): number {
    const list: BtfMember[] = members.map(([n, type, bitOffset, bitfieldSize]) => ({ name: n, type, bitOffset, bitfieldSize: bitfieldSize ?? 0 }));
    return this.add({ kind, name, size, kindFlag: list.some((m) => m.bitfieldSize !== 0), members: list });
  }

  bytes(): Uint8Array {
    return encodeBtf(this.types, new BtfStringTable(this.base?.strings));
  }

  /** The list as our parser sees it after encoding: what bpftool will read too. */
  parsed(): Btf {
    return parseBtf(this.bytes(), this.base === undefined ? {} : { base: this.base });
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** A scratch directory removed by the returned cleanup function. */
export function scratchDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'bpf-ts-c-dump-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** `bpftool [-B BASE] btf dump file PATH format c`, the reference output. */
export function bpftoolDumpC(path: string, basePath?: string): string {
  const base = basePath === undefined ? [] : ['-B', basePath];
  return execFileSync(BPFTOOL, [...base, 'btf', 'dump', 'file', path, 'format', 'c'], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** bpftool's C dump of a raw BTF blob (written to a scratch file), split on `base` if given. */
export function bpftoolDumpRawC(bytes: Uint8Array, base?: Uint8Array): string {
  const { dir, cleanup } = scratchDir();
  try {
    const path = join(dir, 'types.btf');
    writeFileSync(path, bytes);
    if (base === undefined) return bpftoolDumpC(path);
    writeFileSync(join(dir, 'base.btf'), base);
    return bpftoolDumpC(path, join(dir, 'base.btf'));
  } finally {
    cleanup();
  }
}

/** The `.BTF` of a BPF ELF object, parsed by our own ELF and BTF readers. */
export function btfOfObject(path: string): Btf {
  const elf = parseElf(readFileSync(path), { fileName: path, machines: 'any' });
  const section = elf.sectionByName('.BTF');
  if (section === undefined) throw new Error(`${path} has no .BTF section`);
  return parseBtf(section.data());
}

/** Compiles a BPF C file; throws with clang's diagnostics on failure. */
export function compileBpf(clang: string, source: string, object: string, includeDirs: readonly string[] = []): void {
  const args = ['-O2', '-g', '-target', 'bpf', '-D__TARGET_ARCH_x86', ...includeDirs.flatMap((d) => ['-I', d]), '-c', source, '-o', object];
  try {
    execFileSync(clang, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: string };
    throw new Error(`${clang} failed on ${source}:\n${err.stderr ?? String(e)}`);
  }
}

/**
 * A struct/union layout as text, for comparing a type with its round trip through a generated
 * header: size, then every member's name, bit offset, bitfield size and (for anonymous
 * composites, recursively) layout; named member types contribute their resolved size.
 */
export function layoutSignature(btf: Btf, id: number): string {
  const t = btf.typeById(id);
  if (t.kind === 'STRUCT' || t.kind === 'UNION') {
    const members = t.members.map((m) => {
      const inner = resolveAnonymous(btf, m.type);
      const what = inner === undefined ? `${btf.sizeOf(m.type)}` : layoutSignature(btf, inner);
      return `${m.name}@${m.bitOffset}:${m.bitfieldSize}=${what}`;
    });
    return `${t.kind.toLowerCase()}(${t.size}){${members.join(',')}}`;
  }
  if (t.kind === 'ENUM' || t.kind === 'ENUM64') return `enum(${t.size})`;
  return `${btf.sizeOf(id)}`;
}

function resolveAnonymous(btf: Btf, id: number): number | undefined {
  const t = btf.typeById(id);
  if ((t.kind === 'STRUCT' || t.kind === 'UNION' || t.kind === 'ENUM' || t.kind === 'ENUM64') && t.name === '') return id;
  if (t.kind === 'ARRAY') return resolveAnonymous(btf, t.type);
  return undefined;
}
