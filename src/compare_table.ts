// The side-by-side text table of a multi-variant replay, in the shape of the refpage v3 Pixel 4 table (variant, time,
// max RSS) widened with faults, page tables and fork time, each with its delta against mainline (the first variant).
import type { ReplayResult, VariantResult } from '../model/types.js';
import { GUP_PATH, NOT_TAKEN } from '../model/fault_paths.js';
import { replayCaveats } from '../analyze/caveats.js';

/** Per-variant figures the table shows (exported for tests and for other renderers). */
export interface CompareRow {
  name: string;
  /** Faults the variant takes: every traced trap except 'not_taken' ones (a trap the variant would not take). */
  faults: number;
  /** Traced faults that find nothing to do under this variant (e.g. a write the memset or pattern fill pre-empted). */
  notTaken: number;
  /** Pages faulted in by GUP inside syscalls (MAP_POPULATE, mlock, memset / eager-populate): minflt with no trap. */
  gupFaults: number;
  peakAnonKb: number;
  peakFileKb: number;
  peakPgtablesKb: number;
  faultNs: number;
  forkNs: number;
  byPath: Record<string, number>;
}


export function compareRow(v: VariantResult): CompareRow {
  let traps = 0, notTaken = 0, minflt = 0, peakFile = 0;
  const byPath: Record<string, number> = {};
  for (const [k, n] of Object.entries(v.totals.faults)) {
    if (k === GUP_PATH) continue;
    byPath[k] = n;
    traps += n;
    if (k === NOT_TAKEN) notTaken += n;
  }
  for (const p of v.processes) {
    minflt += p.minflt;
    peakFile = Math.max(peakFile, p.rss_file_peak_kb);
  }
  return {
    name: v.name,
    faults: traps - notTaken,
    notTaken,
    gupFaults: Math.max(0, minflt - traps),
    peakAnonKb: v.totals.rss_anon_peak_kb,
    peakFileKb: peakFile,
    peakPgtablesKb: v.totals.pgtables_peak_kb,
    faultNs: v.totals.fault_latency_ns,
    forkNs: v.totals.fork_latency_ns,
    byPath,
  };
}

const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const ms = (ns: number): string => (ns / 1e6).toFixed(3);

/** "+1,234 (+5.2%)", "-3", "=" against the base value; counts (pct false) change by an absolute number only. */
export function delta(v: number, base: number, fmt: (n: number) => string = int, pct = true): string {
  const d = v - base;
  if (Math.abs(d) < 1e-9) return '=';
  const sign = d > 0 ? '+' : '-';
  const p = pct && base !== 0 ? ` (${sign}${Math.abs((100 * d) / base).toFixed(1)}%)` : '';
  return `${sign}${fmt(Math.abs(d))}${p}`;
}

function grid(head: string[], rows: string[][], rightFrom: number): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i >= rightFrom ? c.padStart(w[i]!) : c.padEnd(w[i]!))).join('  ').trimEnd();
  return [line(head), ...rows.map(line)].join('\n');
}

/** The whole text output of a replay: header, the compare table with deltas, faults by path. */
export function formatCompareTable(r: ReplayResult): string {
  const rows = r.variants.map(compareRow);
  const base = rows[0]!;
  const timed = rows.some((x) => x.faultNs > 0 || x.forkNs > 0);
  const cols: { head: string; get: (x: CompareRow) => number; fmt?: (n: number) => string; count?: boolean }[] = [
    { head: 'faults', get: (x) => x.faults, count: true },
    { head: 'not taken', get: (x) => x.notTaken, count: true },
    { head: 'GUP faults', get: (x) => x.gupFaults, count: true },
    // the largest single process's peak, and said so: not a total (the report's summary has the sums)
    { head: 'peak anon KiB (peak of Σ processes)', get: (x) => x.peakAnonKb },
    { head: 'peak file KiB (largest process)', get: (x) => x.peakFileKb },
    { head: 'peak PT KiB (peak of Σ processes)', get: (x) => x.peakPgtablesKb },
  ];
  if (timed) {
    cols.push({ head: 'fault ms', get: (x) => x.faultNs, fmt: ms });
    cols.push({ head: 'fork ms', get: (x) => x.forkNs, fmt: ms });
  }
  const head = ['variant'];
  for (const c of cols) head.push(c.head, 'Δ');
  const body = rows.map((x, i) => {
    const out = [x.name];
    for (const c of cols) {
      const f = c.fmt ?? int;
      out.push(f(c.get(x)), i === 0 ? '' : delta(c.get(x), c.get(base), f, !c.count));
    }
    return out;
  });
  const parts: string[] = [];
  parts.push(`${r.trace} (${r.format}): ${r.variants.length} variant${r.variants.length === 1 ? '' : 's'}, span ${(r.span_ns / 1e9).toFixed(3)} s` +
    (r.lost_events ? `, ${int(r.lost_events)} events lost` : '') + (r.skipped_lines ? `, ${int(r.skipped_lines)} lines skipped` : ''));
  parts.push('');
  parts.push(grid(head, body, 1));
  if (!timed) parts.push('(no modelled times: no cost profile loaded; see faultline calibrate)');
  // the page shows the same notes next to the figures they qualify (analyze/caveats.ts)
  for (const c of replayCaveats(r)) if (c.kind === 'thp_lower_bound' || c.kind === 'page_size_what_if' || c.kind === 'page_size_mismatch') parts.push(`note: ${c.text}`);
  // faults by path: columns ordered by the largest count in any variant
  const paths = new Map<string, number>();
  for (const x of rows) for (const [k, n] of Object.entries(x.byPath)) paths.set(k, Math.max(paths.get(k) ?? 0, n));
  const order = [...paths.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([k]) => k);
  if (order.length) {
    parts.push('');
    parts.push('faults by path:');
    parts.push(grid(['variant', ...order], rows.map((x) => [x.name, ...order.map((k) => int(x.byPath[k] ?? 0))]), 1));
  }
  return parts.join('\n') + '\n';
}
