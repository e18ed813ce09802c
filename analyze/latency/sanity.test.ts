// The profile-vs-trace sanity check: a thread's faults are sequential, so its modelled fault time (all but the last
// fault) must fit between its first and last fault.
import { describe, expect, it } from 'vitest';
import type { FaultRecord } from '../../model/types.js';
import { createFaultTimeSanity, sanityText } from './sanity.js';
import { readTrace } from '../../traces/read.js';
import { createReplay } from '../../model/replay.js';
import { buildVariants } from '../../model/variants.js';
import { loadProfile } from '../../model/costs.js';
import { fixtureFiles } from '../../record/fixtures.js';

const rec = (tid: number, time: number, latencyNs: number, over: Partial<FaultRecord> = {}): FaultRecord => ({
  variant: 'mainline', time, cpu: 0, pid: tid, tid, comm: `t${tid}`, address: 0x1000, errorCode: 6, path: 'anon_alloc',
  vmaStart: 0, vmaEnd: 0, vmaFlags: 3, pagesAllocated: 1, tablesAllocated: 0, latencyNs, inferred: false, ...over,
});

describe('fault time vs thread span', () => {
  it('flags the thread whose modelled faults cannot fit between its first and last fault, and only it', () => {
    const s = createFaultTimeSanity('mainline');
    // tid 1: faults 10 µs apart, modelled 5 µs each: fits. tid 2: 10 µs apart, modelled 15 µs: 30 µs in a 20 µs span.
    for (const t of [0, 10_000, 20_000]) s.onFault(rec(1, t, 5_000));
    for (const t of [0, 10_000, 20_000]) s.onFault(rec(2, t, 15_000));
    // not the thread's own traps: another variant, a populate record, a not-taken fault
    s.onFault(rec(1, 21_000, 1e9, { variant: 'memset' }));
    s.onFault(rec(1, 22_000, 1e9, { path: 'populate', errorCode: -1 }));
    s.onFault(rec(1, 23_000, 1e9, { path: 'not_taken' }));
    const r = s.finish();
    expect(r.threads).toBe(2);
    expect(r.pairs).toBe(4);
    expect(r.pairs_over).toBe(0); // 10 µs to the next fault is not under half of 15 µs
    expect(r.threads_over).toEqual([{ tid: 2, comm: 't2', faults: 3, modelled_ns: 30_000, span_ns: 20_000 }]);
    expect(sanityText(r)).toMatch(/^the cost profile models more fault time than the trace allows: in 1 of 2 threads \(mainline\) .*tid 2 t2, 0\.030 ms modelled in 0\.020 ms/);
  });
  it('calls the profile too slow when most faults are followed by the next sooner than their modelled cost', () => {
    const s = createFaultTimeSanity('mainline');
    // 3 of 4 intervals (1 µs) are shorter than half the 3 µs modelled; one long pause keeps the thread within its span
    for (const t of [0, 1_000, 2_000, 3_000, 100_000]) s.onFault(rec(1, t, 3_000));
    const r = s.finish();
    expect([r.threads_over_count, r.pairs, r.pairs_over]).toEqual([0, 4, 3]);
    expect(sanityText(r)).toMatch(/^the cost profile prices faults above what the trace allows: 3 of 4 faults \(mainline\)/);
  });
  it('says nothing when every thread fits', () => {
    const s = createFaultTimeSanity('mainline');
    s.onFault(rec(1, 0, 1_000));
    s.onFault(rec(1, 5_000, 1_000));
    expect(sanityText(s.finish())).toBe('');
    expect(sanityText(null)).toBe('');
  });
  it('the shipped profile fits the threads of the recordings made on its own machine (write_touch, fork_1g)', async () => {
    for (const name of ['write_touch', 'fork_1g']) {
      const s = createFaultTimeSanity('mainline');
      const rep = createReplay(buildVariants({ baseZeroPage: false }), { fault: s.onFault }, { profile: loadProfile() });
      rep.finish(await readTrace(fixtureFiles(name, 'perf').trace, rep.sink));
      const r = s.finish();
      expect(r.threads, name).toBeGreaterThan(0);
      expect(r.threads_over_count, `${name}: ${sanityText(r)}`).toBe(0);
      expect(sanityText(r), name).toBe('');
    }
  });
});
