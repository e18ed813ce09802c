// `faultline validate TRACE`: compare the model's rss counters with every kmem:rss_stat event of the trace.
import { parsePageSize } from '../../model/page_geometry.js';
import type { Command } from 'commander';
import { readTrace } from '../../traces/read.js';
import { defaultVariant } from '../../model/replay.js';
import { parseMthp } from '../../model/thpsize.js';
import { kernelRules } from '../../model/kernel_version.js';
import { describeMachine, thpOverrideContradictions } from '../../model/machine.js';
import { action, warnSkippedLines } from '../errors.js';
import { userError } from '../../traces/errors.js';
import { THP_POLICIES, type ThpPolicy } from '../../model/types.js';
import { declareCommand } from '../command_list.js';
import { machinePageSizeFromTrace } from '../machine_page_size.js';
import { addOptions, traceFormat } from '../options.js';
import { resolveProfile } from '../variants.js';
import { FAULT_TO_RSS_STAT } from '../../analyze/latency/measured.js';
import { latencyOff, MIN_WARN_FAULTS, OFF_FACTOR, pathOff, type LatencyCheck } from '../../analyze/latency/join.js';
import { createLatencyValidator, type LatencyValidateResult } from '../../analyze/latency/validate.js';

export const MIN_MATCH = 0.999;

interface ValidateCliOptions {
  json?: boolean;
  format?: string;
  kernel: string;
  machineNoZeroPage?: boolean;
  machinePageSize?: string;
  thp?: string;
  mthp?: string;
  allowLost?: boolean;
  profile?: string;
  blind?: boolean;
}

export function formatValidateText(r: LatencyValidateResult): string {
  const pct = (m: number, c: number): string => (c ? ((100 * m) / c).toFixed(3) + '%' : '-');
  // what the comparison assumed, and counters it could not compare: said before any figure
  const notes = [...(r.assumed ?? []).map((a) => `  assumed: ${a}`), ...Object.entries(r.unmodelled_members ?? {}).map(([m, n]) => `  ${m}: ${n} rss_stat events of a counter the model does not have (not compared)`)];
  if (r.nothing_to_model !== undefined) return [`${r.trace} (${r.format}): ${r.rss_stat_events} rss_stat events; nothing to model: ${r.nothing_to_model}`, ...notes].join('\n') + '\n';
  const out = [
    `${r.trace} (${r.format}${r.blind ? ', blind: no hints read from the trace' : ''}): ${r.rss_stat_events} rss_stat events, ${r.compared} compared, ${r.matched} matched (${pct(r.matched, r.compared)}${r.resched_splits ? `, ${r.resched_splits} of them need_resched splits of a zap/copy piece` : ''}); ` +
      `${r.baseline} set baselines of mms that predate the trace, ${r.guessed_vma_pieces} inside runs of inferred VMAs (not compared), ` +
      `${r.unmapped} unmapped, ${r.lost_events} lost`,
  ];
  for (const [k, v] of Object.entries(r.by_member)) {
    if (!v.compared) continue;
    const div = v.divergences ? `  ${v.divergences} divergence${v.divergences === 1 ? '' : 's'}` : '';
    // a hinted event is one the replay read as a fault's hint: a match there was told, not predicted
    const told = v.hinted ? `  (${v.hinted} hinted, ${v.hinted_matched} of them matched; predicted ${pct(v.matched - v.hinted_matched, v.compared - v.hinted)})` : '';
    out.push(`  ${k.padEnd(14)} ${String(v.matched).padStart(8)} / ${String(v.compared).padEnd(8)} ${pct(v.matched, v.compared)}${div}${told}`);
  }
  const th = r.rss_stat_throttled;
  if (th)
    out.push(
      `  rss_stat_throttled: ${th.in_bucket} of ${th.compared} (${pct(th.in_bucket, th.compared)}) agree within the reported ${th.bucket_bytes / 1024} KiB bucket ` +
        `(size / 0x${th.bucket_bytes.toString(16)}: Android's atrace records rss_stat through a histogram trigger, so the kernel's value is known to that resolution)`,
    );
  const rc = r.untraced_reclaim;
  // said loudly: these events were not compared (a model bug that only lowers counters with nothing in flight hides here)
  if (rc)
    out.push(
      `untraced reclaim: ${rc.events} rss_stat events not compared (${Object.entries(rc.by_member).map(([k, n]) => `${k} ${n}`).join(', ')}): ${rc.reason}` +
        (rc.thp_splits ? `; ${rc.thp_splits} THPs split in the model where the decreases were the THP shrinker's remaps (one burst of -1 per folio)` : ''),
    );
  const ma = r.model_ahead;
  // said loudly: these events counted as matches while the model's counter was an update off
  if (ma)
    out.push(
      `warning: model ahead: ${ma.runs} run${ma.runs === 1 ? '' : 's'} of matches (${ma.events} events) with the model an update ahead, first at line ${ma.first.line} ` +
        `(mm_id ${ma.first.mm_id} ${ma.first.member}, ${ma.first.events} events): ${ma.reason}`,
    );
  for (const m of r.missing_events) out.push(`no ${m.event} in the trace: ${m.cost}`);
  out.push(describeMachine(r.machine));
  const thpBad = thpOverrideContradictions(r.machine);
  // a wrong override is a reason for mismatches, said as such rather than left as a lower figure
  if (thpBad) out.push(`warning: --thp ${r.machine.thpGiven} contradicts ${thpBad} fault${thpBad === 1 ? '' : 's'} of the trace (see the THP line): mismatches on MM_ANONPAGES may be the override's; drop --thp to replay the policy the trace shows`);
  const a = r.assumptions;
  const said: string[] = [];
  if (a.untraced_exit) said.push(`${a.untraced_exit} mapping calls without a traced sys_exit applied when their thread's next event showed they returned (assumed successful)`);
  if (a.untraced_exit_skipped) said.push(`${a.untraced_exit_skipped} without a traced sys_exit left out (mmap/mremap address unknown: VMAs inferred from faults)`);
  if (a.applied_call_failed) said.push(`${a.applied_call_failed} calls applied at their first zap piece whose sys_exit then reported a failure`);
  if (a.mm_id_reused) said.push(`${a.mm_id_reused} mm_ids that came back for a new mm`);
  if (a.kernel_fault_untraced) said.push(`${a.kernel_fault_untraced} kernel-mode faults the trace does not record (no page_fault_kernel): the kernel's value taken`);
  if (a.page_left_unseen) said.push(`${a.page_left_unseen} pages a traced fault had mapped that the kernel faulted in again as new (no X86_PF_PROT, its rss_stat rose): left by a munmap, madvise or mremap the trace does not show; still counted, place unknown`);
  if (a.thread_adopted) said.push(`${a.thread_adopted} tasks found to be threads of an mm by its rss_stat (curr=1)`);
  if (said.length) out.push(`assumed where the trace does not say: ${said.join('; ')}`);
  if (r.by_mm.length) out.push(`mms with mismatches (${r.divergences} divergence${r.divergences === 1 ? '' : 's'}: runs of mismatches, each resynchronised at its first event):`);
  for (const m of r.by_mm.slice(0, 5)) out.push(`  mm_id ${m.mm_id} (pid ${m.pid}) ${m.member}: ${m.matched} / ${m.compared} matched, ${m.divergences} divergence${m.divergences === 1 ? '' : 's'}`);
  if (r.first_mismatches.length) out.push('first mismatches (kernel vs model, pages):');
  for (const m of r.first_mismatches.slice(0, 10)) {
    out.push(`  line ${m.line} tid ${m.tid} mm_id ${m.mm_id} ${m.member}: kernel ${m.kernel_pages} model ${m.model_pages}`);
    for (const a of m.around) out.push(`      line ${a.line} ${a.name} (tid ${a.tid})`);
  }
  out.push(...notes);
  if (r.latency) out.push(...formatLatencyCheck(r.latency));
  return out.join('\n') + '\n';
}

const MEASUREMENT: Record<string, string> = {
  [FAULT_TO_RSS_STAT]: 'fault entry -> its rss_stat (the kernel part up to the counter update: no trap entry/exit)',
};
const us = (ns: number): string => (ns / 1000).toFixed(ns < 10_000 ? 2 : 1);

function formatLatencyCheck(l: LatencyCheck & { profile: string }): string[] {
  const out: string[] = [];
  const off: string[] = [];
  const marks = new Set<string>();
  const few: string[] = [];
  const measures = Object.entries(l.faults);
  if (measures.length || l.forks) out.push(`modelled (profile ${l.profile}) vs measured latency, µs:`);
  for (const [func, byPath] of measures) {
    out.push(`  ${MEASUREMENT[func] ?? `${func} durations`}`);
    out.push(`    ${'path'.padEnd(16)} ${'faults'.padStart(8)} ${'model p50'.padStart(10)} ${'model kernel p50'.padStart(17)} ${'measured p50'.padStart(13)} ${'p90'.padStart(8)} ${'p99'.padStart(8)} ${'meas/kernel'.padStart(11)}`);
    for (const [path, c] of Object.entries(byPath)) {
      if (pathOff(c)) off.push(path);
      else if (latencyOff(c.ratio_p50)) few.push(`${path} (${c.count} fault${c.count === 1 ? '' : 's'})`);
      const kernel = c.modelled_kernel ? `${us(c.modelled_kernel.p50_ns)}${c.trap_share === 'anon_alloc' ? '*' : ' '}` : '- ';
      if (c.trap_share !== 'own') marks.add(c.trap_share);
      out.push(
        `    ${path.padEnd(16)} ${String(c.count).padStart(8)} ${us(c.modelled.p50_ns).padStart(10)} ${kernel.padStart(17)} ${us(c.measured.p50_ns).padStart(13)} ${us(c.measured.p90_ns).padStart(8)} ${us(c.measured.p99_ns).padStart(8)} ${c.ratio_p50.toFixed(2).padStart(11)}`,
      );
    }
  }
  // measured spans leave the trap out, so the modelled cost is compared less its trap share (model/costs.ts trapShareNs)
  if (measures.length) out.push(`  model p50: the modelled, user-visible cost; model kernel: the same less the profile's trap share for the path, which the measured spans leave out; meas/kernel compares those two`);
  if (marks.has('anon_alloc')) out.push(`  * the path has no trap share of its own in the profile: anon_alloc's taken off`);
  if (marks.has('none')) out.push(`  - the profile names no trap share: meas/kernel compares with the full modelled cost`);
  if (few.length) out.push(`  more than ${OFF_FACTOR}x off but not judged, under ${MIN_WARN_FAULTS} faults: ${[...new Set(few)].join(', ')}`);
  const f = l.forks;
  if (f)
    out.push(
      `  fork (clone enter -> exit, ${f.count} fork${f.count === 1 ? '' : 's'}): modelled ${(f.modelled.total_ns / 1e6).toFixed(2)} ms, measured ${(f.measured.total_ns / 1e6).toFixed(2)} ms (measured/modelled ${f.ratio_total.toFixed(2)})` +
        (f.wait_total_ns
          ? f.wait_from === 'off_cpu'
            ? `; of the measured, ${(f.wait_total_ns / 1e6).toFixed(2)} ms switched out inside the clone (sched_switch: not modelled): measured less off-CPU/modelled ${f.ratio_less_wait.toFixed(2)}`
            : f.wait_from === 'same_cpu'
            ? `; of the measured, ${(f.wait_total_ns / 1e6).toFixed(2)} ms (at most ${(f.wait_max_total_ns / 1e6).toFixed(2)}) switched out inside the clone (no sched_switch: other tasks' events on its CPU in a silent span; not modelled): measured less off-CPU/modelled ${f.ratio_less_wait.toFixed(2)}`
            : `; of the measured, ${(f.wait_total_ns / 1e6).toFixed(2)} ms waited inside the copy (one span with no traced event, longer than the rest of its fork: not modelled; no sched_switch in the trace, so whether it was off-CPU cannot be known): measured less waits/modelled ${f.ratio_less_wait.toFixed(2)}`
          : ''),
    );
  const r = f?.return;
  // after the clone: the parent's return to user space (host resync in a shadow-paging guest: model/costs.ts FORK_RETURN_STEPS)
  if (r)
    out.push(
      `  after the clone (sys_exit_clone -> the parent's next user fault or syscall, which also holds any untraced user work, ${r.count} fork${r.count === 1 ? '' : 's'}): measured ${(r.measured_ns / 1e6).toFixed(2)} ms` +
        (r.off_cpu_ns === null
          ? ' (off-CPU part unknown: no sched_switch in the trace, no other task on its CPU)'
          : r.off_cpu_from === 'same_cpu'
          ? ` of which at least ${(r.off_cpu_ns / 1e6).toFixed(2)} ms switched out (no sched_switch: other tasks' events on its CPU)`
          : ` of which ${(r.off_cpu_ns / 1e6).toFixed(2)} ms switched out`) +
        (r.modelled_ns === null
          ? '; the profile prices no return'
          : `; modelled return ${(r.modelled_ns / 1e6).toFixed(2)} ms (fork_return_*: the return to user space, a shadow-paging host's resync of the write-protected tables), measured${r.off_cpu_ns === null ? '' : ' on-CPU'}/modelled ${r.ratio.toFixed(2)}`),
    );
  if (f && latencyOff(f.ratio_less_wait)) off.push('fork');
  // the page shows the same warning next to the same table (reports/latency_check.ts)
  if (off.length) out.push(`warning: modelled and measured differ by more than ${OFF_FACTOR}x for ${off.join(', ')}: the profile does not fit this machine or path`);
  return out;
}

export function registerValidate(program: Command): void {
  // validate replays mainline only, as the traced machine ran: its --thp is that machine's policy (replay's --base-thp),
  // its page size the machine's (--machine-page-size); a --page-size what-if has no kernel counters to compare with.
  addOptions(declareCommand(program, 'validate'), ['json', 'format', 'kernel', 'machineNoZeroPage', 'machinePageSize', 'allowLost', 'profile', 'lowMemory'], {
    json: 'print the result as JSON (model/validate.ts ValidateResult)',
    allowLost: 'do not fail on lost events',
  })
    .option('--thp <policy>', `override: the traced machine's THP policy (${THP_POLICIES.join(', ')}; default: detected from the faults' own rss_stat, +512 on a VMA without MADV_HUGEPAGE meaning always, and printed; a wrong override is counted)`)
    .option('--mthp <sizes>', "the traced machine's per-size THP settings, e.g. 64k=always,16k=inherit (default: learnt from the trace's rss_stat)")
    .option('--blind', 'replay without reading any hint from the trace (page-cache state, kinds of inferred VMAs, read vs write): every figure a prediction')
    .addHelpText(
      'after',
      `
Examples:
  faultline validate t.txt.gz
  faultline validate t.txt.gz --machine-no-zero-page --json
  faultline validate old.txt --kernel 6.1 --thp always   a 6.1 machine with THP=always (rss_stat on 128-page crossings)
  faultline validate t.txt.gz --json | jq '.by_member.MM_ANONPAGES'

Latency: where the trace times a fault or a fork, validate also prints modelled vs measured, per fault path:
function_graph durations of handle_mm_fault (or kprobe/kretprobe pairs), the span from each fault's
page_fault_user event to its own rss_stat (every trace with kmem:rss_stat has it), and each fork's
sys_enter_clone -> sys_exit_clone. The fault spans leave out the trap's entry and exit, so they are compared with
the modelled kernel part (the modelled cost less the profile's trap share for the path); a fork's one span with no
traced event inside its copy, longer than the rest of the fork, is named as a wait and left out of its ratio
(with sched:sched_switch recorded, the measured off-CPU time instead). After the clone, the parent's return to
its next user fault or syscall is shown against the profile's fork_return_* figures (a shadow-paging guest's host
resyncs the tables fork write-protected; off-CPU time in it is subtracted when sched_switch is recorded). Without
sched_switch, another task's events on the forking task's CPU inside the clone or the return prove it was switched
out: at least the span of those events is taken out, and the most it can be is printed.

A "model ahead" warning names runs of matches in a one-thread mm after each of which the model still held an update
the kernel had not shown (8 or more in a row): each agreed with the model's previous value while its counter was
one update off, the mark of a model update the kernel never made. The match figures keep them; read them with it.

Exit status: 0 when at least 99.9% of compared events match (and no events were lost, unless --allow-lost),
1 otherwise, 2 on bad usage or input, or when the trace has rss_stat but no page faults (nothing to model).`,
    )
    .action(
      action(async (trace: string, o: ValidateCliOptions) => {
        kernelRules(o.kernel);
        if (!(THP_POLICIES as readonly string[]).includes(o.thp ?? 'madvise')) throw userError(`--thp '${o.thp}': expected ${THP_POLICIES.join(', ')}`);
        const mthp = o.mthp !== undefined ? { mthp: parseMthp(o.mthp) } : {};
        await machinePageSizeFromTrace(trace, o);
        const machine = defaultVariant({ kernel: o.kernel, ...(o.thp !== undefined ? { thp: o.thp as ThpPolicy } : {}), ...mthp, useZeroPage: !o.machineNoZeroPage, ...(o.machinePageSize !== undefined ? { machinePageSize: parsePageSize(o.machinePageSize, '--machine-page-size') } : {}) });
        // the profile replay and report price with (fitted to this trace unless --profile): validate checks the figures
        // they print; the fitted steps match their own measurement by construction, the rest (trap-scaled, fork) do not
        const profile = await resolveProfile(o.profile, trace, machine, traceFormat(o.format));
        const v = createLatencyValidator(machine, profile, { blind: o.blind });
        const read = await readTrace(trace, v.sink, { format: traceFormat(o.format) });
        const r = v.finish(read);
        process.stdout.write(o.json ? JSON.stringify(r, null, 1) + '\n' : formatValidateText(r));
        warnSkippedLines(trace, read.skippedLines, read.skippedExamples[0]);
        if (r.nothing_to_model !== undefined) {
          process.stderr.write(`faultline: ${trace}: nothing to model: ${r.nothing_to_model}\n`);
          return 2;
        }
        if (r.rss_stat_events === 0) {
          process.stderr.write(`faultline: ${trace}: no kmem:rss_stat events to validate against (record with -e kmem:rss_stat)\n`);
          return 1;
        }
        if (r.lost_events > 0 && !o.allowLost) return 1;
        return r.match_ratio >= MIN_MATCH ? 0 : 1;
      }),
    );
}
