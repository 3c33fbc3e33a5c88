import { decodePoisonedCall, PoisonMarker } from './poison.js';
import type { InstructionRecord, SourceLocation, VerifierLog, VerifierLogRecord } from './records.js';

/** The verifier failures bpf-ts recognises and explains. */
export const VerifierFailureKind = {
  /** A `..._or_null` pointer (map lookup, ringbuf reserve, ...) used before a NULL check. */
  nullPointerUnchecked: 'null-pointer-unchecked',
  /** A memory access whose offset the verifier cannot bound, or that leaves the object. */
  unboundedAccess: 'unbounded-access',
  /** A read of stack bytes that were never written. */
  invalidStackRead: 'invalid-stack-read',
  /** A helper the program type (or license) may not call, or one this kernel lacks. */
  helperNotAllowed: 'helper-not-allowed',
  /** The walk exceeded the 1,000,000 processed-instruction budget. */
  tooManyInstructions: 'too-many-instructions',
  /** A CO-RE relocation failed and the loader poisoned the instruction (0xbad2310). */
  poisonedCoreRelocation: 'poisoned-core-relocation',
  /** A kfunc the loader could not resolve was reached (libbpf's 2002000000 + extern index). */
  poisonedKfuncCall: 'poisoned-kfunc-call',
  /** A map the loader did not create was referenced (libbpf's 2001000000 + map index). */
  poisonedMapReference: 'poisoned-map-reference',
  /** A loop the verifier cannot prove terminates (same state twice, or a back-edge). */
  infiniteLoop: 'infinite-loop',
  /** An acquired reference (socket, ringbuf record, kptr, ...) is not released on some path. */
  unreleasedReference: 'unreleased-reference',
  /** R0 at exit is outside the range the program type allows. */
  invalidReturnValue: 'invalid-return-value',
  /** A register is read before anything wrote it. */
  uninitializedRegister: 'uninitialized-register',
  /** A context (`ctx`) field access the program type does not allow. */
  invalidContextAccess: 'invalid-ctx-access',
  /** Anything else: the explanation quotes the kernel's error line. */
  unknown: 'unknown',
} as const;
/** One of {@link VerifierFailureKind}'s values. */
export type VerifierFailureKind = (typeof VerifierFailureKind)[keyof typeof VerifierFailureKind];

/** A CO-RE relocation the loader could not resolve and poisoned. */
export interface CoreFailure {
  /** Index of the poisoned instruction in the loaded program. */
  readonly insnIndex: number;
  /** What was being relocated, libbpf style: `struct task_struct.nonexistent_field`. */
  readonly description: string;
}

/** Loader facts the log itself does not contain. */
export interface ExplainContext {
  /** The relocations the loader poisoned, to name the missing field for `unknown#195896080`. */
  readonly coreFailures?: readonly CoreFailure[];
  /** The object's maps in load order, to name the map behind `unknown#2001000000+N`. */
  readonly mapNames?: readonly string[];
  /** The object's externs in order, to name the kfunc behind `unknown#2002000000+N`. */
  readonly externNames?: readonly string[];
  /**
   * The program's line info as loaded (instruction index -> file and line), to name the file and
   * line where the log prints only the source text (kernels before 6.3 have no "@ file:line").
   */
  readonly lineInfo?: readonly { readonly insnIndex: number; readonly fileName: string; readonly lineNumber: number }[];
}

/** One failure, classified and explained. */
export interface VerifierExplanation {
  readonly kind: VerifierFailureKind;
  /** One line: what is wrong. */
  readonly summary: string;
  /** One readable paragraph: where, why, and what usually fixes it. */
  readonly paragraph: string;
  /** The kernel's line that decided the kind (absent when the log holds no error). */
  readonly errorLine?: string;
  /** The instruction the verifier rejected. */
  readonly insnIndex?: number;
  /** Its source line. */
  readonly source?: SourceLocation;
}

/** What a matcher hands back; location fields are filled in by {@link explainVerifierLog}. */
interface Finding {
  readonly summary: string;
  /** The paragraph after the location sentence. */
  readonly body: string;
  /** Overrides the log's failing instruction when the message names a better one. */
  readonly insnIndex?: number;
}

interface MatchInput {
  readonly log: VerifierLog;
  readonly match: RegExpExecArray;
  readonly line: string;
  readonly context: ExplainContext;
}

interface Matcher {
  readonly kind: VerifierFailureKind;
  readonly patterns: readonly RegExp[];
  readonly explain: (input: MatchInput) => Finding;
}

/** `null_deref.bpf.c:18: return *value;`, or just the text on kernels without file:line. */
export function formatSource(source: SourceLocation): string {
  if (source.file === undefined) return source.text;
  return `${source.file}:${source.line ?? 0}: ${source.text}`;
}

function lastInstructionAt(log: VerifierLog): number {
  for (let i = log.records.length - 1; i >= 0; i--) if (log.records[i]?.kind === 'instruction') return i;
  return -1;
}

/** The source line printed last before record `at` (line 0 is "no line", so skipped). */
function sourceBefore(records: readonly VerifierLogRecord[], at: number): SourceLocation | undefined {
  const lineNo = records[at]?.lineNo;
  for (let i = at - 1; i >= 0; i--) {
    const r = records[i];
    if (r?.kind === 'source' && r.source.line !== 0 && r.lineNo !== lineNo) return r.source;
  }
  return undefined;
}

/** The last instruction printed before record `before` that satisfies `test`, with its source. */
function findInstruction(
  log: VerifierLog,
  test: (insn: InstructionRecord) => boolean,
  before = log.records.length,
): { insn: InstructionRecord; source?: SourceLocation } | undefined {
  for (let i = Math.min(before, log.records.length) - 1; i >= 0; i--) {
    const r = log.records[i];
    if (r?.kind === 'instruction' && test(r)) {
      const source = sourceBefore(log.records, i);
      return source ? { insn: r, source } : { insn: r };
    }
  }
  return undefined;
}

function at(insnIndex: number, source: SourceLocation | undefined): string {
  return source ? `instruction ${insnIndex} (${formatSource(source)})` : `instruction ${insnIndex}`;
}

function bytes(count: string | undefined): string {
  return count === '1' ? '1 byte' : `${count ?? '?'} bytes`;
}

function helperName(callText: string): string {
  const m = /^call (\S+?)(?:#\d+)?$/.exec(callText);
  return m?.[1] ?? callText;
}

/** `<byte_off> [5] struct task_struct___old.nonexistent_field (0:0 @ offset 0)` -> the middle. */
function coreSpecTarget(spec: string): string {
  return spec.replace(/^<[^>]*>\s*(?:\[\d+\]\s*)?/, '').replace(/\s*\([^()]*\)\s*$/, '').trim();
}

/** Names the field/type of a relocation description, dropping a `___flavor` suffix it was matched by. */
function describeCoreTarget(target: string): string {
  const m = /^((?:struct|union|enum|enum64|typedef|func|fwd)\s+)?([A-Za-z_]\w*?)(___\w+)?((?:\.|\[|:).*)?$/.exec(target);
  if (!m) return `\`${target}\``;
  const kw = m[1] ?? '';
  const base = `${kw}${m[2] ?? ''}`;
  const member = m[4] ?? '';
  const flavor = m[3] ? ` (written as the flavor \`${kw}${m[2] ?? ''}${m[3]}\`, which matches \`${base}\`)` : '';
  if (member.startsWith('.')) return `field \`${member.slice(1)}\` of \`${base}\`${flavor}`;
  return `\`${base}${member}\`${flavor}`;
}

/** The instruction the poisoned call replaced: the last `call unknown#<id>` printed. */
function poisonedInsn(log: VerifierLog, id: string): number | undefined {
  return findInstruction(log, (i) => i.text === `call unknown#${id}`)?.insn.insnIndex;
}

const CORE_GUARD =
  'Guard the access with bpf_core_field_exists() or bpf_core_type_exists() (the verifier then drops ' +
  'the branch as dead code on kernels without it), read it through a `___flavor` type that matches ' +
  'this kernel, or make sure the program does not run on this kernel.';

/** Literal text of the poison calls, for the explanations. */
const PoisonMarkerText = { map: 'unknown#2001000000+N', kfunc: 'unknown#2002000000+N' } as const;

const MATCHERS: readonly Matcher[] = [
  {
    kind: VerifierFailureKind.poisonedCoreRelocation,
    patterns: [new RegExp(`^invalid func unknown#${PoisonMarker.coreRelocation}$`), /^failed to resolve CO-RE relocation (.*)$/],
    explain: ({ log, match, context }) => {
      const patchedSpec = match[1];
      const insnIndex = patchedSpec === undefined ? poisonedInsn(log, String(PoisonMarker.coreRelocation)) : log.failedInsn;
      const failures = context.coreFailures ?? [];
      const failure = failures.find((f) => f.insnIndex === insnIndex) ?? (failures.length === 1 ? failures[0] : undefined);
      const target = failure?.description ?? (patchedSpec !== undefined ? coreSpecTarget(patchedSpec) : undefined);
      const what = target !== undefined ? describeCoreTarget(target) : 'a field or type (the loader did not say which)';
      return {
        summary: target !== undefined
          ? `CO-RE relocation failed: ${target} does not exist in this kernel's BTF`
          : 'a failed CO-RE relocation was reached',
        body:
          `The program uses ${what}, which does not exist in the running kernel's BTF, so the ` +
          `CO-RE relocation for it could not be resolved. The loader replaced the instruction with ` +
          `a call to the invalid helper 0xbad2310 (logged as unknown#${PoisonMarker.coreRelocation}) so that the program fails only if that code is ` +
          `reachable, and the verifier found a path that reaches it. ${CORE_GUARD}`,
        ...(insnIndex !== undefined ? { insnIndex } : {}),
      };
    },
  },
  {
    kind: VerifierFailureKind.poisonedMapReference,
    patterns: [/^invalid func unknown#(2001\d{6})$/, /^BPF map '([^']*)' is referenced but wasn't created$/],
    explain: ({ log, match, line, context }) => {
      const id = match[1] ?? '';
      const decoded = line.startsWith('invalid func') ? decodePoisonedCall(Number(id)) : undefined;
      const name = decoded?.kind === 'map' ? context.mapNames?.[decoded.mapIndex] : id;
      const label = name !== undefined ? `'${name}'` : decoded?.kind === 'map' ? `#${decoded.mapIndex}` : 'of this object';
      const insnIndex = decoded ? poisonedInsn(log, id) : log.failedInsn;
      return {
        summary: `BPF map ${label} is referenced but was not created`,
        body:
          `The code uses map ${label}, which the loader did not create (autocreate turned off, or ` +
          `creation skipped for this kernel), so it replaced the map reference with the poison call ` +
          `${PoisonMarkerText.map}. Create the map, or make the code that uses it unreachable on this kernel.`,
        ...(insnIndex !== undefined ? { insnIndex } : {}),
      };
    },
  },
  {
    kind: VerifierFailureKind.poisonedKfuncCall,
    patterns: [/^invalid func unknown#(2002\d{6})$/, /^kfunc '([^']*)' is referenced but wasn't resolved$/],
    explain: ({ log, match, line, context }) => {
      const id = match[1] ?? '';
      const decoded = line.startsWith('invalid func') ? decodePoisonedCall(Number(id)) : undefined;
      const name = decoded?.kind === 'kfunc' ? context.externNames?.[decoded.externIndex] : id;
      const label = name !== undefined ? `'${name}'` : decoded?.kind === 'kfunc' ? `(extern #${decoded.externIndex})` : '';
      const insnIndex = decoded ? poisonedInsn(log, id) : log.failedInsn;
      return {
        summary: `kfunc ${label} is not available in this kernel but is called`,
        body:
          `The program calls the kfunc ${label}, declared __weak, which this kernel does not ` +
          `export, so the loader replaced the call with the poison call ${PoisonMarkerText.kfunc}. ` +
          `Check bpf_ksym_exists() before the call so the verifier can drop it as dead code, or ` +
          `require a kernel that has the kfunc.`,
        ...(insnIndex !== undefined ? { insnIndex } : {}),
      };
    },
  },
  {
    kind: VerifierFailureKind.tooManyInstructions,
    patterns: [/^BPF program is too large\. Processed (\d+) insn/],
    explain: ({ log, match }) => {
      const processed = match[1] ?? String(log.insnsProcessed ?? '');
      return {
        summary: `the verifier walked ${processed} instructions without finishing (limit 1000000)`,
        body:
          `The verifier explores every path separately and gave up after processing ${processed} ` +
          `instructions, the complexity limit. Loops whose state changes every iteration (a ` +
          `counter, an accumulating sum) are walked once per iteration and branches multiply the ` +
          `paths. Use bpf_loop() or open-coded iterators (bpf_for) instead of long bounded loops, ` +
          `lower iteration counts, or split the work with tail calls or global subprograms; ` +
          `the log shows the walk was still looping at the instruction named here.`,
      };
    },
  },
  {
    kind: VerifierFailureKind.infiniteLoop,
    patterns: [/^infinite loop detected at insn (\d+)/, /^back-edge from insn (\d+) to (\d+)/],
    explain: ({ match, line }) => {
      const backEdge = line.startsWith('back-edge');
      const head = Number(backEdge ? match[2] : match[1]);
      return backEdge
        ? {
            summary: `back-edge from instruction ${match[1] ?? '?'} to ${head}: loops are not allowed here`,
            body:
              `The control flow jumps backwards, from instruction ${match[1] ?? '?'} to ${head}, and ` +
              `this loader may not use loops (bounded loops need CAP_BPF or CAP_SYS_ADMIN; before ` +
              `Linux 5.3 they were not allowed at all). Unroll the loop (#pragma unroll), use ` +
              `bpf_loop(), or load with the needed capability.`,
          }
        : {
            summary: `infinite loop: instruction ${head} was reached twice in the same state`,
            body:
              `The verifier came back to instruction ${head} in a state identical to an earlier ` +
              `visit, so nothing in the loop moves it towards its exit and it could run forever. ` +
              `Make the loop condition depend on a counter with a constant bound, or use ` +
              `bpf_loop() or bpf_for().`,
            insnIndex: head,
          };
    },
  },
  {
    kind: VerifierFailureKind.unreleasedReference,
    patterns: [/^Unreleased reference id=(\d+) alloc_insn=(\d+)/],
    explain: ({ log, match }) => {
      const allocInsn = Number(match[2]);
      const alloc = findInstruction(log, (i) => i.insnIndex === allocInsn);
      const what = alloc && alloc.insn.text.startsWith('call ')
        ? `\`${helperName(alloc.insn.text)}\` at ${at(allocInsn, alloc.source)}`
        : `instruction ${allocInsn}`;
      return {
        summary: `reference id=${match[1] ?? '?'} acquired at instruction ${allocInsn} is not released before exit`,
        body:
          `The object acquired by ${what} (reference id=${match[1] ?? '?'}) is still held when the ` +
          `program exits on this path. Every acquired reference must be released on every path: ` +
          `bpf_ringbuf_submit()/bpf_ringbuf_discard() for ring buffer reservations, ` +
          `bpf_sk_release() for socket lookups, the matching release kfunc for kptrs and task or ` +
          `cgroup references.`,
      };
    },
  },
  {
    kind: VerifierFailureKind.invalidReturnValue,
    patterns: [/^At program exit the register (R\d+) has (.*?) should have been in (.*)$/],
    explain: ({ match }) => ({
      summary: `the program returns ${match[1] ?? 'R0'} with ${match[2] ?? '?'}, outside the allowed ${match[3] ?? '?'}`,
      body:
        `When the program exits, ${match[1] ?? 'R0'} (the return value) has ${match[2] ?? '?'}, but ` +
        `this program type and attach type only accept values in ${match[3] ?? '?'} (for example ` +
        `0 or 1 for cgroup programs, 0 for most LSM and struct_ops hooks unless they return an ` +
        `errno). Return only the values the hook defines, clamping computed results.`,
    }),
  },
  {
    kind: VerifierFailureKind.nullPointerUnchecked,
    patterns: [
      /^(R\d+) invalid mem access '([^']*_or_null[^']*)'/,
      /^Possibly NULL pointer passed to (helper|trusted) arg(\d+)/,
      /^(R\d+) type=(\w*_or_null\w*) expected=/,
    ],
    explain: ({ log, match }) => {
      const producer = findInstruction(
        log,
        (i) => i.text.startsWith('call ') && (i.state?.registers.some((r) => r.regno === 0 && r.nullable) ?? false),
      );
      const origin = producer
        ? `returned by \`${helperName(producer.insn.text)}\` at ${at(producer.insn.insnIndex, producer.source)}`
        : 'returned by a helper that may fail';
      const reg = match[1]?.startsWith('R') ? match[1] : 'a pointer argument';
      const type = match[2]?.includes('_or_null') ? ` (${match[2]})` : '';
      return {
        summary: `${reg}${type} may be NULL and is used without a NULL check`,
        body:
          `${reg} holds a pointer ${origin}, which can be NULL${type}, and the program uses it ` +
          `without first comparing it with NULL. The verifier rejects every such use, even if the ` +
          `lookup "cannot fail" at run time. Add \`if (!ptr) return 0;\` (or equivalent) right after ` +
          `the call and before the first use.`,
      };
    },
  },
  {
    kind: VerifierFailureKind.unboundedAccess,
    patterns: [
      /^invalid access to map value, value_size=(\d+) off=(-?\d+) size=(\d+)/,
      /^invalid access to packet, off=(-?\d+) size=(\d+)/,
      /^(R\d+) unbounded memory access/,
      /^(R\d+) min value is negative/,
      /^(R\d+) (?:max )?value is outside of the allowed memory range/,
      /^(R\d+) min value is outside of the allowed memory range/,
      /^invalid access to memory, mem_size=(\d+) off=(-?\d+) size=(\d+)/,
      /^(R\d+) unbounded access to/,
    ],
    explain: ({ match, line }) => {
      if (line.startsWith('invalid access to map value') || line.startsWith('invalid access to memory')) {
        const [, valueSize, off, size] = match;
        return {
          summary: `access of ${bytes(size)} at offset ${off ?? '?'} is outside the ${valueSize ?? '?'}-byte object`,
          body:
            `The access may touch ${bytes(size)} at offset ${off ?? '?'} of a ${valueSize ?? '?'}-byte ` +
            `map value or buffer, past its end (or before its start) for some value the verifier ` +
            `could not rule out. Bounds checks must exclude the size itself: \`if (i >= N)\`, not ` +
            `\`if (i > N)\`, with the check on the same variable (and width) that is used as the index.`,
        };
      }
      if (line.startsWith('invalid access to packet')) {
        return {
          summary: `packet access at offset ${match[1] ?? '?'} size ${match[2] ?? '?'} is not covered by a data_end check`,
          body:
            `The program reads or writes packet bytes that no comparison against data_end has shown ` +
            `to be in the packet. Compare \`data + offset + size > data_end\` (and return) before ` +
            `the access, using the same pointer the access uses.`,
        };
      }
      const reg = match[1] ?? 'a register';
      const negative = line.includes('min value is negative') || line.includes('min value is outside');
      return {
        summary: negative
          ? `${reg} may be negative when used as a memory offset`
          : `memory access through ${reg} with an offset the verifier cannot bound`,
        body:
          `The offset added to ${reg} comes from data the verifier knows nothing about (packet ` +
          `bytes, a map value, a helper result) and no check limits it to the object's size` +
          `${negative ? ', and it may be negative' : ''}. Check the index against the object's ` +
          `size (\`if (i >= sizeof(buf)) return 0;\`) before using it, on the same register width ` +
          `it is used with; masking with \`& (SIZE - 1)\` also works for power-of-two sizes.`,
      };
    },
  },
  {
    kind: VerifierFailureKind.invalidStackRead,
    patterns: [
      /^invalid (indirect )?read from stack(?: R(\d+))? off[= ](-?\d+)(?:\+(\d+))? size[= ](\d+)/,
      /^invalid indirect access to stack R(\d+) off=(-?\d+) size=(\d+)/,
    ],
    explain: ({ log, match, line }) => {
      const failed = findInstruction(log, (i) => i.insnIndex === log.failedInsn)?.insn;
      const indirect = line.includes('indirect') || (failed?.text.startsWith('call ') ?? false);
      const off = line.startsWith('invalid indirect access') ? match[2] : match[3];
      const size = line.startsWith('invalid indirect access') ? match[3] : match[5];
      return {
        summary: `reads ${bytes(size)} of stack at fp${off ?? '?'} that were never written`,
        body:
          `The ${indirect ? 'helper (or kfunc) is given a pointer to' : 'program reads'} ${bytes(size)} ` +
          `of stack at offset ${off ?? '?'} from the frame pointer, and on this path nothing ` +
          `has written them. Initialise the variable or buffer first (\`= {}\` or __builtin_memset); ` +
          `loaders with CAP_PERFMON may read uninitialised stack, others may not, and padding holes ` +
          `in structs count as uninitialised too.`,
      };
    },
  },
  {
    kind: VerifierFailureKind.invalidContextAccess,
    patterns: [/^invalid bpf_context access off=(\d+) size=(\d+)/, /^dereference of modified ctx ptr (R\d+) off=(-?\d+)/],
    explain: ({ log, match, line }) => {
      const modified = line.startsWith('dereference');
      const failed = findInstruction(log, (i) => i.insnIndex === log.failedInsn)?.insn;
      const access = failed === undefined ? 'accesses' : /^\*\(/.test(failed.text) ? 'writes' : 'reads';
      return modified
        ? {
            summary: `the context pointer ${match[1] ?? ''} was modified before being dereferenced`,
            body:
              `The program computes a pointer into the context (${match[1] ?? 'a register'} + offset) and ` +
              `dereferences it; context accesses are rewritten by the kernel and must use the ` +
              `original ctx pointer with a constant offset. Access fields directly (\`ctx->field\`).`,
          }
        : {
            summary: `this program type may not access its context at offset ${match[1] ?? '?'} size ${match[2] ?? '?'}`,
            body:
              `The program ${access} ${bytes(match[2])} ` +
              `at offset ${match[1] ?? '?'} of its context, which this program type does not allow: the ` +
              `field may be read-only (most __sk_buff fields), not exist for this type or attach ` +
              `point, or be accessed with the wrong size. Use the field with its declared type, or a ` +
              `helper (bpf_skb_store_bytes(), ...) that the type allows.`,
          };
    },
  },
  {
    kind: VerifierFailureKind.uninitializedRegister,
    patterns: [/^(R\d+) !read_ok/],
    explain: ({ match }) => {
      const reg = match[1] ?? 'a register';
      return {
        summary: `reads ${reg} before anything wrote it`,
        body:
          `${reg} is read on a path where nothing has written it (at entry only R1, the context, and ` +
          `R10, the frame pointer, hold values; after a call R1-R5 are clobbered). ` +
          `${reg === 'R0' ? 'An exit without a return value, or inline assembly that forgets to set R0, causes this. ' : ''}` +
          `In C this usually means inline assembly or a naked function that uses a register it did not set.`,
      };
    },
  },
  {
    kind: VerifierFailureKind.helperNotAllowed,
    patterns: [
      /^program of this type cannot use helper (\S+?)#(\d+)/,
      /^unknown func (\S+?)#(\d+)/,
      /^invalid func (\S+?)#(\d+)/,
      /^cannot call GPL-restricted function from non-GPL compatible program/,
      /^helper call might sleep in a non-sleepable prog/,
    ],
    explain: ({ match, line }) => {
      if (line.startsWith('cannot call GPL')) {
        return {
          summary: 'a GPL-only helper is called from a program whose license is not GPL-compatible',
          body:
            `The helper called here is GPL-only, and the object's license section does not declare ` +
            `a GPL-compatible license. Declare \`char LICENSE[] SEC("license") = "GPL";\` (or "Dual ` +
            `BSD/GPL") if that is the program's license, or avoid the helper.`,
        };
      }
      if (line.startsWith('helper call might sleep')) {
        return {
          summary: 'a sleepable helper is called from a non-sleepable program',
          body:
            `The helper may sleep, which only sleepable programs may do. Use the sleepable section ` +
            `(\`SEC("lsm.s/...")\`, \`SEC("fentry.s/...")\`, \`SEC("uprobe.s/...")\`), or a non-sleeping variant.`,
        };
      }
      const name = match[1] ?? '?';
      const id = match[2] ?? '?';
      if (name === 'unknown') {
        return {
          summary: `helper #${id} does not exist in this kernel`,
          body:
            `The program calls helper #${id}, which this kernel does not have: it is newer than the ` +
            `kernel, or the id is corrupt. Probe for the helper (bpf-ts feature probes) and use an ` +
            `older equivalent, or require a newer kernel.`,
        };
      }
      return {
        summary: `helper ${name}#${id} is not available to this program type`,
        body:
          `The program calls ${name}() (helper #${id}), which this program type (or attach type, ` +
          `or this kernel) does not allow. Each type has its own helper set: tracing helpers are not ` +
          `available to networking programs and packet-writing helpers not to socket filters. Use a ` +
          `helper the type allows, or move the logic to a program type that has this helper.`,
      };
    },
  },
];

function findFirstMatch(
  errors: readonly string[],
): { matcher: Matcher; match: RegExpExecArray; line: string } | undefined {
  for (const matcher of MATCHERS) {
    for (const line of errors) {
      for (const pattern of matcher.patterns) {
        const match = pattern.exec(line);
        if (match) return { matcher, match, line };
      }
    }
  }
  return undefined;
}

/**
 * Classifies why the verifier rejected a program and explains it in one paragraph that names the
 * failing instruction and its source line. Pure: loader facts the log lacks (which CO-RE
 * relocation was poisoned, map and extern names) come in through `context`.
 *
 * @example
 * ```ts
 * const explanation = explainVerifierLog(parseVerifierLog(rawLog), {
 *   coreFailures: [{ insnIndex: 4, description: 'struct task_struct.nonexistent_field' }],
 * });
 * explanation.kind;      // 'poisoned-core-relocation'
 * explanation.paragraph; // 'At instruction 4 (prog.bpf.c:14: return task->nonexistent_field;), ...'
 * ```
 */
export function explainVerifierLog(log: VerifierLog, context: ExplainContext = {}): VerifierExplanation {
  const found = findFirstMatch(log.errors);
  let kind: VerifierFailureKind;
  let finding: Finding;
  let errorLine: string | undefined;
  if (found) {
    kind = found.matcher.kind;
    finding = found.matcher.explain({ log, match: found.match, line: found.line, context });
    errorLine = found.line;
  } else {
    kind = VerifierFailureKind.unknown;
    errorLine = log.errors[0];
    finding = errorLine !== undefined
      ? {
          summary: errorLine,
          body:
            `The verifier said: "${log.errors.join(' / ')}". bpf-ts does not have a dedicated ` +
            `explanation for this message; the kernel's wording, the instruction and the register ` +
            `state printed before it in the log usually show which value it objects to.`,
        }
      : {
          summary: log.truncated ? 'the log ends before the verifier stated an error' : 'the log states no error',
          body: log.truncated
            ? 'The verifier log was cut before its end (the log buffer was too small), so the error ' +
              'line is missing. Load again with a larger log buffer to see it.'
            : 'The log contains no error line; the rejection came from outside the verifier walk ' +
              '(attach target, BTF, or a permission check): see the errno.',
        };
  }

  let insnIndex = finding.insnIndex ?? log.failedInsn;
  let source: SourceLocation | undefined;
  if (finding.insnIndex !== undefined && finding.insnIndex !== log.failedInsn) {
    source = findInstruction(log, (i) => i.insnIndex === finding.insnIndex)?.source;
  } else {
    source = log.failedSource ?? sourceBefore(log.records, lastInstructionAt(log));
  }
  if (insnIndex !== undefined && !Number.isSafeInteger(insnIndex)) insnIndex = undefined;
  if (source !== undefined && source.file === undefined && insnIndex !== undefined) source = withLineInfo(source, insnIndex, context?.lineInfo);
  const where = insnIndex !== undefined
    ? `At ${at(insnIndex, source)}`
    : source ? `At ${formatSource(source)}` : 'Before the first instruction';
  const withoutSource = insnIndex !== undefined && !source
    ? ' (the log has no source line for it: the object was built without -g, or the log was cut)'
    : '';
  return {
    kind,
    summary: finding.summary,
    paragraph: `${where}${withoutSource}, the verifier stopped: ${finding.summary}. ${finding.body}`,
    ...(errorLine !== undefined ? { errorLine } : {}),
    ...(insnIndex !== undefined ? { insnIndex } : {}),
    ...(source !== undefined ? { source } : {}),
  };
}

/**
 * A source location without file and line (a pre-6.3 kernel's log) completed from the object's
 * line info: the last record at or before the instruction, as the kernel itself picks the line it
 * prints.
 */
function withLineInfo(source: SourceLocation, insnIndex: number, lineInfo: ExplainContext['lineInfo']): SourceLocation {
  let best: { readonly fileName: string; readonly lineNumber: number } | undefined;
  let bestIndex = -1;
  for (const r of lineInfo ?? []) {
    if (r.insnIndex <= insnIndex && r.insnIndex >= bestIndex && r.lineNumber > 0) {
      best = r;
      bestIndex = r.insnIndex;
    }
  }
  if (best === undefined) return source;
  return { ...source, file: best.fileName.split('/').pop() ?? best.fileName, line: best.lineNumber };
}
