import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { AttachType, AttrWriter, BpfCmd, bpfSyscall, native, OwnedFd } from '../../src/sys/index.js';
import { BPF_DIR } from '../helpers/paths.js';
import type { CliRun } from '../helpers/cli.js';

/** bpftool, the test-only reference this suite loads objects with and compares against. */
export const BPFTOOL = '/usr/sbin/bpftool';

/** Runs bpftool and returns stdout (throws on a non-zero exit). */
export function bpftool(...args: string[]): string {
  const r = spawnSync(BPFTOOL, args, { encoding: 'utf8' });
  // With -j bpftool reports errors on stdout: keep both in the message.
  if (r.status !== 0) throw new Error(`bpftool ${args.join(' ')} exited ${r.status}: ${r.stdout}${r.stderr}`);
  return r.stdout;
}

/**
 * `bpf/show/show.bpf.o` loaded by bpftool (`prog loadall ... pinmaps`) under a unique directory
 * of /sys/fs/bpf; `remove()` unpins everything, which frees the objects once no fd holds them.
 */
export class ShowFixture {
  private constructor(
    readonly dir: string,
    /** Program name -> id. */
    readonly progIds: ReadonlyMap<string, number>,
    /** Map name -> id. */
    readonly mapIds: ReadonlyMap<string, number>,
  ) {}

  static load(tag: string): ShowFixture {
    const dir = `/sys/fs/bpf/bpfts-${tag}-${process.pid}-${Date.now()}`;
    bpftool('prog', 'loadall', join(BPF_DIR, 'show', 'show.bpf.o'), dir, 'pinmaps', join(dir, 'maps'));
    const progIds = new Map<string, number>();
    for (const name of readdirSync(dir)) {
      if (name === 'maps') continue;
      const info = JSON.parse(bpftool('-j', 'prog', 'show', 'pinned', join(dir, name))) as { id: number };
      progIds.set(name, info.id);
    }
    const mapIds = new Map<string, number>();
    for (const name of readdirSync(join(dir, 'maps'))) {
      const info = JSON.parse(bpftool('-j', 'map', 'show', 'pinned', join(dir, 'maps', name))) as { id: number };
      mapIds.set(name, info.id);
    }
    return new ShowFixture(dir, progIds, mapIds);
  }

  progId(name: string): number {
    const id = this.progIds.get(name);
    if (id === undefined) throw new Error(`fixture has no program ${name}`);
    return id;
  }

  mapId(name: string): number {
    const id = this.mapIds.get(name);
    if (id === undefined) throw new Error(`fixture has no map ${name}`);
    return id;
  }

  /** Pinned path of a program (or `maps/<name>` for a map). */
  path(name: string): string {
    return join(this.dir, name);
  }

  remove(): void {
    if (existsSync(this.dir)) rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Number of open fds of this process. */
export function openFdCount(): number {
  return readdirSync('/proc/self/fd').length;
}


/**
 * `BPF_RAW_TRACEPOINT_OPEN` (`raw_tracepoint.name`, `prog_fd`): a raw_tracepoint link. Link
 * creation belongs to src/links; the test encodes the three fields itself.
 */
export function rawTracepointOpen(progFd: OwnedFd, tracepoint: string): OwnedFd {
  const name = new TextEncoder().encode(`${tracepoint}\0`);
  const attr = new AttrWriter(16).pointer(0, name).u32(8, progFd.fd);
  return new OwnedFd(bpfSyscall(BpfCmd.RAW_TRACEPOINT_OPEN, attr.bytes, undefined, attr), `raw_tp ${tracepoint}`);
}

/** The cgroup v2 mount the tests attach cgroup links under. */
export const CGROUP2_ROOT = '/sys/fs/cgroup/unified';

/**
 * A fresh cgroup with a `BPF_LINK_CREATE` cgroup link of `progFd` (cgroup_skb ingress).
 * `close()` detaches the link and removes the cgroup.
 */
export function cgroupSkbLink(progFd: OwnedFd): { link: OwnedFd; cgroup: string; close(): void } {
  const cgroup = join(existsSync(CGROUP2_ROOT) ? CGROUP2_ROOT : '/sys/fs/cgroup', `bpfts-show-${process.pid}-${Date.now()}`);
  mkdirSync(cgroup);
  const cgFd = openSync(cgroup, 'r');
  let link: OwnedFd;
  try {
    const attr = new AttrWriter(16).u32(0, progFd.fd).u32(4, cgFd).u32(8, AttachType.CGROUP_INET_INGRESS);
    link = new OwnedFd(bpfSyscall(BpfCmd.LINK_CREATE, attr.bytes), `cgroup link ${cgroup}`);
  } catch (e) {
    closeSync(cgFd);
    rmdirSync(cgroup);
    throw e;
  }
  // The link holds its own reference to the cgroup.
  closeSync(cgFd);
  return {
    link,
    cgroup,
    close() {
      link.close();
      rmdirSync(cgroup);
    },
  };
}

export { runCli, type CliRun } from '../helpers/cli.js';

/** Runs bpftool, returning its output and exit status instead of throwing. */
export function bpftoolRun(args: readonly string[], env?: NodeJS.ProcessEnv): CliRun {
  const r = spawnSync(BPFTOOL, args, { encoding: 'utf8', env: env ?? process.env });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

/**
 * Splits plain `show` output into records keyed by object id (a record starts at `N: `), with
 * `pids` lines removed: the installed bpftool is built without skeletons and never prints them
 * (upstream bpftool gets them from a BPF iterator; bpf-ts reads /proc, tested separately).
 */
export function plainRecords(text: string): Map<number, string> {
  const records = new Map<number, string>();
  let id: number | undefined;
  for (const line of text.split('\n')) {
    const m = /^(\d+): /.exec(line);
    if (m) {
      id = Number(m[1]);
      records.set(id, '');
    }
    if (id === undefined || line.startsWith('\tpids ') || line === '') continue;
    records.set(id, `${records.get(id) ?? ''}${line}\n`);
  }
  return records;
}

/** JSON `show` output as objects keyed by id, without `pids` (see {@link plainRecords}). */
export function jsonRecords(text: string): Map<number, Record<string, unknown>> {
  const parsed = JSON.parse(text) as unknown;
  const list = (Array.isArray(parsed) ? parsed : [parsed]) as Array<Record<string, unknown>>;
  return new Map(
    list.map((o) => {
      const { pids: _pids, ...rest } = o;
      return [o['id'] as number, rest];
    }),
  );
}

/**
 * A perf_event link: a software page-faults event on CPU 0 (a sample every 10^9 faults, so the
 * program never runs; cpu-clock would do too, but recent kernels move it to a PMU of its own
 * type) with `progFd` attached by `BPF_LINK_CREATE` (`BPF_PERF_EVENT`) and a BPF cookie.
 * `close()` detaches and closes the event.
 */
export function perfEventLink(progFd: OwnedFd, cookie: bigint): { link: OwnedFd; close(): void } {
  // struct perf_event_attr, PERF_ATTR_SIZE_VER0: type, size, config, sample_period.
  const attr = new AttrWriter(64).u32(0, 1 /* PERF_TYPE_SOFTWARE */).u32(4, 64).u64(8, 2 /* PERF_COUNT_SW_PAGE_FAULTS */).u64(16, 1_000_000_000);
  const perf = new OwnedFd(native().perfEventOpen(attr.bytes, -1, 0, -1, 8 /* PERF_FLAG_FD_CLOEXEC */, attr), 'perf event');
  let link: OwnedFd;
  try {
    // link_create: prog_fd, target_fd, attach_type, flags, perf_event.bpf_cookie.
    const la = new AttrWriter(24).u32(0, progFd.fd).u32(4, perf.fd).u32(8, AttachType.PERF_EVENT).u64(16, cookie);
    link = new OwnedFd(bpfSyscall(BpfCmd.LINK_CREATE, la.bytes), 'perf_event link');
  } catch (e) {
    perf.close();
    throw e;
  }
  return {
    link,
    close() {
      link.close();
      perf.close();
    },
  };
}

/** A veth pair made for a test (`ip link add A type veth peer name B`); `remove()` deletes it. */
export class VethPair {
  private constructor(
    readonly name: string,
    readonly ifindex: number,
  ) {}

  static create(): VethPair {
    // Interface names are at most 15 bytes.
    const suffix = `${process.pid % 100000}${Math.floor(Math.random() * 100)}`;
    const name = `bta${suffix}`;
    execFileSync('ip', ['link', 'add', name, 'type', 'veth', 'peer', 'name', `btb${suffix}`], { stdio: 'pipe' });
    const ifindex = Number(readFileSync(`/sys/class/net/${name}/ifindex`, 'utf8').trim());
    return new VethPair(name, ifindex);
  }

  remove(): void {
    spawnSync('ip', ['link', 'del', this.name], { stdio: 'pipe' });
  }
}

/** `BPF_LINK_CREATE` on a network interface (`target_ifindex`): XDP or TCX links. */
export function netdevLink(progFd: OwnedFd, ifindex: number, attachType: number): OwnedFd {
  const attr = new AttrWriter(16).u32(0, progFd.fd).u32(4, ifindex).u32(8, attachType);
  return new OwnedFd(bpfSyscall(BpfCmd.LINK_CREATE, attr.bytes), `netdev link ${ifindex}`);
}
