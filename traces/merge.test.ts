import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createMerger } from './merge.js';
import type { TraceEvent } from './events.js';

function ev(time: number, cpu: number, line: number): TraceEvent {
  return { kind: 'lost', name: 'x', system: '', time, cpu, pid: -1, tid: -1, comm: '', line, count: 0 };
}

/** Per-CPU sorted streams interleaved in random chunks: what trace_pipe produces. */
const interleaved = fc
  .array(fc.array(fc.integer({ min: 0, max: 1000 }), { maxLength: 60 }), { minLength: 1, maxLength: 4 })
  .chain((perCpu) => {
    const streams = perCpu.map((ts) => [...ts].sort((a, b) => a - b));
    const total = streams.reduce((n, s) => n + s.length, 0);
    return fc.array(fc.nat(streams.length - 1), { minLength: total, maxLength: total }).map((order) => ({ streams, order }));
  });

describe('createMerger', () => {
  it('emits in time order, stable by file line, keeping each CPU in its own order', () => {
    fc.assert(
      fc.property(interleaved, ({ streams, order }) => {
        const pos = streams.map(() => 0);
        const input: TraceEvent[] = [];
        let line = 0;
        for (const pick of order) {
          // take from the picked cpu if it has any left, else the first non-empty one
          let c = pick;
          if (pos[c] >= streams[c].length) c = streams.findIndex((s, i) => pos[i] < s.length);
          input.push(ev(streams[c][pos[c]++], c, ++line));
        }
        const out: TraceEvent[] = [];
        const m = createMerger((e) => out.push(e), { windowNs: 1e12 });
        m.expectCpus(streams.length);
        for (const e of input) m.push(e);
        m.flush();
        expect(out.length).toBe(input.length);
        const want = [...input].sort((a, b) => a.time - b.time || a.line - b.line);
        expect(out.map((e) => e.line)).toEqual(want.map((e) => e.line));
        expect(m.late()).toBe(0);
      }),
    );
  });

  it('holds at most maxQueued events (bounded memory) even when a CPU stays silent', () => {
    let held = 0;
    let maxHeld = 0;
    const m = createMerger(() => held--, { windowNs: 1e15, maxQueued: 100 });
    m.expectCpus(2); // cpu 1 never speaks
    for (let i = 0; i < 10_000; i++) {
      held++;
      m.push(ev(i, 0, i + 1));
      maxHeld = Math.max(maxHeld, held);
    }
    expect(maxHeld).toBeLessThanOrEqual(101);
    m.flush();
    expect(held).toBe(0);
  });

  it('releases by the time window when one CPU lags', () => {
    const out: number[] = [];
    const m = createMerger((e) => out.push(e.time), { windowNs: 10 });
    m.expectCpus(2);
    m.push(ev(0, 0, 1));
    m.push(ev(5, 0, 2));
    expect(out).toEqual([]);
    m.push(ev(20, 0, 3)); // 0 + 10 < 20: released; 5 + 10 < 20: released
    expect(out).toEqual([0, 5]);
    m.flush();
    expect(out).toEqual([0, 5, 20]);
  });

  it('counts events that arrive behind the window as late instead of dropping them', () => {
    const out: number[] = [];
    const m = createMerger((e) => out.push(e.time), { windowNs: 10, maxQueued: 1 });
    m.push(ev(100, 0, 1));
    m.push(ev(200, 0, 2));
    m.push(ev(50, 1, 3));
    m.flush();
    expect(out.length).toBe(3);
    expect(m.late()).toBe(1);
  });
});

describe('createMerger inOrder (perf script: sorted by the writer)', () => {
  it('a sorted file: each event passes on at its push, in file order, the same order the classic merge gives', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 50 }), fc.nat(3)), { maxLength: 80 }), (steps) => {
        let t = 0;
        const input = steps.map(([dt, cpu], i) => ev((t += dt), cpu, i + 1));
        const out: TraceEvent[] = [];
        const m = createMerger((e) => out.push(e), { inOrder: true });
        input.forEach((e, i) => {
          m.push(e);
          expect(out.length).toBe(i + 1); // nothing held
        });
        m.flush();
        const classic: TraceEvent[] = [];
        const c = createMerger((e) => classic.push(e));
        for (const e of input) c.push(e);
        c.flush();
        expect(out.map((e) => e.line)).toEqual(classic.map((e) => e.line));
        expect(m.late()).toBe(0);
      }),
    );
  });
  it('from the first event out of order the window takes over: that one is counted late, later ones are merged', () => {
    const out: TraceEvent[] = [];
    const m = createMerger((e) => out.push(e), { inOrder: true, windowNs: 1000 });
    for (const e of [ev(100, 0, 1), ev(200, 1, 2), ev(150, 0, 3), ev(400, 1, 4), ev(300, 0, 5), ev(500, 0, 6)]) m.push(e);
    m.flush();
    expect(out.map((e) => e.line)).toEqual([1, 2, 3, 5, 4, 6]);
    expect(m.late()).toBe(1);
  });
});
