// faultline info's large-folio line: the faults' own rss_stat show THP and mTHP sizes before any replay (issue 12
// item 9): thp_shrinker (enabled=always, madvise not recorded), mthp_64k (64 KiB and 16 KiB always), thp_write_first
// (MADV_HUGEPAGE under enabled=madvise), write_touch (4 KiB pages only).
import { describe, expect, it } from 'vitest';
import { traceInfo } from './info.js';
import { describeAnonFolios } from './anon_folios.js';

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
