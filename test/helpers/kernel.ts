/**
 * What the running kernel is, for tests whose expectations follow it: the kernel matrix
 * (scripts/kernels/run.sh) runs the kernel-facing tests on Debian's 6.1 and 6.12 as well as on the
 * development machine's kernel, and a test of a feature some kernels lack expects the older
 * kernel's real behaviour (a `NotSupportedError`, a shorter info struct) instead of skipping.
 */
import { release } from 'node:os';
import { loadKernelBtf, type Btf, type BtfMember, type BtfType } from '../../src/btf/index.js';

/** `major.minor` of `uname -r` (`6.12.117+deb12-amd64` -> [6, 12]). */
export function kernelRelease(): readonly [number, number] {
  const m = /^(\d+)\.(\d+)/.exec(release());
  if (m === null) throw new Error(`cannot parse the kernel release '${release()}'`);
  return [Number(m[1]), Number(m[2])];
}

/** The running kernel is `major.minor` or newer. */
export function kernelAtLeast(major: number, minor: number): boolean {
  const [a, b] = kernelRelease();
  return a > major || (a === major && b >= minor);
}

/** The kernel-matrix VM's kernel series (`6.1`, `6.12`), or undefined outside such a VM. */
export function vmKernel(): string | undefined {
  return process.env['BPF_TS_VM_KERNEL'];
}

/**
 * Factor for wall-clock bounds in tests that have them: inside a kernel-matrix VM JavaScript runs
 * ~20x slower (QEMU's TCG emulates the CPU), so a bound measured on the host is scaled by 20.
 */
export function slowdown(): number {
  return vmKernel() === undefined ? 1 : 20;
}

/**
 * Whether the running kernel's BTF has `struct`/`union` `name` with the member path `path`
 * (`kernelBtfHas('bpf_link_info', 'raw_tracepoint', 'cookie')`): for info structs that grew
 * fields after the oldest kernel of the matrix.
 */
export function kernelBtfHas(name: string, ...path: string[]): boolean {
  const btf = loadKernelBtf();
  for (const id of btf.findByName(name)) {
    let t = btf.typeById(id);
    let found = true;
    for (const member of path) {
      if (t.kind !== 'STRUCT' && t.kind !== 'UNION') {
        found = false;
        break;
      }
      const next = memberType(btf, t.members, member);
      if (next === undefined) {
        found = false;
        break;
      }
      t = next;
    }
    if (found) return true;
  }
  return false;
}

/** The type of member `name`, looking into anonymous struct/union members as C does. */
function memberType(btf: Btf, members: readonly BtfMember[], name: string): BtfType | undefined {
  for (const m of members) {
    const t = btf.typeById(m.type);
    if (m.name === name) return t;
    if (m.name === '' && (t.kind === 'STRUCT' || t.kind === 'UNION')) {
      const inner = memberType(btf, t.members, name);
      if (inner !== undefined) return inner;
    }
  }
  return undefined;
}
