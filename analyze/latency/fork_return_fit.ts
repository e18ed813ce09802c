// The parent's return after fork fitted to the trace's own forks: sys_exit_clone -> its next user fault or syscall,
// less the off-CPU time the trace shows, as fixed + per table + per PTE (several fork sizes) or as a scale of the
// base profile's shape (one size), with in-sample and leave-one-out figures so the fit says how far it can be trusted.
import type { CostProfile } from '../../model/costs.js';
import { quantile } from '../../model/quantiles.js';
import { us } from './derivation.js';
import { ladNonNegative } from './lad.js';

/** One fork's return as the trace measured it, and the copy the model made. */
export interface ReturnSample {
  /** sys_exit_clone -> the parent's next user fault or syscall (MeasuredFork.returnNs). */
  returnNs: number;
  /** Of it, off the CPU: measured (sched_switch), at least so (other tasks' events on its CPU), or null (unknown). */
  offCpuNs: number | null;
  offCpuFrom: 'off_cpu' | 'same_cpu' | null;
  /** The modelled fork's PTE tables and PTEs copied (ForkRecord.tablesCopied / ptesCopied). */
  tables: number;
  ptes: number;
}

export interface ReturnFit {
  fixed: number;
  perTable: number;
  perPte: number;
  /** 'lad': fixed + per table + per PTE by least absolute deviations (each >= 0); 'scale': the base's per-table/per-PTE x k. */
  how: 'lad' | 'scale';
  /** The scale of the base's shape ('scale' only). */
  k?: number;
}

/** Distinct fork sizes (tables, PTEs) a three-figure fit needs: fewer leave fixed, per table and per PTE confounded. */
const MIN_SIZES = 3;
/** A fork within this factor of its prediction counts as fitting (issue 14's bound for forks). */
const WITHIN = 1.5;

/** The on-CPU part of a fork's return as far as the trace can tell (the off-CPU part taken out where shown). */
export const onCpuReturn = (s: ReturnSample): number => Math.max(0, s.returnNs - (s.offCpuNs ?? 0));

/**
 * The forks the fit uses: those whose off-CPU time is measured (sched_switch) or not shown; a return that held other
 * tasks' events on the parent's CPU is left out while any other fork is left, since only part of its gap is known to
 * be off-CPU (its on-CPU part is known only to lie between return - waitMax and return - waitMin).
 */
export function usedForFit(pts: readonly ReturnSample[]): readonly ReturnSample[] {
  const clean = pts.filter((s) => s.offCpuFrom !== 'same_cpu');
  return clean.length ? clean : pts;
}

/** Forks the three-figure fit looks at (every triple of them is tried): evenly spaced over the trace past this. */
const MAX_FORKS = 40;

/**
 * The return's fit over `pts`: with MIN_SIZES distinct (tables, PTEs) sizes, fixed + per table + per PTE, each >= 0,
 * by least absolute deviations (the exact fit through each set of forks, over every subset of the three figures, that
 * leaves the least total error: a parent that was switched out with no trace of it, or blocked, moves it little);
 * else the base's per-table/per-PTE shape x k, k the median over forks of on-CPU return / shape. null when neither
 * applies (no fork, or too few sizes and a base with no shape).
 */
export function fitReturn(given: readonly ReturnSample[], base: CostProfile): ReturnFit | null {
  const all = usedForFit(given);
  if (all.length === 0) return null;
  const pts = all.length <= MAX_FORKS ? all : Array.from({ length: MAX_FORKS }, (_, i) => all[Math.floor((i * all.length) / MAX_FORKS)]!);
  const sizes = new Set(pts.map((s) => `${s.tables}/${s.ptes}`));
  if (sizes.size >= MIN_SIZES) {
    const lad = ladNonNegative(pts.map((s) => [1, s.tables, s.ptes]), pts.map(onCpuReturn), [[0, 1, 2], [0, 1], [0, 2], [1, 2], [0], [1], [2]]);
    if (lad) return { fixed: lad.coef[0]!, perTable: lad.coef[1]!, perPte: lad.coef[2]!, how: 'lad' };
  }
  const t = base.steps.fork_return_per_table ?? 0, p = base.steps.fork_return_per_pte ?? 0;
  const ks = pts.filter((s) => s.tables * t + s.ptes * p > 0).map((s) => onCpuReturn(s) / (s.tables * t + s.ptes * p));
  if (ks.length === 0) return null;
  const k = quantile(ks, 0.5);
  return { fixed: 0, perTable: t * k, perPte: p * k, how: 'scale', k };
}

export const predict = (f: Pick<ReturnFit, 'fixed' | 'perTable' | 'perPte'>, s: Pick<ReturnSample, 'tables' | 'ptes'>): number => f.fixed + f.perTable * s.tables + f.perPte * s.ptes;

/** measured / predicted per fork: its p50, its range and how many are within WITHIN. */
export interface FitCheck {
  forks: number;
  p50: number;
  min: number;
  max: number;
  within: number;
}

function check(ratios: readonly number[]): FitCheck | null {
  if (ratios.length === 0) return null;
  const ok = ratios.filter((r) => r >= 1 / WITHIN && r <= WITHIN).length;
  return { forks: ratios.length, p50: quantile(ratios, 0.5), min: Math.min(...ratios), max: Math.max(...ratios), within: ok };
}

const ratio = (meas: number, pred: number): number => (pred > 0 ? meas / pred : meas > 0 ? Infinity : 1);

/**
 * In-sample (the fit on all forks) and leave-one-out (each fork priced by the fit on the others) checks; past MAX_FORKS
 * forks, leave-one-out for MAX_FORKS of them evenly spaced (a fit each: 200 forks took 1.7 s, and it grew with them).
 */
export function checkReturnFit(given: readonly ReturnSample[], base: CostProfile, fit: ReturnFit): { inSample: FitCheck | null; leaveOneOut: FitCheck | null } {
  const pts = usedForFit(given);
  const inSample = check(pts.map((s) => ratio(onCpuReturn(s), predict(fit, s))));
  const loo: number[] = [];
  const out = pts.length <= MAX_FORKS ? pts.map((_, i) => i) : Array.from({ length: MAX_FORKS }, (_, i) => Math.floor((i * pts.length) / MAX_FORKS));
  if (pts.length >= 2)
    for (const i of out) {
      const f = fitReturn([...pts.slice(0, i), ...pts.slice(i + 1)], base);
      if (f) loo.push(ratio(onCpuReturn(pts[i]!), predict(f, pts[i]!)));
    }
  return { inSample, leaveOneOut: check(loo) };
}

/** The derivation line of the return's figures: how they came, what the interval holds, how well they fit. */
export function describeReturnFit(given: readonly ReturnSample[], base: CostProfile, fit: ReturnFit | null): string {
  const pts = usedForFit(given), left = given.length - pts.length;
  const baseShape = `${base.name}'s ${us(base.steps.fork_return_per_table ?? 0)} per table copied + ${(base.steps.fork_return_per_pte ?? 0).toFixed(1)} ns per PTE copied`;
  if (!fit)
    return pts.length
      ? `fork return: not fitted (one fork size and no per-table/per-PTE shape in ${base.name} to scale): ${base.name}'s figures, if any`
      : `fork return: not fitted (no fork's parent showed a user fault or syscall after sys_exit_clone): ${baseShape}`;
  const off = pts.filter((s) => s.offCpuFrom === 'off_cpu').length, same = pts.filter((s) => s.offCpuFrom === 'same_cpu').length;
  const offWhy = [
    off ? `${off} with sched_switch (measured off-CPU taken out)` : '',
    same ? `${same} with other tasks' events on the parent's CPU (only the first to the last of them taken out: the on-CPU figure is an upper bound)` : '',
    left ? `${left} left out (other tasks' events on the parent's CPU: switched out for an unknown part of it)` : '',
    pts.length - off - same ? `${pts.length - off - same} with no off-CPU evidence (no sched_switch, no other task on its CPU: any preemption by an untraced task stays in)` : '',
  ].filter(Boolean).join(', ');
  const how =
    fit.how === 'lad'
      ? `least absolute deviations (each figure >= 0) over ${pts.length} forks of ${new Set(pts.map((s) => `${s.tables}/${s.ptes}`)).size} sizes`
      : `${baseShape} x ${fit.k!.toFixed(3)} (the median over ${pts.length} fork${pts.length === 1 ? '' : 's'} of on-CPU return / the shape: too few sizes to fit fixed, per table and per PTE apart)`;
  const { inSample, leaveOneOut } = checkReturnFit(given, base, fit);
  const fmt = (c: FitCheck | null): string => (c ? `p50 ${c.p50.toFixed(2)} (${c.min.toFixed(2)}..${c.max.toFixed(2)}), ${c.within} of ${c.forks} within ${WITHIN}x` : '-');
  return (
    `fork return = ${us(fit.fixed)} + ${us(fit.perTable)} per table + ${fit.perPte.toFixed(1)} ns per PTE copied: ${how}; ` +
    `each the parent's sys_exit_clone -> its next user fault or syscall (the return to user space, a shadow-paging host's resync of the tables fork write-protected, and the user code before that event), ${offWhy}; ` +
    `measured/fitted in-sample ${fmt(inSample)}` +
    (leaveOneOut ? `, leave-one-out ${fmt(leaveOneOut)}${pts.length > MAX_FORKS ? ` (${leaveOneOut.forks} forks evenly spaced over the ${pts.length})` : ''}` : `, no leave-one-out (one fork: the figure is in-sample only)`)
  );
}
