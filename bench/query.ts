// Bench section for `faultline query`: a typical one-liner against a bare read of the same file (what `info` costs).
import { performance } from 'node:perf_hooks';
import type { EventSink, ReadResult, TraceEvent } from '../traces/events.js';
import { compileProgram } from '../analyze/run.js';

type ReadTrace = (path: string, sink: EventSink) => Promise<ReadResult>;

/** The programs the bench runs: the typical one-liners of the help text. */
export const BENCH_PROGRAMS = [
  't:exceptions:page_fault_user { @[args.error_code] = count(); }',
  't:exceptions:page_fault_user /args.error_code & 2/ { @w[comm] = count(); @a = hist(args.address & 0xfffff); } t:kmem:rss_stat { @[args.member] = max(args.size); }',
];

async function loadReader(): Promise<ReadTrace> {
  const spec = '../traces/read.js';
  const mod = (await import(spec)) as { readTrace?: ReadTrace };
  if (typeof mod.readTrace !== 'function') throw new Error('traces/read.js has no readTrace');
  return mod.readTrace;
}

/** Best of `runs` timings (ms): the machine is shared, so the minimum is the least disturbed run. */
async function best(runs: number, f: () => Promise<void>): Promise<number> {
  let min = Number.POSITIVE_INFINITY;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await f();
    min = Math.min(min, performance.now() - t);
  }
  return min;
}

/** Time a bare read (no-op sink: less than `faultline info` does) and each program over the same file; print ratios. */
export async function benchQuery(file: string, runs = 2): Promise<void> {
  const readTrace = await loadReader();
  let events = 0;
  const bare = await best(runs, async () => {
    events = (await readTrace(file, () => {})).events;
  });
  console.log(`query: ${file}: ${events} events, bare read ${(bare / 1000).toFixed(2)} s (${Math.round(events / (bare / 1000)).toLocaleString('en-US')} events/s, best of ${runs})`);
  for (const src of BENCH_PROGRAMS) {
    const q = await best(runs, async () => {
      const p = compileProgram(src, { write: () => {} });
      p.begin();
      await readTrace(file, p.traceSink);
      p.end();
    });
    console.log(`query: ${(q / 1000).toFixed(2)} s, speed ${(bare / q).toFixed(2)}x of a bare read (goal >= 0.5): ${src.slice(0, 70)}`);
  }
}

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
