// Modelled vs measured latency: the fault -> rss_stat span, the streaming join and validate's latency section.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import type { EventHeader, RssStatEvent, TraceEvent } from '../../traces/events.js';
import { readTrace } from '../../traces/read.js';
import { FAULT_TO_RSS_STAT, createMeasuredCollector, type MeasuredFault } from './measured.js';
import { createLatencyJoin, histSummary } from './join.js';
import { createLatencyValidator as createValidator } from './validate.js';
import { defaultVariant } from '../../model/replay.js';
import { loadProfile } from '../../model/costs.js';
import type { FaultRecord } from '../../model/types.js';

let line = 0;
const hdr = (name: string, time: number, tid = 100): EventHeader => ({ name, system: '', time, cpu: 0, pid: tid, tid, comm: 'w', line: ++line });
const pf = (time: number, tid = 100, user = true): TraceEvent => ({ ...hdr('page_fault_user', time, tid), kind: 'fault', user, address: 0x7f0000000000, ip: 0, errorCode: 6 });
const rss = (time: number, tid = 100, curr = true): RssStatEvent => ({ ...hdr('rss_stat', time, tid), kind: 'rss_stat', mmId: 7, curr, member: 1, size: 4096, throttled: false });

describe('measured: fault entry -> its rss_stat', () => {
  it('times a user fault to the next event of its task when that is an rss_stat of its own mm', () => {
    const got: MeasuredFault[] = [];
    const c = createMeasuredCollector({ keepFaults: false, onFault: (m) => got.push(m) });
    // tid 100: fault, rss 1500 ns later; tid 200's events in between do not end 100's span
    for (const e of [pf(1_000), pf(1_100, 200), rss(2_500), rss(2_600, 200)]) c.sink(e);
    // a fault followed by another event of its task first (here a second fault: the first changed no counter)
    for (const e of [pf(5_000), pf(6_000), rss(6_700)]) c.sink(e);
    // curr=0 (another mm's counter, e.g. a fork child) and kernel-mode faults are not the fault's own update
    for (const e of [pf(9_000), rss(9_500, 100, false), pf(10_000, 100, false), rss(10_400)]) c.sink(e);
    expect(got.map((m) => [m.tid, m.faultTime, m.durationNs, m.func, m.source])).toEqual([
      [100, 1_000, 1_500, FAULT_TO_RSS_STAT, 'rss_stat'],
      [200, 1_100, 1_500, FAULT_TO_RSS_STAT, 'rss_stat'],
      [100, 6_000, 700, FAULT_TO_RSS_STAT, 'rss_stat'],
    ]);
    expect(c.result().faults).toEqual([]); // keepFaults: false holds nothing per fault
  });
});

describe('createLatencyJoin', () => {
  const rec = (tid: number, time: number, path: string, latencyNs: number) => ({ tid, time, path, latencyNs }) as FaultRecord;
  const meas = (tid: number, faultTime: number, durationNs: number, func = FAULT_TO_RSS_STAT): MeasuredFault =>
    ({ tid, time: faultTime, faultTime, durationNs, func, address: 0, errorCode: 6, source: 'rss_stat' });
  it('joins a measurement to the modelled fault at the same tid and time, whichever comes first', () => {
    const j = createLatencyJoin();
    j.onModelFault(rec(1, 100, 'anon_alloc', 13_000));
    j.onMeasuredFault(meas(1, 100, 1_500));
    j.onMeasuredFault(meas(2, 200, 2_000)); // before its modelled fault (the replay held it for a hint)
    j.onModelFault(rec(2, 200, 'anon_alloc', 13_000));
    j.onMeasuredFault(meas(1, 150, 900)); // no modelled fault at 150 on tid 1
    j.onMeasuredFault({ ...meas(3, -1, 700), faultTime: -1 }); // a GUP fault
    j.onModelFork({ childPid: 9, latencyNs: 1e6 } as never);
    const r = j.finish([{ pid: 1, tid: 1, time: 0, childPid: 9, durationNs: 1.5e6, source: 'syscall', waitNs: 0, waitFrom: 'longest_gap', waitMaxNs: 0, returnNs: -1, returnOffCpuNs: null, returnOffCpuFrom: null, returnOffCpuMaxNs: null }]);
    const a = r.faults[FAULT_TO_RSS_STAT]!.anon_alloc!;
    expect(a.count).toBe(2);
    expect(a.measured.total_ns).toBe(3_500);
    expect(a.modelled.total_ns).toBe(26_000);
    expect(r.unjoined).toBe(2);
    expect(r.forks).toMatchObject({ count: 1, ratio_total: 1.5, pairs: [{ child_pid: 9, modelled_ns: 1e6, measured_ns: 1.5e6, wait_ns: 0 }] });
  });
  it("compares each fork's return after the clone with the modelled return, less the measured off-CPU part; no fork showing any makes it unknown", () => {
    const fork = (childPid: number, returnNs: number, returnOffCpuNs: number | null, from: 'off_cpu' | 'same_cpu' | null = returnOffCpuNs === null ? null : 'off_cpu') =>
      ({ pid: 1, tid: 1, time: 0, childPid, durationNs: 1e6, source: 'syscall', waitNs: 0, waitFrom: 'off_cpu', waitMaxNs: 0, returnNs, returnOffCpuNs, returnOffCpuFrom: from, returnOffCpuMaxNs: returnOffCpuNs }) as const;
    const j = createLatencyJoin(undefined, undefined, undefined, (r) => r.ptesCopied * 10);
    j.onModelFork({ childPid: 9, latencyNs: 1e6, ptesCopied: 100_000, tablesCopied: 0 } as never);
    j.onModelFork({ childPid: 10, latencyNs: 1e6, ptesCopied: 300_000, tablesCopied: 0 } as never);
    const r = j.finish([fork(9, 2e6, 1e6), fork(10, 5e6, 0)]);
    // modelled 1 + 3 ms; measured 7 ms of which 1 ms switched out: (7 - 1) / 4
    expect(r.forks!.return).toEqual({ count: 2, measured_ns: 7e6, off_cpu_ns: 1e6, off_cpu_from: 'off_cpu', modelled_ns: 4e6, ratio: 1.5 });
    expect(r.forks!.wait_from).toBe('off_cpu');
    const j2 = createLatencyJoin();
    j2.onModelFork({ childPid: 9, latencyNs: 1e6, ptesCopied: 1, tablesCopied: 1 } as never);
    expect(j2.finish([fork(9, 2e6, null)]).forks!.return).toEqual({ count: 1, measured_ns: 2e6, off_cpu_ns: null, off_cpu_from: null, modelled_ns: null, ratio: 0 });
    // a lower bound from other tasks' events on one fork's CPU, nothing shown on the other: at least that, labelled so
    const j3 = createLatencyJoin(undefined, undefined, undefined, (r) => r.ptesCopied * 10);
    j3.onModelFork({ childPid: 9, latencyNs: 1e6, ptesCopied: 100_000, tablesCopied: 0 } as never);
    j3.onModelFork({ childPid: 10, latencyNs: 1e6, ptesCopied: 300_000, tablesCopied: 0 } as never);
    expect(j3.finish([fork(9, 2e6, 1e6, 'same_cpu'), fork(10, 5e6, null)]).forks!.return).toEqual({ count: 2, measured_ns: 7e6, off_cpu_ns: 1e6, off_cpu_from: 'same_cpu', modelled_ns: 4e6, ratio: 1.5 });
  });
  it('compares the modelled kernel part (the cost less the path\'s trap share) with the measured span, which leaves the trap out', () => {
    // anon_alloc: own trap share 10 000 ns; file_cow: none of its own, anon_alloc's taken; weird: no share at all
    const trapOf = (path: string) => (path === 'anon_alloc' ? { ns: 10_000, own: true } : path === 'file_cow' ? { ns: 10_000, own: false } : null);
    const j = createLatencyJoin(undefined, trapOf);
    j.onModelFault(rec(1, 100, 'anon_alloc', 11_500));
    j.onMeasuredFault(meas(1, 100, 1_400));
    j.onModelFault(rec(1, 200, 'file_cow', 8_000)); // a cost below the trap share: the kernel part is 0, not negative
    j.onMeasuredFault(meas(1, 200, 2_000));
    j.onModelFault(rec(1, 300, 'weird', 4_000));
    j.onMeasuredFault(meas(1, 300, 2_000));
    const f = j.finish([]).faults[FAULT_TO_RSS_STAT]!;
    expect(f.anon_alloc!.modelled.total_ns).toBe(11_500);
    expect(f.anon_alloc!.modelled_kernel!.total_ns).toBe(1_500);
    expect(f.anon_alloc!.trap_share).toBe('own');
    expect(f.anon_alloc!.ratio_p50).toBeGreaterThan(0.9); // 1 400 / ~1 500, not 1 400 / 11 500
    expect(f.anon_alloc!.ratio_p50).toBeLessThan(1);
    expect(f.file_cow!.trap_share).toBe('anon_alloc');
    expect(f.file_cow!.modelled_kernel!.total_ns).toBe(0);
    expect(f.file_cow!.ratio_p50).toBe(0); // nothing left to compare with: flagged as off (latencyOff(0))
    expect(f.weird!.modelled_kernel).toBeNull();
    expect(f.weird!.trap_share).toBe('none');
    expect(f.weird!.ratio_p50).toBeGreaterThan(0.45); // against the full 4 000
    expect(f.weird!.ratio_p50).toBeLessThan(0.55);
  });
  it('histogram percentiles land within a bin (2.2%) of the exact nearest-rank value', () => {
    const j = createLatencyJoin();
    const xs = Array.from({ length: 1000 }, (_, i) => 500 + ((i * 7919) % 1000) * 37); // 500 .. 37463 ns, shuffled
    xs.forEach((x, i) => (j.onModelFault(rec(1, i, 'p', x)), j.onMeasuredFault(meas(1, i, x))));
    const s = j.finish([]).faults[FAULT_TO_RSS_STAT]!.p!.measured;
    const sorted = [...xs].sort((a, b) => a - b);
    for (const [q, got] of [[0.5, s.p50_ns], [0.9, s.p90_ns], [0.99, s.p99_ns]] as const) {
      const exact = sorted[Math.ceil(q * sorted.length) - 1]!;
      expect(Math.abs(got - exact) / exact).toBeLessThan(0.022);
    }
    expect(s.total_ns).toBe(xs.reduce((a, b) => a + b, 0));
    expect(histSummary({ bins: new Map(), count: 0, total: 0 }).p50_ns).toBe(0);
  });
});

describe('validate: modelled vs measured on a real recording (write_touch, perf)', () => {
  const trace = join(import.meta.dirname, '..', '..', 'traces', 'fixtures', 'workloads', 'write_touch', 'perf.txt.gz');
  it('every fault whose next event on its task is its rss_stat is measured, with the raw timestamps\' spans', async () => {
    // independent count from the raw lines: a user fault followed (on the same tid, next line of that tid) by an
    // rss_stat with curr=1; the span is the difference of the two timestamps
    const spans: number[] = [];
    const open = new Map<string, number>();
    for (const l of gunzipSync(readFileSync(trace)).toString('utf8').split('\n')) {
      const m = /^\s*\S.*?\s(\d+)\/(\d+)\s+\[\d+\]\s+(\d+)\.(\d{9}):\s+(\S+):(.*)$/.exec(l);
      if (!m) continue;
      const tid = m[2]!, t = Number(m[3]) * 1e9 + Number(m[4]), ev = m[5]!;
      const o = open.get(tid);
      open.delete(tid);
      if (ev === 'kmem:rss_stat' && o !== undefined && / curr=1 /.test(m[6]!)) spans.push(t - o);
      if (ev === 'exceptions:page_fault_user') open.set(tid, t);
    }
    const v = createValidator(defaultVariant({ useZeroPage: false }), loadProfile());
    const r = v.finish(await readTrace(trace, v.sink));
    const byPath = r.latency!.faults[FAULT_TO_RSS_STAT]!;
    const joined = Object.values(byPath).reduce((n, c) => n + c.count, 0);
    expect(joined + r.latency!.unjoined).toBe(spans.length);
    expect(r.latency!.unjoined).toBeLessThanOrEqual(2);
    const total = Object.values(byPath).reduce((n, c) => n + c.measured.total_ns, 0);
    const all = spans.reduce((a, b) => a + b, 0);
    expect(Math.abs(total - all)).toBeLessThanOrEqual(all * 0.001 + 10_000); // the unjoined ones only
    // the anon write faults dominate and their modelled cost is the profile's anon_alloc (trap included)
    expect(byPath.anon_alloc!.count).toBeGreaterThan(16_000);
    const step = loadProfile().steps.anon_alloc!;
    expect(Math.abs(byPath.anon_alloc!.modelled.p50_ns - step) / step).toBeLessThan(0.022); // one histogram bin
  });
});

describe('validate: fork_1g, modelled fork vs the trace\'s own clone enter -> exit (issue 5: within 2x)', () => {
  for (const backend of ['perf', 'ftrace'] as const) {
    it(backend, async () => {
      const trace = join(import.meta.dirname, '..', '..', 'traces', 'fixtures', 'workloads', 'fork_1g', `${backend}.txt.gz`);
      // the clone's duration straight from the raw lines: sys_enter_clone to the parent's sys_exit_clone
      const text = gunzipSync(readFileSync(trace)).toString('utf8');
      const stamp = (re: RegExp): number => {
        const m = re.exec(text)!;
        return Number(m[1]) * 1e9 + Number(m[2]!.padEnd(9, '0'));
      };
      // perf: syscalls:sys_enter_clone / sys_exit_clone: 0x..; raw ftrace: sys_clone(...) / sys_clone -> 0x..
      const enter = stamp(/ (\d+)\.(\d+):\s+(?:syscalls:sys_enter_clone|sys_clone\()/);
      const exit = stamp(/ (\d+)\.(\d+):\s+(?:syscalls:sys_exit_clone:|sys_clone ->) +0x[1-9a-f]/);
      const v = createValidator(defaultVariant({ useZeroPage: false }), loadProfile());
      const r = v.finish(await readTrace(trace, v.sink));
      const f = r.latency!.forks!;
      expect(f.count).toBe(1);
      expect(f.measured.total_ns).toBe(exit - enter);
      expect(f.ratio_total).toBeGreaterThan(0.5);
      expect(f.ratio_total).toBeLessThan(2);
    });
  }
});
