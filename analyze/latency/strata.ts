// A measured distribution as equal-probability strata (model/costs.ts StepStats.strata_ns): each stratum's mean, so the strata keep the samples' mean.
import { logBinMid, type LogHist } from '../../model/quantiles.js';

/**
 * Strata a distribution is cut into at most: 256 puts a fault at quantile 0.99 in the stratum of p98.8..p99.2, so the
 * modelled p99 is the measured one, not the mean of the extreme tail (with 64, the top 1.6% with its outliers).
 */
export const MAX_STRATA = 256;

/**
 * Strata for n samples: the largest power of two at most min(MAX_STRATA, n), so a stratum holds one sample or more and
 * a thread's 2^j faults of a path (costs.ts nextQuantile, van der Corput) land once in each of 2^j equal cells.
 */
export function strataCount(n: number): number {
  let k = 1;
  while (k * 2 <= Math.min(MAX_STRATA, n)) k *= 2;
  return k;
}

/** Strata of (value, count) pairs in ascending value order: stratum i the mean of the mass between ranks i n/K and (i+1) n/K. */
function strataOfPairs(pairs: readonly (readonly [number, number])[], n: number, k: number): number[] {
  const w = n / k;
  const sum = new Array<number>(k).fill(0);
  let pos = 0;
  for (const [v, count] of pairs) {
    let c = count;
    while (c > 0) {
      const j = Math.min(k - 1, Math.floor(pos / w + 1e-9));
      const take = j === k - 1 ? c : Math.min(c, (j + 1) * w - pos);
      sum[j]! += take * v;
      pos += take;
      c -= take;
    }
  }
  return sum.map((s) => s / w);
}

/** Strata of samples (any order), each rounded to 1 ns; [] when there are none. */
export function strataOfSamples(values: readonly number[]): number[] {
  if (values.length === 0) return [];
  const s = [...values].sort((a, b) => a - b);
  return strataOfPairs(s.map((v) => [v, 1] as const), s.length, strataCount(s.length)).map(Math.round);
}

/**
 * Strata of a log-binned histogram: each bin's samples at its geometric midpoint, then all scaled so their mean is
 * the histogram's exact one (total / count: a midpoint is off by up to half a bin); [] when empty.
 */
export function strataOfHist(h: LogHist): number[] {
  if (h.count === 0) return [];
  const pairs = [...h.bins].sort((a, b) => a[0] - b[0]).map(([b, c]) => [logBinMid(b, h.perOctave), c] as const);
  const st = strataOfPairs(pairs, h.count, strataCount(h.count));
  const mean = st.reduce((a, v) => a + v, 0) / st.length;
  const f = mean > 0 ? h.total / h.count / mean : 1;
  return st.map((v) => Math.round(v * f));
}
