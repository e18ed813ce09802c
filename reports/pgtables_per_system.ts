// Page-table memory of the whole system (sum over processes) per variant: what shared page tables save per device.
import type { ReplayResult, VariantResult } from '../model/types.js';
import type { ReportInput } from './types.js';
import { SCHEMA, WIDTH, placeholder, variantScale, type ChartSpec } from './common.js';

/** Patches whose PTE tables are shared between processes (model/patches/mshare.ts): the view is about them. */
export const SHARED_TABLE_PATCHES = ['mshare', 'mshare-transparent'] as const;

/** One bar: a variant's whole-system figure. */
export interface SystemBar {
  variant: string;
  measure: SystemMeasure;
  kb: number;
  /** This figure minus the baseline's (the first variant's), KiB; 0 for the baseline. */
  delta_kb: number;
  label: string;
}

/** The figures drawn per variant, in order. */
export type SystemMeasure = 'peak of the sum' | 'at the end' | 'sum of per-process peaks';
const MEASURES: readonly SystemMeasure[] = ['peak of the sum', 'at the end', 'sum of per-process peaks'];

/** One point of the second panel: the highest whole-system page-table memory seen while `processes` were alive. */
export interface ByProcessesPoint {
  variant: string;
  processes: number;
  kb: number;
}

/** The view is shown when a variant shares page tables, or when the trace has several processes to sum. */
export function showPgtablesPerSystem(replay: ReplayResult): boolean {
  const shared = replay.variants.some((v) => v.spec?.patches?.some((p) => (SHARED_TABLE_PATCHES as readonly string[]).includes(p)));
  return shared || replay.variants.some((v) => v.processes.length > 1);
}

/**
 * The replay's whole-system totals (model/rss.ts addPgtables sums pgtables_bytes over every mm, as
 * mm/memory.c: __pte_alloc -> mm_inc_nr_ptes charges the one mm that allocates, so a shared table is counted once).
 * Replay JSON written before those totals existed falls back to the summed series.
 */
export function systemBars(replay: ReplayResult): SystemBar[] {
  const figures = replay.variants.map((v) => {
    const bySeries = systemByProcesses(v);
    const peakFromSeries = bySeries.reduce((m, p) => Math.max(m, p.kb), 0);
    return {
      variant: v.name,
      values: {
        'peak of the sum': v.totals.system_pgtables_peak_kb ?? v.totals.pgtables_peak_kb ?? peakFromSeries,
        'at the end': v.totals.system_pgtables_final_kb ?? v.processes.reduce((s, p) => s + (p.exits > 0 ? 0 : p.pgtables_final_kb), 0),
        'sum of per-process peaks': v.processes.reduce((s, p) => s + p.pgtables_peak_kb, 0),
      } satisfies Record<SystemMeasure, number>,
    };
  });
  const base = figures[0];
  const out: SystemBar[] = [];
  for (const f of figures) {
    for (const m of MEASURES) {
      const kb = f.values[m];
      const delta = base ? kb - base.values[m] : 0;
      const rel = base && base.values[m] > 0 && f !== base ? ` (${delta > 0 ? '+' : delta < 0 ? '−' : '±'}${Math.abs(delta).toLocaleString('en-US')} KiB, ${delta > 0 ? '+' : delta < 0 ? '−' : '±'}${Math.abs((delta / base.values[m]) * 100).toFixed(1)}%)` : '';
      out.push({ variant: f.variant, measure: m, kb, delta_kb: delta, label: `${kb.toLocaleString('en-US')} KiB${rel}` });
    }
  }
  return out;
}

/**
 * Per number of live processes, the highest sum of their page tables (an exit drops a process out), from the
 * variant's per-process series: how the whole-system figure grows with the processes sharing (or not) the tables.
 */
export function systemByProcesses(v: VariantResult): { processes: number; kb: number }[] {
  const ev: { t: number; pid: number; kb: number | null }[] = [];
  for (const [pid, pts] of Object.entries(v.series)) for (const p of pts) ev.push({ t: p.t, pid: Number(pid), kb: p.pgtables_kb });
  for (const m of v.marks) if (m.kind === 'exit' && v.series[String(m.pid)]) ev.push({ t: m.t, pid: m.pid, kb: null });
  // at equal times, points before exits (as reports/aggregate.ts totalSeries)
  ev.sort((a, b) => a.t - b.t || (a.kb === null ? 1 : 0) - (b.kb === null ? 1 : 0));
  const cur = new Map<number, number>();
  const best = new Map<number, number>();
  let sum = 0;
  for (let i = 0; i < ev.length; i++) {
    const e = ev[i];
    sum -= cur.get(e.pid) ?? 0;
    if (e.kb === null) cur.delete(e.pid);
    else {
      cur.set(e.pid, e.kb);
      sum += e.kb;
    }
    // the state after every change at one instant
    if (i + 1 < ev.length && ev[i + 1].t === e.t) continue;
    const n = cur.size;
    if (n > 0 && sum > (best.get(n) ?? -1)) best.set(n, sum);
  }
  return [...best.entries()].sort((a, b) => a[0] - b[0]).map(([processes, kb]) => ({ processes, kb }));
}

export function pgtablesPerSystemSpec(input: ReportInput): ChartSpec {
  const { replay } = input;
  const title = {
    text: 'Page tables of the whole system',
    subtitle: 'pgtables_bytes summed over every process (a shared table counted once, in the mm that allocated it): the per-device figure',
  };
  if (!replay.variants.some((v) => v.processes.length > 0)) return placeholder(title, 'no process in this replay');
  const bars = systemBars(replay);
  const byN: ByProcessesPoint[] = replay.variants.flatMap((v) => systemByProcesses(v).map((p) => ({ variant: v.name, ...p })));
  const color = { field: 'variant', type: 'nominal', title: 'variant', scale: variantScale(replay) };
  const order = replay.variants.map((v) => v.name);
  const barView = {
    width: WIDTH - 260,
    data: { values: bars },
    facet: { row: { field: 'measure', type: 'nominal', title: null, sort: [...MEASURES], header: { labelAngle: 0, labelAlign: 'left', labelFontWeight: 'bold' } } },
    spec: {
      width: WIDTH - 260,
      height: { step: 18 },
      encoding: {
        y: { field: 'variant', type: 'nominal', title: null, sort: order },
        x: { field: 'kb', type: 'quantitative', title: 'page tables, whole system (KiB)' },
      },
      layer: [
        {
          mark: { type: 'bar' },
          encoding: { color, tooltip: [{ field: 'variant' }, { field: 'measure' }, { field: 'kb', title: 'KiB' }, { field: 'delta_kb', title: 'vs baseline, KiB' }] },
        },
        { mark: { type: 'text', align: 'left', dx: 4, fontSize: 11 }, encoding: { text: { field: 'label', type: 'nominal' } } },
      ],
    },
    resolve: { scale: { x: 'shared' } },
  };
  const lineView = {
    width: WIDTH,
    height: 180,
    title: { text: 'Against the processes alive', subtitle: 'highest whole-system page tables while N processes were alive (from the thinned per-process series)', fontSize: 12 },
    data: { values: byN },
    mark: { type: 'line', point: true, interpolate: 'linear' },
    encoding: {
      x: { field: 'processes', type: 'quantitative', title: 'processes alive', axis: { tickMinStep: 1 } },
      y: { field: 'kb', type: 'quantitative', title: 'page tables, whole system (KiB)' },
      color,
      tooltip: [{ field: 'variant' }, { field: 'processes' }, { field: 'kb', title: 'KiB' }],
    },
  };
  return {
    $schema: SCHEMA,
    title,
    vconcat: byN.length > 0 ? [barView, lineView] : [barView],
  } as unknown as ChartSpec;
}
