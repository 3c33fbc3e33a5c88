import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { requirePrivileges, requireTool } from '../helpers/privileges.js';
import { bpfObjectsLeft, startExample, uniqueComm } from '../helpers/example-process.js';

const HEADER = /^TIME {6}PID {5}COMMAND$/;
const NONE = { progs: [], maps: [], links: [] };

/**
 * An interactive shell on a terminal: `script` gives it a pty and copies our pipe into it, so
 * the shell reads its lines with readline() as when a person types them. script runs its command
 * through `$SHELL -c` (/bin/sh when SHELL is unset, as under CI); `exec` makes the shell script's
 * own child whichever shell that is (dash would otherwise fork it).
 */
function startInteractive(shell: string): { child: ChildProcess; exited: Promise<number | null> } {
  const child = spawn('script', ['-qc', `exec ${shell} --norc --noprofile -i`, '/dev/null'], {
    stdio: ['pipe', 'ignore', 'ignore'],
    env: { ...process.env, INPUTRC: '/dev/null', HISTFILE: '/dev/null' },
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited };
}

function parentOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

describe('examples: bashreadline', function () {
  this.timeout(20000);

  before(function () {
    requirePrivileges(this);
    requireTool(this, '/usr/bin/script');
  });

  it('prints the line typed into an interactive bash with the shell\'s pid, not lines of a shell named otherwise, and detaches on SIGINT', async () => {
    await using tool = startExample('bashreadline');
    await tool.waitForLine(HEADER);
    const held = tool.bpfObjects();
    expect(held.progs).to.have.length(1);
    expect(held.links).to.have.length(1);

    // The same bash binary under another name: readline() runs, the comm check drops it.
    const dir = mkdtempSync(join(tmpdir(), 'bpfts-readline-'));
    const renamed = join(dir, uniqueComm('rl'));
    symlinkSync('/bin/bash', renamed);
    const other = startInteractive(renamed);
    const bash = startInteractive('/bin/bash');
    try {
      const marker = join(dir, 'hidden-ran');
      const hidden = `touch ${marker}`;
      other.child.stdin!.write(`${hidden}\n`);
      // The renamed shell has read and run its line before anything is typed into the other one.
      while (!existsSync(marker)) await new Promise((r) => setTimeout(r, 20));
      const typed = `echo bpfts-readline-${process.pid}-${Date.now()}`;
      bash.child.stdin!.write(`${typed}\n`);
      const seen = await tool.waitForLine((l) => l.endsWith(` ${typed}`));
      const m = /^\d\d:\d\d:\d\d  (\d+) +(.*)$/.exec(seen);
      expect(m, seen).to.not.equal(null);
      expect(m![2]).to.equal(typed);
      const shellPid = Number(m![1]);
      expect(readFileSync(`/proc/${shellPid}/comm`, 'utf8')).to.equal('bash\n');
      expect(parentOf(shellPid), 'the bash run by our script').to.equal(bash.child.pid);
      expect(tool.stdout.filter((l) => l.includes(hidden))).to.deep.equal([]);

      bash.child.stdin!.end('exit\n');
      other.child.stdin!.end('exit\n');
      expect(await bash.exited).to.equal(0);
      await tool.waitForLine((l) => / exit$/.test(l));
      expect(await tool.stop('SIGINT'), tool.transcript()).to.deep.equal({ code: 0, signal: null });
      expect(await bpfObjectsLeft(held)).to.deep.equal(NONE);
    } finally {
      bash.child.kill('SIGKILL');
      other.child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails with one line naming the file when -s names no library', async () => {
    await using bad = startExample('bashreadline', ['-s', '/nonexistent/libreadline.so']);
    expect(await bad.exited()).to.deep.equal({ code: 1, signal: null });
    expect(bad.stderr).to.have.length(1);
    expect(bad.stderr[0]).to.match(/^bashreadline: .*\/nonexistent\/libreadline\.so/);
  });
});
