// What each patch changes vs the baseline (first variant): modelled fork time, fault time, and the cost per fault
// of the faults that pay for the patch's deferred work (cow-pte: the writes that copy a shared PTE table).
import type { ReportInput } from './types.js';
import { SCHEMA, WIDTH, placeholder, type ChartSpec } from './common.js';
import { escapeHtml } from './escape.js';
import { caveatsFor, type Caveat, type Figure } from '../analyze/caveats.js';
import { caveatNumber, reportCaveats } from './caveats.js';

export type DeltaMetric = 'fork' | 'fault' | 'deferred';

/** One compared figure: a variant's value against the baseline's, both in ns. */
export interface PatchDelta {
  variant: string;
  base: string;
  metric: DeltaMetric;
  /** Row label on the chart. */
  label: string;
  baseNs: number;
  valueNs: number;
  /** (value - base) / base x 100. */
  pct: number;
  /** Forks, faults, or (deferred) faults compared. */
  count: number;
  /** Difference in total time, ns (for 'deferred': summed over the compared faults). */
  totalDeltaNs: number;
  /** Caveats on the variant's or the baseline's figure: the tool doubts this change (never drawn green). */
  caveats: Caveat[];
}

const FIGURE: Record<DeltaMetric, Figure> = { fork: 'fork_time', fault: 'fault_time', deferred: 'fault_time' };

/** Figures per non-baseline variant, in variant order; a figure is left out where the baseline's value is 0. */
export function patchDeltas(input: ReportInput): PatchDelta[] {
  const vs = input.replay.variants;
  const base = vs[0];
  const out: PatchDelta[] = [];
  if (!base) return out;
  const caveats = reportCaveats(input);
  const push = (variant: string, metric: DeltaMetric, label: string, baseNs: number, valueNs: number, count: number, totalDeltaNs: number): void => {
    if (!(baseNs > 0)) return; // no modelled cost in the baseline (no profile, or nothing of the kind): no percentage
    const mine = [...new Set([...caveatsFor(caveats, variant, FIGURE[metric]), ...caveatsFor(caveats, base.name, FIGURE[metric])])];
    out.push({ variant, base: base.name, metric, label, baseNs, valueNs, pct: ((valueNs - baseNs) / baseNs) * 100, count, totalDeltaNs, caveats: mine });
  };
  for (const v of vs.slice(1)) {
    const forks = Math.max(base.totals.forks, v.totals.forks);
    if (forks > 0) push(v.name, 'fork', `${v.name}: fork time (${forks} fork${forks === 1 ? '' : 's'})`, base.totals.fork_latency_ns, v.totals.fork_latency_ns, forks, v.totals.fork_latency_ns - base.totals.fork_latency_ns);
    const faults = Math.max(...[base, v].map((x) => Object.values(x.totals.faults).reduce((a, b) => a + b, 0)));
    if (faults > 0) push(v.name, 'fault', `${v.name}: fault time (all)`, base.totals.fault_latency_ns, v.totals.fault_latency_ns, faults, v.totals.fault_latency_ns - base.totals.fault_latency_ns);
    const d = input.faults.deferred.find((x) => x.variant === v.name);
    if (d && d.matched > 0) push(v.name, 'deferred', `${v.name}: ${d.matched} table-copying faults, each`, d.baseNs / d.matched, d.matchedNs / d.matched, d.matched, d.matchedNs - d.baseNs);
  }
  return out;
}

/** "4.60 ms", "157 µs", "812 ns": three significant digits. */
export function compactNs(ns: number): string {
  const a = Math.abs(ns);
  const [v, u] = a >= 1e9 ? [ns / 1e9, 's'] : a >= 1e6 ? [ns / 1e6, 'ms'] : a >= 1e3 ? [ns / 1e3, 'µs'] : [ns, 'ns'];
  const digits = Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2;
  return `${v.toFixed(u === 'ns' ? 0 : digits)} ${u}`;
}

/** "+2.3%", "−92.3%" (a real minus sign), "±0%"; small changes keep a significant digit. */
export function signedPct(p: number): string {
  if (p === 0) return '±0%';
  const a = Math.abs(p);
  return `${p > 0 ? '+' : '−'}${a < 0.1 ? a.toPrecision(1) : a.toFixed(1)}%`;
}

function signedNs(ns: number): string {
  return `${ns >= 0 ? '+' : '−'}${compactNs(Math.abs(ns))}`;
}

/** The bar's label: the change, then the figures it comes from. */
export function deltaLabel(d: PatchDelta): string {
  if (d.metric === 'deferred') return `${signedPct(d.pct)} (${compactNs(d.baseNs)} → ${compactNs(d.valueNs)}; Σ ${signedNs(d.totalDeltaNs)})`;
  return `${signedPct(d.pct)} (${compactNs(d.baseNs)} → ${compactNs(d.valueNs)})`;
}

const SIGN_DOMAIN = ['lower', 'higher', 'same', 'doubted'];
const CHAR_PX = 6.6; // average width of a character at the labels' 11 px

export function patchDeltasSpec(input: ReportInput): ChartSpec {
  const vs = input.replay.variants;
  const title = `What each patch changes vs ${vs[0]?.name ?? 'the baseline'}`;
  if (vs.length < 2) return placeholder(title, 'no patch variants: run with --patch NAME (or --thp POLICY) to compare');
  const deltas = patchDeltas(input);
  if (deltas.length === 0) {
    const hasCost = vs.some((v) => v.totals.fault_latency_ns > 0 || v.totals.fork_latency_ns > 0);
    return placeholder(title, hasCost ? 'no forks and no modelled fault time in the baseline to compare with' : 'no modelled latency (--profile none): nothing to compare');
  }
  const rows = deltas.map((d) => ({
    row: d.label,
    variant: d.variant,
    pct: Math.round(d.pct * 100) / 100,
    text: deltaLabel(d) + (d.caveats.length ? ` ⚠ ${d.caveats.map((c) => c.kind.replace(/_/g, ' ')).join(', ')}` : ''),
    sign: d.caveats.length ? SIGN_DOMAIN[3] : d.pct < 0 ? SIGN_DOMAIN[0] : d.pct > 0 ? SIGN_DOMAIN[1] : SIGN_DOMAIN[2],
    base_ns: Math.round(d.baseNs),
    value_ns: Math.round(d.valueNs),
    count: d.count,
  }));
  // Room beside the bars for the labels, which sit outside the bar ends: widen the domain on each side by its longest label.
  const lo = Math.min(0, ...rows.map((r) => r.pct));
  const hi = Math.max(0, ...rows.map((r) => r.pct));
  const px = (neg: boolean): number => {
    const side = rows.filter((r) => (r.pct < 0) === neg);
    return side.length === 0 ? 0 : 8 + CHAR_PX * Math.max(...side.map((r) => r.text.length));
  };
  let [leftPx, rightPx] = [px(true), px(false)];
  const squeeze = Math.min(1, (0.65 * WIDTH) / (leftPx + rightPx || 1)); // bars keep at least 35% of the width
  leftPx *= squeeze;
  rightPx *= squeeze;
  const span = (hi - lo || 1) / (1 - (leftPx + rightPx) / WIDTH);
  const domain = [lo - (leftPx / WIDTH) * span, hi + (rightPx / WIDTH) * span];
  const x = { field: 'pct', type: 'quantitative', title: `change in modelled time vs ${vs[0].name} (%)`, scale: { domain, nice: false, zero: true } };
  const y = { field: 'row', type: 'nominal', title: null, sort: rows.map((r) => r.row), axis: { labelLimit: 360 } };
  const text = { field: 'text', type: 'nominal' };
  return {
    $schema: SCHEMA,
    title: { text: title, subtitle: 'modelled time: fork (kernel/fork.c: dup_mmap), all faults, and per fault that copies a shared PTE table (mm/memory.c: break_cow_pte) vs the same fault in the baseline' },
    width: WIDTH,
    height: { step: 30 },
    data: { values: rows },
    layer: [
      {
        mark: { type: 'bar', height: { band: 0.7 } },
        encoding: {
          x,
          y,
          color: { field: 'sign', type: 'nominal', title: 'vs baseline', scale: { domain: SIGN_DOMAIN, range: ['#2a7d2a', '#b02525', '#888888', '#e08a00'] } },
          tooltip: [{ field: 'row', title: 'figure' }, { field: 'text', title: 'change' }, { field: 'base_ns', title: 'baseline (ns)' }, { field: 'value_ns', title: 'variant (ns)' }, { field: 'count' }],
        },
      },
      { transform: [{ filter: 'datum.pct < 0' }], mark: { type: 'text', align: 'right', dx: -4, fontSize: 11 }, encoding: { x, y, text } },
      { transform: [{ filter: 'datum.pct >= 0' }], mark: { type: 'text', align: 'left', dx: 4, fontSize: 11 }, encoding: { x, y, text } },
      { data: { values: [{}] }, mark: { type: 'rule', color: '#444' }, encoding: { x: { datum: 0, type: 'quantitative' } } },
    ],
  } as ChartSpec;
}

/** The headline sentence for one variant, e.g. "cow-pte vs mainline: fork time −92.3% (59.5 ms → 4.60 ms); ...". */
export function headlineText(variant: string, base: string, deltas: PatchDelta[], note: string, all: readonly Caveat[] = []): string {
  const parts: string[] = [];
  for (const d of deltas) {
    // a doubted figure says so where it stands, with the number of its caveat in the list under the headline
    const doubt = d.caveats.length ? ` [⚠${d.caveats.map((c) => caveatNumber(all, c)).join(',')} ${d.caveats.map((c) => c.kind.replace(/_/g, ' ')).join(', ')}]` : '';
    if (d.metric === 'fork') parts.push(`fork time ${signedPct(d.pct)} (${compactNs(d.baseNs)} → ${compactNs(d.valueNs)})${doubt}`);
    // a profile the trace contradicts (sanity.ts) prices every fault too high: the fault-time change is not headlined
    else if (d.metric === 'fault' && d.caveats.some((c) => c.kind === 'profile_exceeds_span')) parts.push(`fault time not headlined${doubt}`);
    else if (d.metric === 'fault') parts.push(`fault time ${signedPct(d.pct)} (${signedNs(d.totalDeltaNs)})${doubt}`);
    else parts.push(`${d.count} faults that copy a shared PTE table ${signedPct(d.pct)} each (${compactNs(d.baseNs)} → ${compactNs(d.valueNs)}; ${signedNs(d.totalDeltaNs)} in all)${doubt}`);
  }
  if (note) parts.push(note);
  return `${variant} vs ${base}: ${parts.length > 0 ? parts.join('; ') : 'no modelled time to compare'}`;
}

/** One line per non-baseline variant, with the figures as data attributes; '' for a single-variant replay. */
export function patchHeadlineHtml(input: ReportInput, caveats: readonly Caveat[] = reportCaveats(input)): string {
  const vs = input.replay.variants;
  if (vs.length < 2) return '';
  const all = patchDeltas(input);
  const probed = Object.keys(input.faults.faultsSeen).length > 0;
  const items = vs.slice(1).map((v) => {
    const ds = all.filter((d) => d.variant === v.name);
    let note = '';
    if (v.spec?.patches?.includes('cow-pte') && !ds.some((d) => d.metric === 'deferred')) {
      note = probed ? 'no fault copied a shared PTE table' : 'per-fault table-copy costs need a trace (not replay JSON)';
    }
    const attrs = ds.map((d) => ` data-${d.metric}-pct="${d.pct}" data-${d.metric}-delta-ns="${d.totalDeltaNs}" data-${d.metric}-count="${d.count}"${d.caveats.length ? ` data-${d.metric}-caveat="${d.caveats.map((c) => c.kind).join(' ')}"` : ''}`).join('');
    return `<li data-variant="${escapeHtml(v.name)}"${attrs}>${escapeHtml(headlineText(v.name, vs[0].name, ds, note, caveats))}</li>`;
  });
  return `<ul id="patch-headline" class="headline">\n${items.join('\n')}\n</ul>`;
}
