// The one percentile definition (nearest rank), calibrate's interpolated one, and the log-binned histogram.
import { describe, expect, it } from 'vitest';
import { binOfQuantile, logBin, logBinMid, logHistAdd, logHistSummary, newLogHist, quantile, quantileInterpolated, rankIndex, summarizeSamples } from './quantiles.js';

describe('nearest rank', () => {
  it('is the smallest sample with at least q of the samples at or below it', () => {
    expect([0.1, 0.5, 0.9, 1].map((q) => rankIndex(10, q))).toEqual([0, 4, 8, 9]);
    expect(quantile([40, 10, 30, 20], 0.5)).toBe(20); // 2 of 4 at or below 20
    expect(quantile([40, 10, 30, 20], 0.51)).toBe(30);
    expect(quantile([7], 0)).toBe(7);
    expect(quantile([], 0.5)).toBeNaN();
  });
  it('summarises a reservoir with the count and total of everything it stood for', () => {
    expect(summarizeSamples([3, 1, 2], 300, 600)).toEqual({ count: 300, total_ns: 600, p50_ns: 2, p90_ns: 3, p99_ns: 3 });
    expect(summarizeSamples([])).toEqual({ count: 0, total_ns: 0, p50_ns: 0, p90_ns: 0, p99_ns: 0 });
  });
  it('calibrate interpolates between order statistics instead', () => {
    expect(quantileInterpolated([10, 20, 30, 40, 50], 0.1)).toBeCloseTo(14, 9);
  });
});

describe('log-binned histogram', () => {
  it('bins by doublings, reports each percentile as its bin midpoint, keeps the exact total', () => {
    expect([0.5, 1, 2, 3, 1024].map((v) => logBin(v, 1))).toEqual([-1, 0, 1, 1, 10]);
    const h = newLogHist(1);
    for (const v of [1000, 1000, 1000, 5000]) logHistAdd(h, v);
    const s = logHistSummary(h);
    expect(s.count).toBe(4);
    expect(s.total_ns).toBe(8000);
    expect(s.p50_ns).toBe(Math.round(logBinMid(9, 1))); // 1000 lies in [512, 1024)
    expect(s.p99_ns).toBe(Math.round(logBinMid(12, 1))); // 5000 in [4096, 8192)
  });
  it('finds the bin of a quantile in (bin, count) pairs by the same rank', () => {
    const bins = [{ bin: 1, count: 2 }, { bin: 4, count: 2 }];
    expect(binOfQuantile(bins, 0.5)!.bin).toBe(1);
    expect(binOfQuantile(bins, 0.51)!.bin).toBe(4);
    expect(binOfQuantile([], 0.5)).toBeUndefined();
  });
});
