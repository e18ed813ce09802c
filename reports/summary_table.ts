// The summary table, in the shape of the refpage v3 Pixel 4 table: one row per variant, deltas against the first.
import type { ReplayResult, VariantResult } from '../model/types.js';
import { thpPolicyOf } from '../model/machine.js';
import { escapeHtml } from './escape.js';
import { faultsTaken } from '../model/fault_paths.js';
import { totalSeries } from './aggregate.js';
import { caveatsFor, isLowerBound, type Caveat, type Figure } from '../analyze/caveats.js';
import { caveatMark } from './caveats.js';

export interface SummaryColumn {
  /** Stable key, also the cell's data-metric. */
  key: string;
  title: string;
  unit: string;
  /** Smaller is better (for colouring deltas); null: neither (faults moving between paths), no colour. */
  lowerIsBetter: boolean | null;
  /** Which figure it is, for the caveats that qualify it. */
  figure: Figure;
  get(v: VariantResult): number;
}

function sum(v: VariantResult, f: (p: VariantResult['processes'][number]) => number): number {
  let s = 0;
  for (const p of v.processes) s += f(p);
  return s;
}

/**
 * Peak over time of the Σ over live processes: the maximum of the total series the over-time charts draw (an exit
 * drops a process out of the sum). NaN without series (a replay JSON made without --series).
 */
export function peakOfSum(v: VariantResult, field: 'rss_anon_kb' | 'pgtables_kb'): number {
  const pts = totalSeries(v, 0, Infinity);
  if (pts.length === 0) return NaN;
  let m = 0;
  for (const p of pts) if (p[field] > m) m = p[field];
  return m;
}

/** Fault paths seen in any variant, in first-seen order. */
export function faultPaths(replay: ReplayResult): string[] {
  const seen = new Set<string>();
  for (const v of replay.variants) for (const [p, n] of Object.entries(v.totals.faults)) if (n > 0) seen.add(p);
  return [...seen];
}

/** The Pixel-4-shaped columns: totals that compare variants at a glance (faults by path get their own table). */
export function summaryColumns(): SummaryColumn[] {
  return [
    // traps taken: not a traced fault the patch would not take, nor a populate record (its pages are GUP faults)
    { key: 'faults.total', figure: 'faults', title: 'faults taken', unit: 'faults', lowerIsBetter: true, get: (v) => faultsTaken(v.totals.faults) },
    // totals are sums: the peak of Σ over processes at each instant, and the Σ of each process's own peak
    { key: 'rss_anon_peak_total_kb', figure: 'anon_rss', title: 'peak anon RSS (peak of Σ processes)', unit: 'KiB', lowerIsBetter: true, get: (v) => peakOfSum(v, 'rss_anon_kb') },
    { key: 'rss_anon_peak_sum_kb', figure: 'anon_rss', title: 'anon RSS (Σ per-process peaks)', unit: 'KiB', lowerIsBetter: true, get: (v) => sum(v, (p) => p.rss_anon_peak_kb) },
    { key: 'rss_anon_final_kb', figure: 'anon_rss', title: 'final anon RSS (Σ processes)', unit: 'KiB', lowerIsBetter: true, get: (v) => sum(v, (p) => p.rss_anon_final_kb) },
    { key: 'rss_file_peak_kb', figure: 'file_rss', title: 'peak file RSS (Σ per-process peaks)', unit: 'KiB', lowerIsBetter: true, get: (v) => sum(v, (p) => p.rss_file_peak_kb) },
    { key: 'rss_file_final_kb', figure: 'file_rss', title: 'final file RSS (Σ processes)', unit: 'KiB', lowerIsBetter: true, get: (v) => sum(v, (p) => p.rss_file_final_kb) },
    { key: 'pgtables_peak_total_kb', figure: 'page_tables', title: 'peak page tables (peak of Σ processes)', unit: 'KiB', lowerIsBetter: true, get: (v) => peakOfSum(v, 'pgtables_kb') },
    { key: 'pgtables_peak_sum_kb', figure: 'page_tables', title: 'page tables (Σ per-process peaks)', unit: 'KiB', lowerIsBetter: true, get: (v) => sum(v, (p) => p.pgtables_peak_kb) },
    { key: 'fault_latency_ns', figure: 'fault_time', title: 'modelled fault time', unit: 'ns', lowerIsBetter: true, get: (v) => v.totals.fault_latency_ns },
    { key: 'forks', figure: 'fork_time', title: 'forks', unit: 'forks', lowerIsBetter: null, get: (v) => v.totals.forks },
    { key: 'fork_latency_ns', figure: 'fork_time', title: 'modelled fork time', unit: 'ns', lowerIsBetter: true, get: (v) => v.totals.fork_latency_ns },
  ];
}

/** Human figure: ns as ms/µs, KiB as MiB past 10 MiB, counts with thousands separators. */
export function formatValue(n: number, unit: string): string {
  if (unit === 'ns') {
    if (Math.abs(n) >= 1e6) return `${(n / 1e6).toFixed(3)} ms`;
    if (Math.abs(n) >= 1e3) return `${(n / 1e3).toFixed(1)} µs`;
    return `${Math.round(n)} ns`;
  }
  if (unit === 'KiB' && Math.abs(n) >= 10240) return `${(n / 1024).toFixed(1)} MiB`;
  return `${n.toLocaleString('en-US', { maximumFractionDigits: 0 })}${unit === 'KiB' ? ' KiB' : ''}`;
}

/** Percentages only where the base is meaningful: sizes and times from a non-zero base, within 10x of it. */
function pctText(d: number, base: number, unit: string): string {
  if (unit !== 'KiB' && unit !== 'ns') return ''; // counts: the absolute change says it
  if (!(base > 0)) return '';
  const p = (d / base) * 100;
  if (Math.abs(p) > 1000) return ` (×${((base + d) / base).toFixed(1)})`;
  // Small changes keep a significant digit instead of printing a misleading 0.0%.
  return ` (${d >= 0 ? '+' : ''}${Math.abs(p) < 0.1 ? p.toPrecision(1) : p.toFixed(1)}%)`;
}

function deltaHtml(value: number, base: number, col: SummaryColumn, doubted: boolean): string {
  const d = value - base;
  if (d === 0) return `<span class="delta same" data-delta="0">=</span>`;
  // no green or red for a figure the tool itself doubts, nor for faults that only move between paths
  const cls = doubted ? 'doubt' : col.lowerIsBetter === null ? 'moved' : (d < 0) === col.lowerIsBetter ? 'better' : 'worse';
  return `<span class="delta ${cls}" data-delta="${d}">${d >= 0 ? '+' : '−'}${formatValue(Math.abs(d), col.unit)}${pctText(d, base, col.unit)}</span>`;
}

function cell(v: VariantResult, c: SummaryColumn, base: VariantResult | undefined, isBase: boolean, caveats: readonly Caveat[]): string {
  const val = c.get(v);
  const attrs = `data-variant="${escapeHtml(v.name)}" data-metric="${escapeHtml(c.key)}"`;
  if (!Number.isFinite(val)) return `<td ${attrs} data-value="" class="na" title="needs per-process series: replay --json --series"><span class="value">n/a</span></td>`;
  const mine = caveatsFor(caveats, v.name, c.figure);
  const bv = base ? c.get(base) : NaN;
  const delta = !isBase && Number.isFinite(bv) ? `<br>${deltaHtml(val, bv, c, mine.some(isLowerBound) || caveatsFor(caveats, base!.name, c.figure).some(isLowerBound))}` : '';
  const doubt = mine.length > 0 ? ` class="doubt" data-caveat="${mine.map((x) => x.kind).join(' ')}"` : '';
  return `<td ${attrs} data-value="${val}"${doubt}><span class="value">${escapeHtml(formatValue(val, c.unit))}</span>${caveatMark(caveats, mine)}${delta}</td>`;
}

/** The summary as escaped HTML, one row per variant: `data-variant`, `data-metric` and `data-value` on every figure. */
export function summaryTableHtml(replay: ReplayResult, caveats: readonly Caveat[] = []): string {
  const cols = summaryColumns();
  const base = replay.variants[0];
  const head = cols.map((c) => `<th data-metric="${escapeHtml(c.key)}" scope="col">${escapeHtml(c.title)}</th>`).join('');
  const body = replay.variants
    .map((v, i) => {
      const spec = v.spec ? [...v.spec.patches, `thp=${replay.machine ? thpPolicyOf(replay.machine, v.spec.thp, v.spec.thpFromTrace) : v.spec.thp}`, ...(v.spec.useZeroPage ? [] : ['no zero page']), `${v.spec.pageSize ?? v.spec.machinePageSize ?? '4k'} pages${v.spec.pageSize ? ' (what-if)' : ''}`].join(' ') : '';
      return `<tr data-variant="${escapeHtml(v.name)}"><th scope="row">${escapeHtml(v.name)}<div class="spec">${escapeHtml(spec)}</div></th>${cols.map((c) => cell(v, c, base, i === 0, caveats)).join('')}</tr>`;
    })
    .join('\n');
  return `<table id="summary" class="summary"><thead><tr><th scope="col">variant</th>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/** Faults by path, one row per path and one column per variant (paths outnumber variants). */
export function faultsTableHtml(replay: ReplayResult, caveats: readonly Caveat[] = []): string {
  const base = replay.variants[0];
  const head = replay.variants.map((v) => `<th scope="col" data-variant="${escapeHtml(v.name)}">${escapeHtml(v.name)}</th>`).join('');
  const body = faultPaths(replay)
    .map((path) => {
      // faults that move between paths are neither good nor bad news by themselves: no colour (the total has it)
      const col: SummaryColumn = { key: `faults.${path}`, title: path, unit: 'faults', lowerIsBetter: null, figure: 'faults', get: (v) => v.totals.faults[path] ?? 0 };
      return `<tr data-metric="${escapeHtml(col.key)}"><th scope="row">${escapeHtml(path)}</th>${replay.variants.map((v, i) => cell(v, col, base, i === 0, caveats)).join('')}</tr>`;
    })
    .join('\n');
  return `<table id="faults-by-path" class="summary faults"><thead><tr><th scope="col">fault path</th>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}
