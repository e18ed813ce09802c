import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { newMachineFacts } from './machine.js';
import { follower, newGate, publisher, replayThreads, THREADS_FROM_BYTES } from './replay_threads.js';

function gate(): Int32Array {
  return new Int32Array(newGate());
}

describe('the zero-page gate between the first thread and a worker', () => {
  it('puts mainline\'s decision in force at the event it was made, not before', () => {
    const g = gate();
    const main = newMachineFacts(false, 'madvise'), other = newMachineFacts(false, 'madvise'); // THP given: the zero page alone is gated
    const pub = publisher(g, main), before = follower(g, other);
    for (let n = 0; n < 8; n++) {
      pub.beforeRun(n);
      if (n === 5) main.zeroPage = false; // mainline's engine decides while handling event 5
    }
    pub.beforeRun(8);
    for (let n = 0; n < 5; n++) {
      before(n);
      expect(other.zeroPage).toBeNull();
    }
    before(5);
    expect(other.zeroPage).toBe(false);
  });

  it('lets a worker run to the end undecided when mainline never decides', () => {
    const g = gate();
    const main = newMachineFacts(false, 'madvise'), other = newMachineFacts(false, 'madvise'); // THP given: the zero page alone is gated
    const pub = publisher(g, main), before = follower(g, other);
    for (let n = 0; n < 1000; n++) pub.beforeRun(n);
    pub.beforeRun(1000);
    pub.afterFinish(1000);
    for (let n = 0; n <= 1000; n++) before(n); // would wait forever if the end were not published
    expect(other.zeroPage).toBeNull();
  });

  it('takes a decision made while finishing at the finish', () => {
    const g = gate();
    const main = newMachineFacts(false, 'madvise'), other = newMachineFacts(false, 'madvise'); // THP given: the zero page alone is gated
    const pub = publisher(g, main), before = follower(g, other);
    for (let n = 0; n <= 3; n++) pub.beforeRun(n);
    main.zeroPage = true;
    pub.afterFinish(3);
    for (let n = 0; n < 3; n++) before(n);
    expect(other.zeroPage).toBeNull();
    before(3);
    expect(other.zeroPage).toBe(true);
  });

  it('sees a decision made after it ran ahead of the progress notes, at its own event', () => {
    const g = gate();
    const main = newMachineFacts(false, 'madvise'), other = newMachineFacts(false, 'madvise');
    const pub = publisher(g, main), before = follower(g, other);
    for (let n = 0; n <= 600; n++) pub.beforeRun(n); // progress notes at 0, 256, 512
    for (let n = 0; n < 512; n++) before(n); // no decision before 512: the worker runs on without waiting
    expect(other.zeroPage).toBeNull();
    for (let n = 601; n < 1000; n++) {
      pub.beforeRun(n);
      if (n === 700) main.zeroPage = true; // decided while handling event 700
    }
    pub.afterFinish(1000);
    for (let n = 512; n <= 700; n++) {
      expect(other.zeroPage).toBeNull();
      before(n);
    }
    expect(other.zeroPage).toBe(true);
  });
});

describe('the THP gate: each half of the policy in force from its own event', () => {
  it('publishes THP=always decided at event 7 while the zero page stays given', () => {
    const g = gate();
    const main = newMachineFacts(true), other = newMachineFacts(true);
    const pub = publisher(g, main), before = follower(g, other);
    for (let n = 0; n < 10; n++) {
      pub.beforeRun(n);
      if (n === 7) main.thpUnhinted = main.thpHinted = true; // a +512 fault on a VMA without MADV_HUGEPAGE
    }
    pub.afterFinish(10);
    for (let n = 0; n < 7; n++) {
      before(n);
      expect(other.thpUnhinted).toBeNull();
    }
    before(7);
    expect([other.thpUnhinted, other.thpHinted, other.zeroPage]).toEqual([true, true, false]);
  });
});

describe('replayThreads', () => {
  it('uses no more threads than variants, one for a small file, and FAULTLINE_THREADS when set', () => {
    const keep = process.env.FAULTLINE_THREADS;
    try {
      delete process.env.FAULTLINE_THREADS;
      expect(replayThreads(8, THREADS_FROM_BYTES - 1)).toBe(1);
      expect(replayThreads(1, THREADS_FROM_BYTES)).toBe(1);
      // beside a shared parse, two groups on 2 cores; without one, one group and the parse worker's core
      expect(replayThreads(4, THREADS_FROM_BYTES, true, 2)).toBe(2);
      expect(replayThreads(4, THREADS_FROM_BYTES, false, 2)).toBe(1);
      expect(replayThreads(8, THREADS_FROM_BYTES, true, 4)).toBe(3);
      expect(replayThreads(1, THREADS_FROM_BYTES, true, 2)).toBe(1);
      process.env.FAULTLINE_THREADS = '3';
      expect(replayThreads(8, 0)).toBe(3);
      expect(replayThreads(2, 0)).toBe(2);
      process.env.FAULTLINE_THREADS = '1';
      expect(replayThreads(8, THREADS_FROM_BYTES)).toBe(1);
    } finally {
      if (keep === undefined) delete process.env.FAULTLINE_THREADS;
      else process.env.FAULTLINE_THREADS = keep;
    }
  });
});

// The built CLI, several variants on several threads: the same bytes as one thread, whether the groups share the
// first thread's parse (FAULTLINE_PARSE_WORKER=1) or each reads the trace itself (=0); and with the parse shared, the
// trace is parsed on one thread only (the one whose CPU profile holds the perf script reader's line parser).
describe('replay on several threads (built CLI)', () => {
  const ROOT = new URL('..', import.meta.url).pathname;
  const CLI = join(ROOT, 'dist/src/cli.js');
  const TRACE = join(ROOT, 'traces/fixtures/workloads/pattern_init/perf.txt.gz');
  // a named profile: no fit pass reading the trace before the replay
  const ARGS = ['replay', '--json', '--series', '--machine-no-zero-page', '--profile', 'x86_64-kvm-6.18', '--patch', 'cow-pte,eager-populate,memset', TRACE];
  const run = (threads: string, worker: string, node: string[] = []): SpawnSyncReturns<string> =>
    spawnSync(process.execPath, [...node, CLI, ...ARGS], { env: { ...process.env, FAULTLINE_THREADS: threads, FAULTLINE_PARSE_WORKER: worker }, encoding: 'utf8', maxBuffer: 1 << 28 });

  it('prints the same JSON on 1, 2 and 3 threads, with the parse shared or not', () => {
    const one = run('1', '0');
    expect(one.status).toBe(0);
    expect(one.stdout.length).toBeGreaterThan(1000);
    for (const [threads, worker] of [['2', '1'], ['3', '1'], ['2', '0']]) expect(run(threads, worker).stdout).toBe(one.stdout);
  });

  /** Whether a CPU profile holds a sample in the perf script reader's per-line functions (perf_script.ts). */
  const parsedLines = (profile: string): boolean =>
    (JSON.parse(profile) as { nodes: { callFrame: { url: string; functionName: string } }[] }).nodes.some((n) => n.callFrame.url.endsWith('traces/perf_script.js') && ['line', 'perfLine', 'body'].includes(n.callFrame.functionName));

  it('parses the trace once when the groups share the parse', () => {
    const parsers = (threads: string, worker: string): number[] => {
      const dir = mkdtempSync(join(tmpdir(), 'faultline-threads-'));
      try {
        expect(run(threads, worker, ['--cpu-prof', '--cpu-prof-dir', dir]).status).toBe(0);
        // per thread's profile: 1 when the perf script reader's line parser ran on it (not any function of its file:
        // each thread that opens the trace runs the format sniffer, traces/perf_script.ts sniff.event, and on a loaded
        // machine a sample can land there: CI saw a second thread for that reason)
        return readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).map((f) => (parsedLines(readFileSync(join(dir, f), 'utf8')) ? 1 : 0));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    };
    const shared = parsers('2', '1'); // this thread, the parse worker, one variant group
    expect(shared.length).toBe(3);
    expect(shared.reduce((a, b) => a + b, 0)).toBe(1);
    const apart = parsers('2', '0'); // this thread and one variant group, each reading the trace
    expect(apart.length).toBe(2);
    expect(apart.reduce((a, b) => a + b, 0)).toBe(2);
  });
});
