/**
 * Links: attaching loaded programs to kernel hooks. Each attach function returns a disposable
 * {@link Link} (`close`, `pin`, `unpin`, `update`, `detach`, `info`); {@link attach} picks the
 * hook from the program's type, {@link autoAttach} from its SEC() name as libbpf does.
 *
 * Decisions:
 * - Programs come in as `{ fd, type?, expectedAttachType?, name?, section? }` (the loader's
 *   `BpfProgram` fits), so this folder never imports the loader.
 * - A `bpf_link` whenever the kernel has one for the hook; legacy attachments (perf event
 *   `PERF_EVENT_IOC_SET_BPF` before 5.15, `SO_ATTACH_BPF`, tracefs probes before 4.17) are still
 *   `Link`s, whose pin/update/info throw `NotSupportedError` saying why.
 * - Tracepoints, kprobes and system-wide uprobes use one perf event (pid -1, CPU 0), as libbpf:
 *   BPF programs on those events run for hits on every CPU. Sampling perf events get one link
 *   per CPU in a {@link LinkGroup}.
 * - tracefs is mounted at /sys/kernel/tracing on demand when root (tracepoint ids, legacy probes).
 * - Uprobe targets are read with a small reader of linked ELF binaries (`user-elf.ts`): the
 *   `src/elf` reader validates BPF relocatable objects and refuses executables and libraries.
 * - Hooks this kernel lacks fail with `NotSupportedError` naming the missing feature (kprobe PMU
 *   and kprobe_events, fprobe for kprobe.multi, BPF trampolines for fentry/fexit/fmod_ret/lsm).
 * - tc: `attachTcx` (a `bpf_link`, 6.6+) and, for older kernels, `attachTc`: a `cls_bpf` filter
 *   in direct-action mode under the `clsact` qdisc over rtnetlink (libbpf's `bpf_tc_*`), a `Link`
 *   without link fd whose close() deletes the filter. `attach()` keeps to tcx and its
 *   `NotSupportedError` names `attachTc`: the two differ in ordering and ownership, so falling
 *   back silently would change what the caller gets.
 * - USDT attaches uprobes at the note sites with their semaphores and, given the object's
 *   `__bpf_usdt_specs` map, fills it and passes the spec index as BPF cookie (x86-64 only).
 */
export { Link, LinkGroup, type LinkParts } from './link.js';
export { LinkError, SymbolResolveError, type LinkErrorContext } from './errors.js';
export { programLabel, type AttachableProgram } from './program.js';
export { LinkCreateLayout, linkCreate, type LinkCreateRequest } from './link-create.js';
export { PerfEventAttrLayout, PerfAttrFlag, perfEventOpen, attachToPerfEvent, type PerfEventAttr, type PerfEventAttachOptions } from './perf-event-open.js';
export { traceEventId, probePmu, type ProbePmu } from './tracefs.js';
export { attachTracepoint, parseTracepointTarget, type TracepointOptions } from './tracepoint.js';
export { attachRawTracepoint, type RawTracepointOptions } from './raw-tracepoint.js';
export { attachTracing, trampolineUnavailableReason, type TracingOptions } from './tracing.js';
export { attachKprobe, attachKsyscall, attachKprobeMulti, kprobeUnavailableReason, syscallPrefix, kallsymsMatching, type KprobeOptions, type KprobeMultiOptions } from './kprobe.js';
export { attachLegacyProbe } from './legacy-probe.js';
export { attachUprobe, attachUprobeMulti, resolveUprobe, type UprobeOptions, type UprobeMultiOptions, type ResolvedUprobe } from './uprobe.js';
export { resolveBinaryPath, ldSoCache, loadUserElf, symbolFileOffset, parseUprobeTarget } from './uprobe-target.js';
export { parseUserElf, addressToFileOffset, type UserElf, type UserSymbol, type LoadSegment } from './user-elf.js';
export { globRegExp } from './glob.js';
export { attachPerfEvent, attachPerfEventFd, PerfType, PerfSwConfig, PerfHwConfig, type PerfEventOptions } from './perf-event.js';
export { attachXdp, XdpFlag, type XdpOptions } from './xdp.js';
export { attachTcx, type TcxOptions, type TcxAnchor } from './tcx.js';
export { attachTc, createTcHook, destroyTcHook, TcLink, type TcOptions } from './tc.js';
export { kernelKnowsAttachType, kernelKnowsLinkType } from './kernel-attach-types.js';
export { deviceIndex, type NetDevice } from './netdev.js';
export { attachCgroup, type CgroupOptions } from './cgroup.js';
export { attachSocketFilter, socketFd } from './socket-filter.js';
export { attachNetns, type NetnsOptions } from './netns.js';
export { attachNetfilter, NfProto, NfInetHook, NETFILTER_IP_DEFRAG, type NetfilterOptions } from './netfilter.js';
export { attachSockmap, type SockmapOptions } from './sockmap.js';
export { attachIter, IterLink, CgroupIterOrder, type IterOptions } from './iter.js';
export { attachUsdt, readUsdtNotes, parseUsdtTarget, parseUsdtArgs, encodeUsdtSpec, USDT_SPEC_SIZE, type UsdtNote, type UsdtOptions, type UsdtArgSpec } from './usdt.js';
export { attachStructOps, type StructOpsAttachable } from './struct-ops.js';
export { attachAndPin, attachAndPinAll, type PinnableProgram, type PinAttachEntry, type PinnedAttachment, type AttachAndPinOptions } from './pin-attached.js';
export { attach, autoAttach, type AttachOptions, type AutoAttachContext, type SectionAttachInfo } from './attach.js';
