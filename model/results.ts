// Per-process accumulation for the replay result: peaks, finals, faults by path, latency samples, thinned series.
import { MM_ANONPAGES, MM_FILEPAGES, MM_SHMEMPAGES } from '../traces/events.js';
import { PAGE_SIZE } from './page_geometry.js';
import { PATH_NAMES } from './fault_paths.js';
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

/** The latency key of forks beside the fault paths' ids (fault_paths.ts: pathId): a process's 'fork' latency. */
export const FORK_LAT = PATH_NAMES.length;

/** Counts and latency by path id (and FORK_LAT), with the keys in first-use order: the order the result lists them in. */
export interface PathAcc {
  counts: Float64Array;
  lat: (LatAcc | undefined)[];
  /** Ids in the order first used (JSON keys of faults and latency_ns keep the order they always had). */
  order: number[];
}

export function newPathAcc(): PathAcc {
  return { counts: new Float64Array(PATH_NAMES.length), lat: new Array<LatAcc | undefined>(FORK_LAT + 1).fill(undefined), order: [] };
}

/** The latency accumulator for id (a path id or FORK_LAT), created on first use. */
export function latOf(a: PathAcc, id: number): LatAcc {
  let l = a.lat[id];
  if (!l) {
    a.lat[id] = l = newLat();
    a.order.push(id);
  }
  return l;
}

/** One record of path id costing ns: counted and its latency sampled. */
export function countPath(a: PathAcc, id: number, ns: number): void {
  a.counts[id]!++;
  addLat(latOf(a, id), ns);
}

/** Faults by path name, in first-use order. */
export function faultsByPath(a: PathAcc): Record<string, number> {
  const o: Record<string, number> = {};
  for (const id of a.order) if (id < FORK_LAT) o[PATH_NAMES[id]!] = a.counts[id]!;
  return o;
}

/** Latency summaries by path name (and 'fork'), in first-use order. */
export function latencyByPath(a: PathAcc): Record<string, LatencySummary> {
  const o: Record<string, LatencySummary> = {};
  for (const id of a.order) o[id === FORK_LAT ? 'fork' : PATH_NAMES[id]!] = summarize(a.lat[id]!);
  return o;
}

export function addLat(a: LatAcc, ns: number): void {
  a.count++;
  a.total += ns;
  if (a.n < RESERVOIR) {
    a.samples[a.n++] = ns;
    return;
  }
  a.seed = nextSeed(a.seed);
  const j = slotOf(a.seed, a.count);
  if (j < RESERVOIR) a.samples[j] = ns;
}

/** The reservoir's deterministic generator (a linear congruential step, 32 bits). */
const nextSeed = (seed: number): number => (seed * 1103515245 + 12345) >>> 0;

/**
 * seed % count without V8's fmod call (every fault, twice per engine): both are integers and seed < 2^32, so the
 * quotient is never within rounding of an integer it is not (>= 1/count off, 2^-32 of itself) and its floor is exact.
 */
const slotOf = (seed: number, count: number): number => seed - Math.floor(seed / count) * count;

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
  /** Faults and latency by path id (res.faults and res.latency_ns are written from it at the end). */
  paths: PathAcc;
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
    paths: newPathAcc(),
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

/**
 * k updates of rss[member] by +1 page each, rss already holding the last: what k noteCounters + notePoint calls at time t
 * leave. Counters and peaks only rise along the run and the running sums are whole KiB, so one noteCounters at the end
 * gives the same figures; a series point due at step j is taken with the counter as it stood at j.
 */
export function noteCounterRun(p: ProcAcc, rss: Float64Array, member: number, k: number, pgtablesBytes: number, t: number, maxPoints: number): void {
  const v = rss[member]!;
  for (let j = 1; j < k; ) {
    // the steps before the next point is due only count (notePoint's tick): taken in one go
    const skip = Math.min((p.stride - ((p.tick + 1) % p.stride)) % p.stride, k - j);
    if (skip > 0) {
      p.tick += skip;
      j += skip;
      continue;
    }
    rss[member] = v - k + j;
    noteCounters(p, rss, pgtablesBytes);
    notePoint(p, t, maxPoints, false);
    j++;
  }
  rss[member] = v;
  noteCounters(p, rss, pgtablesBytes);
  notePoint(p, t, maxPoints, false);
}

/** k records of path id costing ns each: as k countPath calls. */
export function countPathRun(a: PathAcc, id: number, ns: number, k: number): void {
  a.counts[id]! += k;
  addLatRun(latOf(a, id), ns, k);
}

/** k addLat(a, ns) calls, the accumulator's fields held in locals (a populate's or memset's run: ~10M pages a variant on the 3M-event bench trace). */
function addLatRun(a: LatAcc, ns: number, k: number): void {
  let count = a.count, total = a.total, n = a.n, seed = a.seed;
  const s = a.samples;
  for (let i = 0; i < k; i++) {
    count++;
    total += ns;
    if (n < RESERVOIR) {
      s[n++] = ns;
      continue;
    }
    seed = nextSeed(seed);
    const j = slotOf(seed, count);
    if (j < RESERVOIR) s[j] = ns;
  }
  a.count = count;
  a.total = total;
  a.n = n;
  a.seed = seed;
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
