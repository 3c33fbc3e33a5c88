/**
 * bpf-ts as a user without privileges (a throwaway `useradd` user): the CLI and the library fail
 * every privileged operation with a typed error that names EPERM and what is missing (root,
 * CAP_BPF+CAP_PERFMON, CAP_SYS_ADMIN for ids), the CLI with exit 1 and one line; and nothing is
 * half-created: no pins, no mounts, no program or map of the attempt in the kernel.
 */
import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadObject, type BpfObject } from '../../src/loader/index.js';
import { getLinkInfo, getMapInfo, getProgInfo, linkGetFdById, mapGetFdById, objectIds, progGetFdById } from '../../src/sys/index.js';
import { BPF_DIR, CLI, REPO_ROOT } from '../helpers/paths.js';
import { requirePrivileges } from '../helpers/privileges.js';
import { UnprivilegedUser, type UserRun } from '../helpers/unprivileged-user.js';
// Type only: importing the child's values would run it.
import type { Attempt } from './unprivileged-child.js';

const OBJECT = join(BPF_DIR, 'harden', 'unpriv.bpf.o');
const CHILD = join(REPO_ROOT, 'dist', 'test', 'harden', 'unprivileged-child.js');
const PIN_ROOT = '/sys/fs/bpf/bpfts-unpriv-root';


/** Ids of kernel objects named like this test's object's, or created by `uid`. */
function census(uid: number): { progs: number[]; maps: number[] } {
  const progs: number[] = [];
  const maps: number[] = [];
  for (const id of objectIds('prog')) {
    try {
      using fd = progGetFdById(id);
      const info = getProgInfo(fd);
      if (info.name.startsWith('bpfts_unpriv') || info.createdByUid === uid) progs.push(id);
    } catch {
      // freed meanwhile
    }
  }
  for (const id of objectIds('map')) {
    try {
      using fd = mapGetFdById(id);
      if (getMapInfo(fd).name.startsWith('bpfts_unpriv')) maps.push(id);
    } catch {
      // freed meanwhile
    }
  }
  return { progs: progs.sort(), maps: maps.sort() };
}

function mounts(): string {
  return readFileSync('/proc/self/mounts', 'utf8');
}

/** One `Error:` line, nothing on stdout, exit 1. */
function expectPermissionLine(r: UserRun, pattern: RegExp): void {
  expect(r.signal, r.stderr).to.equal(null);
  expect(r.stdout).to.equal('');
  expect(r.stderr.split('\n'), r.stderr).to.have.length(2);
  expect(r.stderr).to.match(pattern);
  expect(r.stderr).to.not.match(/^\s+at /m);
  expect(r.status, r.stderr).to.equal(1);
}

describe('privileges: a user without them is told so, and nothing is half-created', function () {
  this.timeout(120_000);
  let user: UnprivilegedUser | undefined;
  let rootObj: BpfObject | undefined;
  let baseline: { progs: number[]; maps: number[] };
  let mountsBefore = '';

  before(async function () {
    requirePrivileges(this);
    if (!UnprivilegedUser.available()) this.skip();
    // Root's own copy: a map id the user may try to read, and a program fd for it to attach.
    rootObj = await loadObject(OBJECT);
    user = UnprivilegedUser.create();
    baseline = census(user.uid);
    mountsBefore = mounts();
  });

  after(function () {
    rootObj?.close();
    user?.remove();
  });

  afterEach(function () {
    if (user === undefined) return;
    expect(census(user.uid), 'no program or map of the attempt in the kernel').to.deep.equal(baseline);
    expect(existsSync(PIN_ROOT), `${PIN_ROOT} was not created`).to.equal(false);
    expect(mounts(), 'no bpffs mounted').to.equal(mountsBefore);
  });

  describe('the library', function () {
    let attempts: Attempt[] = [];
    before(function () {
      const tp = rootObj!.program('bpfts_unpriv_tp')!;
      const r = user!.node([CHILD, OBJECT], REPO_ROOT, { inheritFds: [tp.fd] });
      expect(r.status, r.stderr).to.equal(0);
      attempts = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Attempt);
      expect(attempts.map((a) => a.op)).to.deep.equal(['loadObject', 'loadObject pinRoot', 'BpfMap.create', 'attachRawTracepoint', 'attachTracepoint', 'BpfMap.fromId']);
    });

    const expected: Record<string, [string, RegExp]> = {
      loadObject: ['LoadError', /map 'bpfts_unpriv_m': BPF_MAP_CREATE failed: EPERM \(bpf: Operation not permitted\), needs root or CAP_BPF\+CAP_PERFMON/],
      'loadObject pinRoot': ['LoadError', /BPF_MAP_CREATE failed: EPERM .*needs root or CAP_BPF\+CAP_PERFMON/],
      'BpfMap.create': ['SysError', /BPF_MAP_CREATE 'bpfts_unpriv_c' failed \(EPERM\): .*needs root or CAP_BPF\+CAP_PERFMON/],
      attachTracepoint: ['LinkError', /cannot read \/sys\/kernel\/tracing\/events\/syscalls\/sys_enter_getpid\/id: permission denied \(tracefs is readable by root only: run as root\)/],
      'BpfMap.fromId': ['SysError', /BPF_MAP_GET_FD_BY_ID id \d+ failed \(EPERM\): .*needs root \(CAP_SYS_ADMIN\)/],
    };
    it('attaching a program fd root handed over works: the kernel treats the fd as the capability', function () {
      // A user without privileges cannot obtain a program fd itself (load, get-by-id and bpffs
      // are closed to it, as the other cases show); given one, BPF_RAW_TRACEPOINT_OPEN accepts
      // it. The child closed its link: none of root's program is left attached (afterEach).
      const a = attempts.find((x) => x.op === 'attachRawTracepoint')!;
      expect(a, JSON.stringify(a)).to.deep.equal({ op: 'attachRawTracepoint', ok: true });
      const progId = rootObj!.program('bpfts_unpriv_tp')!.info().id;
      const links: number[] = [];
      for (const id of objectIds('link')) {
        try {
          using fd = linkGetFdById(id);
          if (getLinkInfo(fd).progId === progId) links.push(id);
        } catch {
          // freed meanwhile
        }
      }
      expect(links, 'links of the handed-over program after the child closed its own').to.deep.equal([]);
    });

    for (const [op, [cls, message]] of Object.entries(expected)) {
      it(`${op}: ${cls}, a BpfTsError whose cause chain holds EPERM, and says what is missing`, function () {
        const a = attempts.find((x) => x.op === op)!;
        expect(a.ok, `${op} succeeded without privileges`).to.equal(false);
        expect(a.classes?.[0]).to.equal(cls);
        expect(a.typed).to.equal(true);
        expect(a.permission, 'isPermissionError').to.equal(true);
        expect(a.message).to.match(message);
      });
    }
  });

  describe('the CLI (exit 1, one line)', function () {
    const cases: ReadonlyArray<readonly [string, () => string[], RegExp]> = [
      ['prog show', () => ['prog', 'show'], /^Error: can't get next program: Operation not permitted \(run as root: .*CAP_SYS_ADMIN\)$/m],
      ['map show', () => ['map', 'show'], /^Error: can't get next map: Operation not permitted \(run as root: .*CAP_SYS_ADMIN\)$/m],
      ['map lookup', () => ['map', 'lookup', 'id', String(rootObj!.map('bpfts_unpriv_m')!.id), 'key', '0', '0', '0', '0'], /^Error: get map by id \(\d+\): Operation not permitted \(run as root: .*CAP_SYS_ADMIN\)$/m],
      ['map update', () => ['map', 'update', 'id', String(rootObj!.map('bpfts_unpriv_m')!.id), 'key', '0', '0', '0', '0', 'value', '1', '0', '0', '0', '0', '0', '0', '0'], /^Error: get map by id \(\d+\): Operation not permitted/m],
      ['prog load', () => ['prog', 'load', OBJECT, join(PIN_ROOT, 'p')], /^Error: failed to load object file: .*BPF_MAP_CREATE failed: EPERM .*needs root or CAP_BPF\+CAP_PERFMON/m],
      ['prog loadall pinmaps', () => ['prog', 'loadall', OBJECT, PIN_ROOT, 'pinmaps', join(PIN_ROOT, 'maps')], /^Error: failed to load object file: .*EPERM/m],
    ];
    for (const [what, argv, message] of cases) {
      it(`${what}: the permission message`, function () {
        expectPermissionLine(user!.node([CLI, ...argv()], REPO_ROOT), message);
      });
    }
  });
});
