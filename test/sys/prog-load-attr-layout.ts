/**
 * Reference layout of `union bpf_attr` from the running kernel: bpftool dumps its BTF as C
 * (vmlinux.h), clang compiles a program printing `offsetof`/`sizeof` of the requested fields.
 * The kernel's own definition is the reference our hand-written offsets are checked against
 * (Debian's /usr/include/linux/bpf.h is 6.1 and lacks the newer fields).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const BPFTOOL = '/usr/sbin/bpftool';
export const CLANG = '/usr/bin/clang';

export interface FieldLayout {
  readonly offset: number;
  readonly size: number;
}

let vmlinuxDir: string | undefined;

function vmlinuxHeader(): string {
  if (vmlinuxDir === undefined) {
    vmlinuxDir = mkdtempSync(join(tmpdir(), 'bpf-ts-attr-'));
    const header = execFileSync(BPFTOOL, ['btf', 'dump', 'file', '/sys/kernel/btf/vmlinux', 'format', 'c'], { maxBuffer: 1 << 30 });
    writeFileSync(join(vmlinuxDir, 'vmlinux.h'), header);
    process.once('exit', () => {
      if (vmlinuxDir !== undefined) rmSync(vmlinuxDir, { recursive: true, force: true });
    });
  }
  return vmlinuxDir;
}

/**
 * Splits `fields` into those the running kernel's `union bpf_attr` has and those it lacks (newer
 * than the kernel: the kernel matrix runs these tests on 6.1 and 6.12 too), by name in the
 * `union bpf_attr { ... }` block of the kernel's vmlinux.h.
 */
export function kernelAttrFields(fields: readonly string[]): { present: string[]; missing: string[] } {
  const header = readFileSync(join(vmlinuxHeader(), 'vmlinux.h'), 'utf8');
  const start = header.indexOf('union bpf_attr {');
  if (start < 0) throw new Error('vmlinux.h has no union bpf_attr');
  let depth = 0;
  let end = start;
  for (let i = header.indexOf('{', start); i < header.length; i++) {
    if (header[i] === '{') depth++;
    else if (header[i] === '}' && --depth === 0) {
      end = i;
      break;
    }
  }
  const body = header.slice(start, end);
  const has = (f: string): boolean => new RegExp(`[\\s*]${f}(\\[\\d+\\])?;`).test(body);
  return { present: fields.filter(has), missing: fields.filter((f) => !has(f)) };
}

/**
 * Where an encoder writes a field the running kernel lacks: the first byte that changes when the
 * field is added to an otherwise complete attr. Fields newer than the kernel must lie after
 * every field it has.
 */
export function firstWrittenByte(encode: (attr: Record<string, unknown>) => Uint8Array, base: Record<string, unknown>, key: string): number {
  const without = encode(base);
  let bytes: Uint8Array;
  try {
    bytes = encode({ ...base, [key]: 0x5a });
  } catch {
    bytes = encode({ ...base, [key]: 0x5an }); // a u64 field takes a bigint
  }
  const i = bytes.findIndex((b, at) => b !== without[at]);
  if (i < 0) throw new Error(`the encoder wrote nothing for ${key}`);
  return i;
}

/** `offsetof(union bpf_attr, f)` and `sizeof` of each field, compiled against the kernel's BTF. */
export function bpfAttrLayout(fields: readonly string[]): Map<string, FieldLayout> {
  const dir = vmlinuxHeader();
  const src = join(dir, `layout-${process.pid}-${fields[0]}.c`);
  const exe = src.replace(/\.c$/, '');
  // No libc headers: vmlinux.h redefines their types.
  const lines = fields.map(
    (f) => `  printf("%s %lu %lu\\n", "${f}", (unsigned long)__builtin_offsetof(union bpf_attr, ${f}), (unsigned long)sizeof(((union bpf_attr *)0)->${f}));`,
  );
  writeFileSync(
    src,
    `#define BPF_NO_PRESERVE_ACCESS_INDEX\n#include "vmlinux.h"\nint printf(const char *, ...);\nint main(void) {\n${lines.join('\n')}\n  return 0;\n}\n`,
  );
  execFileSync(CLANG, ['-w', '-O0', '-o', exe, src], { cwd: dir });
  const out = execFileSync(exe, { encoding: 'utf8' });
  const layout = new Map<string, FieldLayout>();
  for (const line of out.trim().split('\n')) {
    const [name, offset, size] = line.split(' ');
    layout.set(name as string, { offset: Number(offset), size: Number(size) });
  }
  return layout;
}

/** Reads an unsigned little-endian integer of `size` bytes. */
export function readUint(bytes: Uint8Array, offset: number, size: number): bigint {
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[offset + i] as number);
  return v;
}
