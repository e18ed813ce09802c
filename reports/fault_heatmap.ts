// Where faults land (DAMON-style): address x time per busiest process, one row per VMA split into address slices.
import type { ReportInput } from './types.js';
import { seconds } from './aggregate.js';
import { SCHEMA, WIDTH, kib, placeholder, type ChartSpec } from './common.js';

/** `rw-p`-style flags from vm_flags (include/linux/mm.h: VM_READ 1, VM_WRITE 2, VM_EXEC 4, VM_SHARED 8). */
export function vmaFlagString(flags: number): string {
  return (flags & 1 ? 'r' : '-') + (flags & 2 ? 'w' : '-') + (flags & 4 ? 'x' : '-') + (flags & 8 ? 's' : 'p');
}

export function vmaLabel(index: number, start: number, end: number, flags: number): string {
  return `${String(index).padStart(2, '0')} ${start.toString(16)}-${end.toString(16)} ${vmaFlagString(flags)} ${kib(end - start)}`;
}

export function faultHeatmapSpec(input: ReportInput): ChartSpec {
  const fb = input.faults;
  if (fb.cells.length === 0) return placeholder('Where faults land', 'no fault records were collected');
  const label = new Map<string, string>();
  for (const v of fb.vmas) label.set(`${v.pid}:${v.index}`, vmaLabel(v.index, v.start, v.end, v.flags));
  // One time axis for every process, so rows can be compared by eye.
  const tMax = fb.cells.reduce((m, c) => Math.max(m, (c.t + fb.timeBinNs) / 1e9), 0);
  const charts = fb.processes.map((p) => {
    const cells = fb.cells
      .filter((c) => c.pid === p.pid)
      .map((c) => ({ t: seconds(c.t), t2: seconds(c.t + fb.timeBinNs), vma: label.get(`${c.pid}:${c.vma}`) ?? String(c.vma), slice: c.slice, count: c.count }));
    const order = fb.vmas.filter((v) => v.pid === p.pid).sort((a, b) => a.index - b.index).map((v) => label.get(`${v.pid}:${v.index}`) ?? '');
    return {
      title: `pid ${p.pid} (${p.comm}): ${p.faults} faults`,
      width: WIDTH,
      height: { step: 22, for: 'position' },
      data: { values: cells },
      mark: { type: 'rect' },
      encoding: {
        x: { field: 't', type: 'quantitative', title: 'time since first fault (s)', scale: { domain: [0, tMax], nice: false } },
        x2: { field: 't2' },
        y: { field: 'vma', type: 'nominal', title: null, sort: order, axis: { labelLimit: 320, labelFont: 'monospace' } },
        yOffset: { field: 'slice', type: 'ordinal', scale: { domain: Array.from({ length: fb.slices }, (_, i) => i) } },
        color: { field: 'count', type: 'quantitative', title: 'faults', scale: { type: 'log', scheme: 'viridis' } },
        tooltip: [{ field: 'vma' }, { field: 'slice' }, { field: 't', format: '.3f' }, { field: 'count' }],
      },
    };
  });
  const bin = fb.timeBinNs >= 1e6 ? `${fb.timeBinNs / 1e6} ms` : `${fb.timeBinNs / 1e3} µs`;
  return {
    $schema: SCHEMA,
    title: { text: 'Where faults land', subtitle: `variant ${fb.heatVariant}; rows are VMAs (start-end flags size), each cut in ${fb.slices} address slices; address grows downward; ${bin} time bins; busiest ${fb.processes.length} processes` },
    vconcat: charts,
    resolve: { scale: { color: 'independent', y: 'independent' } },
  } as ChartSpec;
}
