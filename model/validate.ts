// Validate the model against the kernel's own counters: every kmem:rss_stat event, in order, against the model's
// counter for that mm and member at that moment (batched paths may make several model updates per kernel event).
import type { EventSink, ReadResult, TraceEvent } from '../traces/events.js';
import { MM_SHMEMPAGES, RSS_MEMBER_NAMES } from '../traces/events.js';
import { createEngine } from './engine.js';
import type { BufferedRss, RssStatUse } from './rss_stat.js';
import type { MmLog } from './rss_log.js';
import { createFanout, type FanoutOptions } from './replay.js';
import { kernelRules } from './kernel_version.js';
import type { AssumptionKind } from './engine_state.js';
import { createEventCensus, type MissingEvent } from './needed_events.js';
import type { Mm } from './state.js';
import type { ReplayProbes, VariantSpec } from './types.js';
import type { CostProfile } from './costs.js';

export interface EventSummary {
  line: number;
  time: number;
  tid: number;
  kind: string;
  name: string;
}

export interface Mismatch {
  line: number;
  time: number;
  tid: number;
  mm_id: number;
  member: string;
  kernel_pages: number;
  model_pages: number;
  /** The events just before this one (oldest first). */
  around: EventSummary[];
}

export interface ValidateResult {
  trace: string;
  format: string;
  variant: string;
  rss_stat_events: number;
  compared: number;
  matched: number;
  match_ratio: number;
  by_member: Record<string, MemberFigures>;
  /** Events the model needs that the trace lacks, each with what its absence costs (model/needed_events.ts). */
  missing_events: MissingEvent[];
  /** What the model assumed where the trace did not say (model/engine_state.ts: AssumptionKind), counted. */
  assumptions: Record<AssumptionKind, number>;
  /** True when the replay read no hint from the trace (`validate --blind`): every figure is a prediction. */
  blind: boolean;
  /**
   * Runs of mismatches: each starts where an event of an mm and member stops matching and ends at its next match
   * (the validator resynchronises after the first, so one wrong page is one divergence, not every later event).
   */
  divergences: number;
  /** Per mm and member with at least one mismatch, most mismatches first (at most 20). */
  by_mm: MmFigures[];
  /** Events that set the baseline of an mm the trace did not show from its start (not compared). */
  baseline: number;
  /** Events whose mm the model could not identify (not compared). */
  unmapped: number;
  /**
   * Teardown events inside a run of inferred VMAs (exec-loaded, never mmapped in the trace): the kernel flushes rss
   * per VMA piece and the run's VMA boundaries are the model's guess, so only the run's end value is compared.
   */
  guessed_vma_pieces: number;
  /**
   * Kernel events strictly inside one of the model's zap_pte_range / copy_pte_range pieces: the walk broke on
   * need_resched (a scheduler decision, not an mm rule) and flushed its batch early. Counted as matched; the rest of
   * the piece must still land on the model's value.
   */
  resched_splits: number;
  /**
   * Android's rss_stat_throttled events (present only when the trace has them): the kernel's value at 512 KiB
   * resolution, so one agrees when a model value since the mm's last event lies in the reported bucket.
   */
  rss_stat_throttled?: { compared: number; in_bucket: number; bucket_bytes: number };
  /** Set when the trace has rss_stat but no page-fault event: the model builds RSS from faults, so nothing was compared fairly. */
  nothing_to_model?: string;
  /** rss_stat events of counters the model does not have (member 4 and up: Android kernels), per member: not compared. */
  unmodelled_members?: Record<string, number>;
  /** The older-kernel behaviour this comparison assumed (split RSS counters before 6.2, syscall arguments in bare hex). */
  assumed?: string[];
  lost_events: number;
  first_mismatches: Mismatch[];
}

/** Who else watches the validated run: the model's fault/fork records, and each event after the model saw it. */
export interface ValidatorObserver {
  probes: ReplayProbes;
  sink: EventSink;
}

/** One member's figures: `hinted` compared events are ones the replay had read as a fault's hint (told, not predicted). */
export interface MemberFigures {
  compared: number;
  matched: number;
  divergences: number;
  hinted: number;
  hinted_matched: number;
}

/** One mm and member's figures in validate's output. */
export interface MmFigures {
  mm_id: number;
  pid: number;
  member: string;
  compared: number;
  matched: number;
  divergences: number;
}

/** One process's figures over all its mms and members (createValidator's byProcess). */
export interface ProcessFigures {
  compared: number;
  matched: number;
  divergences: number;
}

const MAX_MISMATCHES = 20;
/** src/traced/probes/ftrace/tracefs.cc (Perfetto): hist:keys=mm_id,member:bucket=size/0x80000:onchange($bucket) */
const THROTTLE_BUCKET = 0x80000;
const bucketOf = (pages: number): number => Math.floor((pages * 4096) / THROTTLE_BUCKET);
const MAX_BY_MM = 20;
const RING = 256;
const AROUND = 6;

/** Validate one variant (normally mainline) against the trace's rss_stat stream; an observer (latency) rides along. */
export function createValidator(
  spec: VariantSpec, profile: CostProfile | null = null, observer: ValidatorObserver | null = null,
  opts: { blind?: boolean } = {},
): { sink: EventSink; finish(read: ReadResult): ValidateResult; byProcess(): Map<number, ProcessFigures> } {
  const exact = kernelRules(spec.kernel).rssStatExact;
  const by: Record<string, MemberFigures> = {};
  const newMember = (): MemberFigures => ({ compared: 0, matched: 0, divergences: 0, hinted: 0, hinted_matched: 0 });
  for (const n of RSS_MEMBER_NAMES) by[n] = newMember();
  // the line of the last rss_stat event the fan-out read as a fault's hint (compared right after that fault)
  let hintLine = -1;
  let events = 0, compared = 0, matched = 0, baseline = 0, unmapped = 0, guessed = 0, splits = 0, divergences = 0;
  let throttled = 0, inBucket = 0;
  // per mm idx * 4 + member: its figures, and whether its last compared event was a mismatch
  type MmTally = { mm: Mm; member: number; compared: number; matched: number; divergences: number; diverged: boolean };
  const perMm = new Map<number, MmTally>();
  const mmFig = (mm: Mm, member: number): MmTally => {
    const key = mm.idx * 4 + member;
    let st = perMm.get(key);
    if (!st) perMm.set(key, (st = { mm, member, compared: 0, matched: 0, divergences: 0, diverged: false }));
    return st;
  };
  const hit = (mm: Mm, member: number, name: string, hinted: boolean): void => {
    matched++;
    by[name]!.matched++;
    if (hinted) by[name]!.hinted_matched++;
    const st = mmFig(mm, member);
    st.matched++;
    st.diverged = false;
  };
  const mismatches: Mismatch[] = [];
  const offsets = new Map<number, number>(); // mm idx * 4 + member -> kernel - model after a resync
  const ring: EventSummary[] = Array.from({ length: RING }, () => ({ line: 0, time: 0, tid: 0, kind: '', name: '' }));
  let ringAt = 0;

  const mismatch = (b: BufferedRss, mm: Mm, name: string, modelPages: number): void => {
    const st = mmFig(mm, b.member);
    if (!st.diverged) {
      st.diverged = true;
      st.divergences++;
      divergences++;
      by[name]!.divergences++;
    }
    if (mismatches.length < MAX_MISMATCHES) {
      // the events just before this one still in the ring (a held event is compared after the syscall's exit)
      const around: EventSummary[] = [];
      for (let k = 0; k < RING; k++) {
        const s = ring[(ringAt + k) % RING]!;
        if (s.kind && s.line < b.line) around.push({ ...s });
      }
      around.splice(0, Math.max(0, around.length - AROUND));
      mismatches.push({ line: b.line, time: b.time, tid: b.tid, mm_id: b.mmId, member: name, kernel_pages: b.size / 4096, model_pages: modelPages, around });
    }
  };
  const deferred = new Map<number, { v: number; b: BufferedRss; cur: number; hinted: boolean }>();
  // a piece the kernel reported part of (need_resched split) whose end the kernel has not reached yet
  const splitOpen = new Map<number, { b: BufferedRss; mm: Mm; name: string; model: number; hinted: boolean }>();
  // the kernel moved on without landing the piece: its last split was no match after all
  const revokeSplit = (key: number): void => {
    const o = splitOpen.get(key);
    if (!o) return;
    splitOpen.delete(key);
    matched--;
    by[o.name]!.matched--;
    if (o.hinted) by[o.name]!.hinted_matched--;
    mmFig(o.mm, o.b.member).matched--;
    splits--;
    mismatch(o.b, o.mm, o.name, o.model);
  };

  const onRss = (b: BufferedRss, mm: Mm | null, use: RssStatUse, mlog: MmLog | null): void => {
    events++;
    if (!mm || !mlog || use === 'unmapped') {
      unmapped++;
      return;
    }
    const m = b.member;
    const log = mlog.log[m]!, walk = mlog.walk[m]!;
    const cur = mm.rss[m]!;
    const key = mm.idx * 4 + m;
    const reset = (): void => {
      log.length = walk.length = 0;
      log.push(cur);
      walk.push(0);
    };
    const drop = (at: number, n: number): void => {
      log.splice(at, n);
      walk.splice(at, n);
    };
    if (use === 'baseline') {
      baseline++;
      offsets.delete(key);
      reset();
      return;
    }
    const v = b.size / 4096 - (offsets.get(key) ?? 0);
    const spans = mlog.guessedSpans[m]!;
    if (spans.length && !(mm.dead && mlog.phantomAtExit[m] !== 0)) {
      const span = spans.find(([from, to]) => v > Math.min(from!, to!) && v < Math.max(from!, to!));
      if (span) {
        // strictly inside a fork-copy or teardown run of inferred VMAs: a piece boundary the model could only guess
        // (not compared); the model's own pieces inside the run are skipped, its value after the run is compared
        guessed++;
        const lo = Math.min(span[0]!, span[1]!), hi = Math.max(span[0]!, span[1]!);
        while (log.length > 1 && log[1]! > lo && log[1]! < hi) drop(1, 1);
        return;
      }
      // the kernel reached (or went past) a run's end: that run is over
      for (let k = spans.length - 1; k >= 0; k--) if ((v - spans[k]![1]!) * Math.sign(spans[k]![1]! - spans[k]![0]!) >= 0) spans.splice(k, 1);
    }
    const name = RSS_MEMBER_NAMES[m] ?? String(m);
    const bm = by[name] ?? (by[name] = newMember());
    if (splitOpen.has(key) && !(log.length > 1 && walk[1] !== 0 && (v - log[0]!) * (v - log[1]!) <= 0)) revokeSplit(key);
    compared++;
    bm.compared++;
    if (b.throttled) throttled++;
    if (b.line === hintLine) bm.hinted++;
    mmFig(mm, m).compared++;
    // lockstep: the model's updates for this mm and member since the last kernel event, consumed in order
    // (log[0] is the value the last kernel event agreed with; the next update is log[1])
    let ok: boolean;
    let split = false;
    if (log.length > 1 && log[1] === v) {
      ok = true;
      drop(0, 1);
      splitOpen.delete(key);
    } else if (b.throttled) {
      // fired when the 512 KiB bucket changed, the steps between left out: the first model value since the last event
      // that lies in the reported bucket (else the current one) stands for this moment
      // (or inside a batched zap/copy piece, which the kernel may flush partway on need_resched)
      let j = 1;
      while (j < log.length && bucketOf(log[j]!) !== bucketOf(v) && !(walk[j] !== 0 && (v - log[j - 1]!) * (v - log[j]!) < 0)) j++;
      ok = j < log.length || bucketOf(cur) === bucketOf(v);
      if (j < log.length && bucketOf(log[j]!) === bucketOf(v)) drop(0, j);
      else if (j < log.length) (drop(0, j - 1), (log[0] = v));
      else if (ok) reset();
    } else if (log.length > 1 && walk[1] !== 0 && (v - log[0]!) * (v - log[1]!) < 0) {
      // mm/memory.c: zap_pte_range / copy_pte_range break on need_resched() and flush the batch so far: the kernel
      // reported part of the model's piece; the rest of it must still land on log[1]
      ok = split = true;
      splits++;
      log[0] = v;
      splitOpen.set(key, { b, mm, name, model: log[1]! + (offsets.get(key) ?? 0), hinted: b.line === hintLine });
    } else if (v === cur) {
      ok = true; // agreement with the model's current value (threads: per-CPU event order can differ by an update)
      reset();
    } else ok = false;
    if (!ok && offsets.has(key)) {
      // the resync's offset was transient (another thread's or an in-flight call's updates the model had not applied
      // yet): the model is back on the kernel's own value, so the offset goes and the event matches
      const raw = b.size / 4096;
      const at = raw === cur ? log.length - 1 : log.indexOf(raw, 1);
      if (at >= 0) {
        ok = true;
        offsets.delete(key);
        drop(0, at);
      }
    }
    // 5.5-6.1: events only on 128-page crossings, with per-task batching of up to 64 pages (SPLIT_RSS_COUNTING)
    if (!ok && !exact && Math.abs(v - cur) <= 64) {
      ok = true;
      reset();
    }
    if ((mm.dead && mlog.phantomAtExit[m] !== 0) || (mm.predates && mm.vmas.length === 0 && log.length <= 1)) {
      // the mm holds pages the trace never showed (it predates the trace): where the kernel moves them is unknowable,
      // so such an event resynchronises instead of counting as a mismatch (also an mm the model knows no VMA of)
      compared--;
      bm.compared--;
      if (b.throttled) throttled--;
      if (b.line === hintLine) bm.hinted--;
      mmFig(mm, m).compared--;
      baseline++;
      if (split) (splits--, splitOpen.delete(key)); // not compared: not a split either
      offsets.set(key, b.size / 4096 - cur);
      reset();
      return;
    }
    const held = deferred.get(key);
    if (held !== undefined) {
      // a thread's earlier event that already counted another CPU's update: right if the model reaches it now
      deferred.delete(key);
      // (a throttled one: right if the model went through its value since, counters moving a page at a time)
      if (held.v === (ok ? v : cur) || (held.b.throttled && held.cur <= held.v && held.v <= cur)) {
        hit(mm, m, name, held.hinted);
        if (held.b.throttled) inBucket++;
      } else mismatch(held.b, mm, name, held.cur + (offsets.get(key) ?? 0));
    }
    if (ok) {
      hit(mm, m, name, b.line === hintLine);
      if (b.throttled) inBucket++;
      return;
    }
    const ongoing = mmFig(mm, m).diverged; // the previous event was a mismatch too: waiting has not helped
    if (mm.users > 1 && !ongoing && !deferred.has(key) && log.length > 0 && v > cur) {
      // several threads: percpu_counter_sum at this event may include a fault of another CPU whose event is
      // still ahead in the merged stream; decide at this mm's next event for the member
      deferred.set(key, { v, b, cur, hinted: b.line === hintLine });
      return;
    }
    mismatch(b, mm, name, cur + (offsets.get(key) ?? 0)); // in the kernel's terms, after any resync
    const ahead = log.indexOf(v, 2);
    if (ahead > 0) drop(0, ahead); // the kernel batched differently: pick up the model's sequence there
    else if (log.length > 1 && (v - log[0]!) * (v - log[1]!) < 0) {
      // the model has updates the kernel has not reported yet (it split a batch the model made in one): keep
      // them queued, the kernel's next event may land on one
    } else {
      offsets.set(key, b.size / 4096 - cur); // resynchronise: later events compare against the kernel's new level
      reset();
    }
  };

  const engine = createEngine(spec, observer ? observer.probes : {}, profile, 16, onRss);
  const fanOpts: FanoutOptions = { blind: opts.blind, onHint: (e) => (hintLine = e.line) };
  const fan = createFanout([engine], fanOpts);
  let lostSeen = 0;
  const census = createEventCensus();
  let faultEvents = 0;
  const unmodelled: Record<string, number> = {};
  const sink: EventSink = (e: TraceEvent) => {
    if (e.kind === 'fault') faultEvents++;
    else if (e.kind === 'rss_stat' && e.member > MM_SHMEMPAGES) unmodelled[`member_${e.member}`] = (unmodelled[`member_${e.member}`] ?? 0) + 1;
    census.sink(e);
    const s = ring[ringAt]!;
    s.line = e.line;
    s.time = e.time;
    s.tid = e.tid;
    s.kind = e.kind;
    s.name = e.name;
    ringAt = (ringAt + 1) % RING;
    if (e.kind === 'lost') {
      lostSeen += e.count > 0 ? e.count : 1;
      offsets.clear(); // resynchronise after a gap: the next event of each mm sets a new baseline
    }
    fan.sink(e);
    // a syscall's pieces (munmap, madvise, clone's copy: held until its exit) have all been compared by now
    if (splitOpen.size && e.kind === 'sys_exit') for (const [key, o] of splitOpen) if (o.b.tid === e.tid) revokeSplit(key);
    observer?.sink(e); // after the model: a fault's modelled record is out by the time its measurement ends
  };
  return {
    sink,
    finish(read: ReadResult): ValidateResult {
      fan.flush();
      engine.finish(fan.last);
      for (const key of [...splitOpen.keys()]) revokeSplit(key); // the trace ended inside a split piece
      const r: ValidateResult = {
        trace: read.file,
        format: read.format,
        variant: spec.name,
        rss_stat_events: events,
        compared,
        matched,
        match_ratio: compared ? matched / compared : 1,
        by_member: by,
        assumptions: { ...engine.assumed },
        missing_events: census.missing(),
        blind: opts.blind === true,
        divergences,
        by_mm: [...perMm.values()].filter((s) => s.matched < s.compared)
          .sort((a, b) => b.compared - b.matched - (a.compared - a.matched) || a.mm.idx - b.mm.idx).slice(0, MAX_BY_MM)
          .map((s) => ({ mm_id: s.mm.mmId, pid: s.mm.ownerPid, member: RSS_MEMBER_NAMES[s.member] ?? String(s.member), compared: s.compared, matched: s.matched, divergences: s.divergences })),
        baseline,
        unmapped,
        guessed_vma_pieces: guessed,
        resched_splits: splits,
        lost_events: Math.max(read.lostEvents, lostSeen),
        first_mismatches: mismatches,
      };
      if (throttled > 0) r.rss_stat_throttled = { compared: throttled, in_bucket: inBucket, bucket_bytes: THROTTLE_BUCKET };
      if (events > 0 && faultEvents === 0) {
        r.nothing_to_model = 'the trace has rss_stat events but no page-fault events (exceptions:page_fault_user, or perf page-faults recorded with -d): the model builds RSS from faults, so its counters cannot be compared with the kernel\'s';
      }
      if (Object.keys(unmodelled).length > 0) r.unmodelled_members = unmodelled;
      const assumed: string[] = [];
      // include/linux/mm.h (before 6.2): SPLIT_RSS_COUNTING keeps per-task deltas, folded in by sync_mm_rss every 64 events (TASK_RSS_EVENTS_THRESH) and at exit
      if (!exact && events > 0) assumed.push(`kernel ${spec.kernel} (before 6.2): split per-task RSS counters (SPLIT_RSS_COUNTING, sync_mm_rss every 64 events and at exit), so rss_stat may lag or dip below zero; compared within 64 pages`);
      if ((read.stats?.syscall_args_bare_hex ?? 0) > 0) assumed.push(`tracefs syscall arguments printed in hex without 0x (print_syscall_enter '%s: %lx', kernels up to 6.12): read as hex (${read.stats.syscall_args_bare_hex} lines)`);
      if (assumed.length > 0) r.assumed = assumed;
      return r;
    },
    // every mm's figures summed per owning process (by_mm keeps only the worst 20): for tables with a row per process
    byProcess() {
      const out = new Map<number, ProcessFigures>();
      for (const t of perMm.values()) {
        const f = out.get(t.mm.ownerPid) ?? { compared: 0, matched: 0, divergences: 0 };
        f.compared += t.compared;
        f.matched += t.matched;
        f.divergences += t.divergences;
        out.set(t.mm.ownerPid, f);
      }
      return out;
    },
  };
}
