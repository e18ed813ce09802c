// Equal-probability strata of measured kernel parts: their mean is the samples', their order the samples'.
import { describe, expect, it } from 'vitest';
import { strataCount, strataOfHist, strataOfSamples } from './strata.js';
import { logHistAdd, newLogHist } from '../../model/quantiles.js';

describe('strata', () => {
  it('a power of two, at most 256 and at most the samples', () => {
    expect([1, 2, 3, 31, 32, 33, 100, 5000].map(strataCount)).toEqual([1, 2, 2, 16, 32, 32, 64, 256]);
  });
  it('of samples: each stratum the mean of its share, so the strata keep the mean', () => {
    expect(strataOfSamples([8, 1, 7, 2, 6, 3, 5, 4])).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    // 12 samples, 8 strata of 1.5 samples each: (1 + 0.5 x 2) / 1.5, (0.5 x 2 + 3) / 1.5, ...
    expect(strataOfSamples([10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 1200]).slice(0, 2)).toEqual([13, 27]);
    const skewed = [...Array.from({ length: 90 }, () => 1000), ...Array.from({ length: 10 }, () => 11_000)]; // mean 2 000
    const st = strataOfSamples(skewed);
    expect(st.length).toBe(64);
    expect(st.reduce((a, v) => a + v, 0) / st.length).toBeCloseTo(2000, 0);
    expect(st[0]).toBe(1000);
    expect(st[63]).toBe(11_000);
    expect(strataOfSamples([])).toEqual([]);
  });
  it("a fault drawn at quantile 0.99 costs about the samples' p99, not the mean of the extreme tail", () => {
    // a heavy tail: sample i of 1000 is 1 000 / (1 - i / 1000) ns, so p99 is 100 000 and the top 1.6% average ~250 000
    const v = Array.from({ length: 1000 }, (_, i) => 1000 / (1 - i / 1000));
    const st = strataOfSamples(v);
    const p99 = [...v].sort((a, b) => a - b)[989]!;
    expect(Math.abs(st[Math.floor(0.99 * st.length)]! / p99 - 1)).toBeLessThan(0.15);
  });
  it("of a log histogram: scaled to the histogram's exact mean", () => {
    const h = newLogHist(32);
    for (let i = 0; i < 1000; i++) logHistAdd(h, i % 10 === 0 ? 50_000 : 10_000 + i); // skewed: one in ten 5x the rest
    const st = strataOfHist(h);
    expect(st.length).toBe(256);
    expect(Math.abs(st.reduce((a, v) => a + v, 0) / st.length - h.total / h.count)).toBeLessThan(1);
    expect(st[255]).toBeGreaterThan(40_000);
    expect(st[0]).toBeLessThan(10_400);
  });
});
