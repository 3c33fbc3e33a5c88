import { BtfDumpError } from './c-dump-error.js';
import { CTypeEmitter } from './c-dump-emitter.js';
import { pointerSizeOf } from './c-dump-layout.js';
import { CDumpOrder } from './c-dump-order.js';
import type { BtfTypeTable } from './types.js';

/**
 * Options of {@link dumpBtfAsC}.
 *
 * @example
 * ```ts
 * // What `bpftool btf dump map ... value format c` prints for a map's value type:
 * dumpBtfAsC(btf, { rootIds: [valueTypeId] });
 * ```
 */
export interface CDumpOptions {
  /**
   * Dump only these types and what they need (bpftool does this for `btf dump map ... format c`,
   * with the map's key and value types); default: every type, in id order.
   */
  readonly rootIds?: readonly number[];
  /**
   * Wrap the types in the `#ifndef __VMLINUX_H__` include guard and the
   * `preserve_access_index` pragma that bpftool prints around them (default `true`); `false`
   * gives the bare definitions, as libbpf's `btf_dump__dump_type` does.
   */
  readonly header?: boolean;
  /**
   * Keep the size of 1- and 8-byte enums with `__attribute__((mode(byte)))` /
   * `__attribute__((mode(word)))`, as libbpf 1.1.0+ does (bpftool 7.2+). Default `false`: bpftool
   * 7.1 (Debian 12's, built from kernel 6.1's libbpf) writes them as plain enums, which clang then
   * makes 4 bytes wide, shifting any struct member that follows one.
   */
  readonly enumModes?: boolean;
}

const HEADER_START =
  '#ifndef __VMLINUX_H__\n' +
  '#define __VMLINUX_H__\n' +
  '\n' +
  '#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n' +
  '#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)\n' +
  '#endif\n\n';

const HEADER_END =
  '#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n' +
  '#pragma clang attribute pop\n' +
  '#endif\n' +
  '\n' +
  '#endif /* __VMLINUX_H__ */\n';

/**
 * Writes BTF as a C header: what `bpftool btf dump file FILE format c` prints, byte for byte.
 * The reference is Debian 12's bpftool 7.1, built from Linux 6.1.y's libbpf (it reports v1.1):
 * libbpf 1.1.0's `btf_dump` without its enum `mode()` attributes (see `enumModes`), with the
 * later `(void)` fix for parameterless prototypes. This is how `vmlinux.h` is made for CO-RE:
 * every struct, union, enum and typedef, dependencies first, forward declarations where pointer
 * cycles need them, anonymous types inlined, struct layouts reproduced with bitfields, explicit
 * padding and `__attribute__((packed))`, clashing names renamed `name___2`. Functions, variables
 * and DATASECs are not written, as bpftool does not write them.
 *
 * Throws {@link BtfDumpError} for BTF that has no C form (a struct embedding itself, a VAR used
 * as a member type), and the table's `BtfError` for dangling type ids.
 *
 * @example
 * ```ts
 * import { readFileSync, writeFileSync } from 'node:fs';
 * import { parseBtf, dumpBtfAsC } from 'bpf-ts';
 * const vmlinux = parseBtf(readFileSync('/sys/kernel/btf/vmlinux'));
 * writeFileSync('vmlinux.h', dumpBtfAsC(vmlinux));
 * ```
 */
export function dumpBtfAsC(btf: BtfTypeTable, options: CDumpOptions = {}): string {
  const order = new CDumpOrder(btf);
  const emitter = new CTypeEmitter(btf, { pointerSize: pointerSizeOf(btf), enumModes: options.enumModes === true });
  const dumpOne = (id: number): void => {
    for (const definition of order.definitionsFor(id)) emitter.emitType(definition);
  };
  if (options.rootIds !== undefined) {
    for (const id of options.rootIds) {
      if (!Number.isInteger(id) || id < 0 || id >= btf.typeCount) {
        throw new BtfDumpError(`type id out of range 0..${btf.typeCount - 1}`, id);
      }
    }
    for (const id of options.rootIds) dumpOne(id);
  } else {
    for (let id = 1; id < btf.typeCount; id++) dumpOne(id);
  }
  const types = emitter.text();
  return options.header === false ? types : HEADER_START + types + HEADER_END;
}

export { BtfDumpError } from './c-dump-error.js';
