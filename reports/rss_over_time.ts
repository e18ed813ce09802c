// RSS over time (anon, file) per variant, with process forks, execs and exits as rule marks.
import type { ReportInput } from './types.js';
import { SCHEMA, WIDTH, placeholder, type ChartSpec } from './common.js';
import { evenSample, seconds, timeOrigin, totalSeries } from './aggregate.js';

const POINTS = 300;
const MAX_MARKS = 150;

export function rssOverTimeSpec(input: ReportInput): ChartSpec {
  const { replay } = input;
  const t0 = timeOrigin(replay);
  const rows: { variant: string; t: number; series: string; kb?: number; label?: string; mark: boolean }[] = [];
  for (const v of replay.variants) {
    for (const p of totalSeries(v, t0, POINTS)) {
      rows.push({ variant: v.name, t: p.t, series: 'anon', kb: p.rss_anon_kb, mark: false });
      rows.push({ variant: v.name, t: p.t, series: 'file', kb: p.rss_file_kb, mark: false });
    }
    // Lifecycle marks: evenly sampled when there are many, so a fork storm does not bury the lines.
    for (const m of evenSample(v.marks, MAX_MARKS)) {
      rows.push({ variant: v.name, t: seconds(m.t - t0), series: m.kind, label: `${m.kind} ${m.pid} ${m.comm}`, mark: true });
    }
  }
  if (!rows.some((r) => !r.mark)) return placeholder('RSS over time', 'no RSS series in this replay');
  return {
    $schema: SCHEMA,
    title: { text: 'RSS over time', subtitle: 'MM_ANONPAGES and MM_FILEPAGES summed over processes; rules mark fork, exec and exit' },
    data: { values: rows },
    facet: { row: { field: 'variant', type: 'nominal', title: 'variant', sort: replay.variants.map((v) => v.name) } },
    spec: {
      width: WIDTH,
      height: 160,
      layer: [
        {
          transform: [{ filter: 'datum.mark' }],
          mark: { type: 'rule', opacity: 0.35 },
          encoding: {
            x: { field: 't', type: 'quantitative', title: 'time (s)' },
            color: { field: 'series', type: 'nominal', title: 'series' },
            tooltip: [{ field: 'label', title: 'event' }, { field: 't', format: '.3f' }],
          },
        },
        {
          transform: [{ filter: '!datum.mark' }],
          mark: { type: 'line', interpolate: 'step-after' },
          encoding: {
            x: { field: 't', type: 'quantitative', title: 'time (s)' },
            y: { field: 'kb', type: 'quantitative', title: 'RSS (KiB)' },
            color: {
              field: 'series',
              type: 'nominal',
              title: 'series',
              scale: { domain: ['anon', 'file', 'fork', 'exec', 'exit'], range: ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#d62728'] },
            },
            tooltip: [{ field: 'series' }, { field: 't', format: '.3f' }, { field: 'kb', title: 'KiB' }],
          },
        },
      ],
    },
  } as ChartSpec;
}
