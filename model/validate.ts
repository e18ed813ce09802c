// Validate the model against the kernel's own counters: every kmem:rss_stat event, in order, against the model's
// counter for that mm and member at that moment (batched paths may make several model updates per kernel event).
// The parts: validate_lockstep.ts compares each event, validate_tally.ts keeps the figures, validate_result.ts is
// the output's shape; this file wires the engine and the fan-out to them and assembles the result.
import type { EventSink, ReadResult, TraceEvent } from '../traces/events.js';
import { MM_SHMEMPAGES } from '../traces/events.js';
import { createEngine } from './engine.js';
import { createFanout, type FanoutOptions } from './replay.js';
import { kernelRules } from './kernel_version.js';
import { createEventCensus } from '../traces/needed_events.js';
import type { VariantSpec } from './types.js';
import type { CostProfile } from './costs.js';
import type { ProcessFigures, ValidateResult, ValidatorObserver } from './validate_result.js';
import { byMm, byProcess, createTally, remember } from './validate_tally.js';
import { AHEAD_RUN, createLockstep, THROTTLE_BUCKET } from './validate_lockstep.js';

export type { EventSummary, MemberFigures, Mismatch, MmFigures, ProcessFigures, ValidateResult, ValidatorObserver } from './validate_result.js';

const MODEL_AHEAD = `${AHEAD_RUN} or more matches in a row in a one-thread mm, each leaving the model an update the kernel had not shown (its rss_stat follows each of the thread's own updates at once: include/linux/mm.h add_mm_counter -> mm_trace_rss_stat): an update the model made and the kernel never did, which the lockstep matched through one value behind; the counters were one update off for those events`;
const UNTRACED_RECLAIM = 'the kernel\'s counter fell with no fault, zap, munmap/madvise, clone, exec or exit in flight for the mm: reclaim the trace cannot show (swap-out and page-cache reclaim: mm/vmscan.c shrink_folio_list -> mm/rmap.c try_to_unmap_one; the THP shrinker: mm/huge_memory.c deferred_split_scan -> mm/migrate.c try_to_map_unused_to_zeropage), or a call whose events the trace lacks (a madvise with no sys_enter_madvise recorded); not compared, the model resynchronised to the kernel\'s value';

/** Validate one variant (normally mainline) against the trace's rss_stat stream; an observer (latency) rides along. */
export function createValidator(
  spec: VariantSpec, profile: CostProfile | null = null, observer: ValidatorObserver | null = null,
  opts: { blind?: boolean } = {},
): { sink: EventSink; finish(read: ReadResult): ValidateResult; byProcess(): Map<number, ProcessFigures> } {
  const exact = kernelRules(spec.kernel).rssStatExact;
  const t = createTally();
  const lock = createLockstep(t, exact, (line, tid, mm) => engine.quiet(line, tid, mm));
  const engine = createEngine(spec, observer ? observer.probes : {}, profile, 16, lock.onRss);
  const fanOpts: FanoutOptions = { blind: opts.blind, onHint: (e) => lock.hint(e.line) };
  const fan = createFanout([engine], fanOpts);
  let lostSeen = 0;
  const census = createEventCensus();
  let faultEvents = 0;
  const unmodelled: Record<string, number> = {};
  const sink: EventSink = (e: TraceEvent) => {
    if (e.kind === 'fault') faultEvents++;
    else if (e.kind === 'rss_stat' && e.member > MM_SHMEMPAGES) unmodelled[`member_${e.member}`] = (unmodelled[`member_${e.member}`] ?? 0) + 1;
    census.sink(e);
    remember(t, e);
    if (e.kind === 'lost') {
      lostSeen += e.count > 0 ? e.count : 1;
      lock.lost(); // resynchronise after a gap: the next event of each mm sets a new baseline
    }
    fan.sink(e);
    // a syscall's pieces (munmap, madvise, clone's copy: held until its exit) have all been compared by now
    if (e.kind === 'sys_exit') lock.sysExit(e.tid);
    observer?.sink(e); // after the model: a fault's modelled record is out by the time its measurement ends
  };
  return {
    sink,
    finish(read: ReadResult): ValidateResult {
      fan.flush();
      engine.finish(fan.last);
      lock.end(); // the trace ended inside a split piece
      const r: ValidateResult = {
        trace: read.file,
        format: read.format,
        variant: spec.name,
        rss_stat_events: t.events,
        compared: t.compared,
        matched: t.matched,
        match_ratio: t.compared ? t.matched / t.compared : 1,
        by_member: t.by,
        assumptions: { ...engine.assumed },
        machine: { ...engine.ctx.machine },
        missing_events: census.missing(),
        blind: opts.blind === true,
        divergences: t.divergences,
        by_mm: byMm(t),
        baseline: t.baseline,
        unmapped: t.unmapped,
        guessed_vma_pieces: t.guessed,
        resched_splits: t.splits,
        lost_events: Math.max(read.lostEvents, lostSeen),
        first_mismatches: t.mismatches,
      };
      if (t.throttled > 0) r.rss_stat_throttled = { compared: t.throttled, in_bucket: t.inBucket, bucket_bytes: THROTTLE_BUCKET };
      if (t.reclaim > 0) {
        const byMember: Record<string, number> = {};
        for (const [n, f] of Object.entries(t.by)) if (f.untraced_reclaim) byMember[n] = f.untraced_reclaim;
        r.untraced_reclaim = { events: t.reclaim, by_member: byMember, reason: UNTRACED_RECLAIM };
        const splits = engine.thpSplitsFollowed();
        if (splits > 0) r.untraced_reclaim.thp_splits = splits;
      }
      if (t.aheadFirst) r.model_ahead = { runs: t.aheadRuns, events: t.aheadEvents, first: t.aheadFirst, reason: MODEL_AHEAD };
      if (t.events > 0 && faultEvents === 0) {
        r.nothing_to_model = 'the trace has rss_stat events but no page-fault events (exceptions:page_fault_user, or perf page-faults recorded with -d): the model builds RSS from faults, so its counters cannot be compared with the kernel\'s';
      }
      if (Object.keys(unmodelled).length > 0) r.unmodelled_members = unmodelled;
      const assumed: string[] = [];
      // include/linux/mm.h (before 6.2): SPLIT_RSS_COUNTING keeps per-task deltas, folded in by sync_mm_rss every 64 events (TASK_RSS_EVENTS_THRESH) and at exit
      if (!exact && t.events > 0) assumed.push(`kernel ${spec.kernel} (before 6.2): split per-task RSS counters (SPLIT_RSS_COUNTING, sync_mm_rss every 64 events and at exit), so rss_stat may lag or dip below zero; compared within 64 pages`);
      if ((read.stats?.syscall_args_bare_hex ?? 0) > 0) assumed.push(`tracefs syscall arguments printed in hex without 0x (print_syscall_enter '%s: %lx', kernels up to 6.12): read as hex (${read.stats.syscall_args_bare_hex} lines)`);
      if (spec.machinePageSize && spec.machinePageSize !== '4k') assumed.push(`${spec.machinePageSize} pages (--machine-page-size): rss_stat sizes and the model's counters compared in those pages`);
      const psNote = fan.pageSizeNote();
      if (psNote !== undefined) assumed.push(psNote);
      if (assumed.length > 0) r.assumed = assumed;
      return r;
    },
    // every mm's figures summed per owning process (by_mm keeps only the worst 20): for tables with a row per process
    byProcess: () => byProcess(t),
  };
}
