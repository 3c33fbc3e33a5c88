import { expect } from 'chai';
import { parseTraceLine } from '../../src/events/index.js';
import { requirePrivileges, requireTool } from '../helpers/privileges.js';
import { bpfObjectsLeft, runAs, startExample, uniqueComm } from '../helpers/example-process.js';

const NONE = { progs: [], maps: [], links: [] };

describe('examples: hello', function () {
  // The first run compiles the embedded C (and generates vmlinux.h) before tracing starts.
  this.timeout(60000);

  before(function () {
    requirePrivileges(this);
    requireTool(this, '/usr/bin/clang');
  });

  it('compiles its embedded C, then streams the trace_pipe line its bpf_printk wrote for an exec the test makes', async () => {
    await using tool = startExample('hello');
    await tool.waitForLine(/^Tracing execve\(\)\.\.\. Hit Ctrl-C to end\.$/, { timeoutMs: 45000 });
    const held = tool.bpfObjects();
    expect(held.progs).to.have.length(1);
    expect(held.links).to.have.length(1);

    const comm = uniqueComm('hel');
    // trace_pipe is one pipe for the whole system: another reader (someone else's test) may take
    // a line before this tool does, so exec again (from a new path) until one comes through.
    let seen: string | undefined;
    for (let attempt = 0; attempt < 10 && seen === undefined; attempt++) {
      const run = await runAs(comm, '/bin/true');
      seen = await tool.waitForLine((l) => l.endsWith(`: bpf_trace_printk: Hello, World! execve ${run.path}`), { timeoutMs: 1500 }).catch(() => undefined);
      // The exec is entered by the process that then becomes the command: the line has its pid.
      if (seen !== undefined) expect(parseTraceLine(seen)?.pid, seen).to.equal(run.pid);
    }
    expect(seen, tool.transcript()).to.be.a('string');

    expect(await tool.stop('SIGINT'), tool.transcript()).to.deep.equal({ code: 0, signal: null });
    expect(await bpfObjectsLeft(held)).to.deep.equal(NONE);
  });
});
