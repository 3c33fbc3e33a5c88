import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeBtf, fixupDatasecs, parseBtf, type Btf } from '../../src/btf/index.js';
import { parseElf } from '../../src/elf/index.js';
import { btfLoad, OwnedFd, progLoad, ProgType } from '../../src/sys/index.js';
import { datasecFactsOf } from '../btf/elf-facts.js';
import { BPF_DIR } from '../helpers/paths.js';

/** bpf/maps-api/values.bpf.o: the struct/enum corpus of the map and codec tests. */
export const VALUES_OBJ = join(BPF_DIR, 'maps-api', 'values.bpf.o');

/** The open fds of this process (for leak checks). */
export function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

/** A little-endian u32 as 4 bytes. */
export function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
}

/** A little-endian u64 as 8 bytes. */
export function u64(n: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, n, true);
  return b;
}

/** Reads a little-endian u32. */
export function readU32(b: Uint8Array, off = 0): number {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(off, true);
}

/** values.bpf.o's BTF with DATASECs fixed up, parsed, plus the same bytes loaded into the kernel. */
export function loadValuesBtf(): { btf: Btf; fd: OwnedFd } {
  const elf = parseElf(readFileSync(VALUES_OBJ), { machines: 'any' });
  const raw = elf.sectionByName('.BTF');
  if (raw === undefined) throw new Error('values.bpf.o has no .BTF');
  const bytes = encodeBtf(fixupDatasecs(parseBtf(raw.data()), datasecFactsOf(VALUES_OBJ)));
  const { fd } = btfLoad({ data: bytes });
  return { btf: parseBtf(bytes), fd: new OwnedFd(fd, 'values BTF') };
}

/** The id of a named struct/enum/typedef in `btf`. */
export function typeIdOf(btf: Btf, name: string, kind: 'STRUCT' | 'ENUM64' | 'TYPEDEF' | 'INT' = 'STRUCT'): number {
  const [id] = btf.findByName(name, kind);
  if (id === undefined) throw new Error(`no ${kind} ${name}`);
  return id;
}

/** `r0 = 0; exit`: the smallest program, for prog arrays. */
export function loadTrivialProg(name = 'ma_trivial'): OwnedFd {
  const insns = Uint8Array.of(0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0);
  const { fd } = progLoad({ progType: ProgType.SOCKET_FILTER, insns, license: 'GPL', name });
  return new OwnedFd(fd, `prog ${name}`);
}
