/**
 * libbpf's `.kconfig` extern resolution (`bpf_object__resolve_externs` for `EXT_KCFG`): fills
 * the `.kconfig` map value from kernel facts. Pure: the kernel config and the `LINUX_*` values
 * are passed in.
 */
import type { ExternSpec, KconfigLayout } from './collect-externs.js';
import { LoadError } from './load-errors.js';

/** Values of libbpf's `enum libbpf_tristate`. */
const TRI_NO = 0;
const TRI_YES = 1;
const TRI_MODULE = 2;

/** The kernel facts `.kconfig` externs are resolved from. */
export interface KconfigFacts {
  /** `CONFIG_FOO` -> its text in the kernel config (`y`, `m`, `250`, `"str"`), for set options. */
  readonly config: ReadonlyMap<string, string>;
  /** `LINUX_KERNEL_VERSION`: `KERNEL_VERSION(a, b, c)` of the running kernel. */
  readonly kernelVersion: number;
  /** `LINUX_HAS_SYSCALL_WRAPPER`: syscalls are entered through `__<arch>_sys_*` wrappers. */
  readonly hasSyscallWrapper: boolean;
  /** `LINUX_HAS_BPF_COOKIE`: `bpf_get_attach_cookie()` exists. */
  readonly hasBpfCookie: boolean;
}

/** The `LINUX_*` externs libbpf provides without a kernel config. */
const LINUX_EXTERNS = new Set(['LINUX_KERNEL_VERSION', 'LINUX_HAS_SYSCALL_WRAPPER', 'LINUX_HAS_BPF_COOKIE']);

/** True when some `.kconfig` extern needs the kernel config file (a `CONFIG_*` name). */
export function needsKernelConfig(externs: readonly ExternSpec[]): boolean {
  return externs.some((e) => e.kind === 'kconfig' && e.essentialName.startsWith('CONFIG_'));
}

/**
 * Builds the `.kconfig` map value: each extern's slot set from `facts`, like libbpf. A missing
 * option is an error unless the extern is `__weak` (then it stays 0); a value the C type cannot
 * hold (`m` in a `bool`, a number too wide, text in an `int`) is an error.
 *
 * @example
 * ```ts
 * const value = resolveKconfig(spec.externs, 16, { config: new Map([['CONFIG_HZ', '250']]), kernelVersion: 0x61200, hasSyscallWrapper: true, hasBpfCookie: true });
 * ```
 */
export function resolveKconfig(externs: readonly ExternSpec[], size: number, facts: KconfigFacts): Uint8Array {
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  for (const e of externs) {
    const layout = e.kconfig;
    if (e.kind !== 'kconfig' || layout === undefined) continue;
    const fail = (reason: string): LoadError => new LoadError(`(kconfig) ${reason}`, { extern: e.name });
    const name = e.essentialName;
    if (name.startsWith('LINUX_')) {
      if (!LINUX_EXTERNS.has(name)) throw fail('unrecognized LINUX_ extern');
      const v = name === 'LINUX_KERNEL_VERSION' ? BigInt(facts.kernelVersion) : name === 'LINUX_HAS_SYSCALL_WRAPPER' ? (facts.hasSyscallWrapper ? 1n : 0n) : facts.hasBpfCookie ? 1n : 0n;
      if (layout.type === 'int' || layout.type === 'bool') writeInt(view, layout, v, fail);
      else throw fail(`type ${layout.type} cannot hold ${name}`);
      continue;
    }
    const text = facts.config.get(name);
    if (text === undefined) {
      if (e.weak) continue;
      throw fail('value not found in the kernel config (declare it __weak to default to 0)');
    }
    setValue(out, view, layout, text, fail);
  }
  return out;
}

function setValue(out: Uint8Array, view: DataView, layout: KconfigLayout, text: string, fail: (reason: string) => LoadError): void {
  const c = text[0];
  if (text.length === 1 && (c === 'y' || c === 'n' || c === 'm')) {
    switch (layout.type) {
      case 'bool':
        if (c === 'm') throw fail(`value '${text}' cannot be a bool`);
        out[layout.offset] = c === 'y' ? 1 : 0;
        return;
      case 'tristate':
        writeInt(view, { ...layout, signed: false }, BigInt(c === 'y' ? TRI_YES : c === 'm' ? TRI_MODULE : TRI_NO), fail);
        return;
      case 'char':
        out[layout.offset] = text.charCodeAt(0);
        return;
      default:
        throw fail(`value '${text}' is a tristate, the extern is ${layout.type}`);
    }
  }
  if (c === '"') {
    if (layout.type !== 'char_array') throw fail(`string value ${text} needs a char array`);
    if (text.length < 2 || !text.endsWith('"')) throw fail(`invalid string value ${text}`);
    const bytes = new TextEncoder().encode(text.slice(1, -1));
    // libbpf truncates and still NUL-terminates, warning only.
    const n = Math.min(bytes.length, layout.size - 1);
    out.set(bytes.subarray(0, n), layout.offset);
    out[layout.offset + n] = 0;
    return;
  }
  if (layout.type !== 'int') throw fail(`numeric value '${text}' needs an integer extern, not ${layout.type}`);
  const parsed = parseCInteger(text);
  if (parsed === undefined) throw fail(`invalid numeric value '${text}'`);
  writeInt(view, layout, parsed, fail);
}

/** `strtoull(text, &end, 0)` that must consume everything; a leading `-` negates (as strtoull does). */
export function parseCInteger(text: string): bigint | undefined {
  const m = /^\s*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(text);
  if (m === null) return undefined;
  const digits = m[2] as string;
  let v: bigint;
  if (/^0[xX]/.test(digits)) v = BigInt(digits);
  else if (digits.length > 1 && digits.startsWith('0')) v = BigInt(`0o${digits.slice(1)}`);
  else v = BigInt(digits);
  if (v > 0xffffffffffffffffn) return undefined;
  return m[1] === '-' ? BigInt.asUintN(64, -v) : v;
}

function writeInt(view: DataView, layout: Pick<KconfigLayout, 'offset' | 'size' | 'signed' | 'type'>, value: bigint, fail: (reason: string) => LoadError): void {
  const bits = layout.size * 8;
  // libbpf's is_kcfg_value_in_range(): the u64 reinterpreted as the extern's signedness must fit.
  const asType = layout.signed ? BigInt.asIntN(64, value) : value;
  const fits = layout.signed ? asType >= -(1n << BigInt(bits - 1)) && asType < 1n << BigInt(bits - 1) : asType < 1n << BigInt(bits);
  if (!fits) throw fail(`value ${value} does not fit in ${layout.size} bytes`);
  const u = BigInt.asUintN(bits, asType);
  switch (layout.size) {
    case 1:
      view.setUint8(layout.offset, Number(u));
      break;
    case 2:
      view.setUint16(layout.offset, Number(u), true);
      break;
    case 4:
      view.setUint32(layout.offset, Number(u), true);
      break;
    case 8:
      view.setBigUint64(layout.offset, u, true);
      break;
    default:
      throw fail(`unsupported size ${layout.size}`);
  }
}
