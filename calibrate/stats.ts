// The statistics a profile is built with: quantiles, per-run medians, and the fork cost fit by weighted least squares.
import type { StepStats } from '../model/costs.js';
import type { ForkSample } from './output.js';
import { quantileInterpolated as quantile } from '../model/quantiles.js';

/** Quantile by linear interpolation between order statistics (q in [0, 1]): model/quantiles.ts, re-exported for calibrate. */
export { quantile };

export function summarise(values: readonly number[]): StepStats {
  const s = [...values].sort((a, b) => a - b);
  return { median_ns: round(quantile(s, 0.5)), p10_ns: round(quantile(s, 0.1)), p90_ns: round(quantile(s, 0.9)), samples: s.length };
}

/** Runs with fewer samples than this do not get a median of their own (they still count in p10/p90). */
export const MIN_RUN_SAMPLES = 3;

/**
 * A step's figure over several runs: the median of each run's samples, and the lowest of those (the least disturbed
 * run: on a shared VM other users' load only ever adds time, so the fastest run is the least disturbed; J. Chen and
 * J. Revels, "Robust benchmarking in noisy environments", arXiv:1608.04295). p10/p90 are over all samples.
 * Without run labels (or with one run) this is the plain median.
 */
export function summariseRuns(values: readonly number[], runs?: readonly number[]): StepStats {
  const all = summarise(values);
  if (!runs || runs.length !== values.length) return all;
  const byRun = new Map<number, number[]>();
  values.forEach((v, i) => {
    let g = byRun.get(runs[i]);
    if (!g) byRun.set(runs[i], (g = []));
    g.push(v);
  });
  const medians = [...byRun.values()].filter((g) => g.length >= MIN_RUN_SAMPLES).map((g) => quantile([...g].sort((a, b) => a - b), 0.5));
  if (medians.length < 2) return all;
  const median = round(Math.min(...medians));
  return { ...all, median_ns: median, p10_ns: Math.min(all.p10_ns, median), p90_ns: Math.max(all.p90_ns, median) };
}

/** One decimal, as profiles store ns. */
export function round(v: number): number {
  return Math.round(v * 10) / 10;
}

/**
 * Weighted least squares: minimise sum w_i (y_i - x_i . beta)^2 through the normal equations (Gaussian elimination
 * with partial pivoting). Returns null when the design is singular (e.g. PTE and table counts proportional).
 */
export function leastSquares(xs: readonly (readonly number[])[], ys: readonly number[], ws?: readonly number[]): number[] | null {
  const k = xs[0]?.length ?? 0;
  if (k === 0 || xs.length < k) return null;
  const a = Array.from({ length: k }, () => new Array<number>(k + 1).fill(0));
  for (let i = 0; i < xs.length; i++) {
    const w = ws ? ws[i] : 1;
    for (let r = 0; r < k; r++) {
      for (let c = 0; c < k; c++) a[r][c] += w * xs[i][r] * xs[i][c];
      a[r][k] += w * xs[i][r] * ys[i];
    }
  }
  // scale columns so PTE counts (1e5) and the intercept (1) do not wreck the pivoting
  const scale = a.map((row, r) => Math.sqrt(Math.abs(row[r])) || 1);
  for (let r = 0; r < k; r++) for (let c = 0; c <= k; c++) a[r][c] /= c < k ? scale[r] * scale[c] : scale[r];
  for (let col = 0; col < k; col++) {
    let piv = col;
    for (let r = col + 1; r < k; r++) if (Math.abs(a[r][col]) > Math.abs(a[piv][col])) piv = r;
    if (Math.abs(a[piv][col]) < 1e-9) return null;
    [a[col], a[piv]] = [a[piv], a[col]];
    for (let r = 0; r < k; r++) {
      if (r === col) continue;
      const m = a[r][col] / a[col][col];
      for (let c = col; c <= k; c++) a[r][c] -= m * a[col][c];
    }
  }
  return a.map((row, r) => row[k] / row[r] / scale[r]);
}

export interface ForkFit {
  fixed: number;
  perPte: number;
  perTable: number;
  perPmd: number;
}

/**
 * Fit fork ns = fixed + perPte*ptes + perTable*tables + perPmd*pmds, relative error weighting (1/ns^2).
 * The fixed cost is `fixedNs` if given, else the median of the 'empty' forks when there are any (measured directly,
 * not extrapolated), else a fitted intercept.
 */
export function fitFork(samples: readonly ForkSample[], fixedNs?: number): ForkFit | null {
  if (samples.length === 0) return null;
  const empty = samples.filter((s) => s.kind === 'empty').map((s) => s.ns).sort((a, b) => a - b);
  const rest = samples.filter((s) => s.kind !== 'empty');
  const ws = rest.map((s) => 1 / Math.max(1, s.ns) ** 2);
  if (fixedNs !== undefined || empty.length > 0) {
    const fixed = fixedNs ?? quantile(empty, 0.5);
    const beta = leastSquares(rest.map((s) => [s.ptes, s.tables, s.pmds]), rest.map((s) => s.ns - fixed), ws);
    return beta ? { fixed, perPte: beta[0], perTable: beta[1], perPmd: beta[2] } : null;
  }
  const beta = leastSquares(rest.map((s) => [1, s.ptes, s.tables, s.pmds]), rest.map((s) => s.ns), ws);
  if (!beta) return null;
  return { fixed: beta[0], perPte: beta[1], perTable: beta[2], perPmd: beta[3] };
}

/** Median per fork configuration. */
export function medianForkSamples(samples: readonly ForkSample[]): ForkSample[] {
  return quantileForkSamples(samples, 0.5);
}

/** Quantile q of each fork configuration's samples (q = 0: its fastest fork, the headline fit's input). */
export function quantileForkSamples(samples: readonly ForkSample[], q: number): ForkSample[] {
  const groups = new Map<string, ForkSample[]>();
  for (const s of samples) {
    const key = `${s.kind}/${s.bytes}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(s);
  }
  return [...groups.values()].map((g) => ({ ...g[0], run: -1, ns: quantile(g.map((s) => s.ns).sort((a, b) => a - b), q) }));
}
