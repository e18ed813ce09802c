// Modelled fault latency per path and variant: ECDF over log2 bins, with the replay's exact p50 and p99 as rules.
import type { ReportInput } from './types.js';
import { SCHEMA, WIDTH, placeholder, variantScale, mainlineEmphasis, type ChartSpec } from './common.js';
import { LATENCY_SUBBINS, latencyBinTop } from './aggregate.js';
import { binOfQuantile } from '../model/quantiles.js';

interface Row {
  path: string;
  variant: string;
  ns: number;
  frac?: number;
  stat: 'ecdf' | 'p50' | 'p99';
  /** Percentiles: 'replay' (exact) or 'binned' (upper bound of the histogram bin, when the replay has none for the path). */
  source?: 'replay' | 'binned';
}

export function latencyRows(input: ReportInput): Row[] {
  const rows: Row[] = [];
  const byKey = new Map<string, { bin: number; count: number }[]>();
  for (const l of input.faults.latency) {
    const k = `${l.variant}\u0000${l.path}`;
    let a = byKey.get(k);
    if (!a) byKey.set(k, (a = []));
    a.push({ bin: l.bin, count: l.count });
  }
  const exact = new Set<string>();
  for (const v of input.replay.variants) {
    for (const [path, s] of Object.entries(v.latency_ns)) {
      if (path === 'fork' || s.count === 0) continue;
      exact.add(`${v.name}\u0000${path}`);
      rows.push({ path, variant: v.name, ns: Math.max(1, s.p50_ns), stat: 'p50', source: 'replay' });
      rows.push({ path, variant: v.name, ns: Math.max(1, s.p99_ns), stat: 'p99', source: 'replay' });
    }
  }
  for (const [k, bins] of byKey) {
    const [variant, path] = k.split('\u0000');
    bins.sort((a, b) => a.bin - b.bin);
    const n = bins.reduce((s, b) => s + b.count, 0);
    let cum = 0;
    rows.push({ path, variant, ns: 2 ** (bins[0].bin / LATENCY_SUBBINS), frac: 0, stat: 'ecdf' });
    for (const b of bins) {
      cum += b.count;
      // The ECDF reaches cum/n at the top of the bin: every latency in the bin is below it.
      rows.push({ path, variant, ns: latencyBinTop(b.bin), frac: cum / n, stat: 'ecdf' });
    }
    if (exact.has(k)) continue;
    // No exact percentiles for this path: the upper bound of the bin where the ECDF crosses 0.5 and 0.99.
    for (const [stat, q] of [['p50', 0.5], ['p99', 0.99]] as const) {
      const hit = binOfQuantile(bins, q)!;
      rows.push({ path, variant, ns: latencyBinTop(hit.bin), stat, source: 'binned' });
    }
  }
  return rows;
}

export function latencyDistributionSpec(input: ReportInput): ChartSpec {
  const rows = latencyRows(input);
  if (rows.length === 0) return placeholder('Fault latency distribution', 'no fault records were collected');
  if (!rows.some((r) => r.stat === 'ecdf')) return percentilesOnly(input, rows);
  const color = { field: 'variant', type: 'nominal', title: 'variant', scale: variantScale(input.replay) };
  const x = { field: 'ns', type: 'quantitative', title: 'modelled latency (ns, log; 0 ns shown at 1)', scale: { type: 'log' }, axis: { format: '~s', labelOverlap: true } };
  return {
    $schema: SCHEMA,
    title: { text: 'Modelled fault latency', subtitle: 'ECDF per path (bins 9% wide, 0 ns counted in the first); dashed rule p50, dotted rule p99 (exact from the replay; bin upper bound where the replay has none)' },
    data: { values: rows },
    facet: { row: { field: 'path', type: 'nominal', title: 'path' } },
    spec: {
      width: WIDTH,
      height: 90,
      layer: [
        {
          transform: [{ filter: "datum.stat === 'ecdf'" }],
          mark: { type: 'line', interpolate: 'step-after' },
          encoding: { x, y: { field: 'frac', type: 'quantitative', title: 'fraction ≤ x', scale: { domain: [0, 1] } }, color, ...mainlineEmphasis(input.replay) },
        },
        {
          transform: [{ filter: "datum.stat !== 'ecdf'" }],
          mark: { type: 'rule', strokeWidth: 1.5 },
          encoding: {
            x,
            color,
            strokeDash: { field: 'stat', type: 'nominal', title: 'percentile', scale: { domain: ['p50', 'p99'], range: [[6, 3], [2, 2]] } },
            tooltip: [{ field: 'variant' }, { field: 'path' }, { field: 'stat' }, { field: 'ns', title: 'ns' }, { field: 'source' }],
          },
        },
      ],
    },
    resolve: { scale: { x: 'independent' } },
  } as unknown as ChartSpec;
}

/** Without fault records (a page made from replay JSON): the replay's exact p50 and p99 per path, as points. */
function percentilesOnly(input: ReportInput, rows: Row[]): ChartSpec {
  return {
    $schema: SCHEMA,
    title: { text: 'Modelled fault latency', subtitle: 'p50 (circle) and p99 (square) per path, from the replay; no per-fault records, so no distribution' },
    width: WIDTH,
    height: { step: 22 },
    data: { values: rows },
    mark: { type: 'point', filled: true, size: 60 },
    encoding: {
      y: { field: 'path', type: 'nominal', title: 'path' },
      yOffset: { field: 'variant', type: 'nominal', sort: input.replay.variants.map((v) => v.name) },
      x: { field: 'ns', type: 'quantitative', title: 'modelled latency (ns, log)', scale: { type: 'log' }, axis: { format: '~s' } },
      color: { field: 'variant', type: 'nominal', title: 'variant', scale: variantScale(input.replay) },
      shape: { field: 'stat', type: 'nominal', title: 'percentile', scale: { domain: ['p50', 'p99'], range: ['circle', 'square'] } },
      tooltip: [{ field: 'variant' }, { field: 'path' }, { field: 'stat' }, { field: 'ns', title: 'ns' }],
    },
  } as unknown as ChartSpec;
}
