// faultline info's large-folio line: the faults' own rss_stat show THP and mTHP sizes before any replay (issue 12
// item 9): thp_shrinker (enabled=always, madvise not recorded), mthp_64k (64 KiB and 16 KiB always), thp_write_first
// (MADV_HUGEPAGE under enabled=madvise), write_touch (4 KiB pages only).
import { describe, expect, it } from 'vitest';
import { traceInfo } from './info.js';
import { createAnonFolioCollector, describeAnonFolios } from './anon_folios.js';
import { MM_ANONPAGES, type TraceEvent } from './events.js';

const W = 'traces/fixtures/workloads';

describe('anon folio sizes from rss_stat (info)', () => {
  it('thp_shrinker: 32 faults of 2 MiB, no madvise events: always, or madvise unrecorded', async () => {
    const i = await traceInfo(`${W}/thp_shrinker/perf.txt.gz`);
    expect(i.anonFolios).toEqual({ faultsByKib: { 2048: 32 }, madvHugepage: -1 });
    expect(describeAnonFolios(i.anonFolios!)).toContain('THP enabled=always, or madvise with calls the trace did not record');
  });
  it('mthp_64k: 64 KiB and 16 KiB folios, no 2 MiB one', async () => {
    const i = await traceInfo(`${W}/mthp_64k/perf.txt.gz`);
    expect(Object.keys(i.anonFolios!.faultsByKib).sort()).toEqual(['16', '64']);
    expect(i.anonFolios!.faultsByKib['64']).toBeGreaterThan(4000); // the workload's sparse and dense 64 KiB writes
    expect(describeAnonFolios(i.anonFolios!)).toContain('mTHP sizes in use');
  });
  it('thp_write_first: 32 THPs with one MADV_HUGEPAGE call: madvise or always', async () => {
    const i = await traceInfo(`${W}/thp_write_first/perf.txt.gz`);
    expect(i.anonFolios).toEqual({ faultsByKib: { 2048: 32 }, madvHugepage: 1 });
    expect(describeAnonFolios(i.anonFolios!)).toContain('THP enabled=madvise or always');
  });
  it('write_touch: no large folio, nothing said', async () => {
    const i = await traceInfo(`${W}/write_touch/perf.txt.gz`);
    expect(i.anonFolios).toBeUndefined();
  });
});

describe('whose latest event was a fault (the collector on hand-made events)', () => {
  const ev = { name: 'x', system: '', time: 1, cpu: 0, pid: 1, comm: 'c', line: 1 };
  const fault = (tid: number): TraceEvent => ({ ...ev, kind: 'fault', tid, user: true, address: 0x1000, ip: 0x1, errorCode: 6 });
  const rss = (tid: number, mmId: number, size: number): TraceEvent => ({ ...ev, kind: 'rss_stat', tid, mmId, curr: true, member: MM_ANONPAGES, size, throttled: false });
  it('two tasks faulting in turn, a task with tid -1, an event between a fault and its rss_stat', () => {
    const c = createAnonFolioCollector();
    const feed = (es: TraceEvent[]): void => es.forEach((e) => c.sink(e));
    // each mm's first rss_stat only sets its baseline
    feed([rss(1, 10, 4096), rss(2, 20, 4096), rss(-1, 30, 4096)]);
    // A and B fault, then each one's own rss_stat rises: +64 KiB (A) and +16 KiB (B), both right after their fault
    feed([fault(1), fault(2), rss(1, 10, 4096 + 65536), rss(2, 20, 4096 + 16384)]);
    // tid -1: no fault of its own before this rss_stat, so +32 KiB is not one folio; then after one, it is
    feed([rss(-1, 30, 4096 + 32768), fault(-1), rss(-1, 30, 4096 + 2 * 32768)]);
    // A faults, then does something else, then its rss_stat: not right after the fault
    feed([fault(1), { ...ev, kind: 'other', tid: 1, fields: {} }, rss(1, 10, 4096 + 65536 + 65536)]);
    // B faults twice (still its latest), A faults, A's rss_stat then B's: both right after their own faults
    feed([fault(2), fault(2), fault(1), rss(1, 10, 4096 + 3 * 65536), rss(2, 20, 4096 + 2 * 16384)]);
    expect(c.finish().faultsByKib).toEqual({ '64': 2, '32': 1, '16': 2 });
  });
});
