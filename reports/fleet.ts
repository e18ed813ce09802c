// The fleet page: per-variant deltas against the base variant across traces (distributions), the traces at the
// extremes linked to their own reports, and validation agreement across the fleet. Reads plain rows, not Parquet.
import type { ChartSpec } from './common.js';
import { SCHEMA, WIDTH } from './common.js';
import { escapeHtml, jsonForScript, scriptSource } from './escape.js';
import { LIB_FILES, libSource } from './libs.js';
import { BOOT, pageHead } from './html.js';

/** One trace under one variant: its processes' figures summed. */
export interface FleetVariantRow {
  trace_hash: string;
  file: string;
  variant: string;
  pgtables_peak_bytes: number;
  rss_anon_peak_bytes: number;
  fault_time_ns: number;
  fork_time_ns: number;
}

export interface FleetValidationRow {
  trace_hash: string;
  file: string;
  compared: number;
  matched: number;
}

/** The measures compared across variants, in the charts' order. */
export const FLEET_METRICS = ['pgtables_peak_bytes', 'rss_anon_peak_bytes', 'fault_time_ns', 'fork_time_ns'] as const;
export type FleetMetric = (typeof FLEET_METRICS)[number];
const METRIC_LABEL: Record<FleetMetric, string> = {
  pgtables_peak_bytes: 'page-table memory, peak (KiB)',
  rss_anon_peak_bytes: 'RssAnon, peak (KiB)',
  fault_time_ns: 'modelled fault time (ms)',
  fork_time_ns: 'modelled fork time (ms)',
};
const METRIC_SCALE: Record<FleetMetric, number> = { pgtables_peak_bytes: 1024, rss_anon_peak_bytes: 1024, fault_time_ns: 1e6, fork_time_ns: 1e6 };

/** One trace x variant x metric: the variant's value minus the base variant's, in the chart's unit. */
export interface FleetDelta {
  trace_hash: string;
  file: string;
  variant: string;
  metric: string;
  delta: number;
}

export interface FleetReportInput {
  dir: string;
  baseVariant: string;
  rows: FleetVariantRow[];
  validation: FleetValidationRow[];
  status: Record<string, number>;
  /** trace_hash -> the single-trace report's path, relative to the fleet page (the extremes only). */
  links: Record<string, string>;
  generated: string;
  command: string;
  version: string;
}

/** Deltas of every non-base variant against the base, per trace and metric (traces without a base row are left out). */
export function fleetDeltas(rows: FleetVariantRow[], base: string): FleetDelta[] {
  const baseOf = new Map(rows.filter((r) => r.variant === base).map((r) => [r.trace_hash, r]));
  const out: FleetDelta[] = [];
  for (const r of rows) {
    const b = baseOf.get(r.trace_hash);
    if (r.variant === base || !b) continue;
    for (const m of FLEET_METRICS) out.push({ trace_hash: r.trace_hash, file: r.file, variant: r.variant, metric: METRIC_LABEL[m], delta: (r[m] - b[m]) / METRIC_SCALE[m] });
  }
  return out;
}

/** The traces at both ends of one variant's page-table delta: most saved first, then most added. */
export function fleetExtremes(deltas: FleetDelta[], variant: string, n: number): { low: FleetDelta[]; high: FleetDelta[] } {
  const pte = deltas.filter((d) => d.variant === variant && d.metric === METRIC_LABEL.pgtables_peak_bytes).sort((a, b) => a.delta - b.delta || (a.file < b.file ? -1 : 1));
  const low = pte.slice(0, n);
  const high = pte.slice(Math.max(n, pte.length - n)).reverse();
  return { low, high };
}

/** Strip plots: one tick per trace, a row per metric, a line per variant (each metric on its own axis). */
export function fleetDeltaSpec(deltas: FleetDelta[], base: string): ChartSpec {
  return {
    $schema: SCHEMA,
    description: `per trace: variant minus ${base}`,
    data: { values: deltas },
    facet: {
      row: { field: 'metric', type: 'nominal', title: null, sort: FLEET_METRICS.map((m) => METRIC_LABEL[m]), header: { labelAngle: 0, labelOrient: 'top', labelAnchor: 'start', labelFontWeight: 'bold' } },
    },
    resolve: { scale: { x: 'independent' } },
    spec: {
      width: WIDTH,
      mark: { type: 'tick', thickness: 2 },
      encoding: {
        x: { field: 'delta', type: 'quantitative', title: `change vs ${base} (negative: less)` },
        y: { field: 'variant', type: 'nominal', title: null },
        color: { field: 'variant', type: 'nominal', legend: null },
        tooltip: [
          { field: 'file', type: 'nominal' },
          { field: 'variant', type: 'nominal' },
          { field: 'delta', type: 'quantitative', format: ',.3~f' },
        ],
      },
    },
  } as ChartSpec;
}

/** Validation agreement: one bar per band of traces' matched / compared. */
export function fleetValidationSpec(rows: FleetValidationRow[]): ChartSpec {
  const values = rows.filter((r) => r.compared > 0).map((r) => ({ file: r.file, agreement: (100 * r.matched) / r.compared }));
  return {
    $schema: SCHEMA,
    description: 'rss_stat events the model matched, per trace (%)',
    width: WIDTH,
    data: { values },
    mark: 'bar',
    encoding: {
      x: { field: 'agreement', type: 'quantitative', bin: { extent: [0, 100], step: 1 }, title: 'rss_stat events matched (%)' },
      y: { aggregate: 'count', type: 'quantitative', title: 'traces' },
      tooltip: [{ aggregate: 'count', type: 'quantitative', title: 'traces' }],
    },
  } as ChartSpec;
}

function extremesHtml(input: FleetReportInput, deltas: FleetDelta[]): string {
  const variants = [...new Set(deltas.map((d) => d.variant))];
  const link = (d: FleetDelta): string => {
    const href = input.links[d.trace_hash];
    return href ? `<a href="${escapeHtml(href)}">${escapeHtml(d.file)}</a>` : escapeHtml(d.file);
  };
  const rows = (list: FleetDelta[]): string => list.map((d) => `<tr><th>${link(d)}</th><td>${escapeHtml(d.delta.toFixed(0))}</td></tr>`).join('');
  return variants
    .map((v) => {
      const { low, high } = fleetExtremes(deltas, v, 5);
      return `<h3>${escapeHtml(v)}: page-table memory vs ${escapeHtml(input.baseVariant)} (KiB)</h3>
<table class="summary"><thead><tr><th>most saved</th><th>KiB</th></tr></thead><tbody>${rows(low)}</tbody></table>
<table class="summary"><thead><tr><th>most added</th><th>KiB</th></tr></thead><tbody>${rows(high)}</tbody></table>`;
    })
    .join('\n');
}

/** The fleet page as a string: self-contained like the single-trace report (no network). */
export function buildFleetReport(input: FleetReportInput): string {
  const deltas = fleetDeltas(input.rows, input.baseVariant);
  const charts = [
    { id: 'fleet_deltas', title: `Per-variant change vs ${input.baseVariant}, one tick per trace`, spec: fleetDeltaSpec(deltas, input.baseVariant) },
    { id: 'fleet_validation', title: 'Validation agreement across the fleet', spec: fleetValidationSpec(input.validation) },
  ];
  const traces = new Set(input.rows.map((r) => r.trace_hash)).size;
  const status = Object.entries(input.status).map(([k, n]) => `${n} ${k}`).join(', ');
  const compared = input.validation.reduce((s, r) => s + r.compared, 0);
  const matched = input.validation.reduce((s, r) => s + r.matched, 0);
  const title = `faultline fleet report: ${input.dir}`;
  const sections = charts.map((c) => `<section id="chart-${c.id}"><h2>${escapeHtml(c.title)}</h2><div class="chart" id="view-${c.id}" data-chart="${c.id}"></div></section>`).join('\n');
  const libs = LIB_FILES.map((f) => `<script>${scriptSource(libSource(f))}</script>`).join('\n');
  return `${pageHead(title)}<p class="sub">${escapeHtml(`${traces} traces replayed (${status}); deltas are against ${input.baseVariant}; rss_stat events matched ${matched} of ${compared}`)}</p>
${sections}
<h2>Traces at the extremes</h2>
${extremesHtml(input, deltas)}
<h2>Provenance</h2>
<dl class="provenance"><dt>command</dt><dd>${escapeHtml(input.command)}</dd><dt>faultline</dt><dd>${escapeHtml(input.version)}</dd><dt>generated</dt><dd>${escapeHtml(input.generated)}</dd></dl>
<script type="application/json" id="faultline-specs">${jsonForScript(charts.map((c) => ({ id: c.id, spec: c.spec })))}</script>
${libs}
<script>${BOOT}</script>
</body></html>
`;
}
