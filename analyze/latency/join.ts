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

/** Joined faults a path needs before its ratio can warn: one or a few faults say more of the fault than of the profile. */
export const MIN_WARN_FAULTS = 20;

/** Whether a path's comparison warns: more than OFF_FACTOR off over at least MIN_WARN_FAULTS faults. */
export function pathOff(c: { count: number; ratio_p50: number }): boolean {
  return c.count >= MIN_WARN_FAULTS && latencyOff(c.ratio_p50);
}

export interface PathComparison {
  count: number;
  /** The modelled, user-visible cost of the joined faults (trap included). */
  modelled: LatencySummary;
  /**
   * The modelled kernel part: each joined fault's cost less the profile's trap share for its path (model/costs.ts
   * trapShareNs), what a kernel-side measurement covers; null when the profile names no trap share.
   */
  modelled_kernel: LatencySummary | null;
  /** Whose trap share was taken off: the path's own, anon_alloc's (the path has none), or none (modelled_kernel null). */
  trap_share: 'own' | 'anon_alloc' | 'none';
  measured: LatencySummary;
  /** measured p50 / modelled kernel-part p50 (the full modelled p50 when modelled_kernel is null; 0 when nothing was modelled). */
  ratio_p50: number;
}

/** A path's trap share under the profile in force (model/costs.ts trapShareNs); null when the profile has none. */
export type TrapShareOf = (path: string) => { ns: number; own: boolean } | null;

export interface ForkComparison {
  count: number;
  modelled: LatencySummary;
  measured: LatencySummary;
  /** Σ measured / Σ modelled. */
  ratio_total: number;
  /** Σ of the forks' waits inside the copy (MeasuredFork.waitNs: the model prices the copy, not the scheduler). */
  wait_total_ns: number;
  /** Σ (measured - its wait) / Σ modelled: what the "> 2x" warning judges. */
  ratio_less_wait: number;
  /**
   * How the waits were known, the weakest over the forks: every fork's from sched_switch ('off_cpu'); at least the
   * runs of other tasks' events on the cloning task's CPU ('same_cpu', MeasuredFork.waitFrom); or some guessed from
   * the longest gap ('longest_gap').
   */
  wait_from: 'off_cpu' | 'same_cpu' | 'longest_gap';
  /** Σ of the most each fork's wait can be (MeasuredFork.waitMaxNs: wait_total_ns unless some are 'same_cpu'). */
  wait_max_total_ns: number;
  /**
   * After the clone: sys_exit_clone to the parent's next user fault or syscall (MeasuredFork.returnNs), over the forks
   * that showed one, against the profile's modelled return (model/costs.ts forkReturnNs); null when no fork showed one.
   */
  return: ForkReturnComparison | null;
  /** The first forks, one by one. */
  pairs: {
    child_pid: number;
    modelled_ns: number;
    measured_ns: number;
    wait_ns: number;
    wait_from: MeasuredFork['waitFrom'];
    wait_max_ns: number;
    return_ns: number;
    return_off_cpu_ns: number | null;
    return_off_cpu_from: MeasuredFork['returnOffCpuFrom'];
    return_off_cpu_max_ns: number | null;
    return_modelled_ns: number | null;
  }[];
}

export interface ForkReturnComparison {
  count: number;
  /** Σ sys_exit_clone -> the parent's next user-mode event. */
  measured_ns: number;
  /**
   * Of measured_ns, Σ switched out: measured (sched_switch), or at least the runs of other tasks' events on the
   * parent's CPU (off_cpu_from 'same_cpu': a lower bound, 0 for a fork that showed none); null when no fork shows any.
   */
  off_cpu_ns: number | null;
  off_cpu_from: 'off_cpu' | 'same_cpu' | null;
  /** Σ modelled return (forkReturnNs); null when the profile prices none. */
  modelled_ns: number | null;
  /** Σ (measured - off-CPU where known) / Σ modelled; 0 when nothing is modelled. */
  ratio: number;
}

/** One fork with its modelled and measured sides, for the profile fit (analyze/latency/fit.ts). */
export interface ForkPair {
  modelledNs: number;
  measuredNs: number;
  /** MeasuredFork.waitNs: the wait inside the clone (off-CPU, or at least so, or a guessed gap). */
  waitNs: number;
  /** MeasuredFork.returnNs (-1: none seen) and its off-CPU part (null: unknown). */
  returnNs: number;
  returnOffCpuNs: number | null;
  returnOffCpuFrom: MeasuredFork['returnOffCpuFrom'];
  /** The modelled fork's PTE tables and PTEs copied (ForkRecord.tablesCopied, ptesCopied). */
  tables: number;
  ptes: number;
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

/** Modelled and measured faults and forks joined, per measurement and path, into the latency check. */
export function createLatencyJoin(
  /** Each joined fault as it is paired, with the pages it mapped and the page tables it allocated (the profile fit keeps the measured spread per path, and fits table_alloc, from it). */
  onPair?: (func: string, path: string, modelNs: number, measNs: number, pages: number, tables: number) => void,
  /** Each path's trap share, so the modelled kernel part is compared with the measured one (both exclude the trap). */
  trapOf?: TrapShareOf,
  /** Each fork with both sides, at finish (the profile fit's fork regressions, clone and return). */
  onForkPair?: (p: ForkPair) => void,
  /** Each modelled fork's return after the clone (model/costs.ts forkReturnNs); null when the profile prices none. */
  returnOf?: (r: ForkRecord) => number | null,
): LatencyJoin {
  // per (measurement, path): modelled (full and kernel part) and measured histograms over the joined faults
  const pairs = new Map<string, Map<string, { model: Hist; kernel: Hist | null; trapNs: number; own: boolean; meas: Hist }>>();
  // the latest modelled fault per tid; measured faults that arrived before theirs (the replay may hold a fault for
  // its hint until the task's next event)
  const lastModel = new Map<number, { time: number; path: string; ns: number; pages: number; tables: number }>();
  const early = new Map<number, { faultTime: number; func: string; ns: number }[]>();
  const modelForks = new Map<number, { ns: number; ret: number | null; tables: number; ptes: number }>();
  let unjoined = 0;

  const pair = (func: string, path: string, modelNs: number, measNs: number, pages: number, tables: number): void => {
    let byPath = pairs.get(func);
    if (!byPath) pairs.set(func, (byPath = new Map()));
    let h = byPath.get(path);
    if (!h) {
      const t = trapOf?.(path) ?? null;
      byPath.set(path, (h = { model: newHist(), kernel: t ? newHist() : null, trapNs: t?.ns ?? 0, own: t?.own ?? false, meas: newHist() }));
    }
    histAdd(h.model, modelNs);
    if (h.kernel) histAdd(h.kernel, Math.max(0, modelNs - h.trapNs));
    histAdd(h.meas, measNs);
    onPair?.(func, path, modelNs, measNs, pages, tables);
  };

  return {
    onModelFault(r) {
      const w = early.get(r.tid);
      if (w) {
        for (const m of w) m.faultTime === r.time ? pair(m.func, r.path, r.latencyNs, m.ns, r.pagesAllocated, r.tablesAllocated) : unjoined++;
        early.delete(r.tid);
      }
      const s = lastModel.get(r.tid);
      if (s) (s.time = r.time, (s.path = r.path), (s.ns = r.latencyNs), (s.pages = r.pagesAllocated), (s.tables = r.tablesAllocated));
      else lastModel.set(r.tid, { time: r.time, path: r.path, ns: r.latencyNs, pages: r.pagesAllocated, tables: r.tablesAllocated });
    },
    onMeasuredFault(m) {
      if (m.faultTime < 0) return void unjoined++; // a GUP fault: no fault event, no modelled fault of its own
      const s = lastModel.get(m.tid);
      if (s && s.time === m.faultTime) return pair(m.func, s.path, s.ns, m.durationNs, s.pages, s.tables);
      let w = early.get(m.tid);
      if (!w) early.set(m.tid, (w = []));
      if (w.length > 8) return void unjoined++;
      w.push({ faultTime: m.faultTime, func: m.func, ns: m.durationNs });
    },
    onModelFork(r) {
      modelForks.set(r.childPid, { ns: r.latencyNs, ret: returnOf?.(r) ?? null, tables: r.tablesCopied, ptes: r.ptesCopied });
    },
    finish(measuredForks) {
      for (const w of early.values()) unjoined += w.length;
      early.clear();
      const faults: LatencyCheck['faults'] = {};
      for (const [func, byPath] of pairs) {
        const o: Record<string, PathComparison> = (faults[func] = {});
        for (const [path, h] of [...byPath].sort((a, b) => b[1].model.count - a[1].model.count)) {
          const modelled = histSummary(h.model), measured = histSummary(h.meas);
          const kernel = h.kernel ? histSummary(h.kernel) : null;
          const against = (kernel ?? modelled).p50_ns;
          o[path] = {
            count: h.model.count,
            modelled,
            modelled_kernel: kernel,
            trap_share: kernel ? (h.own ? 'own' : 'anon_alloc') : 'none',
            measured,
            ratio_p50: against ? measured.p50_ns / against : 0,
          };
        }
      }
      const fm = newHist(), fr = newHist();
      const forkPairs: ForkComparison['pairs'] = [];
      let waits = 0, waitsMax = 0;
      const from = new Set<MeasuredFork['waitFrom']>();
      const ret = { count: 0, measured: 0, off: 0, offFrom: new Set<'off_cpu' | 'same_cpu'>(), modelled: 0 as number | null, onCpu: 0 };
      for (const f of measuredForks) {
        const m = modelForks.get(f.childPid);
        if (m === undefined) continue;
        const ns = m.ns;
        histAdd(fm, ns);
        histAdd(fr, f.durationNs);
        onForkPair?.({ modelledNs: ns, measuredNs: f.durationNs, waitNs: f.waitNs, returnNs: f.returnNs, returnOffCpuNs: f.returnOffCpuNs, returnOffCpuFrom: f.returnOffCpuFrom, tables: m.tables, ptes: m.ptes });
        waits += f.waitNs;
        waitsMax += f.waitMaxNs;
        from.add(f.waitFrom);
        if (f.returnNs >= 0) {
          ret.count++;
          ret.measured += f.returnNs;
          ret.off += f.returnOffCpuNs ?? 0;
          if (f.returnOffCpuFrom) ret.offFrom.add(f.returnOffCpuFrom);
          ret.onCpu += f.returnNs - (f.returnOffCpuNs ?? 0);
          ret.modelled = ret.modelled === null || m.ret === null ? null : ret.modelled + m.ret;
        }
        if (forkPairs.length < MAX_FORK_PAIRS)
          forkPairs.push({
            child_pid: f.childPid,
            modelled_ns: ns,
            measured_ns: f.durationNs,
            wait_ns: f.waitNs,
            wait_from: f.waitFrom,
            wait_max_ns: f.waitMaxNs,
            return_ns: f.returnNs,
            return_off_cpu_ns: f.returnOffCpuNs,
            return_off_cpu_from: f.returnOffCpuFrom,
            return_off_cpu_max_ns: f.returnOffCpuMaxNs,
            return_modelled_ns: m.ret,
          });
      }
      const forks = fm.count
        ? {
            count: fm.count,
            modelled: histSummary(fm),
            measured: histSummary(fr),
            ratio_total: fm.total ? fr.total / fm.total : 0,
            wait_total_ns: waits,
            ratio_less_wait: fm.total ? (fr.total - waits) / fm.total : 0,
            wait_from: from.has('longest_gap') ? ('longest_gap' as const) : from.has('same_cpu') ? ('same_cpu' as const) : ('off_cpu' as const),
            wait_max_total_ns: waitsMax,
            return: ret.count
              ? {
                  count: ret.count,
                  measured_ns: ret.measured,
                  off_cpu_ns: ret.offFrom.size ? ret.off : null,
                  off_cpu_from: ret.offFrom.has('same_cpu') ? ('same_cpu' as const) : ret.offFrom.size ? ('off_cpu' as const) : null,
                  modelled_ns: ret.modelled,
                  ratio: ret.modelled ? ret.onCpu / ret.modelled : 0,
                }
              : null,
            pairs: forkPairs,
          }
        : null;
      return { faults, forks, unjoined };
    },
  };
}
