// Bench section for `faultline query`: a typical one-liner against a bare read of the same file (what `info` costs).
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import type { TraceEvent } from '../traces/events.js';
import { readTrace } from '../traces/read.js';
import { traceInfo } from '../traces/info.js';
import { compileProgram } from '../analyze/run.js';
import type { BenchArgs, BenchSection } from './run.js';
import { generatePerfTrace } from './gen.js';

/** The programs the bench runs: the typical one-liners of the help text. */
export const BENCH_PROGRAMS = [
  't:exceptions:page_fault_user { @[args.error_code] = count(); }',
  't:exceptions:page_fault_user /args.error_code & 2/ { @w[comm] = count(); @a = hist(args.address & 0xfffff); } t:kmem:rss_stat { @[args.member] = max(args.size); }',
];

/** Wall time of one run of `f`, in ms. */
async function elapsed(f: () => Promise<void>): Promise<number> {
  const t = performance.now();
  await f();
  return performance.now() - t;
}

/** What `faultline query -e PROGRAM` does on `path` (compile, read, print): events read. */
export async function queryFile(path: string, src: string): Promise<number> {
  const p = compileProgram(src, { write: () => {} });
  p.begin();
  // (as src/commands/query.ts: a program without model:* probes takes faults and rss_stat by their parts)
  const r = await readTrace(path, p.traceSink, p.needsModel ? {} : { rows: p.traceRows });
  p.end();
  return r.events;
}

/** Time `faultline info`'s pass (traceInfo) and each program over the same file, alternating; print ratios. */
export async function benchQuery(file: string, runs = 3): Promise<void> {
  let infoMs = Number.POSITIVE_INFINITY;
  const progMs = BENCH_PROGRAMS.map(() => Number.POSITIVE_INFINITY);
  let events = 0;
  // Alternate info and the queries, keeping the best of each: the machine is shared.
  for (let round = 0; round < runs; round++) {
    infoMs = Math.min(infoMs, await elapsed(async () => void (events = (await traceInfo(file)).totalEvents)));
    for (let i = 0; i < BENCH_PROGRAMS.length; i++) {
      progMs[i] = Math.min(progMs[i], await elapsed(async () => void (await queryFile(file, BENCH_PROGRAMS[i]))));
    }
  }
  console.log(`info (traceInfo): ${events} events in ${(infoMs / 1000).toFixed(2)} s = ${(events / (infoMs / 1000) / 1e6).toFixed(2)} M events/s (best of ${runs})`);
  BENCH_PROGRAMS.forEach((src, i) => {
    console.log(`query: ${(progMs[i] / 1000).toFixed(2)} s, speed ${(infoMs / progMs[i]).toFixed(2)}x of info (aim >= 0.9): ${src.length > 72 ? src.slice(0, 69) + '...' : src}`);
  });
}

/** The bench harness section (bench/run.ts): the generated multi-million-event perf trace, info against query. */
export const section: BenchSection = {
  name: 'query',
  description: 'bpftrace-style one-liners over the generated trace vs `faultline info` on the same file, and the engine alone',
  async run(args: BenchArgs): Promise<void> {
    const path = join(args.tmp, `faultline-bench-perf-${args.events}.txt`);
    const g = await generatePerfTrace(args.events, path);
    console.log(`trace: ${g.path} (${args.events} events, lines replicated from ${g.source})`);
    await benchQuery(g.path);
    benchQueryEngine();
  },
};

/** The engine alone, over synthetic in-memory fault events (no reader): events per second. */
export function benchQueryEngine(events = 3_000_000): void {
  const comms = ['bash', 'cc1', 'ld', 'make', 'sh', 'python3', 'node', 'git'];
  const e: TraceEvent = { kind: 'fault', name: 'page_fault_user', system: 'exceptions', time: 0, cpu: 0, pid: 1, tid: 1, comm: 'bash', line: 0, user: true, address: 0, ip: 0x401000, errorCode: 6 };
  for (const src of BENCH_PROGRAMS) {
    const p = compileProgram(src, { write: () => {} });
    const t0 = performance.now();
    for (let i = 0; i < events; i++) {
      e.time = 1000 + i * 100;
      e.comm = comms[i & 7];
      e.pid = e.tid = 100 + (i & 7);
      e.address = 0x7f0000000000 + i * 4096;
      e.errorCode = i % 3 === 0 ? 4 : 6;
      e.line = i;
      p.traceSink(e);
    }
    p.end();
    const ms = performance.now() - t0;
    console.log(`query engine: ${Math.round(events / (ms / 1000)).toLocaleString('en-US')} events/s: ${src.slice(0, 70)}`);
  }
}
