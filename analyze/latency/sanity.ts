// The always-on sanity check of a cost profile against the trace's own clock: a thread's faults run one after
// another, so fault i must end before fault i+1 starts (t[i] + d[i] <= t[i+1]) and a thread's modelled fault time,
// all but its last fault, fits between its first and last fault. A profile that breaks this prices faults above
// what this machine can have spent on them.
import type { FaultRecord } from '../../model/types.js';
import { FAULT_PATHS, type FaultPathDef } from '../../model/fault_paths.js';
import { OFF_FACTOR } from './join.js';

/** A thread whose modelled fault time does not fit in its span. */
export interface ThreadOver {
  tid: number;
  comm: string;
  faults: number;
  /** Modelled ns of every fault but the last. */
  modelled_ns: number;
  /** First fault to last fault, ns. */
  span_ns: number;
}

export interface FaultTimeSanity {
  variant: string;
  /** Threads with at least two traced faults. */
  threads: number;
  /** Consecutive fault pairs of one thread, and those whose interval is shorter than half the first one's modelled cost. */
  pairs: number;
  pairs_over: number;
  /** Threads whose modelled fault time exceeds their span, worst (modelled / span) first; at most 20. */
  threads_over: ThreadOver[];
  threads_over_count: number;
}

interface Tid {
  comm: string;
  first: number;
  last: number;
  lastNs: number;
  sum: number;
  faults: number;
}

const MAX_LISTED = 20;

/** Watches one variant's (mainline's) traced, trapped faults; memory: one small record per thread. */
export function createFaultTimeSanity(variant: string): { onFault(r: FaultRecord): void; finish(): FaultTimeSanity } {
  const tids = new Map<number, Tid>();
  const paths: Readonly<Record<string, FaultPathDef | undefined>> = FAULT_PATHS;
  let pairs = 0, pairsOver = 0;
  return {
    onFault(r) {
      // traced traps only: a populate or not-taken record is no fault of the thread's own
      if (r.variant !== variant || r.errorCode < 0 || paths[r.path]?.trap === false) return;
      const s = tids.get(r.tid);
      if (!s) {
        tids.set(r.tid, { comm: r.comm, first: r.time, last: r.time, lastNs: r.latencyNs, sum: 0, faults: 1 });
        return;
      }
      pairs++;
      if ((r.time - s.last) * OFF_FACTOR < s.lastNs) pairsOver++; // the next fault came sooner than half the modelled cost
      s.sum += s.lastNs;
      s.last = r.time;
      s.lastNs = r.latencyNs;
      s.faults++;
    },
    finish() {
      const over: ThreadOver[] = [];
      let threads = 0;
      for (const [tid, s] of tids) {
        if (s.faults < 2) continue;
        threads++;
        if (s.sum > s.last - s.first) over.push({ tid, comm: s.comm, faults: s.faults, modelled_ns: s.sum, span_ns: s.last - s.first });
      }
      over.sort((a, b) => b.modelled_ns / Math.max(1, b.span_ns) - a.modelled_ns / Math.max(1, a.span_ns) || a.tid - b.tid);
      return { variant, threads, pairs, pairs_over: pairsOver, threads_over: over.slice(0, MAX_LISTED), threads_over_count: over.length };
    },
  };
}

/** Share of consecutive faults closer together than half the first one's modelled cost past which the profile is called too slow. */
export const PAIRS_OVER_SHARE = 0.5;

/**
 * One line for the CLI and the page, or '' when every thread's modelled fault time fits its span and most faults
 * are followed by the next one later than their modelled cost.
 */
export function sanityText(s: FaultTimeSanity | null | undefined): string {
  if (!s) return '';
  if (s.threads_over_count === 0) {
    if (!(s.pairs > 0 && s.pairs_over / s.pairs > PAIRS_OVER_SHARE)) return '';
    return (
      `the cost profile prices faults above what the trace allows: ${s.pairs_over} of ${s.pairs} faults (${s.variant}) were followed by the thread's next fault ` +
      `sooner than half their modelled cost. Modelled fault times are not headlined: calibrate on the recording machine`
    );
  }
  const w = s.threads_over[0]!;
  const ms = (ns: number): string => (ns / 1e6).toFixed(ns < 1e7 ? 3 : 1);
  return (
    `the cost profile models more fault time than the trace allows: in ${s.threads_over_count} of ${s.threads} threads (${s.variant}) the modelled time of the faults ` +
    `exceeds the span between the thread's first and last fault (worst: tid ${w.tid} ${w.comm}, ${ms(w.modelled_ns)} ms modelled in ${ms(w.span_ns)} ms); ` +
    `${s.pairs_over} of ${s.pairs} faults were followed by the next one sooner than half their modelled cost. Modelled fault times are not headlined: calibrate on the recording machine`
  );
}
