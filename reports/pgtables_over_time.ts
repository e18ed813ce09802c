// Page-table memory over time per variant, total and per process: the headline chart for COW PTE tables.
import type { ReportInput } from './types.js';
import { SCHEMA, WIDTH, placeholder, variantScale, mainlineEmphasis, type ChartSpec } from './common.js';
import { seconds, thinMax, timeOrigin, topProcesses, totalSeries } from './aggregate.js';

const TOP = 6;
const POINTS = 300;
/** More variants than this get one small panel each instead of one crowded chart. */
const SMALL_MULTIPLES = 3;

export function pgtablesOverTimeSpec(input: ReportInput): ChartSpec {
  const { replay } = input;
  const t0 = timeOrigin(replay);
  const total: { variant: string; t: number; kb: number }[] = [];
  for (const v of replay.variants) for (const p of totalSeries(v, t0, POINTS)) total.push({ variant: v.name, t: p.t, kb: p.pgtables_kb });
  if (total.length === 0) return placeholder('Page-table memory over time', 'no page-table series in this replay');
  const per: { variant: string; proc: string; t: number; kb: number }[] = [];
  for (const { pid, comm } of topProcesses(replay, 'pgtables_peak_kb', TOP)) {
    const proc = `${pid} ${comm}`;
    for (const v of replay.variants) {
      const pts = v.series[String(pid)] ?? [];
      const thin = thinMax(pts.map((p) => ({ t: seconds(p.t - t0), kb: p.pgtables_kb })), POINTS / 2);
      for (const p of thin) per.push({ variant: v.name, proc, t: p.t, kb: p.kb });
    }
  }
  const color = { field: 'variant', type: 'nominal', title: 'variant', scale: variantScale(replay) };
  const emphasis = mainlineEmphasis(replay);
  const totalEncoding = {
    x: { field: 't', type: 'quantitative', title: 'time (s)' },
    y: { field: 'kb', type: 'quantitative', title: 'page tables, all processes (KiB)' },
    color,
    ...emphasis,
    tooltip: [{ field: 'variant' }, { field: 't', format: '.3f' }, { field: 'kb', title: 'KiB' }],
  };
  // Past SMALL_MULTIPLES variants the lines sit on top of each other: one panel per patch, each over the baseline.
  const base = replay.variants[0]!.name;
  const totalView =
    replay.variants.length > SMALL_MULTIPLES
      ? {
          data: { values: replay.variants.slice(1).flatMap((v) => total.filter((p) => p.variant === base || p.variant === v.name).map((p) => ({ ...p, panel: v.name }))) },
          facet: { field: 'panel', type: 'nominal', title: `each variant over ${base}`, sort: replay.variants.slice(1).map((v) => v.name) },
          columns: 2,
          spec: { width: WIDTH / 2 - 40, height: 140, mark: { type: 'line', interpolate: 'step-after' }, encoding: totalEncoding },
        }
      : { width: WIDTH, height: 220, data: { values: total }, mark: { type: 'line', interpolate: 'step-after' }, encoding: totalEncoding };
  return {
    $schema: SCHEMA,
    title: { text: 'Page-table memory over time', subtitle: 'pgtables_bytes (mm_pgtables_bytes), total of all processes, then the busiest processes' },
    vconcat: [
      totalView,
      {
        data: { values: per },
        facet: { field: 'proc', type: 'nominal', title: 'process (pid comm)', sort: { op: 'max', field: 'kb', order: 'descending' } },
        columns: 2,
        spec: {
          width: WIDTH / 2 - 40,
          height: 110,
          mark: { type: 'line', interpolate: 'step-after' },
          encoding: {
            x: { field: 't', type: 'quantitative', title: 'time (s)' },
            y: { field: 'kb', type: 'quantitative', title: 'KiB' },
            color,
            ...emphasis,
          },
        },
        resolve: { scale: { y: 'independent' } },
      },
    ],
  } as unknown as ChartSpec;
}
