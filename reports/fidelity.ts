// How far to trust the page: rss_stat agreement between the replay and the kernel, and events the trace lost.
import type { ReportInput } from './types.js';
import { SCHEMA, WIDTH, placeholder, type ChartSpec } from './common.js';

export function fidelitySpec(input: ReportInput): ChartSpec {
  const { validate, replay } = input;
  const rows: { check: string; ratio: number; detail: string }[] = [];
  if (validate) {
    rows.push({ check: 'rss_stat, all members', ratio: validate.match_ratio, detail: `${validate.matched} of ${validate.compared}` });
    for (const [m, s] of Object.entries(validate.by_member)) {
      if (s.compared === 0) continue; // members the trace never updated (swap, shmem) say nothing
      const ratio = s.match_ratio ?? (s.compared > 0 ? s.matched / s.compared : 0);
      rows.push({ check: m, ratio, detail: `${s.matched} of ${s.compared}` });
    }
  }
  const lost = replay.lost_events;
  const subtitle = `lost events: ${lost < 0 ? 'some (count unknown)' : lost}; skipped lines: ${replay.skipped_lines}` + (validate ? '' : '; validate was not run');
  if (rows.length === 0) return placeholder({ text: 'Fidelity', subtitle }, 'no rss_stat comparison: the trace has no kmem:rss_stat events, or validate was not run');
  return {
    $schema: SCHEMA,
    title: { text: 'Fidelity: replayed rss_stat vs the kernel', subtitle },
    width: WIDTH,
    height: { step: 26 },
    data: { values: rows },
    layer: [
      {
        mark: 'bar',
        encoding: {
          y: { field: 'check', type: 'nominal', title: null, sort: null },
          x: { field: 'ratio', type: 'quantitative', title: 'match ratio', scale: { domain: [0, 1] }, axis: { format: '%' } },
          color: { condition: { test: 'datum.ratio >= 0.99', value: '#2ca02c' }, value: '#d62728' },
          tooltip: [{ field: 'check' }, { field: 'ratio', format: '.4f' }, { field: 'detail' }],
        },
      },
      {
        mark: { type: 'text', align: 'left', dx: 4 },
        encoding: {
          y: { field: 'check', type: 'nominal', sort: null },
          x: { field: 'ratio', type: 'quantitative' },
          text: { field: 'detail' },
        },
      },
    ],
  } as ChartSpec;
}

/** The one-line verdict above the charts (numbers only, nothing from the trace). */
export function fidelityHtml(input: ReportInput): string {
  const { validate, replay } = input;
  const lost = replay.lost_events;
  const parts: string[] = [];
  if (validate && validate.rss_stat_events === 0) parts.push('no kmem:rss_stat events in the trace: RSS could not be checked against the kernel');
  else if (validate) {
    const skipped = (validate.baseline ?? 0) + (validate.unmapped ?? 0);
    const why = skipped > 0 ? `; ${skipped} not comparable: ${validate.baseline ?? 0} baseline, ${validate.unmapped ?? 0} unknown mm` : '';
    parts.push(`rss_stat match ratio <b id="fidelity-ratio" data-value="${validate.match_ratio}">${(validate.match_ratio * 100).toFixed(2)}%</b> (${validate.matched} of ${validate.compared} compared of <span id="fidelity-rss-events" data-value="${validate.rss_stat_events}">${validate.rss_stat_events}</span> rss_stat events${why})`);
  } else parts.push('rss_stat not compared (validate not run)');
  parts.push(`lost events <b id="fidelity-lost" data-value="${lost}">${lost < 0 ? 'some (count unknown)' : lost}</b>`);
  parts.push(`skipped lines <b id="fidelity-skipped" data-value="${replay.skipped_lines}">${replay.skipped_lines}</b>`);
  // Faults whose read/write the model had to guess (no error code in the trace: perf page-faults samples, arm64).
  const inferred = replay.variants[0]?.inferred_faults ?? 0;
  if (inferred > 0) parts.push(`faults with inferred read/write <b id="fidelity-inferred" data-value="${inferred}">${inferred}</b>`);
  const warn = lost !== 0 || inferred > 0 || (validate !== null && (validate.compared === 0 || validate.match_ratio < 0.99));
  return `<p class="fidelity${warn ? ' warn' : ''}">${parts.join(' · ')}</p>`;
}
