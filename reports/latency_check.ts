// Modelled vs measured latency, from validate's join: where the trace times faults (function_graph, kprobes, or each
// fault's span to its own rss_stat) and forks (clone enter -> exit), how the cost model compares. A table, not a chart:
// a handful of paths, and the numbers are the point.
import type { ReportInput } from './types.js';
import { escapeHtml } from './escape.js';
import { latencyOff, MIN_WARN_FAULTS, OFF_FACTOR } from '../analyze/latency/join.js';

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
  const off: string[] = [];
  // measured / modelled, flagged past OFF_FACTOR either way: the figure is shown, never without its question
  const ratioCell = (ratio: number, what: string, count = Infinity): string => {
    // a ratio over a few faults is shown, not judged (MIN_WARN_FAULTS)
    if (latencyOff(ratio) && count < MIN_WARN_FAULTS) notes.add(`a ratio over fewer than ${MIN_WARN_FAULTS} faults is shown but not judged`);
    const bad = latencyOff(ratio) && count >= MIN_WARN_FAULTS;
    if (bad) off.push(what);
    return `<td class="ratio${bad ? ' off' : ''}" data-ratio="${ratio}">${ratio ? ratio.toFixed(2) : '-'}${bad ? ' ⚠' : ''}</td>`;
  };
  for (const [func, byPath] of Object.entries(l.faults)) {
    const [what, note] = MEASUREMENTS[func] ?? [`${func} duration`, ''];
    if (note) notes.add(note);
    for (const [path, c] of Object.entries(byPath)) {
      // the measured spans leave the trap out: the ratio is against the modelled kernel part where the profile has one
      const k = c.modelled_kernel;
      if (c.trap_share === 'anon_alloc') notes.add("* the path has no trap share of its own in the profile: anon_alloc's is taken off");
      if (!k) notes.add('- the profile names no trap share: the ratio is against the full modelled cost');
      rows.push(
        `<tr data-measure="${escapeHtml(func)}" data-path="${escapeHtml(path)}" data-modelled-p50="${c.modelled.p50_ns}" data-modelled-kernel-p50="${k ? k.p50_ns : ''}" data-measured-p50="${c.measured.p50_ns}">` +
          `<th>${escapeHtml(path)}</th><td class="what">${escapeHtml(what)}</td><td>${c.count}</td><td>${us(c.modelled.p50_ns)}</td>` +
          `<td>${k ? `${us(k.p50_ns)}${c.trap_share === 'anon_alloc' ? '*' : ''}` : '-'}</td><td>${us(c.measured.p50_ns)}</td><td>${us(c.measured.p90_ns)}</td><td>${us(c.measured.p99_ns)}</td>${ratioCell(c.ratio_p50, `${path} (${what})`, c.count)}</tr>`,
      );
    }
  }
  const f = l.forks;
  if (f)
    rows.push(
      `<tr data-measure="fork" data-path="fork" data-modelled-total="${f.modelled.total_ns}" data-measured-total="${f.measured.total_ns}">` +
        `<th>fork</th><td class="what">clone enter → exit (${f.count} fork${f.count === 1 ? '' : 's'}; Σ modelled ${ms(f.modelled.total_ns)} ms, Σ measured ${ms(f.measured.total_ns)} ms${f.wait_total_ns ? `, of which ${ms(f.wait_total_ns)} ms ${f.wait_from === 'off_cpu' ? 'switched out (sched_switch)' : f.wait_from === 'same_cpu' ? `switched out (at most ${ms(f.wait_max_total_ns)} ms; no sched_switch: other tasks' events on its CPU in a silent span)` : 'waited inside the copy (one span with no traced event, longer than the rest of its fork; no sched_switch recorded, so its cause is unknown)'}: not modelled; the ratio leaves it out` : ''})</td>` +
        `<td>${f.count}</td><td>${us(f.modelled.p50_ns)}</td><td>${us(f.modelled.p50_ns)}</td><td>${us(f.measured.p50_ns)}</td><td>${us(f.measured.p90_ns)}</td><td>${us(f.measured.p99_ns)}</td>${ratioCell(f.ratio_less_wait, 'fork (Σ)')}</tr>`,
    );
  // after the clone: a bound that also holds untraced user work, so shown with its ratio but never flagged
  const r = f?.return;
  if (r)
    rows.push(
      `<tr data-measure="fork_return" data-path="fork return" data-modelled-total="${r.modelled_ns ?? ''}" data-measured-total="${r.measured_ns}" data-off-cpu="${r.off_cpu_ns ?? ''}">` +
        `<th>fork return</th><td class="what">sys_exit_clone → the parent's next user fault or syscall (${r.count} fork${r.count === 1 ? '' : 's'}; Σ measured ${ms(r.measured_ns)} ms, ${r.off_cpu_ns === null ? 'off-CPU part unknown: no sched_switch recorded' : r.off_cpu_from === 'same_cpu' ? `of which at least ${ms(r.off_cpu_ns)} ms switched out (other tasks' events on its CPU)` : `of which ${ms(r.off_cpu_ns)} ms switched out`}; Σ modelled ${r.modelled_ns === null ? '- (the profile prices no return)' : `${ms(r.modelled_ns)} ms: host resync of the tables fork write-protected`}; also holds any untraced user work)</td>` +
        `<td>${r.count}</td><td>-</td><td>-</td><td>-</td><td>-</td><td>-</td><td class="ratio" data-ratio="${r.ratio}">${r.ratio ? r.ratio.toFixed(2) : '-'}</td></tr>`,
    );
  if (rows.length === 0) return '';
  return `<h3>Modelled vs measured latency (profile ${escapeHtml(l.profile)}, mainline)</h3>
<table class="summary latency-check"><thead><tr><th>path</th><th>measured as</th><th>count</th><th>modelled p50 µs</th><th>modelled kernel part p50 µs</th><th>measured p50 µs</th><th>measured p90 µs</th><th>measured p99 µs</th><th>measured / modelled kernel part</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody></table>
${off.length ? `<p class="latency-off caveats" id="latency-off">⚠ modelled and measured differ by more than ${OFF_FACTOR}x for ${escapeHtml(off.join(', '))}: the profile does not fit this machine or this path (or the measurement is not the fault's own), so the modelled times above are in question.</p>\n` : ''}<p class="sub">Modelled costs are user-visible (trap included); the kernel part is the same less the profile's trap share for the path, which the measured spans leave out (a fork has no trap: both columns are its whole cost). ${escapeHtml([...notes].join('; '))}${notes.size ? '.' : ''}</p>`;
}
