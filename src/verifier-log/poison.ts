/**
 * The helper ids libbpf (tools/lib/bpf/libbpf.c, relo_core.c) writes into instructions it could
 * not relocate, so that the program is rejected only if the instruction is reachable. The
 * verifier then logs `invalid func unknown#<id>`; bpf-ts's loader uses the same values so that
 * logs read the same with either loader.
 */
export const PoisonMarker = {
  /** `bpf_core_poison_insn()`: a failed CO-RE relocation, 0xbad2310 ("bad relo"). */
  coreRelocation: 195896080,
  /** `poison_map_ldimm64()`: `POISON_LDIMM64_MAP_BASE` + index of a map that was not created. */
  mapBase: 2001000000,
  /** `poison_kfunc_call()`: `POISON_CALL_KFUNC_BASE` + extern index of an unresolved weak kfunc. */
  kfuncBase: 2002000000,
} as const;
/** One of {@link PoisonMarker}'s values. */
export type PoisonMarker = (typeof PoisonMarker)[keyof typeof PoisonMarker];

/** How many indices each base-plus-index marker spans (libbpf leaves a million per base). */
const MARKER_SPAN = 1000000;

/** What an `unknown#<id>` helper id in a log stands for. */
export type PoisonedCall =
  | { readonly kind: 'core-relocation' }
  | { readonly kind: 'map'; readonly mapIndex: number }
  | { readonly kind: 'kfunc'; readonly externIndex: number };

/**
 * Decodes a helper id that the verifier called `unknown`: a libbpf-style poison marker, or
 * undefined for an id that is simply not a helper this kernel knows.
 *
 * @example
 * ```ts
 * decodePoisonedCall(2001000003); // { kind: 'map', mapIndex: 3 }
 * ```
 */
export function decodePoisonedCall(helperId: number): PoisonedCall | undefined {
  if (helperId === PoisonMarker.coreRelocation) return { kind: 'core-relocation' };
  if (helperId >= PoisonMarker.mapBase && helperId < PoisonMarker.mapBase + MARKER_SPAN) {
    return { kind: 'map', mapIndex: helperId - PoisonMarker.mapBase };
  }
  if (helperId >= PoisonMarker.kfuncBase && helperId < PoisonMarker.kfuncBase + MARKER_SPAN) {
    return { kind: 'kfunc', externIndex: helperId - PoisonMarker.kfuncBase };
  }
  return undefined;
}
