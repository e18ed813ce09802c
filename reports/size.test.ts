// A big trace must still give a small page: the collector's state and the page are bounded by bins, not events.
import { expect, test } from 'vitest';
import type { FaultRecord, ForkRecord, ReplayResult, SeriesPoint, VariantResult } from '../model/types.js';
import { createReportCollector } from './aggregate.js';
import { buildReport } from './html.js';
import { sampleInput } from './sample_input.testlib.js';

const FAULTS = Number(process.env.FAULTLINE_SIZE_FAULTS ?? 1_000_000);

test(`${FAULTS} faults over 3 variants, 1000 processes and 20000 forks give a page under 5 MB`, () => {
  const variants = ['mainline', 'cow-pte', 'refpage'];
  const col = createReportCollector();
  const r: FaultRecord = { variant: '', time: 0, cpu: 0, pid: 0, tid: 0, comm: 'worker', address: 0, errorCode: 6, path: '', vmaStart: 0, vmaEnd: 0, vmaFlags: 3, pagesAllocated: 1, tablesAllocated: 0, latencyNs: 0, inferred: false };
  const paths = ['anon_alloc', 'wp_page_copy', 'file_read', 'anon_zero_page', 'cow_pte_break'];
  const span = 60e9; // one minute of trace
  const per = Math.floor(FAULTS / variants.length);
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  for (const v of variants) {
    r.variant = v;
    for (let i = 0; i < per; i++) {
      r.time = Math.floor((i / per) * span);
      r.pid = 1000 + Math.floor(rnd() * rnd() * 3000); // skewed: a few busy processes, a long tail
      const vma = Math.floor(rnd() * 200); // many VMAs per process
      r.vmaStart = 0x7f0000000000 + vma * 0x1000000;
      r.vmaEnd = r.vmaStart + 0x800000;
      r.address = r.vmaStart + Math.floor(rnd() * 0x800) * 0x1000;
      r.path = paths[i % paths.length];
      r.latencyNs = 200 + Math.floor(rnd() * 20000);
      col.probes.fault!(r);
    }
    const f: ForkRecord = { variant: v, time: 0, pid: 1000, comm: 'server', childPid: 0, ptesCopied: 100, tablesCopied: 3, tablesShared: 0, pmdsCopied: 1, latencyNs: 50000 };
    for (let i = 0; i < 20000; i++) col.probes.fork!(Object.assign(f, { childPid: 2000 + i, time: i * 1e6 }));
  }
  const { faults, forks } = col.result();
  // Bounded by the options' defaults: 4 processes x 120 time bins x 32 VMA rows x 8 slices; 200 forks per variant.
  expect(faults.cells.length).toBeLessThanOrEqual(4 * 120 * 32 * 8);
  expect(faults.cells.reduce((s, c) => s + c.count, 0)).toBeLessThanOrEqual(per);
  expect(forks.records.length).toBe(200 * variants.length);
  expect(forks.total).toEqual({ mainline: 20000, 'cow-pte': 20000, refpage: 20000 });

  // A replay with 1000 processes of 100 series points each, per variant.
  const base = sampleInput();
  const mk = (name: string): VariantResult => {
    const v = structuredClone(base.replay.variants[0]);
    v.name = name;
    v.series = {};
    v.processes = [];
    v.marks = [];
    for (let p = 0; p < 1000; p++) {
      const pts: SeriesPoint[] = [];
      for (let k = 0; k < 100; k++) pts.push({ t: 1e9 + p * 1e7 + k * 1e6, rss_anon_kb: 4 * k, rss_file_kb: 100, pgtables_kb: 8 + 4 * (k >> 4) });
      v.series[String(1000 + p)] = pts;
      v.processes.push({ ...base.replay.variants[0].processes[0], pid: 1000 + p, comm: `w${p}` });
      v.marks.push({ t: 1e9 + p * 1e7, pid: 1000 + p, kind: 'fork', comm: 'server' }, { t: 1e9 + p * 1e7 + 2e8, pid: 1000 + p, kind: 'exit', comm: `w${p}` });
    }
    return v;
  };
  const replay: ReplayResult = { ...base.replay, variants: variants.map(mk) };
  const html = buildReport({ ...base, replay, faults, forks });
  expect(html.length).toBeLessThan(5 * 1024 * 1024);
});
