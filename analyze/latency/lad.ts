// Least absolute deviations with every coefficient >= 0, the one fit behind the fork copy (fit.ts fitForks) and the return after it (fork_return_fit.ts fitReturn).

/**
 * The exact solution of the square system rows x b = y (Gaussian elimination, partial pivoting, back substitution);
 * null when singular (a pivot within 1e-9 of its column's largest entry of zero: forks of one size).
 */
function solveSquare(rows: readonly (readonly number[])[], y: readonly number[]): number[] | null {
  const n = rows.length;
  const a = rows.map((r, i) => [...r, y[i]!]);
  const scale = Array.from({ length: n }, (_, c) => Math.max(...rows.map((r) => Math.abs(r[c]!))));
  for (let i = 0; i < n; i++) {
    let p = i;
    for (let k = i + 1; k < n; k++) if (Math.abs(a[k]![i]!) > Math.abs(a[p]![i]!)) p = k;
    [a[i], a[p]] = [a[p]!, a[i]!];
    const d = a[i]![i]!;
    if (!(Math.abs(d) > 1e-9 * scale[i]!)) return null;
    for (let k = i + 1; k < n; k++) {
      const f = a[k]![i]! / d;
      if (f !== 0) for (let j = i; j <= n; j++) a[k]![j]! -= f * a[i]![j]!;
    }
  }
  const b = new Array<number>(n).fill(0);
  for (let i = n - 1; i >= 0; i--) {
    let s = a[i]![n]!;
    for (let j = i + 1; j < n; j++) s -= a[i]![j]! * b[j]!;
    b[i] = s / a[i]![i]!;
  }
  return b;
}

/** Every k-subset of 0..n-1, in lexicographic order. */
function combos(n: number, k: number): number[][] {
  const out: number[][] = [];
  const rec = (from: number, acc: number[]): void => {
    if (acc.length === k) return void out.push(acc);
    for (let i = from; i < n; i++) rec(i + 1, [...acc, i]);
  };
  rec(0, []);
  return out;
}

/**
 * min over b >= 0 of sum_i |y_i - x_i . b|. The minimum of this convex piecewise-linear function over b >= 0 lies at
 * a vertex: some coefficients 0 and the rest fitting as many points exactly. So every column subset in `subsets`
 * (column indices into x_i) is fitted exactly through every choice of that many points, and the admissible (all >= 0)
 * fit with the least total error wins; on a tie the first in that order. Coefficients outside the subset are 0.
 * null when no subset gives an admissible fit.
 */
export function ladNonNegative(
  x: readonly (readonly number[])[],
  y: readonly number[],
  subsets: readonly (readonly number[])[],
): { coef: number[]; error: number } | null {
  const cols = x[0]?.length ?? 0;
  let best: { coef: number[]; error: number } | null = null;
  for (const sub of subsets)
    for (const idx of combos(y.length, sub.length)) {
      const sol = solveSquare(idx.map((i) => sub.map((c) => x[i]![c]!)), idx.map((i) => y[i]!));
      if (!sol || sol.some((v) => !(v >= 0) || !Number.isFinite(v))) continue;
      const coef = new Array<number>(cols).fill(0);
      sub.forEach((c, j) => (coef[c] = sol[j]!));
      let error = 0;
      for (let i = 0; i < y.length; i++) {
        let p = 0;
        for (let c = 0; c < cols; c++) p += coef[c]! * x[i]![c]!;
        error += Math.abs(y[i]! - p);
      }
      if (!best || error < best.error) best = { coef, error };
    }
  return best;
}
