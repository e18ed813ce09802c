// The summary table, in the shape of the refpage v3 Pixel 4 table: one row per variant, deltas against the first.
import type { ReplayResult, VariantResult } from '../model/types.js';
import { escapeHtml } from './escape.js';
import { faultsTaken, NOT_TAKEN } from '../model/fault_paths.js';

export interface SummaryColumn {
  /** Stable key, also the cell's data-metric. */
  key: string;
  title: string;
  unit: string;
  /** Smaller is better (for colouring deltas). */
  lowerIsBetter: boolean;
  get(v: VariantResult): number;
}

function sum(v: VariantResult, f: (p: VariantResult['processes'][number]) => number): number {
  let s = 0;
  for (const p of v.processes) s += f(p);
  return s;
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
    { key: 'faults.total', title: 'faults taken', unit: 'faults', lowerIsBetter: true, get: (v) => faultsTaken(v.totals.faults) },
    { key: 'rss_anon_peak_kb', title: 'peak anon RSS', unit: 'KiB', lowerIsBetter: true, get: (v) => v.totals.rss_anon_peak_kb },
    { key: 'rss_anon_final_kb', title: 'final anon RSS (Σ processes)', unit: 'KiB', lowerIsBetter: true, get: (v) => sum(v, (p) => p.rss_anon_final_kb) },
    { key: 'rss_file_peak_kb', title: 'peak file RSS (Σ per-process peaks)', unit: 'KiB', lowerIsBetter: true, get: (v) => sum(v, (p) => p.rss_file_peak_kb) },
    { key: 'rss_file_final_kb', title: 'final file RSS (Σ processes)', unit: 'KiB', lowerIsBetter: true, get: (v) => sum(v, (p) => p.rss_file_final_kb) },
    { key: 'pgtables_peak_kb', title: 'peak page tables', unit: 'KiB', lowerIsBetter: true, get: (v) => v.totals.pgtables_peak_kb },
    { key: 'fault_latency_ns', title: 'modelled fault time', unit: 'ns', lowerIsBetter: true, get: (v) => v.totals.fault_latency_ns },
    { key: 'forks', title: 'forks', unit: 'forks', lowerIsBetter: true, get: (v) => v.totals.forks },
    { key: 'fork_latency_ns', title: 'modelled fork time', unit: 'ns', lowerIsBetter: true, get: (v) => v.totals.fork_latency_ns },
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

function deltaHtml(value: number, base: number, col: SummaryColumn): string {
  const d = value - base;
  if (d === 0) return `<span class="delta same" data-delta="0">=</span>`;
  const p = base !== 0 ? (d / base) * 100 : 0;
  // Small changes keep a significant digit instead of printing a misleading 0.0%.
  const pct = base !== 0 ? ` (${d >= 0 ? '+' : ''}${Math.abs(p) < 0.1 ? p.toPrecision(1) : p.toFixed(1)}%)` : '';
  const cls = d === 0 ? 'same' : (d < 0) === col.lowerIsBetter ? 'better' : 'worse';
  return `<span class="delta ${cls}" data-delta="${d}">${d >= 0 ? '+' : '−'}${formatValue(Math.abs(d), col.unit)}${pct}</span>`;
}

function cell(v: VariantResult, c: SummaryColumn, base: VariantResult | undefined, isBase: boolean): string {
  const val = c.get(v);
  const delta = !isBase && base ? `<br>${deltaHtml(val, c.get(base), c)}` : '';
  return `<td data-variant="${escapeHtml(v.name)}" data-metric="${escapeHtml(c.key)}" data-value="${val}"><span class="value">${escapeHtml(formatValue(val, c.unit))}</span>${delta}</td>`;
}

/** The summary as escaped HTML, one row per variant: `data-variant`, `data-metric` and `data-value` on every figure. */
export function summaryTableHtml(replay: ReplayResult): string {
  const cols = summaryColumns();
  const base = replay.variants[0];
  const head = cols.map((c) => `<th data-metric="${escapeHtml(c.key)}" scope="col">${escapeHtml(c.title)}</th>`).join('');
  const body = replay.variants
    .map((v, i) => {
      const spec = v.spec ? [...v.spec.patches, `thp=${v.spec.thp}`, ...(v.spec.useZeroPage ? [] : ['no zero page'])].join(' ') : '';
      return `<tr data-variant="${escapeHtml(v.name)}"><th scope="row">${escapeHtml(v.name)}<div class="spec">${escapeHtml(spec)}</div></th>${cols.map((c) => cell(v, c, base, i === 0)).join('')}</tr>`;
    })
    .join('\n');
  return `<table id="summary" class="summary"><thead><tr><th scope="col">variant</th>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/** Faults by path, one row per path and one column per variant (paths outnumber variants). */
export function faultsTableHtml(replay: ReplayResult): string {
  const base = replay.variants[0];
  const head = replay.variants.map((v) => `<th scope="col" data-variant="${escapeHtml(v.name)}">${escapeHtml(v.name)}</th>`).join('');
  const body = faultPaths(replay)
    .map((path) => {
      // more not-taken faults means fewer traps: the one path where a rise is good news
      const col: SummaryColumn = { key: `faults.${path}`, title: path, unit: 'faults', lowerIsBetter: path !== NOT_TAKEN, get: (v) => v.totals.faults[path] ?? 0 };
      return `<tr data-metric="${escapeHtml(col.key)}"><th scope="row">${escapeHtml(path)}</th>${replay.variants.map((v, i) => cell(v, col, base, i === 0)).join('')}</tr>`;
    })
    .join('\n');
  return `<table id="faults-by-path" class="summary faults"><thead><tr><th scope="col">fault path</th>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}
