/**
 * `npm run soak`: the long versions of the soak tests, each in a child process, with a summary.
 *   npm run soak [-- --cycles N] [-- --seconds S]
 * Defaults: 10,000 resource cycles, a 60 s event stream with 200 close rounds. Exits 1 when a
 * check fails (the failures are printed).
 */
import { fileURLToPath } from 'node:url';
import { runSoakChild } from './child.js';
import { mib, resourceFailures, RSS_TOLERANCE, type ResourceSoakResult } from './resource-cycles.js';
import { STREAM_RSS_TOLERANCE, streamFailures, type StreamSoakResult } from './stream-soak.js';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const cycles = option('--cycles', 10_000);
  const seconds = option('--seconds', 60);
  let failed = false;

  process.stdout.write(`soak: ${cycles} open/load/attach/trigger/read/close cycles...\n`);
  const res = await runSoakChild<ResourceSoakResult>('resource-cycles.js', [String(cycles), '--progress'], { timeoutMs: cycles * 1000 + 60_000 });
  const resFail = resourceFailures(res);
  const left = Object.values(res.leftIds).reduce((a, l) => a + l.length, 0);
  process.stdout.write(
    [
      `resources: ${res.cycles} cycles (+${res.warmupCycles} warm-up) in ${(res.durationMs / 1000).toFixed(0)} s; ${res.triggers} triggers, ${res.records} records, ${res.missed} kernel-skipped runs`,
      `  kernel objects created: ${Object.entries(res.idsCreated).map(([k, n]) => `${n} ${k}`).join(', ')}; left: ${left}`,
      `  fds ${res.fdsBaseline} -> ${res.fdsEnd}; RSS start ${mib(res.rssBaseline)}, end ${mib(res.rssEnd)}, max ${mib(res.rssMax)} (end - start ${mib(res.rssEnd - res.rssBaseline)}, tolerance ${mib(RSS_TOLERANCE)}); JS heap ${mib(res.heapBaseline)} -> ${mib(res.heapEnd)}; RSS slope ${res.rssSlopePerCycle.toFixed(0)} B/cycle`,
      resFail.length === 0 ? '  PASS' : `  FAIL: ${resFail.join('; ')}`,
      '',
    ].join('\n'),
  );
  failed ||= resFail.length > 0;

  process.stdout.write(`soak: ${seconds} s event stream (ring + perf, full-speed producer, slowed consumer)...\n`);
  const st = await runSoakChild<StreamSoakResult>('stream-soak.js', [String(seconds * 1000), '200'], { timeoutMs: seconds * 1000 + 120_000 });
  const stFail = streamFailures(st);
  const k = st.ring.kernel;
  const perfRecv = st.perf.reduce((a, p) => a + p.received, 0);
  const perfLost = st.perf.reduce((a, p) => a + p.lost, 0);
  const perfAttempted = st.perf.reduce((a, p) => a + p.kernel.attempted, 0);
  process.stdout.write(
    [
      `stream: ${(st.durationMs / 1000).toFixed(0)} s`,
      `  ring: attempted ${k.attempted}, received ${st.ring.received}, dropped (failed reserve/output) ${k.dropped}, discarded ${k.discarded}`,
      `  perf: attempted ${perfAttempted}, received ${perfRecv}, lost ${perfLost} (${st.perf.map((p) => `cpu ${p.cpu}: ${p.received} + ${p.lost}`).join(', ')})`,
      `  corrupt ${st.corrupt}; RSS after warm-up ${mib(st.rssStart)}, end ${mib(st.rssEnd)}, max ${mib(st.rssMax)} (tolerance +${mib(STREAM_RSS_TOLERANCE)})`,
      `  RSS MiB per second: ${st.rssTimeline.join(' ')}`,
      `  close under load: ${st.closeRounds} rounds, ${st.hungCloses} hung; ${JSON.stringify(st.closeOutcomes)}`,
      stFail.length === 0 ? '  PASS' : `  FAIL: ${stFail.join('; ')}`,
      '',
    ].join('\n'),
  );
  failed ||= stFail.length > 0;
  process.exitCode = failed ? 1 : 0;
}
