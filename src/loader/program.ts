/**
 * A loaded program: its fd, what it was loaded as, `BPF_PROG_TEST_RUN`, pinning.
 */
import { rmSync } from 'node:fs';
import { AttrWriter } from '../sys/attr.js';
import { BpfCmd, bpfSyscall } from '../sys/bpf.js';
import type { OwnedFd } from '../sys/fd.js';
import { getProgInfo, type ProgInfo, type ProgInfoOptions } from '../sys/info.js';
import { objPin } from '../sys/pin.js';
import { ProgType } from '../sys/uapi.js';

/** `union bpf_attr` of `BPF_PROG_TEST_RUN` (the `test` struct). */
const TEST_RUN = {
  SIZE: 80,
  progFd: 0,
  retval: 4,
  dataSizeIn: 8,
  dataSizeOut: 12,
  dataIn: 16,
  dataOut: 24,
  repeat: 32,
  duration: 36,
  ctxSizeIn: 40,
  ctxSizeOut: 44,
  ctxIn: 48,
  ctxOut: 56,
  flags: 64,
  cpu: 68,
  batchSize: 72,
} as const;

/** Input of {@link BpfProgram.testRun}. */
export interface TestRunOptions {
  /** `data_in`: packet bytes for networking programs. */
  readonly data?: Uint8Array;
  /** Room for `data_out` (defaults to the size of `data`). */
  readonly dataOutSize?: number;
  /** `ctx_in`: the context (`struct __sk_buff`, syscall program arguments, raw tracepoint args). */
  readonly ctx?: Uint8Array;
  /** Room for `ctx_out` (defaults to the size of `ctx`). */
  readonly ctxOutSize?: number;
  /** `repeat`: run this many times (the kernel reports the mean duration). */
  readonly repeat?: number;
  /** `flags` (`BPF_F_TEST_RUN_ON_CPU` = 1, `BPF_F_TEST_XDP_LIVE_FRAMES` = 2, ...). */
  readonly flags?: number;
  /** `cpu` with `BPF_F_TEST_RUN_ON_CPU`. */
  readonly cpu?: number;
}

/** What one `BPF_PROG_TEST_RUN` returned. */
export interface TestRunResult {
  /** The program's return value. */
  readonly retval: number;
  /** Mean run time in nanoseconds. */
  readonly duration: number;
  /** `data_out` as far as the kernel wrote it. */
  readonly data: Uint8Array;
  /** `ctx_out` as far as the kernel wrote it; for syscall programs, their (modified) arguments. */
  readonly ctx: Uint8Array;
}

/** What a program was loaded as. */
export interface BpfProgramAttributes {
  readonly name: string;
  /** The ELF section (`bpf_program__section_name()`). */
  readonly section: string;
  /** `enum bpf_prog_type`. */
  readonly type: number;
  /** `enum bpf_attach_type` sent as `expected_attach_type`. */
  readonly expectedAttachType: number;
  /** `attach_btf_id` sent at load (0 when none). */
  readonly attachBtfId: number;
  /** The verifier log of the successful load ('' unless a log was requested). */
  readonly log: string;
}

/**
 * A program of a loaded object. `close()` releases this process's fd; a pinned or attached
 * program lives on in the kernel. The fd's own FinalizationRegistry closes a forgotten one.
 *
 * @example
 * ```ts
 * using obj = await loadObject('bpf/load/syscall.bpf.o');
 * const r = obj.program('run')!.testRun({ ctx: new Uint8Array(8) });
 * console.log(r.retval);
 * ```
 */
export class BpfProgram implements BpfProgramAttributes {
  readonly #fd: OwnedFd;
  /** Where `pin()` put it. */
  pinnedAt: string | undefined;

  constructor(
    fd: OwnedFd,
    readonly attributes: BpfProgramAttributes,
  ) {
    this.#fd = fd;
  }

  get name(): string {
    return this.attributes.name;
  }
  get section(): string {
    return this.attributes.section;
  }
  get type(): number {
    return this.attributes.type;
  }
  get expectedAttachType(): number {
    return this.attributes.expectedAttachType;
  }
  get attachBtfId(): number {
    return this.attributes.attachBtfId;
  }
  get log(): string {
    return this.attributes.log;
  }

  /** The raw fd (throws once closed). */
  get fd(): number {
    return this.#fd.fd;
  }

  get closed(): boolean {
    return this.#fd.closed;
  }

  /** `BPF_OBJ_GET_INFO_BY_FD` (with xlated/jited/... arrays on request). */
  info(options: ProgInfoOptions = {}): ProgInfo {
    return getProgInfo(this.#fd, options);
  }

  /**
   * `BPF_PROG_TEST_RUN`: runs the program once (or `repeat` times) in the kernel on the given
   * packet and/or context. Which inputs a type accepts is the kernel's rule (`bpf_prog_test_run_*`).
   */
  testRun(options: TestRunOptions = {}): TestRunResult {
    const dataOut = new Uint8Array(options.dataOutSize ?? options.data?.byteLength ?? 0);
    // Syscall programs take no ctx_out: the kernel copies the context back into ctx_in, so
    // they get a private copy of the caller's bytes and that copy is the output.
    const inPlace = this.type === ProgType.SYSCALL;
    const ctxIn = inPlace && options.ctx !== undefined ? new Uint8Array(options.ctx) : options.ctx;
    const ctxOut = inPlace ? new Uint8Array(0) : new Uint8Array(options.ctxOutSize ?? options.ctx?.byteLength ?? 0);
    const w = new AttrWriter(TEST_RUN.SIZE)
      .u32(TEST_RUN.progFd, this.fd)
      .u32(TEST_RUN.dataSizeIn, options.data?.byteLength ?? 0)
      .u32(TEST_RUN.dataSizeOut, dataOut.byteLength)
      .pointer(TEST_RUN.dataIn, options.data ?? null)
      .pointer(TEST_RUN.dataOut, dataOut.byteLength > 0 ? dataOut : null)
      .u32(TEST_RUN.repeat, options.repeat ?? 0)
      .u32(TEST_RUN.ctxSizeIn, ctxIn?.byteLength ?? 0)
      .u32(TEST_RUN.ctxSizeOut, ctxOut.byteLength)
      .pointer(TEST_RUN.ctxIn, ctxIn ?? null)
      .pointer(TEST_RUN.ctxOut, ctxOut.byteLength > 0 ? ctxOut : null)
      .u32(TEST_RUN.flags, options.flags ?? 0)
      .u32(TEST_RUN.cpu, options.cpu ?? 0);
    bpfSyscall(BpfCmd.PROG_TEST_RUN, w.bytes, `BPF_PROG_TEST_RUN '${this.name}'`);
    const v = new DataView(w.bytes.buffer, w.bytes.byteOffset, w.bytes.byteLength);
    const dataLen = Math.min(v.getUint32(TEST_RUN.dataSizeOut, true), dataOut.byteLength);
    const ctxLen = Math.min(v.getUint32(TEST_RUN.ctxSizeOut, true), ctxOut.byteLength);
    return {
      retval: v.getUint32(TEST_RUN.retval, true),
      duration: v.getUint32(TEST_RUN.duration, true),
      data: dataOut.subarray(0, dataLen),
      ctx: inPlace ? (ctxIn ?? new Uint8Array(0)) : ctxOut.subarray(0, ctxLen),
    };
  }

  /** `BPF_OBJ_PIN` at `path` (bpffs is mounted there when missing). */
  pin(path: string): void {
    objPin(this.#fd, path);
    this.pinnedAt = path;
  }

  /** Removes the pin made by `pin()`. */
  unpin(): void {
    if (this.pinnedAt === undefined) return;
    rmSync(this.pinnedAt, { force: true });
    this.pinnedAt = undefined;
  }

  close(): void {
    this.#fd.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
