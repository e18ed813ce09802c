// Least absolute deviations with every coefficient >= 0, the one fit behind the fork copy (fit.ts fitForks) and the return after it (fork_return_fit.ts fitReturn).

/** Scratch for solveSquare: k x (k + 1) augmented rows, column scales, the solution (grown to the widest subset). */
interface Scratch {
  a: Float64Array;
  scale: Float64Array;
  b: Float64Array;
}

/**
 * The exact solution of the square system (rows idx of x, columns sub) b = y[idx] into s.b (Gaussian elimination,
 * partial pivoting, back substitution); false when singular (a pivot within 1e-9 of its column's largest entry of zero:
 * forks of one size). In place, with no array made per call: a fit tries every subset of up to 40 forks, and the
 * leave-one-out check fits once per fork (200 forks: 9.8 s with a row array per call).
 */
function solveSquare(x: readonly (readonly number[])[], y: readonly number[], idx: Int32Array, sub: readonly number[], s: Scratch): boolean {
  const n = sub.length;
  const w = n + 1;
  const a = s.a, scale = s.scale, b = s.b;
  for (let r = 0; r < n; r++) {
    const row = x[idx[r]!]!;
    for (let c = 0; c < n; c++) a[r * w + c] = row[sub[c]!]!;
    a[r * w + n] = y[idx[r]!]!;
  }
  for (let c = 0; c < n; c++) {
    let m = -Infinity;
    for (let r = 0; r < n; r++) m = Math.max(m, Math.abs(a[r * w + c]!));
    scale[c] = m;
  }
  for (let i = 0; i < n; i++) {
    let p = i;
    for (let k = i + 1; k < n; k++) if (Math.abs(a[k * w + i]!) > Math.abs(a[p * w + i]!)) p = k;
    if (p !== i)
      for (let j = 0; j <= n; j++) {
        const t = a[i * w + j]!;
        a[i * w + j] = a[p * w + j]!;
        a[p * w + j] = t;
      }
    const d = a[i * w + i]!;
    if (!(Math.abs(d) > 1e-9 * scale[i]!)) return false;
    for (let k = i + 1; k < n; k++) {
      const f = a[k * w + i]! / d;
      if (f !== 0) for (let j = i; j <= n; j++) a[k * w + j] = a[k * w + j]! - f * a[i * w + j]!;
    }
  }
  for (let i = n - 1; i >= 0; i--) {
    let v = a[i * w + n]!;
    for (let j = i + 1; j < n; j++) v -= a[i * w + j]! * b[j]!;
    b[i] = v / a[i * w + i]!;
  }
  return true;
}

/**
 * min over b >= 0 of sum_i |y_i - x_i . b|. The minimum of this convex piecewise-linear function over b >= 0 lies at
 * a vertex: some coefficients 0 and the rest fitting as many points exactly. So every column subset in `subsets`
 * (column indices into x_i) is fitted exactly through every choice of that many points (in lexicographic order), and
 * the admissible (all >= 0) fit with the least total error wins; on a tie the first in that order. Coefficients outside
 * the subset are 0. null when no subset gives an admissible fit.
 */
export function ladNonNegative(
  x: readonly (readonly number[])[],
  y: readonly number[],
  subsets: readonly (readonly number[])[],
): { coef: number[]; error: number } | null {
  const cols = x[0]?.length ?? 0;
  const widest = Math.max(0, ...subsets.map((s) => s.length));
  const s: Scratch = { a: new Float64Array(widest * (widest + 1)), scale: new Float64Array(widest), b: new Float64Array(widest) };
  const coef = new Array<number>(cols).fill(0);
  let best: { coef: number[]; error: number } | null = null;
  for (const sub of subsets) {
    const k = sub.length;
    if (k > y.length) continue;
    // every k-subset of the points, lexicographic: idx[0] < idx[1] < ... advanced from the right
    const idx = new Int32Array(k);
    for (let j = 0; j < k; j++) idx[j] = j;
    for (;;) {
      if (solveSquare(x, y, idx, sub, s)) {
        let ok = true;
        for (let j = 0; j < k; j++) if (!(s.b[j]! >= 0) || !Number.isFinite(s.b[j]!)) ok = false;
        if (ok) {
          coef.fill(0);
          for (let j = 0; j < k; j++) coef[sub[j]!] = s.b[j]!;
          let error = 0;
          for (let i = 0; i < y.length; i++) {
            let p = 0;
            for (let c = 0; c < cols; c++) p += coef[c]! * x[i]![c]!;
            error += Math.abs(y[i]! - p);
          }
          if (!best || error < best.error) best = { coef: [...coef], error };
        }
      }
      let j = k - 1;
      while (j >= 0 && idx[j] === y.length - k + j) j--;
      if (j < 0) break;
      idx[j]++;
      for (let m = j + 1; m < k; m++) idx[m] = idx[m - 1]! + 1;
    }
  }
  return best;
}
