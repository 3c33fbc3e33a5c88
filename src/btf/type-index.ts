import { BtfError } from './errors.js';
import type { BtfHeader } from './header.js';
import { BTF_TYPE_SIZE, infoKind, infoVlen, kindName, trailingSize } from './layout.js';
import type { NameBatch } from './name-batch.js';

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Words after `struct btf_type` per kind: fixed part, and per `vlen` entry; -1 = unknown kind. */
const FIXED_WORDS = new Int32Array(32).fill(-1);
const VLEN_WORDS = new Int32Array(32);
for (let kind = 0; kind < 32; kind++) {
  const fixed = trailingSize(kind, 0);
  if (fixed < 0 || kind === 0) continue;
  FIXED_WORDS[kind] = fixed / 4;
  VLEN_WORDS[kind] = (trailingSize(kind, 1) - fixed) / 4;
}

/**
 * The single pass over the type section (`btf_parse_type_sec` in libbpf): checks that every
 * record fits, its kind is known and its name offset is inside the strings, and returns each
 * type's absolute byte offset. Native-endian, 4-byte-aligned blobs (the kernel's, read into a
 * fresh Buffer) take a fast path over a Uint32Array; anything odd falls back to the checked
 * DataView loop, which also produces the precise error.
 */
export function indexTypes(bytes: Uint8Array, view: DataView, header: BtfHeader, strEnd: number, firstId: number, names?: NameBatch): { offsets: Uint32Array; namesSeen: boolean } {
  const abs = bytes.byteOffset + header.typeStart;
  if (header.littleEndian === HOST_LITTLE_ENDIAN && abs % 4 === 0) {
    const fast = indexAligned(new Uint32Array(bytes.buffer, abs, header.typeLen / 4), header.typeStart, strEnd, names);
    if (fast !== undefined) return { offsets: fast, namesSeen: names !== undefined };
  }
  return { offsets: indexChecked(view, header, strEnd, firstId), namesSeen: false };
}

/**
 * The fast path; with `names`, also shows each record whose kind a lookup wants to the batch
 * (the name offset and kind are read here anyway). `undefined` when anything is odd: the batch
 * has then seen part of the records and must not be used.
 */
function indexAligned(words: Uint32Array, typeStart: number, strEnd: number, names: NameBatch | undefined): Uint32Array | undefined {
  const end = words.length;
  // Every record is at least 3 words, so this bounds the count without a second pass.
  const offsets = new Uint32Array(Math.floor(end / 3));
  let n = 0;
  let w = 0;
  while (w < end) {
    if (w + 3 > end) return undefined;
    const info = words[w + 1] as number;
    const kind = (info >>> 24) & 0x1f;
    const fixed = FIXED_WORDS[kind] as number;
    if (fixed < 0 || (words[w] as number) >= strEnd) return undefined;
    const next = w + 3 + fixed + (VLEN_WORDS[kind] as number) * (info & 0xffff);
    if (next > end) return undefined;
    if (names !== undefined && ((names.union >>> kind) & 1) !== 0) names.see(n, kind, words[w] as number);
    offsets[n++] = typeStart + w * 4;
    w = next;
  }
  return offsets.slice(0, n);
}

function indexChecked(view: DataView, header: BtfHeader, strEnd: number, firstId: number): Uint32Array {
  const le = header.littleEndian;
  const end = header.typeStart + header.typeLen;
  const offsets = new Uint32Array(Math.floor(header.typeLen / BTF_TYPE_SIZE));
  let n = 0;
  let off = header.typeStart;
  while (off < end) {
    const id = firstId + n;
    if (off + BTF_TYPE_SIZE > end) throw new BtfError(`type record truncated: ${end - off} bytes left, need ${BTF_TYPE_SIZE}`, { typeId: id, offset: off });
    const nameOff = view.getUint32(off, le);
    const info = view.getUint32(off + 4, le);
    const kind = infoKind(info);
    const extra = trailingSize(kind, infoVlen(info));
    if (extra < 0) throw new BtfError(`unknown BTF kind ${kind}`, { typeId: id, offset: off });
    if (nameOff >= strEnd) throw new BtfError(`name offset ${nameOff} is outside the string section (size ${strEnd})`, { typeId: id, offset: off });
    const next = off + BTF_TYPE_SIZE + extra;
    if (next > end) throw new BtfError(`${kindName(kind)} with vlen ${infoVlen(info)} runs ${next - end} bytes past the type section`, { typeId: id, offset: off });
    offsets[n++] = off;
    off = next;
  }
  if (firstId + n > 0x7fffffff) throw new BtfError('too many types', { offset: header.typeStart });
  return offsets.slice(0, n);
}
