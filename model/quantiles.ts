// Percentiles and log-binned histograms, one definition for the whole tool (replay, latency join and fit, reports, calibrate).
import type { LatencySummary } from './types.js';

/**
 * Index of the q-quantile in n sorted samples: nearest rank, the smallest sample with at least q of the samples at
 * or below it (ceil(q * n) - 1), clamped to [0, n - 1]. Every percentile faultline prints is this one.
 */
export function rankIndex(n: number, q: number): number {
  return Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1));
}

/** The q-quantile of ascending samples (nearest rank); NaN when there are none. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  return sorted.length === 0 ? NaN : sorted[rankIndex(sorted.length, q)]!;
}

/** The q-quantile of samples in any order (sorts a copy). */
export function quantile(values: ArrayLike<number>, q: number): number {
  return quantileSorted(Float64Array.from(values).sort(), q);
}

/**
 * The q-quantile by linear interpolation between order statistics (ascending samples): calibrate's estimate of a
 * step's figure from a few runs, where nearest rank would jump between samples. NaN when there are none.
 */
export function quantileInterpolated(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** count, total and p50/p90/p99 of samples (count and total given when the samples are a reservoir of more). */
export function summarizeSamples(values: ArrayLike<number>, count = values.length, total?: number): LatencySummary {
  const s = Float64Array.from(values).sort();
  let sum = 0;
  if (total === undefined) for (const v of s) sum += v;
  const q = (p: number): number => (s.length ? quantileSorted(s, p) : 0);
  return { count, total_ns: total ?? sum, p50_ns: q(0.5), p90_ns: q(0.9), p99_ns: q(0.99) };
}

/** Log bin of a value with perOctave bins per doubling: bin b holds [2^(b/perOctave), 2^((b+1)/perOctave)); -1 below 1. */
export function logBin(ns: number, perOctave: number): number {
  return ns < 1 ? -1 : Math.floor(Math.log2(ns) * perOctave);
}

/** Upper bound of log bin b. */
export function logBinTop(b: number, perOctave: number): number {
  return 2 ** ((b + 1) / perOctave);
}

/** Geometric midpoint of log bin b (0 for the sub-1 bin). */
export function logBinMid(b: number, perOctave: number): number {
  return b < 0 ? 0 : 2 ** ((b + 0.5) / perOctave);
}

/** A sparse log-binned histogram: memory bounded by the value range, not the sample count; exact count and total. */
export interface LogHist {
  perOctave: number;
  bins: Map<number, number>;
  count: number;
  total: number;
}

export function newLogHist(perOctave: number): LogHist {
  return { perOctave, bins: new Map(), count: 0, total: 0 };
}

export function logHistAdd(h: LogHist, ns: number): void {
  const b = logBin(ns, h.perOctave);
  h.bins.set(b, (h.bins.get(b) ?? 0) + 1);
  h.count++;
  h.total += ns;
}

/** The bin holding the q-quantile (nearest rank) of (bin, count) pairs in ascending bin order; undefined when empty. */
export function binOfQuantile<B extends { bin: number; count: number }>(sortedBins: readonly B[], q: number): B | undefined {
  const n = sortedBins.reduce((s, b) => s + b.count, 0);
  if (n === 0) return undefined;
  const rank = rankIndex(n, q) + 1;
  let seen = 0;
  for (const b of sortedBins) if ((seen += b.count) >= rank) return b;
  return sortedBins[sortedBins.length - 1];
}

/** The q-quantile of a histogram, as its bin's geometric midpoint (0 when empty). */
export function logHistQuantile(h: LogHist, q: number): number {
  const bins = [...h.bins].sort((a, b) => a[0] - b[0]).map(([bin, count]) => ({ bin, count }));
  const b = binOfQuantile(bins, q);
  return b ? Math.round(logBinMid(b.bin, h.perOctave)) : 0;
}

/** count, exact total, and p50/p90/p99 of a histogram (each its bin's geometric midpoint). */
export function logHistSummary(h: LogHist): LatencySummary {
  return { count: h.count, total_ns: h.total, p50_ns: logHistQuantile(h, 0.5), p90_ns: logHistQuantile(h, 0.9), p99_ns: logHistQuantile(h, 0.99) };
}
