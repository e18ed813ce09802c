// `faultline replay TRACE`: replay a recorded trace through the mainline model (and any what-if variants).
import { formatMthp } from '../../model/thpsize.js';
import type { Command } from 'commander';
import { replayVariants } from '../../model/replay_threads.js';
import type { ReplayResult, VariantResult } from '../../model/types.js';
import { describeMachine, thpPolicyOf, zeroPageOn, type MachineFacts } from '../../model/machine.js';
import { createFaultTimeSanity, sanityText } from '../../analyze/latency/sanity.js';
import { action, warnSkippedLines } from '../errors.js';
import { declareCommand } from '../command_list.js';
import { addOptions, traceFormat, VARIANT_OPTIONS, type VariantCliOptions } from '../options.js';
import { resolveProfile, variantsFromCli } from '../variants.js';
import { machinePageSizeFromTrace } from '../machine_page_size.js';
import { formatCompareTable } from '../compare_table.js';

export interface ReplayCliOptions extends Partial<VariantCliOptions> {
  json?: boolean;
  format?: string;
  allowLost?: boolean;
  series?: boolean;
  profile?: string;
}

const kb = (n: number): string => String(Math.round(n));

function variantTable(v: VariantResult, m: MachineFacts): string {
  const paths = Object.keys(v.totals.faults).sort();
  const head = ['pid', 'comm', 'anon_peak', 'anon_final', 'file_peak', 'file_final', 'pte_peak', 'pte_final', 'minflt', ...paths, 'forks', 'exits'];
  const rows = v.processes.map((p) => [
    String(p.pid), p.comm, kb(p.rss_anon_peak_kb), kb(p.rss_anon_final_kb), kb(p.rss_file_peak_kb), kb(p.rss_file_final_kb),
    kb(p.pgtables_peak_kb), kb(p.pgtables_final_kb), String(p.minflt), ...paths.map((k) => String(p.faults[k] ?? 0)), String(p.forks), String(p.exits),
  ]);
  // totals are sums: each column's Σ over processes (peaks: the Σ of per-process peaks; the page also shows the peak of the sum)
  const sum = (f: (p: VariantResult['processes'][number]) => number): number => v.processes.reduce((a, p) => a + f(p), 0);
  const tot = ['total', '', kb(sum((p) => p.rss_anon_peak_kb)), '', '', '', kb(sum((p) => p.pgtables_peak_kb)), '', '', ...paths.map((k) => String(v.totals.faults[k])), String(v.totals.forks), ''];
  const all = [head, ...rows, tot];
  const w = head.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string => r.map((c, i) => (i === 1 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ');
  const pages = v.spec.pageSize ? `, ${v.spec.pageSize} pages (what-if)` : v.spec.machinePageSize ? `, ${v.spec.machinePageSize} pages` : '';
  const out = [`variant ${v.name} (thp=${thpPolicyOf(m, v.spec.thp, v.spec.thpFromTrace)}${v.spec.thpFromTrace && (m.thpUnhinted !== null || m.thpHinted !== null) ? ' (detected)' : ''}${v.spec.mthp && formatMthp(v.spec.mthp) ? `, mthp ${formatMthp(v.spec.mthp)}` : ''}, zero page ${zeroPageOn(m, v.spec.useZeroPage) ? 'on' : 'off'}, kernel ${v.spec.kernel}${v.spec.patches.length ? ', patches ' + v.spec.patches.join('+') : ''}${pages}); sizes in KiB`];
  out.push(line(head), ...rows.map(line), line(tot));
  if (v.rss_from_counters !== undefined)
    out.push(`no page-fault events in this trace (arm64 has no fault tracepoint): RssAnon / RssFile are the kernel's own counters, set from ${v.rss_from_counters} rss_stat events (inferred, not modelled); no fault path is modelled, and page tables only where a syscall populates (no fault addresses)`);
  if (v.thp_splits_followed)
    out.push(`THP shrinker: ${v.thp_splits_followed} THPs split where the kernel's counters fell with nothing traced (mm/huge_memory.c deferred_split_scan -> try_to_map_unused_to_zeropage: one -1 per zero-filled subpage); the model followed them`);
  out.push(`page tables of the whole system (all processes at once): peak ${kb(v.totals.system_pgtables_peak_kb)} KiB, at the end ${kb(v.totals.system_pgtables_final_kb)} KiB`);
  out.push(`modelled fault time ${(v.totals.fault_latency_ns / 1e6).toFixed(3)} ms, fork time ${(v.totals.fork_latency_ns / 1e6).toFixed(3)} ms, inferred faults ${v.inferred_faults}`);
  return out.join('\n');
}

/** The text output of a replay: a per-process table per variant, then the side-by-side comparison when several. */
export function formatReplayText(r: ReplayResult): string {
  const parts = [`${r.trace} (${r.format}): span ${(r.span_ns / 1e9).toFixed(3)} s, lost events ${r.lost_events}, skipped lines ${r.skipped_lines}\n${describeMachine(r.machine)}`];
  for (const v of r.variants) parts.push(variantTable(v, r.machine));
  if (r.variants.length > 1) parts.push(formatCompareTable(r));
  return parts.join('\n\n') + '\n';
}

export async function runReplay(trace: string, o: ReplayCliOptions): Promise<{ result: ReplayResult; code: number }> {
  await machinePageSizeFromTrace(trace, o);
  const variants = variantsFromCli(o);
  const profile = await resolveProfile(o.profile, trace, variants[0]!, traceFormat(o.format));
  // always on with a profile: mainline's modelled fault time must fit each thread's span (analyze/latency/sanity.ts)
  const sanity = profile ? createFaultTimeSanity(variants[0]!.name) : null;
  // several variants: one thread per group of variants on a multi-core machine (model/replay_threads.ts), same result
  const { result, read } = await replayVariants(trace, variants, sanity ? { fault: sanity.onFault } : {}, { profile, format: traceFormat(o.format) });
  if (result.page_size_note) process.stderr.write(`faultline: ${trace}: ${result.page_size_note}\n`);
  const insane = sanityText(sanity?.finish());
  if (insane) process.stderr.write(`faultline: warning: ${insane}\n`);
  if (!o.series) for (const v of result.variants) v.series = {};
  let code = 0;
  if (read.lostEvents > 0 && !o.allowLost) {
    process.stderr.write(`faultline: ${trace}: ${read.lostEvents} events were lost while recording; figures may be low (pass --allow-lost to accept)\n`);
    code = 3;
  }
  // perf page-faults samples without -d carry no address: nothing to replay, so empty totals must not pass as an answer
  const noAddr = read.stats.fault_sample_no_address ?? 0;
  if (noAddr > 0) {
    const none = result.variants.every((v) => Object.keys(v.totals.faults).length === 0);
    process.stderr.write(`faultline: ${trace}: ${noAddr} page-fault samples carry no address (perf record -e page-faults without -d): the model cannot replay them${none ? ', so every figure above is empty' : ''}; count them with faultline query, or record with -d\n`);
    if (none && code === 0) code = 3;
  }
  warnSkippedLines(trace, read.skippedLines, read.skippedExamples[0]);
  return { result, code };
}

export function registerReplay(program: Command): void {
  const cmd = declareCommand(program, 'replay').option('--series', 'include per-process time series in --json output');
  addOptions(cmd, ['json', 'format', 'kernel', 'machineNoZeroPage', 'machinePageSize', 'allowLost', 'profile', ...VARIANT_OPTIONS, 'lowMemory'], {
    json: 'print the replay result as JSON (model/types.ts ReplayResult)',
  });
  cmd.addHelpText(
    'after',
    `
Examples:
  faultline replay t.txt.gz                       per-process RSS, VmPTE and faults by path (mainline)
  faultline replay t.txt.gz --thp always --json   mainline plus a THP=always variant, as JSON
  faultline replay t.txt.gz --kernel 6.12         6.12 rules (a write to the huge zero page splits)
  faultline replay t.txt.gz --patch cow-pte       mainline and the COW page-table patch side by side
  faultline replay t.txt.gz --patch refpage+thp=always --machine-no-zero-page
                                                  refpage under THP=always, on a trace from a machine without a zero page

Exit status: 0 ok, 2 bad usage or input, 3 events were lost (without --allow-lost).`,
  );
  cmd.action(
    action(async (trace: string, o: ReplayCliOptions) => {
      const { result, code } = await runReplay(trace, o);
      process.stdout.write(o.json ? JSON.stringify(result, null, 1) + '\n' : formatReplayText(result));
      return code;
    }),
  );
}
