/**
 * Explicit padding members (`long: 64;`, `int: 0;`, `char: 3;`) that make a compiler place the
 * next member of a reconstructed struct at the bit offset BTF recorded. Follows libbpf's
 * `btf_dump_emit_bit_padding` decision for decision, so headers match bpftool's.
 */

type Pad = readonly [name: string, bits: number];

function padsFor(pointerSize: number): readonly Pad[] {
  return [
    ['long', pointerSize * 8],
    ['int', 32],
    ['short', 16],
    ['char', 8],
  ];
}

/** Called for every member of every struct: the common table is built once. */
const PADS_LP64 = padsFor(8);

function roundUp(value: number, multiple: number): number {
  // libbpf would divide by zero here; only malformed BTF (a member of FWD type) gets this far.
  if (multiple === 0) return value;
  return Math.ceil(value / multiple) * multiple;
}

/**
 * Padding lines between bit offsets `curOff` and `nextOff`, each starting with `"\n" + indent`;
 * `''` when there is no gap. `nextAlign` is the alignment (bytes) the next member gets on its
 * own; `inBitfield` says the gap is inside a run of bitfields, where `type: 0` cannot be used.
 *
 * @example
 * ```ts
 * bitPadding(32, 128, 8, false, '\t', 8); // '\n\tlong: 64;' (int: 32 is implied by alignment)
 * ```
 */
export function bitPadding(
  curOff: number,
  nextOff: number,
  nextAlign: number,
  inBitfield: boolean,
  indent: string,
  pointerSize: number,
): string {
  if (curOff >= nextOff) return '';
  const pads = pointerSize === 8 ? PADS_LP64 : padsFor(pointerSize);
  let out = '';
  let padType = 'char';
  let padBits = 8;
  let newOff = curOff;
  // The widest type whose natural alignment lands at or before the next member does the work.
  for (const [name, bits] of pads) {
    padType = name;
    padBits = bits;
    newOff = roundUp(curOff, bits);
    if (newOff <= nextOff) break;
  }
  if (newOff > curOff && newOff <= nextOff) {
    // `type: 0` forces the alignment when the compiler would not reach it by itself, or when a
    // `type: N` would fit into the hole and be swallowed by it.
    if (
      inBitfield ||
      (newOff === nextOff && roundUp(curOff, nextAlign * 8) !== newOff) ||
      (newOff !== nextOff && nextOff - newOff <= newOff - curOff)
    ) {
      out += `\n${indent}${padType}: ${inBitfield ? newOff - curOff : 0};`;
    }
    curOff = newOff;
  }
  while (curOff !== nextOff) {
    const bits = Math.min(nextOff - curOff, padBits);
    if (bits === padBits) {
      out += `\n${indent}${padType}: ${padBits};`;
      curOff += bits;
      continue;
    }
    // The remainder gets the smallest type that holds it: the width tells the reader the gap.
    for (let i = pads.length - 1; i >= 0; i--) {
      const pad = pads[i];
      if (pad === undefined || pad[1] < bits) continue;
      padType = pad[0];
      padBits = pad[1];
      out += `\n${indent}${padType}: ${bits};`;
      curOff += bits;
      break;
    }
  }
  return out;
}
