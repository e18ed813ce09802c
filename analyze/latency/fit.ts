// A cost profile fitted to the trace itself (`--profile trace`): the kernel part of each fault path from its fault
// event to its own rss_stat, the trap from the dense runs (a fault's interval to the thread's next one bounds its
// full user-visible cost), fork costs scaled to the clone enter -> exit the trace timed. Steps the trace does not
// exercise are the base profile's, scaled by how this machine's anon_alloc compares; every step says how it came.
import type { EventSink, ReadResult, TraceFormat } from '../../traces/events.js';
import { readTrace } from '../../traces/read.js';
import { STEP_NAMES, pathSteps, type CostProfile, type StepName, type StepStats } from '../../model/costs.js';
import { FAULT_PATHS, type FaultPath, type FaultPathDef } from '../../model/fault_paths.js';
import type { FaultRecord, VariantSpec } from '../../model/types.js';
import { createReplay } from '../../model/replay.js';
import { createLatencyValidator } from './validate.js';
import { FAULT_TO_RSS_STAT } from './measured.js';
import { logHistAdd, logHistQuantile, newLogHist, quantile, type LogHist } from '../../model/quantiles.js';

/** Intervals per path kept for the dense-run quantile (bounded: a reservoir of the first ones is enough). */
const MAX_INTERVALS = 20_000;
/** Quantile of a path's fault-to-next-fault intervals taken as its full cost: the densest runs, not the pauses. */
const INTERVAL_Q = 0.1;
/** Joined faults a path needs before its measured kernel part replaces the base profile's figure. */
const MIN_FAULTS = 20;

export interface FittedProfile {
  profile: CostProfile;
  /** One line per fitted or scaled step: how it came. */
  derivation: string[];
  /** null when the trace times nothing usable: the base profile is used unchanged. */
  fitted: boolean;
}

/** The fit from what one pass measured (exported for tests: no trace needed). */
/** A path's measured kernel part (fault -> its rss_stat): joined faults, p50, and where known p10 / p90. */
export interface KernelPart {
  count: number;
  ns: number;
  p10?: number;
  p90?: number;
}

export function fitSteps(
  base: CostProfile,
  kernelP50: ReadonlyMap<string, KernelPart>,
  intervals: ReadonlyMap<string, number[]>,
  forkRatio: number | null,
): FittedProfile {
  const derivation: string[] = [];
  const us = (ns: number): string => `${(ns / 1000).toFixed(2)} µs`;
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
  derivation.push(`trap (entry + exit, user-visible beyond the kernel part) = ${us(trap)}: median over paths of (p${INTERVAL_Q * 100} fault-to-next-fault interval - measured kernel part)`);
  const steps: Record<string, number> = { ...base.steps };
  // the spread: a fitted step's is its measured kernel part's (+ trap); every other step keeps the base's shape
  const stats: Record<string, StepStats> = { ...base.stats };
  const fitted = new Set<StepName>();
  const paths: Readonly<Record<string, FaultPathDef | undefined>> = FAULT_PATHS;
  for (const [path, k] of kernelP50) {
    const def = paths[path];
    if (!def || !def.trap || k.count < MIN_FAULTS) continue;
    const own = pathSteps(path as FaultPath);
    if (own.length !== 1) continue; // a path priced by several steps (or several outcomes) is not one measurement
    steps[own[0]!] = k.ns + trap;
    fitted.add(own[0]!);
    const p10 = Math.min(k.ns, k.p10 ?? k.ns) + trap, p90 = Math.max(k.ns, k.p90 ?? k.ns) + trap;
    stats[own[0]!] = { median_ns: k.ns + trap, p10_ns: p10, p90_ns: p90, samples: k.count, derived: 'measured kernel part (fault -> its rss_stat) + trap' };
    derivation.push(
      `${own[0]} = ${us(k.ns + trap)} (p10 ${us(p10)}, p90 ${us(p90)}): measured kernel part p50 ${us(k.ns)} (${k.count} faults, fault -> its rss_stat) + trap`,
    );
  }
  const scale = steps.anon_alloc! / (base.steps.anon_alloc || steps.anon_alloc!);
  const fork = forkRatio && Number.isFinite(forkRatio) && forkRatio > 0 ? forkRatio : scale;
  for (const s of STEP_NAMES) {
    if (fitted.has(s)) continue;
    const f = s.startsWith('fork_') ? fork : scale;
    steps[s] = (base.steps[s] ?? 0) * f;
  }
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
  derivation.push(
    forkRatio ? `fork steps: ${base.name}'s x ${fork.toFixed(3)} (the trace's clone enter -> exit over the modelled fork time)` : `fork steps: ${base.name}'s x ${fork.toFixed(3)} (no timed fork: as the fault steps)`,
  );
  const profile: CostProfile = { name: `trace-fitted (base ${base.name})`, source: `fitted to the trace: ${derivation.join('; ')}`, steps };
  if (Object.keys(stats).length > 0) profile.stats = stats;
  return { profile, derivation, fitted: true };
}

/** One pass over the trace under mainline with the base profile: measured kernel parts, dense-run intervals, forks. */
export async function fitProfileToTrace(trace: string, mainline: VariantSpec, base: CostProfile, format?: TraceFormat): Promise<FittedProfile> {
  // per path, the measured kernel parts (fault -> its rss_stat) as a histogram: their p10 / p50 / p90 are the spread
  const spread = new Map<string, LogHist>();
  const onPair = (func: string, path: string, _model: number, meas: number): void => {
    if (func !== FAULT_TO_RSS_STAT) return;
    let h = spread.get(path);
    if (!h) spread.set(path, (h = newLogHist(32)));
    logHistAdd(h, meas);
  };
  const v = createLatencyValidator(mainline, base, { onPair });
  const intervals = new Map<string, number[]>();
  const last = new Map<number, { time: number; path: string }>();
  const onFault = (r: FaultRecord): void => {
    if (r.errorCode < 0) return;
    const l = last.get(r.tid);
    if (l) {
      let iv = intervals.get(l.path);
      if (!iv) intervals.set(l.path, (iv = []));
      if (iv.length < MAX_INTERVALS) iv.push(r.time - l.time);
      l.time = r.time;
      l.path = r.path;
    } else last.set(r.tid, { time: r.time, path: r.path });
  };
  const sink: EventSink = v.sink;
  const rep = createReplay([mainline], { fault: onFault }, { profile: base });
  const read: ReadResult = await readTrace(trace, (e) => (sink(e), rep.sink(e)), { format });
  rep.finish(read);
  const r = v.finish(read);
  const kernel = new Map<string, KernelPart>();
  for (const [path, c] of Object.entries(r.latency?.faults[FAULT_TO_RSS_STAT] ?? {})) {
    const h = spread.get(path);
    kernel.set(path, { count: c.count, ns: c.measured.p50_ns, p10: h ? logHistQuantile(h, 0.1) : undefined, p90: h ? logHistQuantile(h, 0.9) : undefined });
  }
  const forkRatio = r.latency?.forks ? r.latency.forks.ratio_total : null;
  return fitSteps(base, kernel, intervals, forkRatio);
}
