/**
 * `bpf-ts feature` against `bpftool feature` on the same machine, section by section and key by
 * key. Where we differ, the difference is listed here with its reason:
 *
 * - Debian's bpftool (v7.1, libbpf 1.1) only knows the program types, map types, attach/link
 *   types and helpers up to Linux 6.1; we list every one this kernel's `enum`s have
 *   (`netfilter` programs, `cgrp_storage` and `arena` maps, `bpf_cgrp_storage_get/delete`, ...).
 *   The extras are computed from `bpftool feature list_builtins`, not hard-coded.
 * - bpftool v7.1 is WRONG about helpers on kernels >= 6.2: libbpf 1.1 recognizes a refused
 *   helper only by "invalid func" / "unknown func", but the verifier now says "program of this
 *   type cannot use helper". So it lists every helper for every program type. Each helper it
 *   lists and we do not is loaded here again and must be refused with exactly that message.
 * - Upstream bpftool dropped `CONFIG_BPFILTER` and `CONFIG_BPFILTER_UMH` from its kernel config
 *   list (bpfilter is gone from the kernel); Debian's v7.1 still prints them.
 * - bpftool v7.1 predates the ISA v4 probe (`have_v4_isa_extension`) that upstream has.
 */
import { expect } from 'chai';
import { execFileSync, spawnSync } from 'node:child_process';
import { runCli } from '../helpers/cli.js';
import { formatMacros, formatPlain, reportToJson } from '../../src/cli/feature.js';
import { AttachType, HELPER_NAMES, MapTypeName, ProgTypeName, native, tryProgLoad, type KernelFeatureReport, type ProgLoadOptions } from '../../src/sys/index.js';
import { requirePrivileges, requireTool } from '../helpers/privileges.js';
import { CLI } from '../helpers/paths.js';

const BPFTOOL = '/usr/sbin/bpftool';
const SETPRIV = '/usr/bin/setpriv';

interface Run {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

function run(...argv: string[]): Promise<Run> {
  return runCli(argv);
}

function bpftool(...argv: string[]): string {
  return execFileSync(BPFTOOL, argv, { encoding: 'utf8', maxBuffer: 1 << 26 });
}

type JsonObject = Record<string, Record<string, unknown>>;

/** Names bpftool's libbpf knows for a group; ours extend them with what the kernel added since. */
function builtins(group: string): string[] {
  return bpftool('feature', 'list_builtins', group).trim().split('\n');
}

/** Names in our tables that Debian's bpftool does not know (newer kernel enumerators). */
function newerThanBpftool(group: string, ours: readonly string[]): Set<string> {
  const theirs = builtins(group);
  expect(ours.slice(0, theirs.length), `${group}: bpftool's names are a prefix of ours`).to.deep.equal(theirs);
  return new Set(ours.slice(theirs.length));
}

const CONFIG_ONLY_IN_OLD_BPFTOOL = new Set(['CONFIG_BPFILTER', 'CONFIG_BPFILTER_UMH']);
const MISC_NEWER_THAN_BPFTOOL = new Set(['have_v4_isa_extension']);

/** How our probes load a program type, so refusals can be confirmed independently. */
function loadSetup(progTypeName: string): Partial<ProgLoadOptions> {
  switch (progTypeName) {
    case 'cgroup_sock_addr':
      return { expectedAttachType: AttachType.CGROUP_INET4_CONNECT };
    case 'cgroup_sockopt':
      return { expectedAttachType: AttachType.CGROUP_GETSOCKOPT };
    case 'sk_lookup':
      return { expectedAttachType: AttachType.SK_LOOKUP };
    case 'netfilter':
      return { expectedAttachType: AttachType.NETFILTER };
    case 'syscall':
      return { flags: 1 << 4 };
    default:
      return {};
  }
}

function helperRefusal(progTypeName: string, helper: string): string {
  const progType = [...ProgTypeName].find(([, n]) => n === progTypeName)?.[0] as number;
  const id = HELPER_NAMES.indexOf(helper);
  const insns = new Uint8Array([0x85, 0, 0, 0, id & 0xff, id >> 8, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);
  const r = tryProgLoad({ progType, insns, license: 'GPL', logBuffer: new Uint8Array(4096), ...loadSetup(progTypeName) });
  if (r.ok) {
    native().close(r.fd);
    return 'loaded';
  }
  return /program of this type cannot use helper [a-z0-9_]+#\d+/.exec(r.log)?.[0] ?? r.log;
}

/**
 * Compares bpftool's JSON with ours key by key; returns the number of helper refusals
 * bpftool missed (checked one by one against the verifier).
 */
function compareJson(theirs: JsonObject, ours: JsonObject): number {
  const newProgTypes = newerThanBpftool('prog_types', [...ProgTypeName.values()]);
  const newMapTypes = newerThanBpftool('map_types', [...MapTypeName.values()]);
  const newHelpers = newerThanBpftool('helpers', HELPER_NAMES);
  expect(Object.keys(ours)).to.deep.equal(Object.keys(theirs));

  const sysTheirs = theirs['system_config'] ?? {};
  const sysOurs = ours['system_config'] ?? {};
  for (const [k, v] of Object.entries(sysTheirs)) {
    if (CONFIG_ONLY_IN_OLD_BPFTOOL.has(k)) continue;
    expect(sysOurs[k], `system_config.${k}`).to.deep.equal(v);
  }
  expect(Object.keys(sysOurs).filter((k) => !(k in sysTheirs))).to.deep.equal([]);
  expect(ours['syscall_config']).to.deep.equal(theirs['syscall_config']);

  const sameKeys = (section: string, extra: (key: string) => boolean): void => {
    const t = theirs[section] ?? {};
    const o = ours[section] ?? {};
    for (const [k, v] of Object.entries(t)) {
      if (section !== 'helpers') expect(o[k], `${section}.${k}`).to.deep.equal(v);
      else expect(o, `${section}.${k}`).to.have.property(k);
    }
    const added = Object.keys(o).filter((k) => !(k in t));
    for (const k of added) expect(extra(k), `${section}.${k} is only ours`).to.equal(true);
  };
  sameKeys('program_types', (k) => newProgTypes.has(k.replace(/^have_(.*)_prog_type$/, '$1')));
  sameKeys('map_types', (k) => newMapTypes.has(k.replace(/^have_(.*)_map_type$/, '$1')));
  sameKeys('helpers', (k) => newProgTypes.has(k.replace(/_available_helpers$/, '')));
  sameKeys('misc', (k) => MISC_NEWER_THAN_BPFTOOL.has(k));

  let missed = 0;
  const helpersTheirs = theirs['helpers'] ?? {};
  const helpersOurs = ours['helpers'] ?? {};
  for (const [key, list] of Object.entries(helpersTheirs)) {
    const progTypeName = key.replace(/_available_helpers$/, '');
    const t = new Set(list as string[]);
    const o = helpersOurs[key] as string[];
    for (const h of o) {
      if (!t.has(h)) expect(newHelpers.has(h), `${key}: ${h} is ours only, so it must be newer than bpftool`).to.equal(true);
    }
    for (const h of t) {
      if (o.includes(h)) continue;
      // bpftool's known error: the verifier refused the helper with the message it does not know.
      expect(helperRefusal(progTypeName, h), `${key}: ${h}`).to.equal(`program of this type cannot use helper ${h}#${HELPER_NAMES.indexOf(h)}`);
      missed++;
    }
  }
  return missed;
}

/** Plain output without helper list entries and without the lines only one side prints. */
/**
 * The plain report without helper names and without the lines `drop` matches; a dropped helper
 * section takes its indented body with it (on a kernel without `netfilter` programs, such as 6.1,
 * our `netfilter` section says `\tProgram type not supported`, as upstream bpftool does; bpftool
 * v7.1 does not know the type and prints no section).
 */
function plainSkeleton(text: string, drop: RegExp): string[] {
  const out: string[] = [];
  let droppedSection = false;
  for (const l of text.split('\n')) {
    if (l.startsWith('\t')) {
      if (!droppedSection && !l.startsWith('\t- ')) out.push(l);
      continue;
    }
    droppedSection = drop.test(l);
    if (!droppedSection) out.push(l);
  }
  return out;
}

describe('cli/feature: bpf-ts feature probe vs bpftool', function () {
  this.timeout(120_000);
  let theirsJson: JsonObject;
  let ours: Run;

  before(async function () {
    requirePrivileges(this);
    requireTool(this, BPFTOOL);
    theirsJson = JSON.parse(bpftool('-j', 'feature', 'probe', 'kernel')) as JsonObject;
    ours = await run('-j', 'feature', 'probe', 'kernel');
  });

  it('-j: same sections, keys, values and types as bpftool, except where bpftool is old or wrong', function () {
    expect(ours.code).to.equal(0);
    expect(ours.err).to.equal('');
    const oursJson = JSON.parse(ours.out) as JsonObject;
    const missed = compareJson(theirsJson, oursJson);
    // Socket filters cannot rewrite packets: listing bpf_skb_store_bytes for them is bpftool's
    // known error, and then it is wrong about many more; a fixed bpftool agrees with us exactly.
    const bpftoolWrong = (theirsJson['helpers']?.['socket_filter_available_helpers'] as string[]).includes('bpf_skb_store_bytes');
    expect(oursJson['helpers']?.['socket_filter_available_helpers']).to.not.include('bpf_skb_store_bytes');
    expect(missed > 0).to.equal(bpftoolWrong);
  });

  it('plain: bpftool layout, section by section, with the documented extras', async function () {
    const plain = await run('feature', 'probe');
    expect(plain.code).to.equal(0);
    // A bare `feature` probes too, as in bpftool; `feat p k` is the same by prefix.
    expect((await run('feature')).out).to.equal(plain.out);
    expect((await run('feat', 'p', 'k')).out).to.equal(plain.out);
    const theirs = bpftool('feature', 'probe');
    const newNames = [...newerThanBpftool('prog_types', [...ProgTypeName.values()]), ...newerThanBpftool('map_types', [...MapTypeName.values()])];
    const onlyOurs = new RegExp(`(program_type|map_type|for program type) (${newNames.join('|')})( |:)|^ISA extension v4 `);
    const onlyTheirs = /^CONFIG_BPFILTER(_UMH)? /;
    expect(plainSkeleton(plain.out, onlyOurs)).to.deep.equal(plainSkeleton(theirs, onlyTheirs));
    // The plain helper lists are the JSON ones.
    const json = (JSON.parse(ours.out) as JsonObject)['helpers'] ?? {};
    const sections = plain.out.split('eBPF helpers supported for program type ').slice(1);
    expect(sections).to.have.length(Object.keys(json).length);
    for (const s of sections) {
      const name = s.slice(0, s.indexOf(':'));
      const listed = [...s.matchAll(/^\t- (\S+)$/gm)].map((m) => m[1]);
      expect(listed, name).to.deep.equal(json[`${name}_available_helpers`]);
    }
  });

  it('-p: bpftool pretty layout (arrays of names on their opening line)', async function () {
    const pretty = await run('-p', 'feature', 'probe', 'kernel');
    expect(JSON.parse(pretty.out)).to.deep.equal(JSON.parse(ours.out));
    const theirs = bpftool('-p', 'feature', 'probe', 'kernel');
    const skeleton = (t: string, drop: RegExp): string[] =>
      t
        .split('\n')
        .map((l) => l.replace(/\["bpf_.*$/, '[…').replace(/,$/, ''))
        .filter((l) => !drop.test(l));
    const onlyOurs = /netfilter|cgrp_storage|arena|v4_isa/;
    const ourLines = skeleton(pretty.out, onlyOurs);
    const theirLines = skeleton(theirs, /CONFIG_BPFILTER/);
    // Every bpftool line appears in ours, in order.
    let j = 0;
    for (const line of theirLines) {
      while (j < ourLines.length && ourLines[j] !== line) j++;
      expect(j, `bpftool line '${line}' in order`).to.be.lessThan(ourLines.length);
      j++;
    }
    // Beyond bpftool's lines, ours only has the closing ']' of netfilter's helper array.
    expect(ourLines.length - theirLines.length).to.be.at.most(1);
  });

  it('macros [prefix]: the same C header as bpftool', async function () {
    const theirs = bpftool('feature', 'probe', 'macros', 'prefix', 'T_');
    const macros = await run('feature', 'probe', 'macros', 'prefix', 'T_');
    expect(macros.code).to.equal(0);
    const onlyOurs = /NETFILTER_PROG_TYPE|CGRP_STORAGE_MAP_TYPE|ARENA_MAP_TYPE|V4_ISA_EXTENSION/;
    const skeleton = (t: string, drop: RegExp): string[] => t.split('\n').filter((l) => !l.includes('__HELPER_') && !drop.test(l));
    expect(skeleton(macros.out, onlyOurs)).to.deep.equal(skeleton(theirs, /(?!)/));
    const json = (JSON.parse(ours.out) as JsonObject)['helpers'] ?? {};
    for (const m of macros.out.matchAll(/^#define T_BPF__PROG_TYPE_(\w+?)__HELPER_(bpf_\w+) ([01])$/gm)) {
      const listed = (json[`${m[1]}_available_helpers`] as string[]).includes(m[2] as string);
      expect(m[3], `${m[1]} ${m[2]}`).to.equal(listed ? '1' : '0');
    }
  });

  it('dev NAME: the offload probe of a device without offload matches bpftool', async function () {
    const dev = await run('feature', 'probe', 'dev', 'lo');
    expect(dev.code).to.equal(0);
    expect(dev.out.split('\n').filter((l) => !l.startsWith('ISA extension v4'))).to.deep.equal(bpftool('feature', 'probe', 'dev', 'lo').split('\n'));
    const devJson = JSON.parse((await run('-j', 'feature', 'probe', 'dev', 'lo')).out) as JsonObject;
    const theirs = JSON.parse(bpftool('-j', 'feature', 'probe', 'dev', 'lo')) as JsonObject;
    delete devJson['misc']?.['have_v4_isa_extension'];
    expect(devJson).to.deep.equal(theirs);
  });

  it('full: also probes the helpers that warn in dmesg, like bpftool full', async function () {
    const full = await run('-j', 'feature', 'probe', 'full');
    const oursFull = JSON.parse(full.out) as JsonObject;
    compareJson(JSON.parse(bpftool('-j', 'feature', 'probe', 'full')) as JsonObject, oursFull);
    const kprobe = oursFull['helpers']?.['kprobe_available_helpers'] as string[];
    expect(kprobe).to.include('bpf_trace_printk');
    const normal = (JSON.parse(ours.out) as JsonObject)['helpers']?.['kprobe_available_helpers'] as string[];
    expect(normal).to.not.include('bpf_trace_printk');
  });

  it('unprivileged, run by nobody: the same answers as bpftool', function () {
    requireTool(this, SETPRIV);
    if (!nobodyCanRunCli()) this.skip();
    const asNobody = (cmd: string, args: string[]): ReturnType<typeof spawnSync> =>
      spawnSync(SETPRIV, ['--reuid=65534', '--regid=65534', '--clear-groups', cmd, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
    const theirs = asNobody(BPFTOOL, ['-j', 'feature', 'probe', 'unprivileged']);
    const mine = asNobody(process.execPath, [CLI, '-j', 'feature', 'probe', 'unprivileged']);
    expect(mine.status, String(mine.stderr)).to.equal(0);
    compareJson(JSON.parse(String(theirs.stdout)) as JsonObject, JSON.parse(String(mine.stdout)) as JsonObject);
  });
});

/** Whether user nobody can run our CLI here (a checkout under /root is out of its reach). */
function nobodyCanRunCli(): boolean {
  const r = spawnSync(SETPRIV, ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e', `require('fs').accessSync(${JSON.stringify(CLI)})`]);
  return r.status === 0;
}

describe('cli/feature: privileges', function () {
  it('not root: one clear line on stderr, exit 1 (bpftool says the same, exit 255)', function () {
    requireTool(this, SETPRIV);
    if (!nobodyCanRunCli()) this.skip();
    const r = spawnSync(SETPRIV, ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, CLI, 'feature', 'probe'], { encoding: 'utf8' });
    expect(r.status).to.equal(1);
    expect(r.stdout).to.equal('');
    expect(r.stderr).to.equal(
      "Error: missing CAP_SYS_ADMIN, CAP_BPF, CAP_NET_ADMIN, CAP_PERFMON, required for full feature probing; run as root or use 'unprivileged'\n",
    );
    if (process.getuid?.() === 0 && spawnSync(BPFTOOL, ['version']).status === 0) {
      const theirs = spawnSync(SETPRIV, ['--reuid=65534', '--regid=65534', '--clear-groups', BPFTOOL, 'feature', 'probe'], { encoding: 'utf8' });
      expect(theirs.stderr).to.equal(r.stderr);
    }
  });

  it("'unprivileged' in a process holding capabilities: exit 1 (we cannot drop them)", async function () {
    requirePrivileges(this);
    const r = await run('feature', 'probe', 'unprivileged');
    expect(r.code).to.equal(1);
    expect(r.err).to.equal(
      'Error: unprivileged probing needs a process without CAP_SYS_ADMIN, CAP_BPF, CAP_NET_ADMIN, CAP_PERFMON: bpf-ts cannot drop capabilities, run it as an unprivileged user\n',
    );
  });
});

describe('cli/feature: list_builtins, help and errors', function () {
  it('list_builtins: bpftool names, extended with the kernel enumerators it does not know', async function () {
    requireTool(this, BPFTOOL);
    for (const group of ['prog_types', 'map_types', 'attach_types', 'link_types', 'helpers']) {
      const r = await run('feature', 'list_builtins', group);
      expect(r.code).to.equal(0);
      const names = r.out.trim().split('\n');
      newerThanBpftool(group, names);
      const j = await run('-j', 'feature', 'list_builtins', group);
      expect(JSON.parse(j.out)).to.deep.equal(names);
    }
    expect((await run('feature', 'list_builtins', 'prog')).out.split('\n')[1]).to.equal('socket_filter');
  });

  it('help goes to stderr like bpftool; -j help prints null', async function () {
    const h = await run('feature', 'help');
    expect(h.code).to.equal(0);
    expect(h.out).to.equal('');
    expect(h.err).to.match(/^Usage: bpf-ts feature probe \[COMPONENT\] \[full\] \[unprivileged\] \[macros \[prefix PREFIX\]\]\n/);
    const j = await run('-j', 'feature', 'help');
    expect(j).to.deep.equal({ code: 0, out: 'null\n', err: '' });
  });

  const errors: ReadonlyArray<readonly [string[], string]> = [
    [['feature', 'bogus'], "unknown command 'bogus' for 'feature', see 'bpf-ts feature help'"],
    [['feature', 'probe', 'kernel', 'kernel'], 'component to probe already specified'],
    [['feature', 'probe', 'prefix', 'X'], "'prefix' argument can only be use after 'macros'"],
    [['feature', 'probe', 'macros', 'prefix', 'A', 'prefix', 'B'], "'prefix' already defined"],
    [['feature', 'probe', 'macros', 'prefix'], "'prefix' needs a PREFIX"],
    [['feature', 'probe', 'whatever'], "expected no more arguments, 'kernel', 'dev', 'macros' or 'prefix', got: 'whatever'?"],
    [['feature', 'probe', 'dev'], "'dev' needs an interface name"],
    [['feature', 'list_builtins'], "expected 'prog_types', 'map_types', 'attach_types', 'link_types' or 'helpers'"],
    [['feature', 'list_builtins', 'things'], "expected 'prog_types', 'map_types', 'attach_types', 'link_types' or 'helpers', got: things"],
    [['feature', 'list_builtins', 'helpers', 'more'], "too many arguments: 'more'"],
  ];
  for (const [argv, message] of errors) {
    it(`${argv.join(' ')}: ${message}`, async function () {
      const r = await run(...argv);
      expect(r).to.deep.equal({ code: 255, out: '', err: `Error: ${message}\n` });
      const j = await run('-j', ...argv);
      expect(j.code).to.equal(255);
      expect(JSON.parse(j.out)).to.deep.equal({ error: message });
    });
  }

  it('dev with an unknown interface: unrecognized netdevice', async function () {
    requirePrivileges(this);
    const r = await run('feature', 'probe', 'dev', 'nosuchif0');
    expect(r).to.deep.equal({ code: 255, out: '', err: "Error: unrecognized netdevice 'nosuchif0': No such device\n" });
  });
});

describe('cli/feature: formatting what could not be read', function () {
  const report: KernelFeatureReport = {
    systemConfig: {
      procfs: true,
      unprivilegedBpfDisabled: 7,
      bpfJitEnable: -1,
      bpfJitHarden: 2,
      bpfJitKallsyms: 0,
      bpfJitLimit: -1,
      kernelConfig: { ok: false, reason: "can't open file: No such file or directory" },
      options: [],
    },
    bpfSyscall: true,
    progTypes: [{ id: 26, name: 'tracing', available: true }],
    mapTypes: [{ id: 1, name: 'hash', available: false }],
    helpers: [{ progType: 26, progTypeName: 'tracing', progTypeAvailable: true, probed: false, helpers: [] }],
    misc: [{ feature: 'bounded_loops', available: false }],
  };

  it("plain: bpftool's wording for unknown and unreadable values; no config lines without a config", function () {
    expect(formatPlain(report)).to.equal(
      [
        'Scanning system configuration...',
        'bpf() syscall restriction has unknown value 7',
        'Unable to retrieve JIT-compiler status',
        'JIT compiler hardening is enabled for all users',
        'JIT compiler kallsyms exports are disabled',
        'Unable to retrieve global memory limit for JIT compiler for unprivileged users',
        '',
        'Scanning system call availability...',
        'bpf() syscall is available',
        '',
        'Scanning eBPF program types...',
        'eBPF program_type tracing is available',
        '',
        'Scanning eBPF map types...',
        'eBPF map_type hash is NOT available',
        '',
        'Scanning eBPF helper functions...',
        'eBPF helpers supported for program type tracing:',
        '\tCould not determine which helpers are available',
        '',
        'Scanning miscellaneous eBPF features...',
        'Bounded loop support is NOT available',
        '',
        '',
      ].join('\n'),
    );
  });

  it('JSON: -1 for unreadable sysctls, no CONFIG_ keys without a config; nothing after a missing bpf()', function () {
    expect(reportToJson(report)['system_config']).to.deep.equal({
      unprivileged_bpf_disabled: 7,
      bpf_jit_enable: -1,
      bpf_jit_harden: 2,
      bpf_jit_kallsyms: 0,
      bpf_jit_limit: -1,
    });
    const noSyscall: KernelFeatureReport = { ...report, bpfSyscall: false, progTypes: [], mapTypes: [], helpers: [], misc: [] };
    expect(Object.keys(reportToJson(noSyscall))).to.deep.equal(['system_config', 'syscall_config']);
    expect(formatPlain(noSyscall)).to.match(/Scanning system call availability...\nbpf\(\) syscall is NOT available\n\n$/);
    expect(formatMacros(noSyscall, 'P_', false)).to.equal('/*** Misc kernel config items ***/\n\n/*** System call availability ***/\n#define P_NO_HAVE_BPF_SYSCALL\n\n');
  });
});
