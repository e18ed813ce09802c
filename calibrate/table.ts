// The text tables calibrate prints: a profile's steps, and two profiles' step medians side by side (--compare).
import { STEP_NAMES, type ProfileFile } from '../model/costs.js';

export interface StepComparison {
  step: string;
  a: number;
  b: number;
  /** b / a (1 when both are 0). */
  ratio: number;
  /** A step the replay prices (STEP_NAMES); the rest (GUP twins, trap, raw inputs) are diagnostics. */
  priced: boolean;
}

/** Per-step median ratio b/a over every step both profiles have (the priced steps first), for checking two runs agree. */
export function compareProfiles(a: ProfileFile, b: ProfileFile): StepComparison[] {
  const names: string[] = [...STEP_NAMES];
  for (const k of Object.keys(a.steps)) if (b.steps[k] && !names.includes(k)) names.push(k);
  return names.map((k) => {
    const x = a.steps[k]?.median_ns ?? NaN;
    const y = b.steps[k]?.median_ns ?? NaN;
    return { step: k, a: x, b: y, ratio: x === 0 && y === 0 ? 1 : y / x, priced: (STEP_NAMES as readonly string[]).includes(k) };
  });
}

/**
 * The --compare table: step, both medians, ratio, a flag past `limit` (0.2 = 20%); the worst relative difference over
 * the priced steps (what decides the exit status), and the diagnostics past the limit, flagged but not counted.
 */
export function formatComparison(rows: readonly StepComparison[], limit = 0.2): { text: string; worst: number; worstStep: string; diagnosticsOver: string[] } {
  let worst = 0;
  let worstStep = '';
  const diagnosticsOver: string[] = [];
  const w = Math.max(4, ...rows.map((r) => r.step.length));
  const lines = [`${'step'.padEnd(w)}  ${'other_ns'.padStart(10)}  ${'this_ns'.padStart(10)}  ratio`];
  for (const r of rows) {
    const off = Math.abs(r.ratio - 1);
    if (r.priced && Number.isFinite(off) && off > worst) [worst, worstStep] = [off, r.step];
    if (!r.priced && off > limit) diagnosticsOver.push(r.step);
    const ratio = Number.isFinite(r.ratio) ? r.ratio.toFixed(2) : '-';
    const flag = off > limit ? `  (>${Math.round(limit * 100)}%${r.priced ? '' : ', diagnostic'})` : '';
    lines.push(`${r.step.padEnd(w)}  ${fmt(r.a).padStart(10)}  ${fmt(r.b).padStart(10)}  ${ratio}${flag}`);
  }
  return { text: lines.join('\n') + '\n', worst, worstStep, diagnosticsOver };
}

/** The printed table: step, median, spread (p10-p90), samples, and how derived. */
export function formatTable(p: ProfileFile): string {
  const rows = [['step', 'median_ns', 'p10-p90_ns', 'samples', 'note']];
  for (const [k, s] of Object.entries(p.steps))
    rows.push([k, fmt(s.median_ns), `${fmt(s.p10_ns)}-${fmt(s.p90_ns)}`, String(s.samples), s.derived ? 'derived' : s.citation ? 'cited' : '']);
  const w = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((v, c) => (c === 0 || c === 4 ? v.padEnd(w[c]) : v.padStart(w[c]))).join('  ').trimEnd()).join('\n') + '\n';
}

function fmt(v: number): string {
  if (!Number.isFinite(v)) return '-';
  return v >= 100 ? Math.round(v).toString() : v.toFixed(1);
}
