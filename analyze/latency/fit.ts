// A cost profile fitted to the trace itself (`--profile trace`): the kernel part of each fault path from its fault
// event to its own rss_stat, the trap from the dense runs (a fault's interval to the thread's next one bounds its
// full user-visible cost), fork costs scaled to the clone enter -> exit the trace timed. Steps the trace does not
// exercise are the base profile's, scaled by how this machine's anon_alloc compares; every step says how it came.
import type { ReadResult, TraceFormat } from '../../traces/events.js';
import { readTrace } from '../../traces/read.js';
import { FORK_RETURN_STEPS, STEP_NAMES, pathSteps, type CostProfile, type StepName, type StepStats } from '../../model/costs.js';
import { FAULT_PATHS, type FaultPath, type FaultPathDef } from '../../model/fault_paths.js';
import type { FaultRecord, VariantSpec } from '../../model/types.js';
import { createLatencyCheck } from './validate.js';
import { FAULT_TO_RSS_STAT } from './measured.js';
import type { ForkPair, LatencyCheck } from './join.js';
import { describeReturnFit, fitReturn, type ReturnSample } from './fork_return_fit.js';
import { us } from './derivation.js';
import { strataOfHist, strataOfSamples } from './strata.js';
import { ladNonNegative } from './lad.js';
import { logHistAdd, logHistQuantile, newLogHist, quantile, type LogHist } from '../../model/quantiles.js';

/** Intervals per path kept for the dense-run quantile (bounded: a reservoir of the first ones is enough). */
const MAX_INTERVALS = 20_000;
/** Quantile of a path's fault-to-next-fault intervals taken as its full cost: the densest runs, not the pauses. */
const INTERVAL_Q = 0.1;
/** Joined faults a path needs before its measured kernel part replaces the base profile's figure. */
const MIN_FAULTS = 20;
/** Table-free faults enough for a path's kernel part when its table-allocating ones bring it to MIN_FAULTS (sparse touches). */
const MIN_TABLE_FREE = 10;
/** A path's kernel part is taken as measured: MIN_FAULTS table-free faults, or MIN_TABLE_FREE of MIN_FAULTS in all. */
const enoughFaults = (k: KernelPart): boolean => k.count >= MIN_FAULTS || (k.count >= MIN_TABLE_FREE && (k.all ?? k.count) >= MIN_FAULTS);
/** Window means a path needs on a coarsely stamped trace before its kernel part is taken as measured. */
const MIN_WINDOWS = 2;

export interface FittedProfile {
  profile: CostProfile;
  /** One line per fitted or scaled step: how it came. */
  derivation: string[];
  /** null when the trace times nothing usable: the base profile is used unchanged. */
  fitted: boolean;
}

/** A path's measured kernel part (fault -> its rss_stat): joined faults, p50, and where known p10 / p90. */
export interface KernelPart {
  /** Joined faults the figures come from (those that allocated no page table). */
  count: number;
  /** All joined faults of the path, those that allocated a table too (count when not given). */
  all?: number;
  ns: number;
  p10?: number;
  p90?: number;
  /** The measured kernel parts as equal-probability strata (strata.ts), whose mean is theirs. */
  strata?: number[];
}

/** The fit from what one pass measured (exported for tests: no trace needed). */
export function fitSteps(
  base: CostProfile,
  kernelP50: ReadonlyMap<string, KernelPart>,
  intervals: ReadonlyMap<string, number[]>,
  /** The trace's timed forks (clone enter -> exit) with the base profile's figure for each, or their ratio alone. */
  forks: number | null | readonly TimedFork[],
  opts: {
    /** Faults per interval and kernel-part figure: WINDOW when they are means over windows of a coarsely stamped trace. */
    window?: number;
    /** file_read's measured kernel parts by the pages its fault-around mapped (fitFaultAround). */
    faultAround?: ReadonlyMap<number, readonly number[]>;
    /** Measured kernel parts of the faults that allocated page tables (left out of kernelP50), for table_alloc. */
    tableFaults?: readonly TableFault[];
  } = {},
): FittedProfile {
  const window = opts.window ?? 1;
  const derivation: string[] = [];
  // the trap: the densest fault-to-fault interval of the commonest path, less its measured kernel part
  const traps: number[] = [];
  for (const [path, k] of kernelP50) {
    const iv = intervals.get(path) ?? [];
    if (k.count < MIN_FAULTS || iv.length < MIN_FAULTS) continue;
    const full = quantile(iv, INTERVAL_Q);
    if (full > k.ns) traps.push(full - k.ns);
  }
  if (traps.length === 0 || !kernelP50.has('anon_alloc')) return { profile: base, derivation: ['no dense fault runs with rss_stat timing: the base profile is used unchanged'], fitted: false };
  const trap = quantile(traps, 0.5);
  if (window > 1) derivation.push(`stamps are whole microseconds: every kernel part and interval below is a mean over ${window} consecutive faults (one span is off by up to 1 µs)`);
  derivation.push(`trap (entry + exit, user-visible beyond the kernel part) = ${us(trap)}: median over paths of (p${INTERVAL_Q * 100} fault-to-next-fault interval - measured kernel part)`);
  const steps: Record<string, number> = { ...base.steps };
  // the spread: a fitted step's is its measured kernel part's (+ trap); every other step keeps the base's shape
  const stats: Record<string, StepStats> = { ...base.stats };
  const fitted = new Set<StepName>();
  let fileRead: KernelPart | null = null;
  const paths: Readonly<Record<string, FaultPathDef | undefined>> = FAULT_PATHS;
  for (const [path, k] of kernelP50) {
    const def = paths[path];
    if (!def || !def.trap || !enoughFaults(k)) continue;
    const own = pathSteps(path as FaultPath);
    if (own.length !== 1) continue; // a path priced by several steps (or several outcomes) is not one measurement
    if (path === 'file_read') {
      fileRead = k; // fitted below, once the scale for its per-page fallback is known
      continue;
    }
    steps[own[0]!] = k.ns + trap;
    fitted.add(own[0]!);
    const p10 = Math.min(k.ns, k.p10 ?? k.ns) + trap, p90 = Math.max(k.ns, k.p90 ?? k.ns) + trap;
    stats[own[0]!] = { median_ns: k.ns + trap, p10_ns: p10, p90_ns: p90, samples: k.count, ...withStrata(k.strata, trap), derived: 'measured kernel part (fault -> its rss_stat) + trap' };
    const mean = meanText(k.strata, trap);
    derivation.push(
      `${own[0]} = ${us(k.ns + trap)} (p10 ${us(p10)}, p90 ${us(p90)}${mean ? `, ${mean}` : ''}): measured kernel part p50 ${us(k.ns)} (${k.count} faults, fault -> its rss_stat) + trap`,
    );
  }
  fitTableAlloc(opts.tableFaults ?? [], kernelP50, { steps, stats, fitted, derivation });
  const scale = steps.anon_alloc! / (base.steps.anon_alloc || steps.anon_alloc!);
  if (fileRead) fitFileRead(fileRead, trap, opts.faultAround, (base.steps.file_read_per_page ?? 0) * scale, { steps, stats, fitted, derivation });
  const timed = typeof forks === 'number' || forks === null ? null : forks;
  // one ratio when the forks cannot tell fixed from per-PTE: Σ (clone - its wait inside the copy) / Σ modelled
  const forkRatio = timed ? (timed.length ? timed.reduce((a, f) => a + f.measuredNs - (f.waitNs ?? 0), 0) / timed.reduce((a, f) => a + f.modelledNs, 0) : null) : (forks as number | null);
  const lad = timed ? fitForks(timed, base.steps.fork_fixed ?? 0) : null;
  const fork = lad ? lad.k : forkRatio && Number.isFinite(forkRatio) && forkRatio > 0 ? forkRatio : scale;
  for (const s of STEP_NAMES) {
    if (fitted.has(s)) continue;
    const f = s.startsWith('fork_') ? fork : scale;
    steps[s] = (base.steps[s] ?? 0) * f;
  }
  if (lad) steps.fork_fixed = lad.fixed;
  derivation.push(`steps the trace does not exercise: ${base.name}'s x ${scale.toFixed(3)} (fitted anon_alloc / ${base.name}'s)`);
  // a trapped path with no rss_stat of its own (wp_page_copy anon -> anon, wp_page_reuse) still has its dense runs:
  // the fault-to-next-fault interval bounds its full cost, so the scaled figure is capped there
  for (const [path, iv] of intervals) {
    const def = paths[path];
    if (!def || !def.trap || iv.length < MIN_FAULTS) continue;
    const own = pathSteps(path as FaultPath);
    if (own.length !== 1 || fitted.has(own[0]!)) continue;
    const bound = quantile(iv, INTERVAL_Q);
    if (!(bound < steps[own[0]!]!)) continue;
    derivation.push(`${own[0]} = ${us(bound)}: capped at the p${INTERVAL_Q * 100} of its ${iv.length} fault-to-next-fault intervals (scaled ${us(steps[own[0]!]!)} does not fit; no rss_stat times its kernel part)`);
    steps[own[0]!] = bound;
  }
  setTrapShares(steps, base, fitted, trap);
  if (lad)
    derivation.push(
      `fork steps: fork_fixed = ${(lad.fixed / 1e6).toFixed(3)} ms, the per-PTE/table/PMD steps ${base.name}'s x ${lad.k.toFixed(3)}: least absolute deviations of the trace's ${lad.forks} timed forks (clone enter -> exit = fixed + x the base's copy work; a fork that waited moves it little)`,
    );
  else derivation.push(
    forkRatio ? `fork steps: ${base.name}'s x ${fork.toFixed(3)} (the trace's clone enter -> exit${timed && timed.some((f) => f.waitNs) ? ', less its waits inside the copy,' : ''} over the modelled fork time)` : `fork steps: ${base.name}'s x ${fork.toFixed(3)} (no timed fork: as the fault steps)`,
  );
  // the return after fork (no clone span holds it): fitted to the forks whose parent showed its next user-mode event
  if (timed?.length) {
    const rs: ReturnSample[] = timed.filter((f) => (f.returnNs ?? -1) >= 0).map((f) => ({ returnNs: f.returnNs!, offCpuNs: f.returnOffCpuNs ?? null, offCpuFrom: f.returnOffCpuFrom ?? null, tables: f.tables ?? 0, ptes: f.ptes ?? 0 }));
    const rf = fitReturn(rs, base);
    if (rf) (steps.fork_return_fixed = rf.fixed), (steps.fork_return_per_table = rf.perTable), (steps.fork_return_per_pte = rf.perPte);
    if (rf || FORK_RETURN_STEPS.some((k) => base.steps[k] !== undefined)) derivation.push(describeReturnFit(rs, base, rf));
  }
  const profile: CostProfile = { name: `trace-fitted (base ${base.name})`, source: `fitted to the trace: ${derivation.join('; ')}`, steps };
  if (Object.keys(stats).length > 0) profile.stats = stats;
  return { profile, derivation, fitted: true };
}

/** strata_ns for a step: the kernel part's strata plus the trap (nothing when there are none). */
function withStrata(strata: readonly number[] | undefined, trap: number): { strata_ns?: number[] } {
  return strata?.length ? { strata_ns: strata.map((v) => Math.round(v + trap)) } : {};
}

/** "mean X over K strata" for a derivation line: the figure the faults' draws keep (null without strata). */
function meanText(strata: readonly number[] | undefined, trap: number): string | null {
  return strata?.length ? `mean ${us(strata.reduce((a, v) => a + v, 0) / strata.length + trap)} over ${strata.length} strata` : null;
}

/** A fault that allocated page tables on its way (beyond a THP's deposited one): its path, tables and kernel part. */
export interface TableFault {
  path: string;
  tables: number;
  ns: number;
}

/** What the step fits write into: the profile's steps and spreads, the steps the trace measured, the derivation lines. */
interface FitDraft {
  steps: Record<string, number>;
  stats: Record<string, StepStats>;
  fitted: Set<StepName>;
  derivation: string[];
}

/** Table-allocating faults table_alloc needs before it is taken as measured. */
const MIN_TABLE_FAULTS = 10;

/**
 * table_alloc from the anon_alloc faults that allocated a table (mm/memory.c __pte_alloc -> pte_alloc_one, and __pmd_alloc /
 * __pud_alloc, before the fault's add_mm_counter): the median over them of (kernel part - their path's table-free
 * p50) / tables. Their path's figure is fitted from the table-free faults only (fitProfileToTrace leaves these out).
 */
function fitTableAlloc(
  tf: readonly TableFault[],
  kernelP50: ReadonlyMap<string, KernelPart>,
  draft: FitDraft,
): void {
  const { steps, stats, fitted, derivation } = draft;
  const per: number[] = [];
  for (const f of tf) {
    const k = kernelP50.get(f.path);
    // anon_alloc only: a file fault's first touch of a region also reads ahead, which is no table's cost
    if (f.path === 'anon_alloc' && k && enoughFaults(k) && f.tables > 0) per.push((f.ns - k.ns) / f.tables);
  }
  if (per.length < MIN_TABLE_FAULTS) return;
  const m = Math.max(0, quantile(per, 0.5)), p10 = Math.max(0, quantile(per, 0.1)), p90 = Math.max(m, quantile(per, 0.9));
  steps.table_alloc = m;
  fitted.add('table_alloc');
  stats.table_alloc = { median_ns: m, p10_ns: Math.min(p10, m), p90_ns: p90, samples: per.length, derived: "measured kernel part of the faults that allocated a table less their path's table-free p50, per table" };
  derivation.push(`table_alloc = ${us(m)} (p10 ${us(Math.min(p10, m))}, p90 ${us(p90)}): median over ${per.length} anon_alloc faults that allocated a page table of (their kernel part - the table-free p50) per table`);
}

/**
 * One timed fork: the trace's clone enter -> exit and the base profile's figure for the same copy (join.ts ForkPair);
 * the wait, the return after the clone and the copy's size may be left out (a fork the return's fit cannot use).
 */
export type TimedFork = Pick<ForkPair, 'measuredNs' | 'modelledNs'> & Partial<Omit<ForkPair, 'measuredNs' | 'modelledNs'>>;

/** Forks the fork regression looks at (all pairs of them are tried). */
const MAX_FORKS = 200;

/**
 * clone enter -> exit = fixed + k x (the base's copy work: per PTE, table, PMD, kernel/fork.c dup_mmap ->
 * mm/memory.c copy_page_range), fixed >= 0 and k >= 0, by least absolute deviations (lad.ts: the line through two
 * forks, or one and the origin, or one and flat, that leaves the least total error: a fork preempted inside the copy
 * moves it little). null when the forks do not
 * differ enough in size to tell fixed from per-PTE (the largest copy under twice the smallest, or one fork). Each
 * fork's one wait inside the copy (TimedFork.waitNs) is left out: the model prices the copy, not the scheduler.
 */
export function fitForks(forks: readonly TimedFork[], baseFixed: number): { fixed: number; k: number; forks: number } | null {
  const pts = forks.slice(0, MAX_FORKS).map((f) => ({ x: Math.max(0, f.modelledNs - baseFixed), y: f.measuredNs - (f.waitNs ?? 0) }));
  if (pts.length < 2) return null;
  const xs = pts.map((p) => p.x);
  const lo = Math.min(...xs), hi = Math.max(...xs);
  if (!(hi > 0) || hi < 2 * lo) return null;
  // fixed and k free, through the origin (fixed 0), or flat (k 0): the vertices of the constrained fit
  const lad = ladNonNegative(pts.map((p) => [1, p.x]), pts.map((p) => p.y), [[0, 1], [1], [0]]);
  return lad ? { fixed: lad.coef[0]!, k: lad.coef[1]!, forks: pts.length } : null;
}

/** Faults per page count a group needs to count in the fault-around fit. */
const MIN_GROUP = 3;

/** Mean of the middle 80%: robust to a page-cache miss's I/O, and not stuck on one value as a median of whole-µs spans is. */
function trimmedMean(values: readonly number[]): number {
  const v = [...values].sort((a, b) => a - b);
  const cut = Math.floor(v.length * 0.1);
  const mid = v.slice(cut, v.length - cut);
  return mid.reduce((a, b) => a + b, 0) / mid.length;
}

/**
 * A file_read fault's kernel part as a + b x (pages - 1), by least squares over each page count's trimmed mean,
 * weighted by its faults: mm/memory.c do_read_fault -> do_fault_around -> filemap_map_pages (mm/filemap.c) maps
 * every page before its one add_mm_counter, so the span to the rss_stat holds them all. b >= 0 and a >= 0; null with
 * fewer than two page counts of MIN_GROUP faults.
 */
export function fitFaultAround(byPages: ReadonlyMap<number, readonly number[]>): { a: number; b: number; faults: number; counts: number } | null {
  const g = [...byPages].filter(([, v]) => v.length >= MIN_GROUP).map(([p, v]) => ({ x: p - 1, y: trimmedMean(v), w: v.length }));
  if (g.length < 2) return null;
  const W = g.reduce((s, e) => s + e.w, 0);
  const mx = g.reduce((s, e) => s + e.w * e.x, 0) / W, my = g.reduce((s, e) => s + e.w * e.y, 0) / W;
  const sxx = g.reduce((s, e) => s + e.w * (e.x - mx) ** 2, 0), sxy = g.reduce((s, e) => s + e.w * (e.x - mx) * (e.y - my), 0);
  if (!(sxx > 0)) return null;
  let b = Math.max(0, sxy / sxx), a = my - b * mx;
  if (a < 0) (a = 0), (b = g.reduce((s, e) => s + e.w * e.x * e.y, 0) / g.reduce((s, e) => s + e.w * e.x * e.x, 0)); // through the origin
  return { a, b, faults: W, counts: g.length };
}

/**
 * file_read and file_read_per_page from the measured kernel parts: the span holds the fault-around pages too, so
 * the step is the one-page part (fitFaultAround) + trap and each further page its slope. Without two page counts to
 * fit, the scaled per-page figure, at most half the measured kernel part over the commonest page count.
 */
function fitFileRead(
  k: KernelPart,
  trap: number,
  byPages: ReadonlyMap<number, readonly number[]> | undefined,
  scaledPerPage: number,
  draft: FitDraft,
): void {
  const { steps, stats, fitted, derivation } = draft;
  const f = byPages ? fitFaultAround(byPages) : null;
  let a: number, b: number, how: string;
  if (f) {
    (a = f.a), (b = f.b);
    how = `least squares of the measured kernel part (fault -> its rss_stat) over pages mapped, ${f.faults} faults in ${f.counts} page counts`;
  } else {
    const common = byPages && byPages.size ? [...byPages].sort((x, y) => y[1].length - x[1].length)[0]![0] : 1;
    b = common > 1 ? Math.min(scaledPerPage, k.ns / (2 * (common - 1))) : scaledPerPage;
    a = Math.max(0, k.ns - (common - 1) * b);
    how = `measured kernel part p50 ${us(k.ns)} (${k.count} faults) less ${common - 1} fault-around pages at the scaled per-page figure (at most half of it): too few page counts to fit`;
  }
  steps.file_read = a + trap;
  steps.file_read_per_page = b;
  fitted.add('file_read');
  fitted.add('file_read_per_page');
  const rel = (q: number | undefined): number => (k.ns > 0 && q !== undefined ? q / k.ns : 1);
  const p10 = a * Math.min(1, rel(k.p10)) + trap, p90 = a * Math.max(1, rel(k.p90)) + trap;
  // the one-page part's own distribution: each fault's kernel part less its further pages at the fitted slope
  const onePage = [...(byPages ?? [])].flatMap(([pages, v]) => v.map((ns) => Math.max(0, ns - (pages - 1) * b)));
  const strata = strataOfSamples(onePage);
  stats.file_read = { median_ns: a + trap, p10_ns: p10, p90_ns: p90, samples: k.count, ...withStrata(strata, trap), derived: 'measured one-page kernel part (fault -> its rss_stat, fault-around fitted apart) + trap' };
  stats.file_read_per_page = { median_ns: b, p10_ns: b, p90_ns: b, samples: k.count, derived: 'slope of the measured kernel part over pages mapped by fault-around' };
  const mean = meanText(strata, trap);
  derivation.push(`file_read = ${us(a + trap)}${mean ? ` (${mean})` : ''} + file_read_per_page ${us(b)} per further page mapped: one-page kernel part ${us(a)} + trap; ${how}`);
}

/**
 * Each trapped step's trap share (`<step>_trap`, model/costs.ts trapShareNs: validate compares the rest, the modelled
 * kernel part, with the measured one): the measured trap on a fitted step; on a scaled or capped one the base's share
 * of that step's figure (its own `<step>_trap` / step), else the measured trap. The base's other extra figures
 * (`_kernel`, `_gup`, tlb_flush: calibrate's) describe another machine and are dropped.
 */
function setTrapShares(steps: Record<string, number>, base: CostProfile, fitted: ReadonlySet<StepName>, trap: number): void {
  const names: ReadonlySet<string> = new Set([...STEP_NAMES, ...FORK_RETURN_STEPS]);
  for (const k of Object.keys(steps)) if (!names.has(k)) delete steps[k];
  for (const def of Object.values(FAULT_PATHS as Readonly<Record<string, FaultPathDef>>)) {
    if (!def.trap || def.steps.length !== 1) continue;
    const s = def.steps[0]!;
    const full = steps[s] ?? 0;
    const own = base.steps[`${s}_trap`], was = base.steps[s];
    steps[`${s}_trap`] = fitted.has(s) || own === undefined || !was ? Math.min(trap, full) : full * Math.min(1, own / was);
  }
}

/** Spans averaged per window on a trace stamped in whole microseconds: one span is off by up to 1 µs, a 16-span mean by 1/16. */
const WINDOW = 16;
/** Stamps at this granularity or coarser (perf script without --ns, most ftrace text) are averaged per WINDOW. */
const COARSE_NS = 1000;

/** Means of WINDOW consecutive values: the mean when a window fills, else null. */
interface Win {
  sum: number;
  n: number;
}
function addToWindow(w: Win, v: number): number | null {
  w.sum += v;
  if (++w.n < WINDOW) return null;
  const m = w.sum / WINDOW;
  w.sum = 0;
  w.n = 0;
  return m;
}

/** One pass over the trace under mainline with the base profile: measured kernel parts, dense-run intervals, forks. */
export async function fitProfileToTrace(trace: string, mainline: VariantSpec, base: CostProfile, format?: TraceFormat): Promise<FittedProfile> {
  // per path, the measured kernel parts (fault -> its rss_stat) as a histogram: their p10 / p50 / p90 are the spread;
  // and the same as means of WINDOW consecutive spans, for a trace whose stamps turn out to be whole microseconds
  const spread = new Map<string, LogHist>();
  const spreadWin = new Map<string, { h: LogHist; w: Win }>();
  const faultAround = new Map<number, number[]>();
  const tableFaults: TableFault[] = [];
  const onPair = (func: string, path: string, _model: number, meas: number, pages: number, tables: number): void => {
    if (func !== FAULT_TO_RSS_STAT) return;
    // a fault that also allocated a page table (a THP's deposited one is its path's own) prices table_alloc, not its path
    const extra = path === 'thp_alloc' || path === 'thp_zero' ? tables - 1 : tables;
    if (extra > 0) {
      if (tableFaults.length < MAX_INTERVALS) tableFaults.push({ path, tables: extra, ns: meas });
      return;
    }
    if (path === 'file_read') {
      let a = faultAround.get(pages);
      if (!a) faultAround.set(pages, (a = []));
      if (a.length < MAX_INTERVALS) a.push(meas);
    }
    let h = spread.get(path);
    if (!h) spread.set(path, (h = newLogHist(32)));
    logHistAdd(h, meas);
    let hw = spreadWin.get(path);
    if (!hw) spreadWin.set(path, (hw = { h: newLogHist(32), w: { sum: 0, n: 0 } }));
    const m = addToWindow(hw.w, meas);
    if (m !== null) logHistAdd(hw.h, m);
  };
  const timedForks: TimedFork[] = [];
  const onForkPair = (p: ForkPair): void => void timedForks.push(p);
  // per path of the earlier fault: each fault-to-next-fault interval, and the means of WINDOW consecutive ones of
  // the same thread and path
  const intervals = new Map<string, number[]>();
  const windowed = new Map<string, number[]>();
  const last = new Map<number, { time: number; path: string; w: Win }>();
  let fine = false;
  const keep = (into: Map<string, number[]>, path: string, v: number): void => {
    let iv = into.get(path);
    if (!iv) into.set(path, (iv = []));
    if (iv.length < MAX_INTERVALS) iv.push(v);
  };
  const onFault = (r: FaultRecord): void => {
    if (r.errorCode < 0) return;
    if (r.time % COARSE_NS !== 0) fine = true;
    const l = last.get(r.tid);
    if (l) {
      keep(intervals, l.path, r.time - l.time);
      if (l.path !== r.path) (l.w.sum = 0), (l.w.n = 0); // a window holds one path's run
      const m = addToWindow(l.w, r.time - l.time);
      if (m !== null) keep(windowed, l.path, m);
      l.time = r.time;
      l.path = r.path;
    } else last.set(r.tid, { time: r.time, path: r.path, w: { sum: 0, n: 0 } });
  };
  // each fault's path from the mainline engine the kernel parts are joined on
  const v = createLatencyCheck(mainline, base, { onPair, onForkPair, onModelFault: onFault });
  const read: ReadResult = await readTrace(trace, v.sink, { format });
  const r = v.finish(read);
  const coarse = !fine && last.size > 0;
  const single = fitSteps(base, kernelParts(r, spread, spreadWin, false), intervals, timedForks, { faultAround, tableFaults });
  if (!coarse) return single;
  // whole-µs stamps: means over windows where there are enough faults for them, else the single spans as they are
  const windowedFit = fitSteps(base, kernelParts(r, spread, spreadWin, true), windowed, timedForks, { window: WINDOW, faultAround, tableFaults });
  return windowedFit.fitted ? windowedFit : single;
}

/** Each timed path's kernel part: its measured p50 and spread, or on a coarsely stamped trace those of WINDOW-span means. */
function kernelParts(r: LatencyCheck, spread: ReadonlyMap<string, LogHist>, spreadWin: ReadonlyMap<string, { h: LogHist }>, coarse: boolean): Map<string, KernelPart> {
  const kernel = new Map<string, KernelPart>();
  for (const [path, c] of Object.entries(r.faults[FAULT_TO_RSS_STAT] ?? {})) {
    if (coarse) {
      // the median and spread of WINDOW-span means: single spans are whole microseconds, so their median is one
      const hw = spreadWin.get(path);
      if (hw && hw.h.count >= MIN_WINDOWS)
        kernel.set(path, { count: spread.get(path)?.count ?? c.count, all: c.count, ns: logHistQuantile(hw.h, 0.5), p10: logHistQuantile(hw.h, 0.1), p90: logHistQuantile(hw.h, 0.9), strata: strataOfHist(hw.h) });
      continue;
    }
    // the table-free faults only (a table's allocation is table_alloc's): their count and p50 from the same histogram
    const h = spread.get(path);
    if (h && h.count) kernel.set(path, { count: h.count, all: c.count, ns: logHistQuantile(h, 0.5), p10: logHistQuantile(h, 0.1), p90: logHistQuantile(h, 0.9), strata: strataOfHist(h) });
  }
  return kernel;
}
