// Faults by path per variant, stacked: where a patch moves faults from one kernel path to another.
import type { ReportInput } from './types.js';
import { SCHEMA, WIDTH, placeholder, type ChartSpec } from './common.js';

export function faultsByPathSpec(input: ReportInput): ChartSpec {
  const rows: { variant: string; path: string; count: number }[] = [];
  for (const v of input.replay.variants) {
    for (const [path, count] of Object.entries(v.totals.faults)) if (count > 0) rows.push({ variant: v.name, path, count });
  }
  if (rows.length === 0) return placeholder('Faults by path', 'no faults in this replay');
  return {
    $schema: SCHEMA,
    title: { text: 'Faults by path', subtitle: 'modelled handler per fault (mm/memory.c, mm/huge_memory.c)' },
    width: WIDTH,
    height: { step: 36 },
    data: { values: rows },
    mark: 'bar',
    encoding: {
      y: { field: 'variant', type: 'nominal', title: 'variant', sort: input.replay.variants.map((v) => v.name) },
      x: { field: 'count', type: 'quantitative', stack: 'zero', title: 'faults' },
      color: { field: 'path', type: 'nominal', title: 'path' },
      order: { field: 'path' },
      tooltip: [{ field: 'variant' }, { field: 'path' }, { field: 'count' }],
    },
  } as ChartSpec;
}
