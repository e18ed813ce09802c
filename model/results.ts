// Per-process accumulation for the replay result: peaks, finals, faults by path, latency samples, thinned series.
import { MM_ANONPAGES, MM_FILEPAGES, MM_SHMEMPAGES } from '../traces/events.js';
import { PAGE_SIZE } from './page_geometry.js';
import type { LatencySummary, ProcessResult, SeriesPoint } from './types.js';
import { summarizeSamples } from './quantiles.js';

const RESERVOIR = 2048;

/** Latency samples of one path: count, total, and a bounded deterministic reservoir for percentiles. */
export interface LatAcc {
  count: number;
  total: number;
  samples: Float64Array;
  n: number;
  seed: number;
}

export function newLat(): LatAcc {
  return { count: 0, total: 0, samples: new Float64Array(RESERVOIR), n: 0, seed: 12345 };
}

/** The accumulator for key in m, created on first use. */
export function latOf(m: Map<string, LatAcc>, key: string): LatAcc {
  let a = m.get(key);
  if (!a) m.set(key, (a = newLat()));
  return a;
}

export function addLat(a: LatAcc, ns: number): void {
  a.count++;
  a.total += ns;
  if (a.n < RESERVOIR) {
    a.samples[a.n++] = ns;
    return;
  }
  a.seed = (a.seed * 1103515245 + 12345) >>> 0; // deterministic reservoir sampling
  const j = a.seed % a.count;
  if (j < RESERVOIR) a.samples[j] = ns;
}

export function summarize(a: LatAcc): LatencySummary {
  return summarizeSamples(a.samples.subarray(0, a.n), a.count, a.total);
}

/** Σ over the live processes of their current anon RSS and page tables (KiB), and each sum's peak: the totals. */
export interface SumAcc {
  anon: number;
  pt: number;
  anonPeak: number;
  ptPeak: number;
}

export function newSum(): SumAcc {
  return { anon: 0, pt: 0, anonPeak: 0, ptPeak: 0 };
}

/** One process (thread group) being replayed. */
export interface ProcAcc {
  res: ProcessResult;
  /** The variant's running sums this process adds to (null: none). */
  sum: SumAcc | null;
  lat: Map<string, LatAcc>;
  series: SeriesPoint[];
  stride: number;
  tick: number;
  ended: boolean;
}

export function newProc(pid: number, comm: string, sum: SumAcc | null = null): ProcAcc {
  return {
    res: {
      pid, comm, mm_id: null,
      rss_anon_peak_kb: 0, rss_anon_final_kb: 0, rss_file_peak_kb: 0, rss_file_final_kb: 0,
      rss_shmem_peak_kb: 0, rss_shmem_final_kb: 0, pgtables_peak_kb: 0, pgtables_final_kb: 0,
      faults: {}, minflt: 0, forks: 0, exits: 0, latency_ns: {}, inferred_vmas: 0,
    },
    sum,
    lat: new Map(),
    series: [],
    stride: 1,
    tick: 0,
    ended: false,
  };
}

/** Update peaks and finals from an mm's counters (pages, bytes). */
export function noteCounters(p: ProcAcc, rss: Float64Array, pgtablesBytes: number): void {
  const r = p.res;
  const kb = PAGE_SIZE / 1024; // counters are in pages of the geometry in force
  const anon = rss[MM_ANONPAGES]! * kb, file = rss[MM_FILEPAGES]! * kb, shm = rss[MM_SHMEMPAGES]! * kb, pt = pgtablesBytes / 1024;
  if (anon > r.rss_anon_peak_kb) r.rss_anon_peak_kb = anon;
  if (file > r.rss_file_peak_kb) r.rss_file_peak_kb = file;
  if (shm > r.rss_shmem_peak_kb) r.rss_shmem_peak_kb = shm;
  if (pt > r.pgtables_peak_kb) r.pgtables_peak_kb = pt;
  if (!p.ended) {
    const t = p.sum;
    if (t) {
      t.anon += anon - r.rss_anon_final_kb;
      t.pt += pt - r.pgtables_final_kb;
      if (t.anon > t.anonPeak) t.anonPeak = t.anon;
      if (t.pt > t.ptPeak) t.ptPeak = t.pt;
    }
    r.rss_anon_final_kb = anon;
    r.rss_file_final_kb = file;
    r.rss_shmem_final_kb = shm;
    r.pgtables_final_kb = pt;
  }
}

/** The process's mm is torn down: its finals stay as they were just before, and it leaves the running sums. */
export function endProc(p: ProcAcc): void {
  if (p.ended) return;
  p.ended = true;
  if (p.sum) {
    p.sum.anon -= p.res.rss_anon_final_kb;
    p.sum.pt -= p.res.pgtables_final_kb;
  }
}

/** Add a series point every `stride` changes; at 2N points halve them and double the stride (bounded memory). */
export function notePoint(p: ProcAcc, t: number, maxPoints: number, force: boolean): void {
  p.tick++;
  if (!force && p.tick % p.stride !== 0) return;
  const r = p.res;
  p.series.push({ t, rss_anon_kb: r.rss_anon_final_kb, rss_file_kb: r.rss_file_final_kb, pgtables_kb: r.pgtables_final_kb });
  if (p.series.length >= 2 * maxPoints) {
    const keep: SeriesPoint[] = [];
    for (let i = 0; i < p.series.length; i += 2) keep.push(p.series[i]!);
    const last = p.series[p.series.length - 1]!;
    if (keep[keep.length - 1] !== last) keep.push(last);
    p.series = keep;
    p.stride *= 2;
  }
}
