import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { btfGetFdById, getProgInfo, linkGetFdById, objGet, objPin, type OwnedFd } from '../../src/sys/index.js';
import { requirePrivileges, requireTool } from '../helpers/privileges.js';
import { BPFTOOL, jsonRecords, rawTracepointOpen, runCli, ShowFixture } from '../sys/show-fixture.js';

/**
 * `pids`: which processes hold an object, as upstream bpftool prints them. The installed bpftool
 * is built without skeletons and prints none, so the reference here is this process itself:
 * while it holds fds of the fixture's objects, each show must name it, and only then.
 */
describe('cli: show pids name the processes holding an object (kernel)', function () {
  let fx: ShowFixture;
  const held: OwnedFd[] = [];
  const comm = readFileSync('/proc/self/comm', 'utf8').trim();
  const me = `${comm}(${process.pid})`;
  let btfId = 0;
  let linkId = 0;

  before(function () {
    requirePrivileges(this);
    requireTool(this, BPFTOOL);
    fx = ShowFixture.load('clipids');
  });
  afterEach(() => {
    for (const fd of held.splice(0)) fd.close();
  });
  after(() => fx?.remove());

  it('shows no pids while nobody holds the objects', async () => {
    const prog = await runCli(['prog', 'show', 'id', String(fx.progId('show_xdp'))]);
    expect(prog.out).to.not.include('pids');
    const map = await runCli(['-j', 'map', 'show', 'id', String(fx.mapId('show_counts'))]);
    expect(JSON.parse(map.out)).to.not.have.property('pids');
  });

  it('names this process for a program, map, BTF object and link it holds', async () => {
    const prog = objGet(fx.path('show_raw_tp'));
    held.push(prog, objGet(fx.path('maps/show_counts')));
    btfId = getProgInfo(prog).btfId;
    held.push(btfGetFdById(btfId));
    const link = rawTracepointOpen(prog, 'sys_enter');
    held.push(link);
    linkId = (await import('../../src/sys/index.js')).getLinkInfo(link).id;

    const progOut = await runCli(['prog', 'show', 'id', String(fx.progId('show_raw_tp'))]);
    expect(progOut.out).to.match(new RegExp(`\\n\\tbtf_id ${btfId}\\n\\tpids ${me.replace(/[()]/g, '\\$&')}\\n$`));
    const progJson = JSON.parse((await runCli(['-j', 'prog', 'show', 'id', String(fx.progId('show_raw_tp'))])).out) as { pids: unknown };
    expect(progJson.pids).to.deep.equal([{ pid: process.pid, comm }]);

    const maps = jsonRecords((await runCli(['-j', 'map', 'show'])).out);
    const mapsWithPids = new Map((JSON.parse((await runCli(['-j', 'map', 'show'])).out) as Array<{ id: number; pids?: unknown }>).map((m) => [m.id, m.pids]));
    expect(maps.has(fx.mapId('show_counts'))).to.equal(true);
    expect(mapsWithPids.get(fx.mapId('show_counts'))).to.deep.equal([{ pid: process.pid, comm }]);
    expect(mapsWithPids.get(fx.mapId('show_config'))).to.equal(undefined);

    const btf = await runCli(['btf', 'show', 'id', String(btfId)]);
    expect(btf.out).to.match(new RegExp(`^${btfId}: name <anon>  size \\d+B  prog_ids [\\d,]+  map_ids [\\d,]+\\n\\tpids ${me.replace(/[()]/g, '\\$&')}\\n$`));

    const linkOut = await runCli(['link', 'show', 'id', String(linkId)]);
    expect(linkOut.out).to.equal(`${linkId}: raw_tracepoint  prog ${fx.progId('show_raw_tp')}  \n\ttp 'sys_enter'  \n\tpids ${me}\n`);
  });

  it('does not count its own show fds: a pinned link nobody holds has no pids', async () => {
    const prog = objGet(fx.path('show_raw_tp'));
    const link = rawTracepointOpen(prog, 'sys_enter');
    objPin(link, `${fx.dir}/pids_link`);
    const id = (await import('../../src/sys/index.js')).getLinkInfo(link).id;
    link.close();
    prog.close();
    const out = await runCli(['link', 'show', 'id', String(id)]);
    expect(out.out).to.not.include('pids');
    using again = linkGetFdById(id);
    const held = await runCli(['link', 'show', 'id', String(id)]);
    expect(held.out).to.include(`\n\tpids ${me}\n`);
    expect(again.closed).to.equal(false);
  });
});
