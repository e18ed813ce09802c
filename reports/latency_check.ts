// Modelled vs measured latency, from validate's join: where the trace times faults (function_graph, kprobes, or each
// fault's span to its own rss_stat) and forks (clone enter -> exit), how the cost model compares. A table, not a chart:
// a handful of paths, and the numbers are the point.
import type { ReportInput } from './types.js';
import { escapeHtml } from './escape.js';

/** Each measurement's short label in the table and what it covers, for the note under it. */
const MEASUREMENTS: Record<string, [string, string]> = {
  fault_to_rss_stat: ['fault → its rss_stat', "A fault's span from its page_fault_user event to its own rss_stat is the kernel part up to the counter update, without the trap's entry and exit: a lower bound"],
  handle_mm_fault: ['handle_mm_fault', 'Its durations come from function_graph or kprobe/kretprobe pairs'],
};

const us = (ns: number): string => (ns / 1000).toFixed(ns < 10_000 ? 2 : 1);
const ms = (ns: number): string => (ns / 1e6).toFixed(2);

/** The latency section's HTML, or '' when validate did not run or the trace times nothing. */
export function latencyCheckHtml(input: ReportInput): string {
  const l = input.validate?.latency;
  if (!l) return '';
  const rows: string[] = [];
  const notes = new Set<string>();
  for (const [func, byPath] of Object.entries(l.faults)) {
    const [what, note] = MEASUREMENTS[func] ?? [`${func} duration`, ''];
    if (note) notes.add(note);
    for (const [path, c] of Object.entries(byPath)) {
      rows.push(
        `<tr data-measure="${escapeHtml(func)}" data-path="${escapeHtml(path)}" data-modelled-p50="${c.modelled.p50_ns}" data-measured-p50="${c.measured.p50_ns}">` +
          `<th>${escapeHtml(path)}</th><td class="what">${escapeHtml(what)}</td><td>${c.count}</td><td>${us(c.modelled.p50_ns)}</td>` +
          `<td>${us(c.measured.p50_ns)}</td><td>${us(c.measured.p90_ns)}</td><td>${us(c.measured.p99_ns)}</td></tr>`,
      );
    }
  }
  const f = l.forks;
  if (f)
    rows.push(
      `<tr data-measure="fork" data-path="fork" data-modelled-total="${f.modelled.total_ns}" data-measured-total="${f.measured.total_ns}">` +
        `<th>fork</th><td class="what">clone enter → exit (${f.count} fork${f.count === 1 ? '' : 's'}; Σ modelled ${ms(f.modelled.total_ns)} ms, Σ measured ${ms(f.measured.total_ns)} ms)</td>` +
        `<td>${f.count}</td><td>${us(f.modelled.p50_ns)}</td><td>${us(f.measured.p50_ns)}</td><td>${us(f.measured.p90_ns)}</td><td>${us(f.measured.p99_ns)}</td></tr>`,
    );
  if (rows.length === 0) return '';
  return `<h3>Modelled vs measured latency (profile ${escapeHtml(l.profile)}, mainline)</h3>
<table class="summary latency-check"><thead><tr><th>path</th><th>measured as</th><th>count</th><th>modelled p50 µs</th><th>measured p50 µs</th><th>measured p90 µs</th><th>measured p99 µs</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody></table>
<p class="sub">Modelled costs are user-visible (trap included). ${escapeHtml([...notes].join('; '))}${notes.size ? '.' : ''}</p>`;
}
