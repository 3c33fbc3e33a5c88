import { loadKernelBtf } from '../btf/kernel-btf.js';
import { AttachTypeName } from '../sys/uapi.js';

const enumValues = new Map<string, ReadonlySet<number> | null>();

/** The values of `enum <name>` in the running kernel's BTF; `null` when it cannot tell. */
function kernelEnumValues(name: string): ReadonlySet<number> | null {
  let values = enumValues.get(name);
  if (values !== undefined) return values;
  values = null;
  try {
    const btf = loadKernelBtf();
    const found = new Set<number>();
    for (const id of btf.findByName(name)) {
      const t = btf.typeById(id);
      if (t.kind === 'ENUM') for (const v of t.values) found.add(v.value);
      else if (t.kind === 'ENUM64') for (const v of t.values) found.add(Number(v.value));
    }
    if (found.size > 0) values = found;
  } catch {
    // no kernel BTF: null, and the kernel's own error stands
  }
  enumValues.set(name, values);
  return values;
}

/**
 * Whether the running kernel knows `enum bpf_attach_type` value `attachType`, read from the
 * enumerators in its BTF (`/sys/kernel/btf/vmlinux`). A kernel whose enum stops before a value
 * cannot have the hook (`BPF_TCX_INGRESS`: 6.6, `BPF_TRACE_UPROBE_MULTI`: 6.6), which tells a
 * missing feature apart from the `EINVAL` of a bad argument. `true` when the kernel has no BTF to
 * tell (then the kernel's own error stands).
 *
 * @example
 * ```ts
 * if (!kernelKnowsAttachType(AttachType.TCX_INGRESS)) console.log('no tcx: use tc (cls_bpf)');
 * ```
 */
export function kernelKnowsAttachType(attachType: number): boolean {
  return kernelEnumValues('bpf_attach_type')?.has(attachType) ?? true;
}

/**
 * Whether the running kernel knows `enum bpf_link_type` value `linkType` (`BPF_LINK_TYPE_SOCKMAP`:
 * 6.10), as {@link kernelKnowsAttachType} does for attach types.
 *
 * @example
 * ```ts
 * kernelKnowsLinkType(LinkType.NETKIT); // false before Linux 6.7
 * ```
 */
export function kernelKnowsLinkType(linkType: number): boolean {
  return kernelEnumValues('bpf_link_type')?.has(linkType) ?? true;
}

/**
 * `BPF_TCX_INGRESS` -> `'tcx_ingress'` for messages.
 *
 * @internal
 */
export function attachTypeLabel(attachType: number): string {
  return AttachTypeName.get(attachType) ?? `attach type ${attachType}`;
}
