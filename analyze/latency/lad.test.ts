// The one least-absolute-deviations fit (coefficients >= 0) behind the fork copy and fork return fits, on problems solved by hand.
import { describe, expect, it } from 'vitest';
import { ladNonNegative } from './lad.js';

const line = (pts: readonly (readonly [number, number])[]) => ladNonNegative(pts.map(([x]) => [1, x]), pts.map(([, y]) => y), [[0, 1], [1], [0]]);

describe('ladNonNegative', () => {
  it('one coefficient: the median', () => {
    expect(ladNonNegative([[1], [1], [1]], [1, 10, 2], [[0]])).toEqual({ coef: [2], error: 9 });
  });
  it('a line through the points it fits, an outlier moving it not at all', () => {
    // y = 1 + 2x through three points, the fourth 93 above
    expect(line([[0, 1], [1, 3], [2, 5], [3, 100]])).toEqual({ coef: [1, 2], error: 93 });
  });
  it('a slope that would be negative is 0: the flat line at the median, not the best line through the origin', () => {
    // unconstrained: y = 6 - x exactly; with k >= 0 the flat line y = 4 leaves 2, the best through the origin (y = x) 6
    expect(line([[1, 5], [2, 4], [3, 3]])).toEqual({ coef: [4, 0], error: 2 });
  });
  it('an intercept that would be negative is 0: through the origin', () => {
    // unconstrained: y = -10 + 10x; the origin line through (2, 10), y = 5x, leaves |5 - 0| + 0 + |20 - 15| = 10
    expect(line([[1, 0], [2, 10], [3, 20]])).toEqual({ coef: [0, 5], error: 10 });
  });
  it('three columns, exactly through three points; points of one size alone give no slope (singular)', () => {
    const x = [[1, 1, 10], [1, 2, 10], [1, 1, 30], [1, 3, 50]];
    const y = x.map(([, t, p]) => 5 + 2 * t! + 0.5 * p!);
    expect(ladNonNegative(x, y, [[0, 1, 2]])!.coef.map((v) => +v.toFixed(9))).toEqual([5, 2, 0.5]);
    expect(ladNonNegative([[1, 4], [1, 4]], [3, 5], [[0, 1]])).toBeNull();
  });
});
