// Modelled vs measured latency, joined fault by fault (same tid, same page_fault_user time) and fork by fork (same
// child pid), in memory bounded by the number of paths, not the trace: log-binned histograms per (measurement, path).
import type { MeasuredFault, MeasuredFork } from './measured.js';
import type { FaultRecord, ForkRecord, LatencySummary } from '../../model/types.js';
import { logHistAdd, logHistSummary, newLogHist, type LogHist } from '../../model/quantiles.js';

/** Histogram bins per doubling: bin width 2.2%, so percentiles are good to about 1%. */
const BINS_PER_OCTAVE = 32;
/** Forks listed one by one in the result (the summaries cover them all). */
const MAX_FORK_PAIRS = 50;

type Hist = LogHist;
const newHist = (): Hist => newLogHist(BINS_PER_OCTAVE);
const histAdd = logHistAdd;
/** Nearest-rank percentiles, each reported as its bin's geometric midpoint (0 for the sub-ns bin); exact total. */
export const histSummary = logHistSummary;

/** Modelled and measured further apart than this factor (either way) is a warning wherever the figure is shown. */
export const OFF_FACTOR = 2;

/** Whether a measured/modelled ratio is more than OFF_FACTOR off (0: nothing modelled, also off). */
export function latencyOff(ratio: number): boolean {
  return !(ratio >= 1 / OFF_FACTOR && ratio <= OFF_FACTOR);
}

export interface PathComparison {
  count: number;
  modelled: LatencySummary;
  measured: LatencySummary;
  /** measured p50 / modelled p50 (0 when nothing was modelled). */
  ratio_p50: number;
}

export interface ForkComparison {
  count: number;
  modelled: LatencySummary;
  measured: LatencySummary;
  /** Σ measured / Σ modelled. */
  ratio_total: number;
  /** The first forks, one by one. */
  pairs: { child_pid: number; modelled_ns: number; measured_ns: number }[];
}

export interface LatencyCheck {
  /** Per measurement (handle_mm_fault, fault_to_rss_stat, ...), per modelled fault path. */
  faults: Record<string, Record<string, PathComparison>>;
  forks: ForkComparison | null;
  /** Measured faults with no modelled fault at the same tid and time (GUP faults, faults the model did not see). */
  unjoined: number;
}

export interface LatencyJoin {
  onModelFault(r: FaultRecord): void;
  onMeasuredFault(m: MeasuredFault): void;
  onModelFork(r: ForkRecord): void;
  finish(measuredForks: readonly MeasuredFork[]): LatencyCheck;
}

/** onPair: each joined fault as it is paired (the profile fit keeps the measured spread per path from it). */
export function createLatencyJoin(onPair?: (func: string, path: string, modelNs: number, measNs: number) => void): LatencyJoin {
  // per (measurement, path): modelled and measured histograms over the joined faults
  const pairs = new Map<string, Map<string, { model: Hist; meas: Hist }>>();
  // the latest modelled fault per tid; measured faults that arrived before theirs (the replay may hold a fault for
  // its hint until the task's next event)
  const lastModel = new Map<number, { time: number; path: string; ns: number }>();
  const early = new Map<number, { faultTime: number; func: string; ns: number }[]>();
  const modelForks = new Map<number, number>();
  let unjoined = 0;

  const pair = (func: string, path: string, modelNs: number, measNs: number): void => {
    let byPath = pairs.get(func);
    if (!byPath) pairs.set(func, (byPath = new Map()));
    let h = byPath.get(path);
    if (!h) byPath.set(path, (h = { model: newHist(), meas: newHist() }));
    histAdd(h.model, modelNs);
    histAdd(h.meas, measNs);
    onPair?.(func, path, modelNs, measNs);
  };

  return {
    onModelFault(r) {
      const w = early.get(r.tid);
      if (w) {
        for (const m of w) m.faultTime === r.time ? pair(m.func, r.path, r.latencyNs, m.ns) : unjoined++;
        early.delete(r.tid);
      }
      const s = lastModel.get(r.tid);
      if (s) (s.time = r.time, (s.path = r.path), (s.ns = r.latencyNs));
      else lastModel.set(r.tid, { time: r.time, path: r.path, ns: r.latencyNs });
    },
    onMeasuredFault(m) {
      if (m.faultTime < 0) return void unjoined++; // a GUP fault: no fault event, no modelled fault of its own
      const s = lastModel.get(m.tid);
      if (s && s.time === m.faultTime) return pair(m.func, s.path, s.ns, m.durationNs);
      let w = early.get(m.tid);
      if (!w) early.set(m.tid, (w = []));
      if (w.length > 8) return void unjoined++;
      w.push({ faultTime: m.faultTime, func: m.func, ns: m.durationNs });
    },
    onModelFork(r) {
      modelForks.set(r.childPid, r.latencyNs);
    },
    finish(measuredForks) {
      for (const w of early.values()) unjoined += w.length;
      early.clear();
      const faults: LatencyCheck['faults'] = {};
      for (const [func, byPath] of pairs) {
        const o: Record<string, PathComparison> = (faults[func] = {});
        for (const [path, h] of [...byPath].sort((a, b) => b[1].model.count - a[1].model.count)) {
          const modelled = histSummary(h.model), measured = histSummary(h.meas);
          o[path] = { count: h.model.count, modelled, measured, ratio_p50: modelled.p50_ns ? measured.p50_ns / modelled.p50_ns : 0 };
        }
      }
      const fm = newHist(), fr = newHist();
      const forkPairs: ForkComparison['pairs'] = [];
      for (const f of measuredForks) {
        const ns = modelForks.get(f.childPid);
        if (ns === undefined) continue;
        histAdd(fm, ns);
        histAdd(fr, f.durationNs);
        if (forkPairs.length < MAX_FORK_PAIRS) forkPairs.push({ child_pid: f.childPid, modelled_ns: ns, measured_ns: f.durationNs });
      }
      const forks = fm.count
        ? { count: fm.count, modelled: histSummary(fm), measured: histSummary(fr), ratio_total: fm.total ? fr.total / fm.total : 0, pairs: forkPairs }
        : null;
      return { faults, forks, unjoined };
    },
  };
}
