// A path's modelled latency is a distribution: its step follows the profile's measured p10/median/p90, at a quantile
// fixed by the fault's thread and time (the same in every variant), so p50 != p90 where the kernel's differed.
import { describe, expect, it } from 'vitest';
import { faultCostNs, faultQuantile, type CostProfile } from './costs.js';
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

describe('per-fault spread', () => {
  const ns = Array.from({ length: 4000 }, (_, i) => faultCostNs(P, rec(1 + (i % 7), 1_000_000 + i * 4321)));
  it('p10 / p50 / p90 of many faults land on the profile\'s (within the interpolation\'s step)', () => {
    expect(quantile(ns, 0.1)).toBeGreaterThanOrEqual(800);
    expect(quantile(ns, 0.1)).toBeLessThan(830);
    expect(Math.abs(quantile(ns, 0.5) - 1000)).toBeLessThan(40);
    expect(quantile(ns, 0.9)).toBeGreaterThan(1950);
    expect(Math.min(...ns)).toBe(800); // held at p10 / p90 beyond them, never extrapolated
    expect(Math.max(...ns)).toBe(2000);
  });
  it('the same fault costs the same in every variant and every run; tables stay at their median', () => {
    expect(faultCostNs(P, rec(5, 123_456_789))).toBe(faultCostNs(P, rec(5, 123_456_789)));
    expect(faultCostNs(P, rec(5, 123_456_789, 2)) - faultCostNs(P, rec(5, 123_456_789))).toBe(100);
    expect(faultQuantile(5, 123_456_789)).toBeGreaterThan(0);
    expect(faultQuantile(5, 123_456_789)).toBeLessThan(1);
  });
  it('a profile without stats prices every fault at the median', () => {
    expect(faultCostNs({ ...P, stats: undefined }, rec(3, 99))).toBe(1000);
  });
});
