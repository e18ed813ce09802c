// Per fork: page tables copied vs shared, PTEs copied, and modelled fork latency, per variant (dup_mmap's work).
import type { ReportInput } from './types.js';
import { SCHEMA, WIDTH, placeholder, variantScale, type ChartSpec } from './common.js';

export function forkCostsSpec(input: ReportInput): ChartSpec {
  const { records, total } = input.forks;
  if (records.length === 0) {
    const forks = input.replay.variants.reduce((n, v) => n + v.totals.forks, 0);
    return placeholder('Fork costs', forks > 0 ? `${forks} forks replayed, but no per-fork records were collected (page built from replay JSON?)` : 'no forks in this trace');
  }
  const ordinal = new Map<string, number>();
  const tables: { variant: string; fork: number; what: string; n: number; label: string }[] = [];
  const per: { variant: string; fork: number; ptes: number; latency_ns: number; label: string }[] = [];
  for (const r of records) {
    const i = (ordinal.get(r.variant) ?? 0) + 1;
    ordinal.set(r.variant, i);
    const label = `${r.pid} ${r.comm} -> ${r.childPid}`;
    tables.push({ variant: r.variant, fork: i, what: 'PTE tables copied', n: r.tablesCopied, label });
    tables.push({ variant: r.variant, fork: i, what: 'PTE tables shared', n: r.tablesShared, label });
    per.push({ variant: r.variant, fork: i, ptes: r.ptesCopied, latency_ns: r.latencyNs, label });
  }
  const shown = Object.entries(total).map(([v, n]) => `${v}: ${ordinal.get(v) ?? 0} of ${n}`).join(', ');
  const color = { field: 'variant', type: 'nominal', title: 'variant', scale: variantScale(input.replay) };
  const x = { field: 'fork', type: 'quantitative', title: 'fork # (trace order)', axis: { tickMinStep: 1, format: 'd' } };
  const tip = [{ field: 'variant' }, { field: 'fork' }, { field: 'label', title: 'parent -> child' }];
  return {
    $schema: SCHEMA,
    title: { text: 'Fork costs', subtitle: `mm/memory.c: copy_page_range per fork; forks shown ${shown}` },
    vconcat: [
      {
        data: { values: tables },
        facet: { row: { field: 'variant', type: 'nominal', title: 'variant', sort: input.replay.variants.map((v) => v.name) } },
        spec: {
          width: WIDTH,
          height: 80,
          mark: 'bar',
          encoding: {
            x,
            y: { field: 'n', type: 'quantitative', stack: 'zero', title: 'PTE tables' },
            color: { field: 'what', type: 'nominal', title: 'tables', scale: { domain: ['PTE tables copied', 'PTE tables shared'], range: ['#d62728', '#2ca02c'] } },
            tooltip: [...tip, { field: 'what' }, { field: 'n' }],
          },
        },
      },
      {
        width: WIDTH,
        height: 120,
        data: { values: per },
        mark: { type: 'point', filled: true },
        encoding: { x, y: { field: 'ptes', type: 'quantitative', title: 'PTEs copied' }, color, tooltip: [...tip, { field: 'ptes' }] },
      },
      {
        width: WIDTH,
        height: 120,
        data: { values: per },
        mark: { type: 'point', filled: true },
        encoding: { x, y: { field: 'latency_ns', type: 'quantitative', title: 'modelled fork latency (ns)' }, color, tooltip: [...tip, { field: 'latency_ns' }] },
      },
    ],
    resolve: { scale: { color: 'independent' } },
  } as ChartSpec;
}
