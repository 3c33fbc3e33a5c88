/**
 * Runs an example of `examples/NAME/` as its users do (`node dist/examples/NAME/main.js ARGS`, as a
 * child process), waits for lines of its output, lists the BPF objects it holds, stops it with a
 * signal and checks what it attached is gone from the kernel.
 *
 * Conventions the examples follow, which these helpers rely on:
 * - an example prints its first stdout line (a table header, "Tracing ...") only once every
 *   program is attached, so waiting for that line means events from now on are seen;
 * - SIGINT and SIGTERM end it with exit code 0 after closing its readers, links and objects.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getFdById, ObjectNotFoundError, type BpfObjectKind } from '../../src/sys/index.js';
import { REPO_ROOT } from './paths.js';

/** The compiled entry point of `examples/NAME/main.ts`. */
export function exampleMain(name: string): string {
  return join(REPO_ROOT, 'dist', 'examples', name, 'main.js');
}

/** Ids of the BPF objects a process holds fds of (from `/proc/PID/fdinfo`). */
export interface BpfObjectIds {
  readonly progs: readonly number[];
  readonly maps: readonly number[];
  readonly links: readonly number[];
}

/** How a run ended. */
export interface ExampleExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** Options of {@link startExample}. */
export interface StartExampleOptions {
  /** Extra environment variables. */
  readonly env?: NodeJS.ProcessEnv;
  /** Working directory (default the repository root). */
  readonly cwd?: string;
  /** The script to run instead of `dist/examples/NAME/main.js` (`bin/bpf-ts` for CLI runs). */
  readonly script?: string;
}

/** Options of {@link ExampleProcess.waitForLine}. */
export interface WaitForLineOptions {
  /** Give up after this many milliseconds (default 5000). */
  readonly timeoutMs?: number;
  /** Which stream to read (default stdout). */
  readonly stream?: 'stdout' | 'stderr';
  /** Only lines from this index on (default 0: lines already seen count too). */
  readonly from?: number;
}

type LineTest = RegExp | ((line: string) => boolean);

function matches(test: LineTest, line: string): boolean {
  return typeof test === 'function' ? test(line) : test.test(line);
}

/** Splits a stream into lines as they arrive. */
class LineCollector {
  readonly lines: string[] = [];
  #partial = '';
  readonly #listeners = new Set<() => void>();

  push(chunk: string): void {
    const parts = (this.#partial + chunk).split('\n');
    this.#partial = parts.pop() ?? '';
    if (parts.length === 0) return;
    this.lines.push(...parts);
    for (const l of this.#listeners) l();
  }

  end(): void {
    if (this.#partial !== '') this.lines.push(this.#partial);
    this.#partial = '';
    for (const l of this.#listeners) l();
  }

  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }
}

/**
 * A running example. Dispose it (`await using`) to be sure it is gone when a test fails half-way:
 * that kills it with SIGKILL if it is still running.
 */
export class ExampleProcess implements AsyncDisposable {
  readonly child: ChildProcess;
  readonly #out = new LineCollector();
  readonly #err = new LineCollector();
  readonly #exited: Promise<ExampleExit>;
  #exit: ExampleExit | undefined;
  #signalsSent = 0;

  constructor(
    readonly name: string,
    readonly args: readonly string[],
    options: StartExampleOptions = {},
  ) {
    this.child = spawn(process.execPath, [options.script ?? exampleMain(name), ...args], {
      cwd: options.cwd ?? REPO_ROOT,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.setEncoding('utf8').on('data', (c: string) => this.#out.push(c));
    this.child.stderr!.setEncoding('utf8').on('data', (c: string) => this.#err.push(c));
    // 'close': the process exited and both pipes are drained, so every line is in.
    this.#exited = new Promise((resolve) => {
      this.child.on('close', (code, signal) => {
        this.#exit = { code, signal };
        this.#out.end();
        this.#err.end();
        resolve(this.#exit);
      });
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Lines written to stdout so far (without newlines). */
  get stdout(): readonly string[] {
    return this.#out.lines;
  }

  /** Lines written to stderr so far. */
  get stderr(): readonly string[] {
    return this.#err.lines;
  }

  /** How it ended, once it has. */
  get exit(): ExampleExit | undefined {
    return this.#exit;
  }

  /**
   * Resolves with the first line (from `options.from` on) that matches `test`. Rejects after the
   * timeout, or when the process ends first, with the output so far in the message.
   */
  waitForLine(test: LineTest, options: WaitForLineOptions = {}): Promise<string> {
    const collector = options.stream === 'stderr' ? this.#err : this.#out;
    const timeoutMs = options.timeoutMs ?? 5000;
    let next = options.from ?? 0;
    return new Promise((resolve, reject) => {
      const unsubscribe: Array<() => void> = [];
      const finish = (error: Error | undefined, line?: string): void => {
        clearTimeout(timer);
        for (const u of unsubscribe) u();
        if (error !== undefined) reject(error);
        else resolve(line as string);
      };
      const check = (): void => {
        for (; next < collector.lines.length; next++) {
          const line = collector.lines[next] as string;
          if (matches(test, line)) {
            finish(undefined, line);
            return;
          }
        }
        if (this.#exit !== undefined) finish(new Error(`${this.name} exited (${this.#describeExit()}) before printing a line matching ${String(test)}\n${this.transcript()}`));
      };
      const timer = setTimeout(() => finish(new Error(`no line matching ${String(test)} from ${this.name} within ${timeoutMs} ms\n${this.transcript()}`)), timeoutMs);
      // Either stream changing may be the process ending (both are flushed on 'close').
      unsubscribe.push(this.#out.onChange(check), this.#err.onChange(check));
      check();
    });
  }

  /** The BPF programs, maps and links this process holds fds of now. */
  bpfObjects(): BpfObjectIds {
    return bpfObjectsOfProcess(this.pid);
  }

  /**
   * Sends `signal` (default SIGINT) and resolves how the process ended. Rejects when it is still
   * running after `timeoutMs` (it is killed then).
   */
  async stop(signal: NodeJS.Signals = 'SIGINT', timeoutMs = 5000): Promise<ExampleExit> {
    if (this.#exit !== undefined) return this.#exit;
    this.child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        reject(new Error(`${this.name} still running ${timeoutMs} ms after ${signal}\n${this.transcript()}`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([this.#exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Sends `signal` again and again (every millisecond or so) until the process has ended, and
   * resolves how it ended: the signals of a process group (`timeout`, a terminal's Ctrl-C) and
   * repeated Ctrl-Cs that reach a tool while it detaches and closes. A tool that stops handling
   * the signal after the first one dies of a later one. Rejects (and kills it) after `timeoutMs`.
   */
  async stopUnderRepeatedSignals(signal: NodeJS.Signals = 'SIGINT', timeoutMs = 5000): Promise<ExampleExit> {
    if (this.#exit !== undefined) return this.#exit;
    this.#signalsSent = 0;
    const send = (): void => {
      // Once reaped the handle is gone and kill() sends nothing: no other process gets it.
      if (this.#exit === undefined && this.child.kill(signal)) this.#signalsSent++;
    };
    send();
    const repeat = setInterval(send, 1);
    try {
      return await this.stop(signal, timeoutMs);
    } finally {
      clearInterval(repeat);
    }
  }

  /** How many signals the last {@link stopUnderRepeatedSignals} sent (more than one, or it proved nothing). */
  get signalsSent(): number {
    return this.#signalsSent;
  }

  /** Resolves when the process has ended on its own. */
  exited(): Promise<ExampleExit> {
    return this.#exited;
  }

  /** stdout and stderr so far, for failure messages. */
  transcript(): string {
    const tail = (lines: readonly string[]): string => lines.slice(-40).join('\n');
    return `--- stdout (${this.#out.lines.length} lines, last 40) ---\n${tail(this.#out.lines)}\n--- stderr ---\n${tail(this.#err.lines)}`;
  }

  #describeExit(): string {
    const e = this.#exit;
    if (e === undefined) return 'running';
    return e.signal !== null ? `signal ${e.signal}` : `code ${e.code}`;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#exit !== undefined) return;
    this.child.kill('SIGKILL');
    await this.#exited;
  }
}

/**
 * Starts `node dist/examples/NAME/main.js ARGS`.
 *
 * @example
 * ```ts
 * await using ex = startExample('bootstrap', []);
 * await ex.waitForLine(/^TIME\s+EVENT/);
 * // ... cause events, then:
 * await ex.waitForLine((l) => l.includes(uniqueName));
 * const ids = ex.bpfObjects();
 * expect((await ex.stop()).code).to.equal(0);
 * expect(await bpfObjectsLeft(ids)).to.deep.equal({ progs: [], maps: [], links: [] });
 * ```
 */
export function startExample(name: string, args: readonly string[] = [], options: StartExampleOptions = {}): ExampleProcess {
  return new ExampleProcess(name, args, options);
}

/** Ids of the BPF objects process `pid` holds fds of, read from `/proc/PID/fdinfo`. */
export function bpfObjectsOfProcess(pid: number): BpfObjectIds {
  const progs = new Set<number>();
  const maps = new Set<number>();
  const links = new Set<number>();
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fdinfo`);
  } catch {
    return { progs: [], maps: [], links: [] };
  }
  for (const fd of fds) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8');
    } catch {
      continue; // closed meanwhile
    }
    const field = (key: string): number | undefined => {
      const m = new RegExp(`^${key}:\\s*(\\d+)$`, 'm').exec(text);
      return m === null ? undefined : Number(m[1]);
    };
    // A link's fdinfo names its program too (prog_id): that program is counted as held.
    const link = field('link_id');
    if (link !== undefined) links.add(link);
    const prog = field('prog_id');
    if (prog !== undefined) progs.add(prog);
    const map = field('map_id');
    if (map !== undefined) maps.add(map);
  }
  const sorted = (s: Set<number>): number[] => [...s].sort((a, b) => a - b);
  return { progs: sorted(progs), maps: sorted(maps), links: sorted(links) };
}

function stillExists(kind: BpfObjectKind, id: number): boolean {
  try {
    getFdById(kind, id).close();
    return true;
  } catch (e) {
    if (e instanceof ObjectNotFoundError) return false;
    throw e;
  }
}

/**
 * Which of `ids` still exist in the kernel, waiting up to `timeoutMs` for them to go (the kernel
 * frees programs and maps after an RCU grace period, not at the last close).
 */
export async function bpfObjectsLeft(ids: BpfObjectIds, timeoutMs = 3000): Promise<BpfObjectIds> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left: BpfObjectIds = {
      progs: ids.progs.filter((id) => stillExists('prog', id)),
      maps: ids.maps.filter((id) => stillExists('map', id)),
      links: ids.links.filter((id) => stillExists('link', id)),
    };
    const none = left.progs.length + left.maps.length + left.links.length === 0;
    if (none || Date.now() >= deadline) return left;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A process name (`comm`) no other process has: `prefix` and random letters, 15 characters at most. */
export function uniqueComm(prefix: string): string {
  const room = Math.max(15 - prefix.length, 4);
  let tail = '';
  while (tail.length < room) tail += Math.random().toString(36).slice(2);
  return (prefix + tail).slice(0, 15);
}

/** What {@link runAs} ran. */
export interface NamedRun {
  /** The path that was executed (a symlink named `comm`). */
  readonly path: string;
  readonly pid: number;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** Options of {@link runAs}. */
export interface RunAsOptions {
  /** Run as this user (and group): the test runs as root. */
  readonly uid?: number;
  readonly gid?: number;
}

/**
 * Runs `target` (an executable path) through a symlink called `comm` in a temporary directory, so
 * that exec gives the process that name, and resolves when it has exited. The symlink is removed.
 *
 * @example
 * ```ts
 * const run = await runAs(uniqueComm('bst'), '/bin/sh', ['-c', 'exit 7']); // run.code === 7
 * ```
 */
export async function runAs(comm: string, target: string, args: readonly string[] = [], options: RunAsOptions = {}): Promise<NamedRun> {
  const dir = mkdtempSync(join(tmpdir(), 'bpfts-example-'));
  chmodSync(dir, 0o755); // reachable for another uid
  const path = join(dir, comm);
  symlinkSync(target, path);
  try {
    const child = spawn(path, args, { stdio: 'ignore', ...(options.uid === undefined ? {} : { uid: options.uid }), ...(options.gid === undefined ? {} : { gid: options.gid }) });
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', (c, s) => resolve([c, s]));
    });
    return { path, pid: child.pid!, code, signal };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
