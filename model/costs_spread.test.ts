// A path's modelled latency is a distribution: its step follows the profile's measured strata (or p10/median/p90),
// at a quantile from a stratified sequence per thread and path, so p50 != p90 where the kernel's differed and a
// thread's few faults sum to their count times the measured mean.
import { describe, expect, it } from 'vitest';
import { compilePrices, faultCost, faultCostNs, hashQuantile, radicalInverse, type CostProfile } from './costs.js';
import { pathId } from './fault_paths.js';
import type { FaultRecord } from './types.js';
import { quantile } from './quantiles.js';

const P: CostProfile = {
  name: 'spread', source: 'test', steps: { anon_alloc: 1000, table_alloc: 50 },
  stats: { anon_alloc: { median_ns: 1000, p10_ns: 800, p90_ns: 2000, samples: 100 } },
};
const rec = (tid: number, time: number, tables = 0): FaultRecord => ({
  variant: 'mainline', time, cpu: 0, pid: tid, tid, comm: 't', address: 0x1000, errorCode: 6, path: 'anon_alloc',
  vmaStart: 0, vmaEnd: 0x200000, vmaFlags: 0, pagesAllocated: 1, tablesAllocated: tables, latencyNs: 0, inferred: false,
});
const ANON = pathId('anon_alloc');
/** n faults of one thread, priced in order by one replay's prices. */
const run = (p: CostProfile, tid: number, n: number): number[] => {
  const prices = compilePrices(p), draws = new Map<number, number>();
  return Array.from({ length: n }, (_, i) => faultCost(prices, draws, ANON, rec(tid, 1_000_000 + i * 4321)));
};
const sum = (v: readonly number[]): number => v.reduce((a, b) => a + b, 0);

describe('the stratified draws', () => {
  it('van der Corput: 0, 1/2, 1/4, 3/4, 1/8; the first 2^j fill the 2^j cells once each', () => {
    expect([0, 1, 2, 3, 4].map(radicalInverse)).toEqual([0, 0.5, 0.25, 0.75, 0.125]);
    const cells = Array.from({ length: 16 }, (_, k) => Math.floor(radicalInverse(k) * 16)).sort((a, b) => a - b);
    expect(cells).toEqual(Array.from({ length: 16 }, (_, i) => i));
    expect(hashQuantile(5, 3)).toBeGreaterThan(0);
    expect(hashQuantile(5, 3)).toBeLessThan(1);
  });
});

describe('per-fault spread (p10/median/p90 curve, no strata)', () => {
  const ns = Array.from({ length: 7 }, (_, t) => run(P, 1 + t, 600)).flat();
  it("p10 / p50 / p90 of many faults land on the profile's (within the interpolation's step)", () => {
    expect(quantile(ns, 0.1)).toBeGreaterThanOrEqual(800);
    expect(quantile(ns, 0.1)).toBeLessThan(830);
    expect(Math.abs(quantile(ns, 0.5) - 1000)).toBeLessThan(40);
    expect(quantile(ns, 0.9)).toBeGreaterThan(1950);
    expect(Math.min(...ns)).toBe(800); // held at p10 / p90 beyond them, never extrapolated
    expect(Math.max(...ns)).toBe(2000);
  });
  it('the same faults cost the same in every run; tables stay at their median', () => {
    expect(run(P, 5, 50)).toEqual(run(P, 5, 50));
    expect(faultCostNs(P, rec(5, 123_456_789, 2)) - faultCostNs(P, rec(5, 123_456_789))).toBe(100);
  });
  it('a profile without stats prices every fault at the median', () => {
    expect(faultCostNs({ ...P, stats: undefined }, rec(3, 99))).toBe(1000);
  });
});

describe('per-fault spread (strata: the measured mean kept)', () => {
  // a skewed distribution: 8 strata whose mean (2 000) is far above their median (1 000); the p10/median/p90 curve
  // through 800 / 1 000 / 8 000 would have a mean of 0.3 x 800 + 0.4 x 1 000 + 0.3 x 8 000 = 3 040
  const strata = [800, 900, 950, 1000, 1050, 1100, 2200, 8000];
  const S: CostProfile = { ...P, stats: { anon_alloc: { median_ns: 1000, p10_ns: 800, p90_ns: 8000, samples: 8, strata_ns: strata } } };
  it("a thread's 8, 16 or 32 faults sum to their count x the strata's mean, whatever the thread", () => {
    for (const tid of [1, 2, 77, 4242]) for (const n of [8, 16, 32]) expect(sum(run(S, tid, n))).toBe(n * 2000);
  });
  it('every stratum is drawn, so p50 and p90 differ as the measured ones did', () => {
    const ns = run(S, 9, 64);
    expect(new Set(ns)).toEqual(new Set(strata));
    expect(quantile(ns, 0.5)).toBe(1000);
    expect(quantile(ns, 0.9)).toBe(8000);
  });
  it("a thread's faults of any count are off the mean by at most the spread once per 1 in their count's binary digits", () => {
    // the first n draws are popcount(n) shifted runs of 2^j, each one draw in each of 2^j equal cells: a run's sum is
    // off its count x the mean by at most the spread (max - min), never by the sampling noise of independent draws
    const popcount = (n: number): number => n.toString(2).replace(/0/g, '').length;
    for (const tid of [1, 3, 8, 100]) for (const n of [5, 11, 27, 31]) expect(Math.abs(sum(run(S, tid, n)) - n * 2000)).toBeLessThanOrEqual(popcount(n) * (8000 - 800));
  });
  it("the profile's step figure scales the strata (a scaled step keeps its measured shape)", () => {
    expect(sum(run({ ...S, steps: { ...S.steps, anon_alloc: 500 } }, 4, 16))).toBe(16 * 1000);
  });
});
