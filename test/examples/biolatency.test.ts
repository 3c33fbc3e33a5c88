import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { expect } from 'chai';
import { requirePrivileges } from '../helpers/privileges.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { bpfObjectsLeft, startExample } from '../helpers/example-process.js';

const NONE = { progs: [], maps: [], links: [] };
/** Direct writes the test makes; each is one block request the histogram must count. */
const WRITES = 64;

/** glibc's major()/minor() of a `st_dev`. */
function deviceNumbers(dev: number): [number, number] {
  const d = BigInt(dev);
  const major = Number(((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn));
  const minor = Number((d & 0xffn) | ((d >> 12n) & ~0xffn));
  return [major, minor];
}

/** A directory on a real block device and that disk's name (the whole disk, not the partition). */
function directoryOnDisk(): { dir: string; disk: string } | undefined {
  for (const base of [tmpdir(), REPO_ROOT]) {
    const [major, minor] = deviceNumbers(statSync(base).dev);
    const sys = `/sys/dev/block/${major}:${minor}`;
    if (major === 0 || !existsSync(sys)) continue; // tmpfs, overlay, ...
    const device = join('/sys/dev/block', readlinkSync(sys));
    const disk = existsSync(join(device, 'partition')) ? basename(dirname(device)) : basename(device);
    return { dir: mkdtempSync(join(base, 'bpfts-biolatency-')), disk };
  }
  return undefined;
}

/** `count` synchronous 4 KiB O_DIRECT writes: each reaches the disk as its own request. */
function directWrites(dir: string, count: number): void {
  execFileSync('dd', ['if=/dev/zero', `of=${join(dir, 'data')}`, 'bs=4k', `count=${count}`, 'oflag=direct'], { stdio: 'ignore' });
}

interface Histogram {
  readonly label: string;
  readonly rows: { low: bigint; high: bigint; count: bigint }[];
}

/** Parses print_log2_hist output (header, then `low -> high : count |stars|` rows). */
function parseHistograms(lines: readonly string[]): Histogram[] {
  const out: { label: string; rows: Histogram['rows'] }[] = [];
  for (const line of lines) {
    const header = /^ +(\S+) +: count {5}distribution$/.exec(line);
    if (header !== null) {
      out.push({ label: header[1]!, rows: [] });
      continue;
    }
    const row = /^ +(\d+) -> (\d+) +: (\d+) +\|\**\s*\|$/.exec(line);
    if (row !== null) out.at(-1)?.rows.push({ low: BigInt(row[1]!), high: BigInt(row[2]!), count: BigInt(row[3]!) });
  }
  return out;
}

const total = (h: Histogram): bigint => h.rows.reduce((s, r) => s + r.count, 0n);

describe('examples: biolatency', function () {
  this.timeout(30000);
  let target: { dir: string; disk: string } | undefined;

  before(function () {
    requirePrivileges(this);
    target = directoryOnDisk();
    if (target === undefined) this.skip(); // no block device under tmpdir or the checkout
  });
  after(() => {
    if (target !== undefined) rmSync(target.dir, { recursive: true, force: true });
  });

  it('-D counts the direct writes the test makes in the histogram of their disk, printed on SIGINT', async () => {
    await using tool = startExample('biolatency', ['-D']);
    await tool.waitForLine(/^Tracing block device I\/O\.\.\. Hit Ctrl-C to end\.$/);
    const held = tool.bpfObjects();
    expect(held.progs, 'issue and complete; insert is not loaded without -Q').to.have.length(2);
    directWrites(target!.dir, WRITES);
    expect(await tool.stop('SIGINT'), tool.transcript()).to.deep.equal({ code: 0, signal: null });

    const at = tool.stdout.indexOf(`disk = ${target!.disk}`);
    expect(at, tool.transcript()).to.be.greaterThan(0);
    const [hist] = parseHistograms(tool.stdout.slice(at + 1));
    expect(hist!.label).to.equal('usecs');
    // Others may do I/O on the same disk too; ours is at least WRITES requests.
    expect(total(hist!) >= BigInt(WRITES), tool.transcript()).to.equal(true);
    // bcc's buckets: consecutive powers of two from 0 -> 1.
    expect(hist!.rows[0]).to.deep.include({ low: 0n, high: 1n });
    hist!.rows.forEach((r, i) => i > 0 && expect(r.low).to.equal(hist!.rows[i - 1]!.high + 1n));
    expect(await bpfObjectsLeft(held)).to.deep.equal(NONE);
  });

  it('with interval and count prints that many timestamped histograms (-T -m) and exits by itself', async () => {
    await using tool = startExample('biolatency', ['-T', '-m', '-Q', '1', '2']);
    await tool.waitForLine(/^Tracing/);
    const held = tool.bpfObjects();
    expect(held.progs, 'insert, issue and complete with -Q').to.have.length(3);
    directWrites(target!.dir, WRITES);
    const end = await tool.exited();
    expect(end, tool.transcript()).to.deep.equal({ code: 0, signal: null });
    expect(tool.stdout.filter((l) => /^\d\d:\d\d:\d\d$/.test(l))).to.have.length(2);
    const hists = parseHistograms(tool.stdout);
    expect(hists.length).to.be.within(1, 2);
    for (const h of hists) expect(h.label).to.equal('msecs');
    // Each interval's map is emptied after printing: the two outputs together hold our writes.
    expect(hists.reduce((s, h) => s + total(h), 0n) >= BigInt(WRITES), tool.transcript()).to.equal(true);
    expect(await bpfObjectsLeft(held)).to.deep.equal(NONE);
  });

  it('keeps handling SIGINT while it prints and detaches: repeated signals end it with code 0 after the histogram, nothing left', async () => {
    await using tool = startExample('biolatency');
    await tool.waitForLine(/^Tracing/);
    const held = tool.bpfObjects();
    directWrites(target!.dir, 8);
    expect(await tool.stopUnderRepeatedSignals('SIGINT'), tool.transcript()).to.deep.equal({ code: 0, signal: null });
    expect(tool.signalsSent, 'signals that reached it').to.be.greaterThan(1);
    // The histogram is printed after the first signal, while the others keep coming.
    const [hist] = parseHistograms(tool.stdout);
    expect(hist?.label, tool.transcript()).to.equal('usecs');
    expect(total(hist!) >= 8n, tool.transcript()).to.equal(true);
    expect(await bpfObjectsLeft(held)).to.deep.equal(NONE);
  });

  it('refuses a bad interval with exit code 2', async () => {
    await using bad = startExample('biolatency', ['0']);
    expect(await bad.exited()).to.deep.equal({ code: 2, signal: null });
    expect(bad.stderr[0]).to.equal('biolatency: invalid interval: 0');
  });
});
