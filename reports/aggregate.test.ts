import { describe, expect, test } from 'vitest';
import type { FaultRecord, ForkRecord, VariantResult } from '../model/types.js';
import { createReportCollector, evenSample, latencyBin, thinMax, totalSeries } from './aggregate.js';

function fault(over: Partial<FaultRecord>): FaultRecord {
  return { variant: 'mainline', time: 0, cpu: 0, pid: 1, tid: 1, comm: 'a', address: 0x1000, errorCode: 6, path: 'anon_alloc', vmaStart: 0x1000, vmaEnd: 0x9000, vmaFlags: 3, pagesAllocated: 1, tablesAllocated: 0, latencyNs: 0, inferred: false, ...over };
}

describe('createReportCollector', () => {
  test('places faults in time bins, VMA rows sorted by address and address slices', () => {
    const c = createReportCollector({ timeBins: 10, slices: 4 });
    const r = fault({});
    // VMA 0x1000-0x9000 (8 pages, 2 per slice); first seen is the higher VMA, so sorting must swap rows.
    const feed = (time: number, address: number, vmaStart: number, vmaEnd: number) => {
      Object.assign(r, { time, address, vmaStart, vmaEnd });
      c.probes.fault!(r); // same object every call, as the replay does
    };
    feed(1_000_000_000, 0x20000, 0x20000, 0x24000); // t=0 -> bin 0, high VMA, slice 0
    feed(1_000_500_000, 0x1000, 0x1000, 0x9000); // bin 0, low VMA, slice 0
    feed(1_003_200_000, 0x8fff, 0x1000, 0x9000); // 3.2 ms -> bin 3, slice 3 (last byte)
    feed(1_003_900_000, 0x8000, 0x1000, 0x9000); // bin 3, slice 3 again
    const { faults } = c.result();
    expect(faults.timeBinNs).toBe(1_000_000);
    expect(faults.processes).toEqual([{ pid: 1, comm: 'a', faults: 4 }]);
    expect(faults.vmas.map((v) => [v.index, v.start, v.faults])).toEqual([[0, 0x1000, 3], [1, 0x20000, 1]]);
    expect(faults.cells.map((x) => [x.t, x.vma, x.slice, x.count])).toEqual([
      [0, 0, 0, 1],
      [0, 1, 0, 1],
      [3_000_000, 0, 3, 2],
    ]);
  });

  test('a long trace widens the bins instead of growing: counts are conserved', () => {
    const c = createReportCollector({ timeBins: 8, slices: 2 });
    const r = fault({});
    let n = 0;
    for (let t = 0; t < 1_000_000_000; t += 1_000_000, n++) { // 1000 faults over 1 s
      r.time = t;
      r.address = 0x1000 + ((n * 0x1000) % 0x8000);
      c.probes.fault!(r);
    }
    const { faults } = c.result();
    // 1 ms bins doubled until 8 bins cover 1 s: 128 ms.
    expect(faults.timeBinNs).toBe(128_000_000);
    expect(new Set(faults.cells.map((x) => x.t)).size).toBeLessThanOrEqual(8);
    expect(faults.cells.length).toBeLessThanOrEqual(8 * 2);
    expect(faults.cells.reduce((s, x) => s + x.count, 0)).toBe(n);
  });

  test('keeps only the busiest processes of the first variant in the heatmap, counts every variant', () => {
    const c = createReportCollector({ topProcesses: 2 });
    const r = fault({});
    const counts: [number, number][] = [[10, 5], [11, 9], [12, 1]];
    for (const [pid, k] of counts) for (let i = 0; i < k; i++) c.probes.fault!(Object.assign(r, { pid, comm: `p${pid}`, time: i }));
    for (let i = 0; i < 7; i++) c.probes.fault!(Object.assign(r, { variant: 'cow-pte', pid: 12 }));
    const { faults } = c.result();
    expect(faults.heatVariant).toBe('mainline');
    expect(faults.processes.map((p) => [p.pid, p.faults])).toEqual([[11, 9], [10, 5]]);
    expect(faults.faultsSeen).toEqual({ mainline: 15, 'cow-pte': 7 });
  });

  test('latency histogram uses bins of 1/8 of a doubling per variant and path', () => {
    // floor(8 * log2(x)): log2(3) = 1.585 -> 12; log2(1023) = 9.9986 -> 79; log2(1024) = 10 -> 80.
    expect([0, 1, 2, 3, 4, 1023, 1024].map(latencyBin)).toEqual([0, 0, 8, 12, 16, 79, 80]);
    const c = createReportCollector();
    const r = fault({});
    // 8 * log2: 1000 -> 79.7, 1500 -> 84.4, 3000 -> 92.4.
    for (const ns of [1000, 1000, 1500, 3000]) c.probes.fault!(Object.assign(r, { latencyNs: ns }));
    expect(c.result().faults.latency).toEqual([
      { variant: 'mainline', path: 'anon_alloc', bin: 79, count: 2 },
      { variant: 'mainline', path: 'anon_alloc', bin: 84, count: 1 },
      { variant: 'mainline', path: 'anon_alloc', bin: 92, count: 1 },
    ]);
  });

  test('fork records are copied (the probe reuses its object) and capped per variant', () => {
    const c = createReportCollector({ maxForks: 2 });
    const f: ForkRecord = { variant: 'mainline', time: 1, pid: 1, comm: 'p', childPid: 2, ptesCopied: 10, tablesCopied: 1, tablesShared: 0, pmdsCopied: 0, latencyNs: 5 };
    for (let i = 0; i < 3; i++) c.probes.fork!(Object.assign(f, { childPid: 2 + i, ptesCopied: 10 * (i + 1) }));
    const { forks } = c.result();
    expect(forks.records.map((x) => [x.childPid, x.ptesCopied])).toEqual([[2, 10], [3, 20]]);
    expect(forks.total).toEqual({ mainline: 3 });
  });

  test("sums each patch's table-copying faults and compares them with the baseline's fault at the same event", () => {
    const c = createReportCollector({ baseVariant: 'mainline' });
    const r = fault({});
    // Per event, every variant in replay order (baseline first), the same record object reused as the replay does.
    const event = (time: number, address: number, per: [string, string, number, number][]) => {
      for (const [variant, path, tablesCopied, latencyNs] of per) c.probes.fault!(Object.assign(r, { time, tid: 7, address, variant, path, tablesCopied, latencyNs }));
    };
    event(100, 0x1000, [['mainline', 'wp_page_copy', 0, 3000], ['cow-pte', 'wp_page_copy', 1, 4500], ['v2', 'wp_page_copy', 1, 4000]]);
    event(200, 0x200000, [['mainline', 'wp_page_copy', 0, 3200], ['cow-pte', 'wp_page_copy', 1, 5100], ['v2', 'wp_page_copy', 0, 3200]]);
    event(300, 0x400000, [['mainline', 'anon_alloc', 0, 1000], ['cow-pte', 'anon_alloc', 0, 1000], ['v2', 'anon_alloc', 0, 1000]]);
    // No baseline fault for this one (a variant-only record, e.g. from a syscall): counted, not compared.
    event(400, 0x600000, [['cow-pte', 'populate', 2, 9000]]);
    const { faults } = c.result();
    expect(faults.baseVariant).toBe('mainline');
    expect(faults.deferred).toEqual([
      // 3 faults, 1+1+2 tables, 4500+5100+9000 ns; matched: events 100 and 200 (4500+5100 vs 3000+3200).
      { variant: 'cow-pte', faults: 3, tables: 4, ns: 18600, matched: 2, matchedNs: 9600, baseNs: 6200, basePaths: { wp_page_copy: 2 } },
      // v2 copied one table at event 100, compared with mainline's fault there (not with cow-pte's).
      { variant: 'v2', faults: 1, tables: 1, ns: 4000, matched: 1, matchedNs: 4000, baseNs: 3000, basePaths: { wp_page_copy: 1 } },
    ]);
  });

  test('the baseline defaults to the first variant a fault arrives for, and never counts as a patch', () => {
    const c = createReportCollector();
    const r = fault({ variant: 'first', tablesCopied: 3, latencyNs: 10 });
    c.probes.fault!(r);
    c.probes.fault!(Object.assign(r, { variant: 'second' }));
    const { faults } = c.result();
    expect(faults.baseVariant).toBe('first');
    expect(faults.deferred.map((d) => [d.variant, d.faults, d.tables, d.matched])).toEqual([['second', 1, 3, 1]]);
  });
});

describe('series helpers', () => {
  const v = {
    series: {
      '1': [{ t: 100_000, rss_anon_kb: 4, rss_file_kb: 0, pgtables_kb: 8 }, { t: 300_000, rss_anon_kb: 12, rss_file_kb: 0, pgtables_kb: 12 }],
      '2': [{ t: 200_000, rss_anon_kb: 8, rss_file_kb: 4, pgtables_kb: 4 }],
    },
    marks: [{ t: 400_000, pid: 2, kind: 'exit', comm: 'b' }],
  } as unknown as VariantResult;

  test('a VMA with most of the faults keeps its heatmap row when the rows are full, even after it is unmapped', () => {
    const c = createReportCollector({ vmaRows: 4, slices: 1 });
    const r = fault({});
    const feed = (time: number, start: number) => {
      Object.assign(r, { time, address: start, vmaStart: start, vmaEnd: start + 0x1000 });
      c.probes.fault!(r);
    };
    let t = 1_000_000_000;
    for (let i = 0; i < 10; i++) feed(t++, 0x100000 + i * 0x10000); // ten small VMAs fill the 4 rows first
    for (let i = 0; i < 50; i++) feed(t++, 0x900000); // the big region: 50 of the 70 faults, then munmapped
    for (let i = 0; i < 10; i++) feed(t++, 0x200000 + i * 0x10000); // ten more small VMAs after it is gone
    const { faults } = c.result();
    expect(faults.processes).toEqual([{ pid: 1, comm: 'a', faults: 70 }]);
    expect(faults.vmas.length).toBe(4);
    const big = faults.vmas.find((v) => v.start === 0x900000);
    expect(big?.faults).toBe(50);
    // its cells are placed: 50 faults in its row
    expect(faults.cells.filter((x) => x.vma === big!.index).reduce((n, x) => n + x.count, 0)).toBe(50);
  });

  test('totalSeries sums step functions and drops a process at its exit', () => {
    const pts = totalSeries(v, 100_000).map((p) => [p.t * 1e6, p.rss_anon_kb, p.pgtables_kb]);
    // Times in µs from the origin: t=0: pid1 4; t=100: +pid2 8 -> 12; t=200: pid1 12 + 8 = 20; t=300: pid2 exits -> 12.
    expect(pts.map((p) => p.map((x) => Math.round(x)))).toEqual([[0, 4, 8], [100, 12, 12], [200, 20, 16], [300, 12, 12]]);
  });

  test('thinMax keeps the peak of each bin', () => {
    const pts = Array.from({ length: 1000 }, (_, i) => ({ t: i, y: i === 537 ? 99 : 1 }));
    const thin = thinMax(pts, 10);
    expect(thin.length).toBe(10);
    expect(Math.max(...thin.map((p) => p.y))).toBe(99);
    expect(evenSample([1, 2, 3, 4, 5], 3)).toEqual([1, 3, 5]);
  });
});
