import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, constants as fsc } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { native, PollEvents, type NativeAddon, type NativeError, type PollHandle } from '../../src/sys/native.js';
import { requirePrivileges } from '../helpers/privileges.js';

// The addon against the real kernel: hand-encoded bpf_attr (no dependency on src/sys encoders, so
// a bug there cannot hide one here), mmap'ed maps, libuv polling, and the error contract.

const BPF_MAP_CREATE = 0;
const BPF_MAP_LOOKUP_ELEM = 1;
const BPF_MAP_UPDATE_ELEM = 2;
const BPF_MAP_GET_FD_BY_ID = 14;
const BPF_OBJ_GET_INFO_BY_FD = 15;
const BPF_MAP_TYPE_ARRAY = 2;
const BPF_F_MMAPABLE = 1 << 10;
const PROT_READ = 1;
const PROT_WRITE = 2;
const MAP_SHARED = 1;
const EPOLL_CTL_ADD = 1;
const EPOLLIN = 1;

function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

/** Runs `fn`, expects it to throw, returns what it threw. */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    expect(e).to.be.instanceOf(Error);
    return e as Error;
  }
  expect.fail('expected an exception');
}

function expectSysError(fn: () => unknown, code: string, errno: number, syscall: string): NativeError {
  const e = thrown(fn) as NativeError;
  expect(e.constructor).to.equal(Error);
  expect(e.code).to.equal(code);
  expect(e.errno).to.equal(errno);
  expect(e.syscall).to.equal(syscall);
  return e;
}

/** A FIFO opened read-write (never blocks, and one fd both writes and reads it). */
function makeFifo(dir: string, name: string): number {
  const path = join(dir, name);
  execFileSync('mkfifo', [path]);
  return openSync(path, fsc.O_RDWR | fsc.O_NONBLOCK);
}

/** `union bpf_attr` for BPF_MAP_CREATE of a 4-entry u32 -> u64 mmapable array. */
function mapCreateAttr(): Uint8Array {
  const attr = new Uint8Array(72);
  const v = new DataView(attr.buffer);
  v.setUint32(0, BPF_MAP_TYPE_ARRAY, true); // map_type
  v.setUint32(4, 4, true); // key_size
  v.setUint32(8, 8, true); // value_size
  v.setUint32(12, 4, true); // max_entries
  v.setUint32(16, BPF_F_MMAPABLE, true); // map_flags
  return attr;
}

/** `union bpf_attr` of BPF_MAP_GET_FD_BY_ID for map id 0xffffffff, which never exists (ENOENT). */
function missingMapIdAttr(): Uint8Array {
  const attr = new Uint8Array(12);
  new DataView(attr.buffer).setUint32(0, 0xffffffff, true);
  return attr;
}

/** `union bpf_attr` for MAP_LOOKUP_ELEM / MAP_UPDATE_ELEM: map_fd, key, value/next_key, flags. */
function elemAttr(n: NativeAddon, fd: number, key: Uint32Array, value: BigUint64Array): Uint8Array {
  const attr = new Uint8Array(32);
  const v = new DataView(attr.buffer);
  v.setUint32(0, fd, true);
  v.setBigUint64(8, n.address(key), true);
  v.setBigUint64(16, n.address(value), true);
  return attr;
}

// key and val go along as keepAlive arguments: attr holds only their addresses, and nothing else
// would keep them from being collected while the kernel uses them.
function update(n: NativeAddon, fd: number, index: number, value: bigint): void {
  const key = new Uint32Array([index]);
  const val = new BigUint64Array([value]);
  n.bpf(BPF_MAP_UPDATE_ELEM, elemAttr(n, fd, key, val), key, val);
}

function lookup(n: NativeAddon, fd: number, index: number): bigint {
  const key = new Uint32Array([index]);
  const val = new BigUint64Array(1);
  n.bpf(BPF_MAP_LOOKUP_ELEM, elemAttr(n, fd, key, val), key, val);
  return val[0]!;
}

const NATIVE_JS = new URL('../../src/sys/native.js', import.meta.url).href;

/**
 * Every function the addon exports, with its argument count: the hostile-call test calls each
 * with every bad value in every slot. A new addon function needs an entry here, or that test
 * fails (it lists the addon's functions at run time).
 */
const HOSTILE_ARITY: Readonly<Record<string, number>> = {
  bpf: 2, bpfErrno: 2, mapElemBlock: 3, sysError: 2, perfEventOpen: 5, ioctl: 3, mmap: 5, munmap: 1, close: 1, address: 1, pollStart: 3,
  pollStop: 1, epollCreate: 0, epollCtl: 5, epollWait: 3, mount: 5, umount: 2, socket: 3, setsockopt: 4,
  read: 2, write: 2, dup: 1, ifNameToIndex: 1, pageSize: 0,
};

/**
 * Runs `body` (ESM, with `n` bound to the addon) in a child node. Returns its exit status,
 * signal and output; a crash shows as a signal, not an exception here.
 */
function child(body: string, nodeArgs: string[] = []): { status: number | null; signal: string | null; stdout: string; stderr: string } {
  const script = `import { native } from ${JSON.stringify(NATIVE_JS)};\nconst n = native();\n${body}`;
  try {
    const stdout = execFileSync(process.execPath, [...nodeArgs, '--input-type=module', '-e', script], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 30000,
    });
    return { status: 0, signal: null, stdout, stderr: '' };
  } catch (e) {
    const r = e as { status: number | null; signal: string | null; stdout: string; stderr: string };
    return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
  }
}

describe('native addon (crates/sys)', function () {
  let n: NativeAddon;
  let fdsBefore: number;

  before(function () {
    n = native();
    // The first child process makes libuv open its process-wide signal pipe: do that before
    // counting, so only fds we leak show up.
    execFileSync('true');
    fdsBefore = openFds();
  });

  after(function () {
    expect(openFds(), 'fds leaked by the native tests').to.equal(fdsBefore);
  });

  describe('unprivileged', function () {
    it('every function the addon exports has a hostile-call case (HOSTILE_ARITY)', function () {
      const exported: string[] = [];
      const addon = n as unknown as Record<string, unknown>;
      for (const k in addon) if (typeof addon[k] === 'function') exported.push(k);
      expect(exported.length).to.be.greaterThan(20);
      expect(exported.filter((k) => !(k in HOSTILE_ARITY)), 'addon functions without a case').to.deep.equal([]);
      expect(Object.keys(HOSTILE_ARITY).filter((k) => !exported.includes(k)), 'cases for functions the addon lacks').to.deep.equal([]);
    });

    it('pageSize() is the kernel page size', function () {
      const smaps = readFileSync('/proc/self/smaps', 'utf8');
      const kb = /KernelPageSize:\s+(\d+) kB/.exec(smaps);
      expect(n.pageSize()).to.equal(Number(kb![1]) * 1024);
    });

    it('address() includes byteOffset for every view kind and matches across views', function () {
      const ab = new ArrayBuffer(256);
      const base = n.address(ab);
      expect(base).to.be.a('bigint');
      expect(base).to.not.equal(0n);
      expect(n.address(new Uint8Array(ab))).to.equal(base);
      expect(n.address(new Uint8Array(ab, 3))).to.equal(base + 3n);
      expect(n.address(new Uint32Array(ab, 8, 4))).to.equal(base + 8n);
      expect(n.address(new BigUint64Array(ab, 16))).to.equal(base + 16n);
      expect(n.address(new DataView(ab, 40, 8))).to.equal(base + 40n);
      expect(n.address(new Float64Array(ab, 64))).to.equal(base + 64n);
      // Buffers from the pool are views at a non-zero offset of a shared ArrayBuffer.
      const pooled = Buffer.from('pooled');
      expect(n.address(pooled)).to.equal(n.address(pooled.buffer) + BigInt(pooled.byteOffset));
      // Small typed arrays may start out on the V8 heap: the address must stay valid (stable).
      const small = new Uint8Array(4);
      const a1 = n.address(small);
      const garbage = Array.from({ length: 20000 }, (_, i) => ({ i }));
      expect(garbage.length).to.equal(20000);
      expect(n.address(small)).to.equal(a1);
    });

    it('throws Errors with errno, code, syscall and a strerror message', function () {
      const e = expectSysError(() => n.close(-1), 'EBADF', 9, 'close');
      expect(e.message).to.equal('close: Bad file descriptor');
      expectSysError(() => n.dup(-1), 'EBADF', 9, 'fcntl');
      expectSysError(() => n.read(-1, new Uint8Array(4)), 'EBADF', 9, 'read');
      expectSysError(() => n.write(-1, new Uint8Array(4)), 'EBADF', 9, 'write');
      expectSysError(() => n.ioctl(-1, 0x2400, 0), 'EBADF', 9, 'ioctl');
      expectSysError(() => n.epollCtl(-1, EPOLL_CTL_ADD, 0, EPOLLIN, 0), 'EBADF', 9, 'epoll_ctl');
      expectSysError(() => n.mmap(-1, 4096, PROT_READ, MAP_SHARED, 0), 'EBADF', 9, 'mmap');
      expectSysError(() => n.ifNameToIndex('no-such-if0'), 'ENODEV', 19, 'if_nametoindex');
      expectSysError(() => n.socket(12345, 1, 0), 'EAFNOSUPPORT', 97, 'socket');
      expect(n.ifNameToIndex('lo')).to.be.a('number').greaterThan(0);
    });

    it('closing a closed fd is EBADF', function () {
      const fd = n.epollCreate();
      n.close(fd);
      expectSysError(() => n.close(fd), 'EBADF', 9, 'close');
    });

    it('wrong argument types and counts throw TypeError, bad values RangeError', function () {
      const anyN = n as unknown as Record<string, (...args: unknown[]) => unknown>;
      const typeErrors: Array<[string, unknown[]]> = [
        ['bpf', []],
        ['bpf', [0]],
        ['bpf', ['0', new Uint8Array(8)]],
        ['bpf', [0, [1, 2, 3]]],
        ['bpf', [0, 'attr']],
        ['bpf', [0n, new Uint8Array(8)]],
        ['bpfErrno', []],
        ['bpfErrno', ['0', new Uint8Array(8)]],
        ['bpfErrno', [0, 'attr']],
        ['bpfErrno', [0, [1, 2, 3]]],
        ['sysError', [2]],
        ['sysError', ['2', 'bpf']],
        ['sysError', [2, 7]],
        ['sysError', [2, 'b\0pf']],
        ['close', []],
        ['close', ['3']],
        ['close', [{ valueOf: () => 3 }]],
        ['address', [{}]],
        ['address', [null]],
        ['mmap', [-1, '4096', 1, 1, 0]],
        ['munmap', [new Uint8Array(8)]],
        ['munmap', [new ArrayBuffer(8)]],
        ['pollStart', [0, 1, 'not a function']],
        ['pollStop', [{}]],
        ['pollStop', [null]],
        ['mount', [1, '/x', 'bpf', 0, null]],
        ['mount', ['bpf', '/x\0y', 'bpf', 0, null]],
        ['ifNameToIndex', [5]],
        ['ioctl', [0, 0, 1n]],
        ['ioctl', [0, 0x80082407, 0x1000]], // _IOR with an integer: a raw address to write to
        ['read', [0, 'buffer']],
        ['setsockopt', [0, 1, 2, 3]],
      ];
      for (const [fn, args] of typeErrors) {
        const e = thrown(() => anyN[fn]!(...args));
        expect(e, `${fn}(${args.map(String).join(', ')})`).to.be.instanceOf(TypeError);
      }
      const rangeErrors: Array<[string, unknown[]]> = [
        ['close', [1.5]],
        ['bpfErrno', [1.5, new Uint8Array(8)]],
        ['bpfErrno', [2 ** 31, new Uint8Array(8)]],
        ['sysError', [0, 'bpf']],
        ['sysError', [4096, 'bpf']],
        ['sysError', [NaN, 'bpf']],
        ['close', [2 ** 40]],
        ['close', [NaN]],
        ['mmap', [-1, 0, 1, 1, 0]],
        ['mmap', [-1, -4096, 1, 1, 0]],
        ['mmap', [-1, 2 ** 53, 1, 1, 0]],
        ['mmap', [-1, 4096, 1, 1, -1]],
        ['mmap', [-1, 4096, PROT_READ, 0x22 | 0x10, 0]], // MAP_FIXED
        ['pollStart', [0, 0, () => {}]],
        ['pollStart', [0, 16, () => {}]],
        ['epollWait', [0, 0, 0]],
        ['epollWait', [0, 1e9, 0]],
        ['ioctl', [0, 0x80082407, new Uint8Array(4)]], // _IOR(.., 8 bytes) into 4 bytes
      ];
      for (const [fn, args] of rangeErrors) {
        const e = thrown(() => anyN[fn]!(...args));
        expect(e, `${fn}(${args.map(String).join(', ')})`).to.be.instanceOf(RangeError);
      }
    });

    it('refuses detached buffers instead of passing a dangling pointer', function () {
      const ab = new ArrayBuffer(16);
      const view = new Uint8Array(ab);
      structuredClone(ab, { transfer: [ab] });
      expect(thrown(() => n.address(ab))).to.be.instanceOf(TypeError);
      expect(thrown(() => n.address(view))).to.be.instanceOf(TypeError);
      expect(thrown(() => n.bpf(0, view))).to.be.instanceOf(TypeError);
      expect(thrown(() => n.bpfErrno(0, view))).to.be.instanceOf(TypeError);
    });

    it('mmap()s anonymous memory and munmap() detaches it', function () {
      const page = n.pageSize();
      const ab = n.mmap(-1, 2 * page, PROT_READ | PROT_WRITE, 0x22 /* MAP_PRIVATE|MAP_ANONYMOUS */, 0);
      expect(ab.byteLength).to.equal(2 * page);
      expect(Number(n.address(ab)) % page).to.equal(0);
      const bytes = new Uint8Array(ab);
      expect(bytes.every((b) => b === 0)).to.equal(true);
      bytes.fill(0xab);
      expect(bytes[2 * page - 1]).to.equal(0xab);
      n.munmap(ab);
      expect(ab.byteLength).to.equal(0);
      expect(bytes.length).to.equal(0);
      expect(thrown(() => new DataView(ab).getUint8(0))).to.be.instanceOf(TypeError);
      expect(thrown(() => n.address(ab))).to.be.instanceOf(TypeError);
    });

    it('socket() and setsockopt() with a buffer value', function () {
      const fd = n.socket(2 /* AF_INET */, 2 /* SOCK_DGRAM */, 0);
      try {
        n.setsockopt(fd, 1 /* SOL_SOCKET */, 8 /* SO_RCVBUF */, new Uint8Array(new Int32Array([65536]).buffer));
        expectSysError(() => n.setsockopt(fd, 1, 8, new Uint8Array(1)), 'EINVAL', 22, 'setsockopt');
      } finally {
        n.close(fd);
      }
    });

    it('read()/write() move bytes through an fd, honouring byteOffset', function () {
      const dir = mkdtempSync(join(tmpdir(), 'bpf-ts-native-'));
      const fd = makeFifo(dir, 'rw');
      try {
        const out = Buffer.from('xxhello');
        expect(n.write(fd, out.subarray(2))).to.equal(5);
        const backing = new Uint8Array(16);
        const got = n.read(fd, backing.subarray(4, 12));
        expect(got).to.equal(5);
        expect(Buffer.from(backing.subarray(4, 9)).toString()).to.equal('hello');
        expect(backing[3]).to.equal(0);
        expectSysError(() => n.read(fd, new Uint8Array(4)), 'EAGAIN', 11, 'read');
      } finally {
        n.close(fd);
        rmSync(dir, { recursive: true });
      }
    });

    it('dup() returns a new fd to the same file', function () {
      const ep = n.epollCreate();
      const copy = n.dup(ep);
      expect(copy).to.not.equal(ep);
      n.close(ep);
      expect(n.epollWait(copy, 4, 0)).to.deep.equal([]);
      n.close(copy);
    });

    it('epoll reports a readable fd with its data, without blocking', function () {
      const dir = mkdtempSync(join(tmpdir(), 'bpf-ts-native-'));
      const fifo = makeFifo(dir, 'ep');
      const ep = n.epollCreate();
      try {
        n.epollCtl(ep, EPOLL_CTL_ADD, fifo, EPOLLIN, 2 ** 40 + 7);
        expectSysError(() => n.epollCtl(ep, EPOLL_CTL_ADD, fifo, EPOLLIN, 0), 'EEXIST', 17, 'epoll_ctl');
        expect(n.epollWait(ep, 8, 0)).to.deep.equal([]);
        n.write(fifo, new Uint8Array([1]));
        expect(n.epollWait(ep, 8, 0)).to.deep.equal([{ data: 2 ** 40 + 7, events: EPOLLIN }]);
        expect(n.epollWait(ep, 8, 100)).to.have.length(1);
      } finally {
        n.close(ep);
        n.close(fifo);
        rmSync(dir, { recursive: true });
      }
    });

    it('pollStart() calls back on the event loop without blocking it; pollStop() stops it', async function () {
      const dir = mkdtempSync(join(tmpdir(), 'bpf-ts-native-'));
      const fifo = makeFifo(dir, 'poll');
      let ticks = 0;
      const interval = setInterval(() => ticks++, 5);
      const seen: number[] = [];
      let handle: PollHandle | undefined;
      try {
        const fired = new Promise<void>((resolve) => {
          handle = n.pollStart(fifo, PollEvents.READABLE, (events) => {
            seen.push(events);
            n.read(fifo, new Uint8Array(64)); // drain, or it stays readable
            resolve();
          });
        });
        await new Promise((r) => setTimeout(r, 60));
        expect(seen, 'no event before data arrives').to.deep.equal([]);
        const ticksBefore = ticks;
        expect(ticksBefore, 'the interval ticked while the poll was waiting').to.be.greaterThan(2);
        n.write(fifo, new Uint8Array([42]));
        await fired;
        expect(seen).to.have.length(1);
        expect(seen[0]! & PollEvents.READABLE).to.equal(PollEvents.READABLE);

        n.pollStop(handle!);
        n.pollStop(handle!); // idempotent
        n.write(fifo, new Uint8Array([43]));
        await new Promise((r) => setTimeout(r, 60));
        expect(seen, 'no callback after pollStop').to.have.length(1);
      } finally {
        clearInterval(interval);
        if (handle !== undefined) n.pollStop(handle);
        n.close(fifo);
        rmSync(dir, { recursive: true });
      }
    });

    it('pollStart() on an epoll fd wakes when a member fd becomes ready', async function () {
      const dir = mkdtempSync(join(tmpdir(), 'bpf-ts-native-'));
      const fifo = makeFifo(dir, 'epoll-poll');
      const ep = n.epollCreate();
      n.epollCtl(ep, EPOLL_CTL_ADD, fifo, EPOLLIN, 5);
      try {
        const ready = await new Promise<Array<{ data: number; events: number }>>((resolve) => {
          const h = n.pollStart(ep, PollEvents.READABLE, () => {
            n.pollStop(h); // stopping from inside the callback is allowed
            resolve(n.epollWait(ep, 4, 0));
          });
          setTimeout(() => n.write(fifo, new Uint8Array([1])), 20);
        });
        expect(ready).to.deep.equal([{ data: 5, events: EPOLLIN }]);
      } finally {
        n.close(ep);
        n.close(fifo);
        rmSync(dir, { recursive: true });
      }
    });

    it('close(fd) stops polls on that fd, so a reused fd number is never watched', async function () {
      const dir = mkdtempSync(join(tmpdir(), 'bpf-ts-native-'));
      const fifo = makeFifo(dir, 'close');
      let calls = 0;
      const h = n.pollStart(fifo, PollEvents.READABLE, () => calls++);
      n.close(fifo); // synchronously after pollStart: libuv has not even registered it yet
      const again = makeFifo(dir, 'reuse');
      try {
        n.write(again, new Uint8Array([1]));
        await new Promise((r) => setTimeout(r, 50));
        expect(calls).to.equal(0);
        n.pollStop(h); // still fine after the implicit stop
      } finally {
        n.close(again);
        rmSync(dir, { recursive: true });
      }
    });

    it('an error condition stops the poll and reaches the callback as DISCONNECT plus an Error', async function () {
      const dir = mkdtempSync(join(tmpdir(), 'bpf-ts-native-'));
      const path = join(dir, 'err');
      execFileSync('mkfifo', [path]);
      const reader = openSync(path, fsc.O_RDONLY | fsc.O_NONBLOCK);
      const writer = openSync(path, fsc.O_WRONLY | fsc.O_NONBLOCK);
      n.close(reader); // the writer's fd now polls EPOLLERR
      try {
        const [events, error] = await new Promise<[number, NativeError | undefined]>((resolve) => {
          const h = n.pollStart(writer, PollEvents.WRITABLE, (ev, err) => {
            n.pollStop(h);
            resolve([ev, err]);
          });
        });
        expect(events).to.equal(PollEvents.DISCONNECT);
        expect(error).to.be.instanceOf(Error);
        expect(error!.code).to.equal('EBADF');
        expect(error!.syscall).to.equal('poll');
      } finally {
        n.close(writer);
        rmSync(dir, { recursive: true });
      }
    });

    it('pollStart() errors: EBADF for closed or negative fds, EPERM for regular files', function () {
      const ep = n.epollCreate();
      n.close(ep);
      expectSysError(() => n.pollStart(ep, 1, () => {}), 'EBADF', 9, 'poll');
      expectSysError(() => n.pollStart(-1, 1, () => {}), 'EBADF', 9, 'poll');
      const dir = mkdtempSync(join(tmpdir(), 'bpf-ts-native-'));
      const file = openSync(join(dir, 'regular'), 'w');
      try {
        expectSysError(() => n.pollStart(file, 1, () => {}), 'EPERM', 1, 'poll');
      } finally {
        closeSync(file);
        rmSync(dir, { recursive: true });
      }
    });

    it('a throwing poll callback is an ordinary uncaught exception', function () {
      const dir = mkdtempSync(join(tmpdir(), 'bpf-ts-native-'));
      try {
        const path = join(dir, 'throw');
        execFileSync('mkfifo', [path]);
        const setup = `
          import { openSync, constants as c } from 'node:fs';
          const fd = openSync(${JSON.stringify(path)}, c.O_RDWR | c.O_NONBLOCK);
          const h = n.pollStart(fd, 1, () => { throw new Error('boom from poll'); });
          n.write(fd, new Uint8Array([1]));
        `;
        const handled = child(`
          process.on('uncaughtException', (e) => { console.log('caught ' + e.message); n.close(fd); });
          ${setup}
        `);
        expect(handled.signal).to.equal(null);
        expect(handled.stdout).to.contain('caught boom from poll');
        expect(handled.status).to.equal(0);
        const unhandled = child(setup);
        expect(unhandled.signal).to.equal(null);
        expect(unhandled.status).to.equal(1);
        expect(unhandled.stderr).to.contain('boom from poll');
      } finally {
        rmSync(dir, { recursive: true });
      }
    });
    it('workers: active polls and live mappings are cleaned up when a worker ends', function () {
      // A worker's loop must have no open handles when it is closed (Node aborts otherwise):
      // terminate() and a natural exit both go through the addon's environment cleanup.
      const r = child(`
        import { Worker } from 'node:worker_threads';
        const body = \`
          import { parentPort } from 'node:worker_threads';
          import { native } from \${JSON.stringify(${JSON.stringify(NATIVE_JS)})};
          const n = native();
          const ep = n.epollCreate();
          n.pollStart(ep, 1, () => {});
          new Uint8Array(n.mmap(-1, 8192, 3, 0x22, 0)).fill(1);
          if (process.argv.includes('natural')) n.close(ep); else parentPort.postMessage('ready');
        \`;
        const url = 'data:text/javascript,' + encodeURIComponent(body);
        for (let i = 0; i < 3; i++) {
          const w = new Worker(new URL(url));
          await new Promise((res) => w.once('message', res));
          await w.terminate();
        }
        const w = new Worker(new URL(url), { argv: ['natural'] });
        console.log('natural exit ' + await new Promise((res) => w.once('exit', res)));
      `);
      expect(r.signal, r.stderr).to.equal(null);
      expect(r.status, r.stderr).to.equal(0);
      expect(r.stdout).to.contain('natural exit 0');
    });
  });

  describe('with bpf()', function () {
    before(function () {
      requirePrivileges(this);
    });

    it('creates an ARRAY map, updates and looks up through pointers from address()', function () {
      const fd = n.bpf(BPF_MAP_CREATE, mapCreateAttr());
      try {
        expect(fd).to.be.a('number').greaterThan(2);
        update(n, fd, 1, 0x1122334455667788n);
        update(n, fd, 3, 7n);
        expect(lookup(n, fd, 1)).to.equal(0x1122334455667788n);
        expect(lookup(n, fd, 3)).to.equal(7n);
        expect(lookup(n, fd, 0)).to.equal(0n);
        expectSysError(() => lookup(n, fd, 4), 'ENOENT', 2, 'bpf');
      } finally {
        n.close(fd);
      }
    });

    it('passes views with a byteOffset and copies kernel write-backs into them', function () {
      const fd = n.bpf(BPF_MAP_CREATE, mapCreateAttr());
      try {
        // bpf_attr.info: bpf_fd u32, info_len u32, info u64 — the kernel rewrites info_len.
        const info = new Uint8Array(200);
        const backing = new ArrayBuffer(64);
        const attr = new DataView(backing, 8, 16);
        attr.setUint32(0, fd, true);
        attr.setUint32(4, info.byteLength, true);
        attr.setBigUint64(8, n.address(info), true);
        new Uint8Array(backing).fill(0xee, 0, 8);
        new Uint8Array(backing).fill(0xee, 24);
        n.bpf(BPF_OBJ_GET_INFO_BY_FD, new Uint8Array(backing, 8, 16), info);
        const infoLen = attr.getUint32(4, true);
        expect(infoLen).to.be.greaterThan(20).and.lessThanOrEqual(200);
        const iv = new DataView(info.buffer);
        expect(iv.getUint32(0, true)).to.equal(BPF_MAP_TYPE_ARRAY); // type
        expect(iv.getUint32(8, true)).to.equal(4); // key_size
        expect(iv.getUint32(12, true)).to.equal(8); // value_size
        expect(iv.getUint32(16, true)).to.equal(4); // max_entries
        expect(iv.getUint32(20, true)).to.equal(BPF_F_MMAPABLE); // map_flags
        // Bytes around the view were not touched.
        expect([...new Uint8Array(backing, 0, 8)].every((b) => b === 0xee)).to.equal(true);
        expect([...new Uint8Array(backing, 24)].every((b) => b === 0xee)).to.equal(true);
        // The same call with a DataView argument (the addon takes any ArrayBufferView).
        attr.setUint32(4, 8, true);
        n.bpf(BPF_OBJ_GET_INFO_BY_FD, attr as unknown as Uint8Array, info);
        expect(attr.getUint32(4, true)).to.equal(8);
      } finally {
        n.close(fd);
      }
    });

    it('reports ENOENT for a missing map id, and short attrs reach the kernel safely', function () {
      const attr = missingMapIdAttr();
      const e = expectSysError(() => n.bpf(BPF_MAP_GET_FD_BY_ID, attr), 'ENOENT', 2, 'bpf');
      expect(e.message).to.equal('bpf: No such file or directory');
      expectSysError(() => n.bpf(BPF_MAP_GET_FD_BY_ID, new Uint8Array([0xff, 0xff, 0xff, 0xff])), 'ENOENT', 2, 'bpf');
      expectSysError(() => n.bpf(BPF_MAP_CREATE, new Uint8Array(0)), 'EINVAL', 22, 'bpf');
      // Larger than a page with a non-zero tail: the kernel says E2BIG.
      const big = new Uint8Array(8192);
      big[8000] = 1;
      expectSysError(() => n.bpf(BPF_MAP_CREATE, big), 'E2BIG', 7, 'bpf');
    });

    it('a map element block\'s run() runs element commands on it: update, lookup, miss, next key, delete, keyless queue', function () {
      const attr = mapCreateAttr();
      new DataView(attr.buffer).setUint32(0, 1, true); // BPF_MAP_TYPE_HASH
      new DataView(attr.buffer).setUint32(16, 0, true); // no BPF_F_MMAPABLE
      const fd = n.bpf(BPF_MAP_CREATE, attr);
      const queueAttr = new Uint8Array(72);
      const qv = new DataView(queueAttr.buffer);
      qv.setUint32(0, 22, true); // BPF_MAP_TYPE_QUEUE: key_size 0
      qv.setUint32(8, 8, true);
      qv.setUint32(12, 4, true);
      const qfd = n.bpf(BPF_MAP_CREATE, queueAttr);
      try {
        const { run: runBlock, buffer } = n.mapElemBlock(fd, 4, 8);
        expect(buffer.byteLength).to.equal(16 + 8 + 8 + 8);
        const h = new Int32Array(buffer, 0, 4);
        const key = new Uint32Array(buffer, 16, 1);
        const next = new Uint32Array(buffer, 24, 1);
        const val = new BigUint64Array(buffer, 32, 1);
        const run = (cmd: number, pointers: number, flags = 0): number => {
          h[0] = cmd;
          h[1] = pointers;
          h[2] = flags;
          runBlock();
          return h[3]!;
        };
        key[0] = 7;
        val[0] = 0x0102030405060708n;
        expect(run(BPF_MAP_UPDATE_ELEM, 1 | 4)).to.equal(0);
        expect(run(BPF_MAP_UPDATE_ELEM, 1 | 4, 1 /* BPF_NOEXIST */)).to.equal(-17);
        val[0] = 0n;
        expect(run(BPF_MAP_LOOKUP_ELEM, 1 | 4)).to.equal(0);
        expect(val[0]).to.equal(0x0102030405060708n);
        expect(lookup(n, fd, 7)).to.equal(0x0102030405060708n); // the same element through bpf()
        key[0] = 8;
        expect(run(BPF_MAP_LOOKUP_ELEM, 1 | 4)).to.equal(-2);
        expect(run(4 /* GET_NEXT_KEY */, 0 | 8)).to.equal(0); // NULL key: the first key
        expect(next[0]).to.equal(7);
        key[0] = 7;
        expect(run(4, 1 | 8)).to.equal(-2); // no key after the only one
        expect(run(3 /* DELETE */, 1)).to.equal(0);
        expect(run(3, 1)).to.equal(-2);
        // A flag the command does not take: the kernel's EINVAL comes back as a number.
        expect(run(BPF_MAP_LOOKUP_ELEM, 1 | 4, 0x100)).to.equal(-22);

        // key_size 0: the key pointer is NULL even when asked for (the kernel refuses a non-NULL one).
        const q = n.mapElemBlock(qfd, 0, 8);
        const qh = new Int32Array(q.buffer, 0, 4);
        const qval = new BigUint64Array(q.buffer, 32, 1);
        qval[0] = 42n;
        qh[0] = BPF_MAP_UPDATE_ELEM;
        qh[1] = 1 | 4;
        q.run();
        expect(qh[3]).to.equal(0);
        qval[0] = 0n;
        qh[0] = 21; // LOOKUP_AND_DELETE_ELEM: pop
        q.run();
        expect(qh[3]).to.equal(0);
        expect(qval[0]).to.equal(42n);
        q.run();
        expect(qh[3]).to.equal(-2);
      } finally {
        n.close(fd);
        n.close(qfd);
      }
    });

    it('bpfErrno() returns -errno where bpf() throws, results and write-backs as bpf() does', function () {
      const fd = n.bpfErrno(BPF_MAP_CREATE, mapCreateAttr());
      expect(fd).to.be.a('number').greaterThan(2);
      try {
        const key = new Uint32Array([4]);
        const val = new BigUint64Array(1);
        // Index 4 of a 4-entry array: ENOENT, returned.
        expect(n.bpfErrno(BPF_MAP_LOOKUP_ELEM, elemAttr(n, fd, key, val), key, val)).to.equal(-2);
        key[0] = 2;
        val[0] = 0x0102030405060708n;
        expect(n.bpfErrno(BPF_MAP_UPDATE_ELEM, elemAttr(n, fd, key, val), key, val)).to.equal(0);
        val[0] = 0n;
        expect(n.bpfErrno(BPF_MAP_LOOKUP_ELEM, elemAttr(n, fd, key, val), key, val)).to.equal(0);
        expect(val[0]).to.equal(0x0102030405060708n);
        // The kernel's write-back of info_len reaches the caller's attr.
        const info = new Uint8Array(200);
        const attr = new Uint8Array(16);
        const v = new DataView(attr.buffer);
        v.setUint32(0, fd, true);
        v.setUint32(4, info.byteLength, true);
        v.setBigUint64(8, n.address(info), true);
        expect(n.bpfErrno(BPF_OBJ_GET_INFO_BY_FD, attr, info)).to.equal(0);
        expect(v.getUint32(4, true)).to.be.greaterThan(20).and.lessThan(200);
        expect(new DataView(info.buffer).getUint32(12, true)).to.equal(8); // value_size
        expect(n.bpfErrno(BPF_MAP_GET_FD_BY_ID, missingMapIdAttr())).to.equal(-2);
        expect(n.bpfErrno(BPF_MAP_CREATE, new Uint8Array(0))).to.equal(-22);
      } finally {
        n.close(fd);
      }
    });

    it('sysError() returns the very error bpf() throws for that errno', function () {
      const attr = missingMapIdAttr();
      const threw = expectSysError(() => n.bpf(BPF_MAP_GET_FD_BY_ID, attr), 'ENOENT', 2, 'bpf');
      const built = n.sysError(-n.bpfErrno(BPF_MAP_GET_FD_BY_ID, attr), 'bpf');
      expect(built.constructor).to.equal(Error);
      expect({ message: built.message, code: built.code, errno: built.errno, syscall: built.syscall }).to.deep.equal({
        message: threw.message,
        code: threw.code,
        errno: threw.errno,
        syscall: threw.syscall,
      });
      expect(n.sysError(4095, 'perf_event_open')).to.include({ code: 'UNKNOWN', errno: 4095, syscall: 'perf_event_open', message: 'perf_event_open: Unknown error 4095' });
    });

    it('mmap()s an mmapable map: syscall writes are visible in memory and vice versa', function () {
      const fd = n.bpf(BPF_MAP_CREATE, mapCreateAttr());
      try {
        update(n, fd, 2, 0xdeadbeefn);
        const ab = n.mmap(fd, n.pageSize(), PROT_READ | PROT_WRITE, MAP_SHARED, 0);
        expect(ab).to.be.instanceOf(ArrayBuffer);
        expect(ab.byteLength).to.equal(n.pageSize());
        const values = new BigUint64Array(ab, 0, 4);
        expect(values[2]).to.equal(0xdeadbeefn);
        values[0] = 99n;
        expect(lookup(n, fd, 0)).to.equal(99n);
        expect(n.address(ab)).to.not.equal(0n);

        n.munmap(ab);
        expect(ab.byteLength).to.equal(0);
        expect(thrown(() => new DataView(ab).getUint8(0))).to.be.instanceOf(TypeError);
        expect(values.length, 'existing views see a detached buffer').to.equal(0);
        expect(values[0]).to.equal(undefined);
        n.munmap(ab); // detached: nothing left to do
        expect(lookup(n, fd, 0), 'the map outlives the mapping').to.equal(99n);
      } finally {
        n.close(fd);
      }
    });

    it('mmap() errors: EINVAL for a length or offset beyond the map', function () {
      const fd = n.bpf(BPF_MAP_CREATE, mapCreateAttr());
      try {
        expectSysError(() => n.mmap(fd, 1 << 20, PROT_READ, MAP_SHARED, 0), 'EINVAL', 22, 'mmap');
        expectSysError(() => n.mmap(fd, 4096, PROT_READ, MAP_SHARED, 4096 * 16), 'EINVAL', 22, 'mmap');
      } finally {
        n.close(fd);
      }
    });

    it('unmaps dropped buffers on GC, never twice even when the address is reused', function () {
      const r = child(
        `
        const attr = new Uint8Array(72);
        const v = new DataView(attr.buffer);
        v.setUint32(0, 2, true); v.setUint32(4, 4, true); v.setUint32(8, 8, true);
        v.setUint32(12, 4, true); v.setUint32(16, 1 << 10, true);
        const fd = n.bpf(0, attr);
        const page = n.pageSize();
        const { readFileSync } = await import('node:fs');
        const maps = () => readFileSync('/proc/self/maps', 'utf8');
        const hex = (a) => a.toString(16) + '-';
        const mapped = (a) => maps().split('\\n').some((l) => l.startsWith(hex(a)));
        const tick = () => new Promise((r) => setImmediate(r));

        // 1. A buffer dropped while mapped is unmapped by its finalizer.
        let a = n.mmap(fd, page, 3, 1, 0);
        const addrA = n.address(a);
        if (!mapped(addrA)) throw new Error('mapping not in /proc/self/maps');
        a = null;
        for (let i = 0; i < 10 && mapped(addrA); i++) { gc(); await tick(); }
        if (mapped(addrA)) throw new Error('dropped mapping was not unmapped');

        // 2. munmap, then a new mapping at the same address; the old finalizer must leave it.
        let b = n.mmap(fd, page, 3, 1, 0);
        const addrB = n.address(b);
        new BigUint64Array(b)[1] = 1234n;
        n.munmap(b);
        b = null;
        let reused = false, c;
        const keep = [];
        for (let i = 0; i < 64 && !reused; i++) {
          c = n.mmap(fd, page, 3, 1, 0);
          if (n.address(c) === addrB) reused = true; else keep.push(c);
        }
        for (let i = 0; i < 10; i++) { gc(); await tick(); }
        const still = new BigUint64Array(c)[1];
        if (still !== 1234n) throw new Error('reused mapping damaged: ' + still);
        for (const k of keep) n.munmap(k);
        n.munmap(c);
        n.close(fd);
        console.log('reused=' + reused);
        `,
        ['--expose-gc'],
      );
      expect(r.signal, r.stderr).to.equal(null);
      expect(r.status, r.stderr).to.equal(0);
      expect(r.stdout).to.match(/reused=(true|false)/);
    });

    it('perfEventOpen() + ioctl() + read() count a software clock event', function () {
      const attr = new Uint8Array(128);
      const v = new DataView(attr.buffer);
      v.setUint32(0, 1, true); // type = PERF_TYPE_SOFTWARE
      v.setUint32(4, 128, true); // size
      v.setBigUint64(8, 0n, true); // config = PERF_COUNT_SW_CPU_CLOCK
      v.setBigUint64(40, 1n, true); // flags: disabled
      const fd = n.perfEventOpen(attr, 0, -1, -1, 8 /* PERF_FLAG_FD_CLOEXEC */);
      try {
        n.ioctl(fd, 0x2400, 0); // PERF_EVENT_IOC_ENABLE
        const until = Date.now() + 5;
        while (Date.now() < until) {
          // burn CPU so the clock advances
        }
        n.ioctl(fd, 0x2401, 0); // PERF_EVENT_IOC_DISABLE
        const count = new BigUint64Array(1);
        expect(n.read(fd, new Uint8Array(count.buffer))).to.equal(8);
        expect(count[0]! > 0n, 'clock advanced').to.equal(true);
        const id = new BigUint64Array(1);
        n.ioctl(fd, 0x80082407, new Uint8Array(id.buffer)); // PERF_EVENT_IOC_ID: _IOR('$', 7, u64)
        expect(id[0]! > 0n, 'event id written').to.equal(true);
      } finally {
        n.close(fd);
      }
      // attr.size beyond the buffer: the addon zero-extends it rather than letting the kernel
      // read past the end, and the kernel finds a valid (zero-tailed) larger struct.
      v.setUint32(4, 256, true);
      const fd2 = n.perfEventOpen(attr.subarray(0, 128), 0, -1, -1, 8);
      n.close(fd2);
      // An unknown event type is the kernel's error, not ours.
      v.setUint32(0, 0xfffffff0, true);
      expect((thrown(() => n.perfEventOpen(attr, 0, -1, -1, 8)) as NativeError).syscall).to.equal('perf_event_open');
    });

    it('mount() and umount() a bpffs', function () {
      const dir = mkdtempSync(join(tmpdir(), 'bpf-ts-native-mnt-'));
      try {
        n.mount('bpf', dir, 'bpf', 0, 'mode=0700');
        try {
          const line = readFileSync('/proc/self/mounts', 'utf8').split('\n').find((l) => l.split(' ')[1] === dir);
          expect(line, 'mounted').to.match(/ bpf .*mode=700/);
        } finally {
          n.umount(dir, 0);
        }
        expect(readFileSync('/proc/self/mounts', 'utf8')).to.not.contain(` ${dir} `);
        expectSysError(() => n.umount(dir, 0), 'EINVAL', 22, 'umount2');
        expectSysError(() => n.mount('none', join(dir, 'missing'), 'bpf', 0, null), 'ENOENT', 2, 'mount');
      } finally {
        rmSync(dir, { recursive: true });
      }
    });

    it('keepAlive arguments keep pointed-to buffers alive through GC-heavy lookup loops', function () {
      // Regression: a value buffer referenced only by a dead local was collected while its
      // address sat in attr, and the kernel's writes corrupted the malloc heap (crash at exit).
      const r = child(
        `
        const attr = new Uint8Array(72);
        const v = new DataView(attr.buffer);
        v.setUint32(0, 2, true); v.setUint32(4, 4, true); v.setUint32(8, 8, true); v.setUint32(12, 4, true);
        const fd = n.bpf(0, attr);
        let sum = 0n;
        for (let i = 0; i < 200000; i++) {
          const key = new Uint32Array([i & 3]);
          const val = new BigUint64Array([BigInt(i)]);
          const a = new Uint8Array(32);
          const d = new DataView(a.buffer);
          d.setUint32(0, fd, true);
          d.setBigUint64(8, n.address(key), true);
          d.setBigUint64(16, n.address(val), true);
          n.bpf(i & 1 ? 1 : 2, a, key, val);
          if ((i & 1) === 0) continue;
          sum += val[0];
          if (i % 20000 === 1) gc();
        }
        n.close(fd);
        console.log('sum=' + sum);
        `,
        ['--expose-gc'],
      );
      expect(r.signal, r.stderr).to.equal(null);
      expect(r.status, r.stderr).to.equal(0);
      expect(r.stdout).to.match(/sum=\d+/);
    });

    it('survives hostile calls (child process exits normally)', function () {
      const r = child(`
        let failures = 0, calls = 0;
        function expectThrow(fn, what) {
          calls++;
          try { fn(); } catch (e) { if (!(e instanceof Error)) { failures++; console.log('non-Error from ' + what); } return; }
          failures++; console.log('no throw: ' + what);
        }
        const detached = new ArrayBuffer(64);
        const dview = new Uint8Array(detached);
        const ddv = new DataView(detached);
        structuredClone(detached, { transfer: [detached] });
        const values = [undefined, null, true, -1, -0x80000000, 0x7fffffff, 2 ** 31, 2 ** 32, 2 ** 53, -(2 ** 60), 1.5, NaN,
          Infinity, -Infinity, 0n, 'str', Symbol('s'), {}, [], () => 0, new Proxy(new Uint8Array(8), {}),
          detached, dview, ddv, new Uint8Array(0), new ArrayBuffer(0), new SharedArrayBuffer(8),
          new Uint8Array(new SharedArrayBuffer(16), 4)];

        // Every function, every argument slot, every hostile value; all other slots invalid fds.
        const arity = ${JSON.stringify(HOSTILE_ARITY)};
        // Listed from the addon itself: a function added to crates/sys without an entry in
        // HOSTILE_ARITY fails here, before anything else runs.
        const exported = [];
        for (const k in n) if (typeof n[k] === 'function') exported.push(k);
        const uncovered = exported.filter((k) => !(k in arity));
        if (uncovered.length > 0) { console.log('no hostile-call case for: ' + uncovered.join(', ')); process.exit(4); }
        const safeDefault = { close: -1, dup: -1, read: -1, write: -1, ioctl: -1, setsockopt: -1, epollCtl: -1,
          epollWait: -1, mmap: -1, pollStart: -1 };
        const defaults = { mount: ['none', '/nonexistent-bpf-ts', 'bpf', 0, null], umount: ['/nonexistent-bpf-ts', 0] };
        for (const [fn, k] of Object.entries(arity)) {
          if (fn === 'socket' || fn === 'epollCreate' || fn === 'pageSize') continue; // would just create fds
          for (let slot = 0; slot < k; slot++) {
            for (const v of values) {
              const args = defaults[fn] ? [...defaults[fn]] : Array.from({ length: k }, () => safeDefault[fn] ?? -1);
              args[slot] = v;
              // Never let a hostile value become a mount target that exists.
              if (fn === 'mount' && slot === 1 && typeof v === 'string') continue;
              if (fn === 'umount' && slot === 0 && typeof v === 'string') continue;
              try { n[fn](...args); } catch (e) { if (!(e instanceof Error)) { failures++; console.log('non-Error', fn); } }
              calls++;
            }
          }
          // Too few and too many arguments.
          try { n[fn](); } catch {}
          try { n[fn](...Array(12).fill(-1)); } catch {}
        }

        // Specific traps.
        expectThrow(() => n.bpf(0, detached), 'bpf detached');
        expectThrow(() => n.bpf(0, new Uint8Array(1 << 20)), 'bpf 1 MiB attr');
        expectThrow(() => n.bpf(-1, new Uint8Array(8)), 'bpf negative cmd');
        expectThrow(() => n.bpfErrno(0, detached), 'bpfErrno detached');
        // What bpf() throws for, bpfErrno() returns: E2BIG, EINVAL (negative command).
        if (n.bpfErrno(0, new Uint8Array(1 << 20)) !== -7) { failures++; console.log('bpfErrno 1 MiB attr'); }
        if (n.bpfErrno(-1, new Uint8Array(8)) !== -22) { failures++; console.log('bpfErrno negative cmd'); }
        calls += 2;
        expectThrow(() => n.mmap(-1, 2 ** 52, 3, 0x22, 0), 'mmap huge anonymous');
        expectThrow(() => n.mmap(-1, 4096, 3, 0x32, 0), 'mmap MAP_FIXED');
        expectThrow(() => n.mmap(-1, 2 ** 53 - 1, 3, 0x22, 0), 'mmap absurd');
        const anon = n.mmap(-1, 8192, 3, 0x22, 0); // MAP_PRIVATE|MAP_ANONYMOUS
        new Uint8Array(anon).fill(7);
        n.munmap(anon);
        n.munmap(anon);
        expectThrow(() => new Uint8Array(anon)[0].toString(), 'read after munmap');
        expectThrow(() => n.munmap(new ArrayBuffer(8192)), 'munmap plain buffer');
        expectThrow(() => n.munmap(new SharedArrayBuffer(8)), 'munmap shared buffer');
        // perf_event_attr.type 0xfffffff0 names no PMU, so nothing can actually be opened.
        expectThrow(() => n.perfEventOpen(new Uint8Array([0xf0, 0xff, 0xff, 0xff]), 0, -1, -1, 0), 'perf short attr');
        const bigSize = new Uint8Array(8); new DataView(bigSize.buffer).setUint32(4, 0xffffffff, true);
        expectThrow(() => n.perfEventOpen(bigSize, 0, -1, -1, 0), 'perf attr.size huge');
        const pageSize = new Uint8Array(8); new DataView(pageSize.buffer).setUint32(0, 0xfffffff0, true);
        new DataView(pageSize.buffer).setUint32(4, 4096, true);
        expectThrow(() => n.perfEventOpen(pageSize, 0, -1, -1, 0), 'perf attr.size one page, 8 byte buffer');
        expectThrow(() => n.ioctl(0, 0xc0ff2400, new Uint8Array(8)), 'ioctl size larger than buffer');
        expectThrow(() => n.epollWait(-1, 1, 0), 'epollWait bad fd');
        expectThrow(() => n.pollStart(2 ** 31 - 1, 1, () => {}), 'pollStart huge fd');
        expectThrow(() => n.pollStart(0, 1 << 8, () => {}), 'pollStart bad events');
        const ep = n.epollCreate();
        const h = n.pollStart(ep, 1, () => {});
        n.pollStop(h); n.pollStop(h); n.pollStop(h);
        // A second poll on the same fd after pollStop; left running: close() must stop it, or this
        // child would never exit.
        n.pollStart(ep, 1, () => {});
        n.close(ep);
        expectThrow(() => n.close(ep), 'close twice');
        expectThrow(() => n.pollStop(Object.create(null)), 'pollStop object');
        expectThrow(() => n.umount('/definitely/not/mounted', 0), 'umount');
        expectThrow(() => n.mount('none', '/definitely/not/here', 'bpf', 0, null), 'mount');
        expectThrow(() => n.ifNameToIndex('x'.repeat(100)), 'long ifname');

        // Closed fds (numbers that were valid a moment ago) in every fd slot: EBADF, not a crash.
        // A fresh fd may reuse the number, so each is closed right before its use.
        const closedFd = () => { const fd = n.epollCreate(); n.close(fd); return fd; };
        const attrWithFd = () => { const a = new Uint8Array(32); new DataView(a.buffer).setUint32(0, closedFd(), true); return a; };
        const fdCalls = {
          close: () => n.close(closedFd()),
          dup: () => n.dup(closedFd()),
          read: () => n.read(closedFd(), new Uint8Array(16)),
          write: () => n.write(closedFd(), new Uint8Array(16)),
          ioctl: () => n.ioctl(closedFd(), 0x2400, 0),
          setsockopt: () => n.setsockopt(closedFd(), 1, 8, new Uint8Array(4)),
          epollCtlEpfd: () => n.epollCtl(closedFd(), 1, 0, 1, 0),
          epollWait: () => n.epollWait(closedFd(), 4, 0),
          mmap: () => n.mmap(closedFd(), 4096, 1, 1, 0),
          pollStart: () => n.pollStart(closedFd(), 1, () => {}),
          bpfMapLookup: () => n.bpf(1, attrWithFd()),
          bpfObjGetInfo: () => n.bpf(15, attrWithFd()),
          perfEventOpenGroup: () => n.perfEventOpen(new Uint8Array(128), 0, -1, closedFd(), 0),
        };
        for (const [what, call] of Object.entries(fdCalls)) expectThrow(call, 'closed fd: ' + what);
        const ep2 = n.epollCreate();
        expectThrow(() => n.epollCtl(ep2, 1, closedFd(), 1, 0), 'closed fd: epollCtl member');
        n.close(ep2);

        // Huge lengths through buffers: a 64 MiB read/write on a closed fd, a 1 MiB socket option.
        const big = new Uint8Array(64 << 20);
        expectThrow(() => n.read(closedFd(), big), 'huge read');
        expectThrow(() => n.write(closedFd(), big), 'huge write');
        const sock = n.socket(2, 2, 0);
        try { n.setsockopt(sock, 1, 8, new Uint8Array(1 << 20)); } catch (e) { if (!(e instanceof Error)) failures++; }
        n.close(sock);

        // Map element blocks: a closed fd is an errno in the result word; a bad header throws;
        // arguments to run() are ignored; a transferred (detached) buffer keeps the memory
        // alive; a run() whose buffer was collected throws.
        const blk = n.mapElemBlock(closedFd(), 4, 8);
        const hdr = new Int32Array(blk.buffer, 0, 4);
        hdr[0] = 1; hdr[1] = 5;
        blk.run();
        if (hdr[3] !== -9) { failures++; console.log('mapElem closed fd: ' + hdr[3]); }
        calls++;
        hdr[3] = 0;
        for (const junk of [-1, 2 ** 53, NaN, 'x', {}, null, blk.buffer]) {
          blk.run(junk, junk);
          if (hdr[3] !== -9) { failures++; console.log('mapElem with argument ' + String(junk) + ': ' + hdr[3]); }
          hdr[3] = 0;
          calls++;
        }
        hdr[0] = 0; expectThrow(() => blk.run(), 'mapElem MAP_CREATE');
        hdr[0] = 10; expectThrow(() => blk.run(), 'mapElem PROG_TEST_RUN');
        hdr[0] = 1; hdr[1] = 12; expectThrow(() => blk.run(), 'mapElem pointer selection 3');
        hdr[1] = -1; expectThrow(() => blk.run(), 'mapElem pointer selection all bits');
        expectThrow(() => n.mapElemBlock(-1, 2 ** 30 + 1, 8), 'mapElemBlock huge key');
        // Transferring the buffer detaches it (V8 copies an external store into the new buffer):
        // the block stays usable until the old store's finalizer runs, then its run() throws.
        const staleRun = (() => {
          const b = n.mapElemBlock(closedFd(), 4, 8);
          new Int32Array(b.buffer)[0] = 1;
          structuredClone(b.buffer, { transfer: [b.buffer] });
          try { b.run(); } catch (e) { if (!(e instanceof RangeError)) { failures++; console.log('mapElem after transfer', e); } }
          calls++;
          return b.run;
        })();
        for (let i = 0; i < 10; i++) { globalThis.gc(); await new Promise((r) => setImmediate(r)); }
        expectThrow(() => staleRun(), 'mapElem after its buffer was collected');
        // Its table entry reused by a new block: the old run() still refuses (a new generation).
        const reuse = n.mapElemBlock(closedFd(), 4, 8);
        expectThrow(() => staleRun(), 'mapElem after its table entry was reused');
        void reuse;
        void blk;
        console.log('calls=' + calls + ' failures=' + failures);
        if (failures) process.exit(3);
      `, ['--expose-gc']);
      expect(r.signal, r.stderr).to.equal(null);
      expect(r.status, r.stdout + r.stderr).to.equal(0);
      expect(r.stdout).to.match(/calls=\d+ failures=0/);
    });
  });
});
