// Validate's lockstep: each kernel rss_stat event against the model's updates of that mm and member since the last
// one, consumed in order; with the kernel's reasons two sequences may differ (batched zap/copy pieces split on
// need_resched, threads' per-CPU order, throttled buckets, split counters before 6.2) and resynchronisation after a gap.
import { MM_ANONPAGES, RSS_MEMBER_NAMES } from '../traces/events.js';
import * as F from './flags.js';
import type { BufferedRss, RssStatUse } from './rss_stat.js';
import type { MmLog } from './rss_log.js';
import type { Mm } from './state.js';
import { countCompared, hit, mismatch, mmFig, newMember, type Tally } from './validate_tally.js';

/** src/traced/probes/ftrace/tracefs.cc (Perfetto): hist:keys=mm_id,member:bucket=size/0x80000:onchange($bucket) */
export const THROTTLE_BUCKET = 0x80000;
const bucketOf = (pages: number): number => Math.floor((pages * F.PAGE_SIZE) / THROTTLE_BUCKET);

export interface Lockstep {
  /** The engine's rss_stat callback: one kernel event with the model's mm and its update log. */
  onRss(b: BufferedRss, mm: Mm | null, use: RssStatUse, mlog: MmLog | null): void;
  /** The line of the rss_stat event the fan-out just read as a fault's hint (compared right after that fault). */
  hint(line: number): void;
  /** After lost events: the next event of each mm sets a new baseline. */
  lost(): void;
  /** A syscall of thread `tid` exited: its pieces (munmap, madvise, clone's copy) have all been compared. */
  sysExit(tid: number): void;
  /** The trace ended: a piece still split open was no match. */
  end(): void;
}

/** Whether nothing traced is in flight for mm at this event (the engine's quiet: no call, clone, exec or exit). */
export type QuietAt = (line: number, tid: number, mm: Mm) => boolean;

/** One validation's lockstep state; the functions below are module-level and take it, so V8 compiles them once per
 *  thread rather than once per trace (batch replays hundreds of traces in one thread). */
interface LockState {
  readonly t: Tally;
  readonly exact: boolean;
  readonly quiet: QuietAt | null;
  // the line of the last rss_stat event the fan-out read as a fault's hint (compared right after that fault)
  hintLine: number;
  readonly offsets: Map<number, number>; // mm idx * 4 + member -> kernel - model after a resync
  readonly deferred: Map<number, { v: number; b: BufferedRss; cur: number; hinted: boolean }>;
  // a piece the kernel reported part of (need_resched split; each split of it so far, counted as matches on credit)
  // whose end it has not reached yet: the lockstep's own pieces and a fork child's mirrored teardown (mirrorTeardown)
  readonly splitOpen: Map<number, { mm: Mm; name: string; model: number; events: { b: BufferedRss; hinted: boolean }[] }>;
  // per task: its mm and the model's counters in the kernel's terms (after any resync) at its last rss_stat event
  readonly lastOfTask: Map<number, { mm: Mm; readonly k: [number, number, number, number] }>;
  // a walk resynchronised at a piece (pieceResync) whose later pieces wait in the log: the thread whose call makes it
  readonly pieceRuns: Map<number, { tid: number; mlog: MmLog; m: number }>;
  // per mm idx * 4 + member: the current run of matches that left the model an update ahead (noteAhead)
  readonly ahead: Map<number, { n: number; line: number; mmId: number; member: number }>;
}

/**
 * Matches in a row, in a one-thread mm, after each of which the model still held a plain update the kernel had not
 * shown, that make a run worth reporting. Such an mm's rss_stat follows each update of its own thread at once
 * (include/linux/mm.h: add_mm_counter calls mm_trace_rss_stat after each change), so a lasting residue is an update the kernel never
 * made, matched through one value behind, unless a call is still applying (QuietAt). Measured: the recordings, the
 * corpus and the workload fixtures at this build, no run longer than 1; builds with a known extra update (before
 * fault_entry.ts mapUnseenAnon, before the tenth pass's rules), runs of 14 to 27.
 */
export const AHEAD_RUN = 8;

/** After a match: whether the model is still an update ahead in a quiet one-thread mm (no walk piece pending), run counted. */
function noteAhead(st: LockState, key: number, mm: Mm, b: BufferedRss, log: number[], walk: number[]): void {
  // (nothing traced in flight: a call's own updates, as munmap's zap_huge_pmd per THP, are applied at its start)
  let plain = log.length > 1 && mm.users <= 1 && st.quiet !== null && st.quiet(b.line, b.tid, mm);
  for (let k = 1; plain && k < walk.length; k++) if (walk[k] !== 0) plain = false;
  if (!plain) return closeAhead(st, key);
  const run = st.ahead.get(key);
  if (run) run.n++;
  else st.ahead.set(key, { n: 1, line: b.line, mmId: b.mmId, member: b.member });
}

/** The run at key is over (a match with nothing left, or any other outcome): counted when long enough. */
function closeAhead(st: LockState, key: number): void {
  const run = st.ahead.get(key);
  if (!run) return;
  st.ahead.delete(key);
  if (run.n < AHEAD_RUN) return;
  st.t.aheadRuns++;
  st.t.aheadEvents += run.n;
  st.t.aheadFirst ??= { line: run.line, mm_id: run.mmId, member: RSS_MEMBER_NAMES[run.member] ?? String(run.member), events: run.n };
}

/** The member's log back to the one value the kernel agrees with. */
function resetLog(log: number[], walk: number[], cur: number): void {
  log.length = walk.length = 0;
  log.push(cur);
  walk.push(0);
}

function dropLog(log: number[], walk: number[], at: number, n: number): void {
  log.splice(at, n);
  walk.splice(at, n);
}

/** The kernel reported part of a piece ending at `model` (kernel terms): a split, matched on credit of the piece's end. */
function openSplit(st: LockState, key: number, mm: Mm, name: string, model: number, b: BufferedRss, hinted: boolean): void {
  st.t.splits++;
  const open = st.splitOpen.get(key);
  // (zap_pte_range retries until the piece's end: a piece may be split more than once, every split decided by its end)
  if (open) open.events.push({ b, hinted });
  else st.splitOpen.set(key, { mm, name, model, events: [{ b, hinted }] });
}

/** The kernel landed on the split piece's end (its splits were matches), or moved on without (they were not). */
function settleSplit(st: LockState, key: number, landed: boolean): void {
  if (landed) st.splitOpen.delete(key);
  else revokeSplit(st, key);
}

// the kernel moved on without landing the piece: its splits were no match after all
function revokeSplit(st: LockState, key: number): void {
  const o = st.splitOpen.get(key);
  if (!o) return;
  st.splitOpen.delete(key);
  for (const e of o.events) {
    st.t.matched--;
    st.t.by[o.name]!.matched--;
    if (e.hinted) st.t.by[o.name]!.hinted_matched--;
    mmFig(st.t, o.mm, e.b.member).matched--;
    st.t.splits--;
    mismatch(st.t, e.b, o.mm, o.name, o.model);
  }
}

function lockOnRss(st: LockState, b: BufferedRss, mm: Mm | null, use: RssStatUse, mlog: MmLog | null): void {
  st.t.events++;
  if (!mm || !mlog || use === 'unmapped') {
    st.t.unmapped++;
    return;
  }
  if (use === 'hinted') st.hintLine = b.line; // read into the model before the comparison: a hinted event
  const m = b.member;
  const kPrev = mlog.kernelLast[m]!; // the kernel's value of this counter before this event
  mlog.kernelLast[m] = b.size / F.PAGE_SIZE;
  let task = st.lastOfTask.get(b.tid);
  const floor = task !== undefined && task.mm === mm ? task.k[m]! : -Infinity;
  // (the task's record is rewritten in place: two objects per rss_stat event were most of this function's cost)
  if (task === undefined) st.lastOfTask.set(b.tid, (task = { mm, k: [0, 0, 0, 0] }));
  task.mm = mm;
  const resynced = st.offsets.size > 0;
  for (let j = 0; j < 4; j++) task.k[j] = mm.rss[j]! + (resynced ? (st.offsets.get(mm.idx * 4 + j) ?? 0) : 0);
  const log = mlog.log[m]!, walk = mlog.walk[m]!;
  const cur = mm.rss[m]!;
  const key = mm.idx * 4 + m;
  if (use === 'baseline' || use === 'unseen_zap') {
    st.t.baseline++;
    // (a zap piece of pages from before the trace moved the model by the kernel's own change: any resync offset stays)
    if (use === 'baseline') st.offsets.delete(key);
    resetLog(log, walk, cur);
    return;
  }
  // (a fork child whose only such pages were the exec's argument pages, now placed: the mirror still predicts better)
  if (mm.dead && (mlog.phantomAtExit[m] !== 0 || (m === MM_ANONPAGES && mlog.argPagesAtExit > 0)) && mirrorTeardown(st, b, mm, mlog, kPrev)) return;
  const v = b.size / F.PAGE_SIZE - (st.offsets.get(key) ?? 0);
  const spans = mlog.guessedSpans[m]!;
  // (not when a resync's offset ends with the kernel on the model's own value: matched below, as the transient offset)
  if (spans.length && !(mm.dead && mlog.phantomAtExit[m] !== 0) && !(st.offsets.has(key) && b.size / F.PAGE_SIZE === cur)) {
    const span = spans.find(([from, to]) => v > Math.min(from!, to!) && v < Math.max(from!, to!));
    if (span) {
      // strictly inside a fork-copy or teardown run of inferred VMAs: a piece boundary the model could only guess
      // (not compared); the model's own pieces inside the run are skipped, its value after the run is compared
      st.t.guessed++;
      const lo = Math.min(span[0]!, span[1]!), hi = Math.max(span[0]!, span[1]!);
      while (log.length > 1 && log[1]! > lo && log[1]! < hi) dropLog(log, walk, 1, 1);
      return;
    }
    // the kernel reached (or went past) a run's end: that run is over
    for (let k = spans.length - 1; k >= 0; k--) if ((v - spans[k]![1]!) * Math.sign(spans[k]![1]! - spans[k]![0]!) >= 0) spans.splice(k, 1);
  }
  const name = RSS_MEMBER_NAMES[m] ?? String(m);
  const bm = st.t.by[name] ?? (st.t.by[name] = newMember());
  if (use === 'thp_remap') {
    // a subpage the kernel's st.deferred THP split remapped, which the model followed (thp_deferred_split.ts): no traced
    // cause, so not compared; in the untraced-reclaim bucket, the model already on the kernel's value
    st.t.reclaim++;
    bm.untraced_reclaim = (bm.untraced_reclaim ?? 0) + 1;
    resetLog(log, walk, cur);
    return;
  }
  if (st.splitOpen.has(key) && !(log.length > 1 && walk[1] !== 0 && (v - log[0]!) * (v - log[1]!) <= 0)) revokeSplit(st, key);
  if (st.quiet && st.exact && v < cur && !b.throttled && !st.deferred.has(key) && !st.splitOpen.has(key) && b.size / F.PAGE_SIZE !== cur &&
    (mm.users <= 1 || !b.curr || b.size / F.PAGE_SIZE < Math.min(floor, cur + (st.offsets.get(key) ?? 0))) && mlog.log.every((l) => l.length <= 1) && !(mm.predates && mm.vmas.length === 0) && st.quiet(b.line, b.tid, mm)) {
    // the kernel's counter fell with no model update pending in any member (no fault's, zap's or copy's piece) and no
    // call, clone, exec or exit in flight: pages left by a path the trace cannot show. mm/vmscan.c shrink_folio_list
    // -> mm/rmap.c try_to_unmap_one (swap-out, page-cache reclaim: dec_mm_counter) and the THP shrinker
    // (mm/huge_memory.c deferred_split_scan -> split_folio -> mm/migrate.c try_to_map_unused_to_zeropage, -1 per
    // zero-filled subpage); or a call the trace does not record (madvise without its events). Not compared, counted
    // loudly, and the model resynchronised to the kernel's value.
    // Not for an mm's own thread when it has several: a perf value can lag other CPUs' updates (issue 12 item 7),
    // unless it is below the model's value at the thread's own previous event: the thread runs in order, so its
    // percpu_counter_sum (include/trace/events/kmem.h: rss_stat) came after that event and includes every update
    // whose event the trace showed before it; a lag can only miss updates shown since.
    st.t.reclaim++;
    bm.untraced_reclaim = (bm.untraced_reclaim ?? 0) + 1;
    st.offsets.set(key, b.size / F.PAGE_SIZE - cur);
    resetLog(log, walk, cur);
    return;
  }
  countCompared(st.t, mm, m, name);
  if (st.ahead.size !== 0 && !(log.length > 1 && log[1] === v)) closeAhead(st, key);
  if (b.throttled) st.t.throttled++;
  if (b.line === st.hintLine) bm.hinted++;
  // lockstep: the model's updates for this mm and member since the last kernel event, consumed in order
  // (log[0] is the value the last kernel event agreed with; the next update is log[1])
  let ok: boolean;
  let split = false;
  if (log.length > 1 && log[1] === v) {
    ok = true;
    dropLog(log, walk, 0, 1);
    settleSplit(st, key, true);
    noteAhead(st, key, mm, b, log, walk);
  } else if (b.throttled) {
    // fired when the 512 KiB bucket changed, the steps between left out: the first model value since the last event
    // that lies in the reported bucket (else the current one) stands for this moment
    // (or inside a batched zap/copy piece, which the kernel may flush partway on need_resched)
    let j = 1;
    while (j < log.length && bucketOf(log[j]!) !== bucketOf(v) && !(walk[j] !== 0 && (v - log[j - 1]!) * (v - log[j]!) < 0)) j++;
    ok = j < log.length || bucketOf(cur) === bucketOf(v);
    if (j < log.length && bucketOf(log[j]!) === bucketOf(v)) dropLog(log, walk, 0, j);
    else if (j < log.length) (dropLog(log, walk, 0, j - 1), (log[0] = v));
    else if (ok) resetLog(log, walk, cur);
  } else if (st.offsets.has(key) && (b.size / F.PAGE_SIZE === cur || log.indexOf(b.size / F.PAGE_SIZE, 1) > 0)) {
    ok = false; // the kernel is back on one of the model's own values: the resync's offset goes (below), not a split
  } else if (log.length > 1 && walk[1] !== 0 && (v - log[0]!) * (v - log[1]!) < 0) {
    // mm/memory.c: zap_pte_range / copy_pte_range break on need_resched() and flush the batch so far: the kernel
    // reported part of the model's piece; the rest of it must still land on log[1]
    ok = split = true;
    log[0] = v;
    openSplit(st, key, mm, name, log[1]! + (st.offsets.get(key) ?? 0), b, b.line === st.hintLine);
  } else if (v === cur) {
    ok = true; // agreement with the model's current value (threads: per-CPU event order can differ by an update)
    resetLog(log, walk, cur);
  } else ok = false;
  if (!ok && st.offsets.has(key)) {
    // the resync's offset was transient (another thread's or an in-flight call's updates the model had not applied
    // yet): the model is back on the kernel's own value, so the offset goes and the event matches
    const raw = b.size / F.PAGE_SIZE;
    const at = raw === cur ? log.length - 1 : log.indexOf(raw, 1);
    if (at >= 0) {
      ok = true;
      st.offsets.delete(key);
      dropLog(log, walk, 0, at);
    }
  }
  // 5.5-6.1: events only on 128-page crossings, with per-task batching of up to 64 pages (SPLIT_RSS_COUNTING)
  if (!ok && !st.exact && Math.abs(v - cur) <= 64) {
    ok = true;
    resetLog(log, walk, cur);
  }
  if ((mm.dead && mlog.phantomAtExit[m] !== 0) || (mm.predates && mm.vmas.length === 0 && log.length <= 1)) {
    // the mm holds pages the trace never showed (it predates the trace): where the kernel moves them is unknowable,
    // so such an event resynchronises instead of counting as a mismatch (also an mm the model knows no VMA of)
    st.t.compared--;
    bm.compared--;
    if (b.throttled) st.t.throttled--;
    if (b.line === st.hintLine) bm.hinted--;
    mmFig(st.t, mm, m).compared--;
    st.t.baseline++;
    if (split) {
      st.t.splits--; // not compared: not a split either
      const open = st.splitOpen.get(key)!;
      open.events.pop();
      if (open.events.length === 0) st.splitOpen.delete(key);
    }
    st.offsets.set(key, b.size / F.PAGE_SIZE - cur);
    resetLog(log, walk, cur);
    return;
  }
  const held = st.deferred.get(key);
  if (held !== undefined) {
    // a thread's earlier event that already counted another CPU's update: right if the model reaches it now
    st.deferred.delete(key);
    // (a throttled one: right if the model went through its value since, counters moving a page at a time)
    if (held.v === (ok ? v : cur) || (held.b.throttled && held.cur <= held.v && held.v <= cur)) {
      hit(st.t, mm, m, name, held.hinted);
      if (held.b.throttled) st.t.inBucket++;
    } else mismatch(st.t, held.b, mm, name, held.cur + (st.offsets.get(key) ?? 0));
  }
  if (ok) {
    hit(st.t, mm, m, name, b.line === st.hintLine);
    if (b.throttled) st.t.inBucket++;
    return;
  }
  const ongoing = mmFig(st.t, mm, m).diverged; // the previous event was a mismatch too: waiting has not helped
  if (mm.users > 1 && !ongoing && !st.deferred.has(key) && log.length > 0 && v > cur) {
    // several threads: percpu_counter_sum at this event may include a fault of another CPU whose event is
    // still ahead in the merged stream; decide at this mm's next event for the member
    st.deferred.set(key, { v, b, cur, hinted: b.line === st.hintLine });
    return;
  }
  const ahead = log.indexOf(v, 2);
  const between = ahead < 0 && log.length > 1 && (v - log[0]!) * (v - log[1]!) < 0;
  const piece = ahead < 0 && !between ? walkPieceAt(log, walk, v) : 0;
  // the model's value this event was compared with, in the kernel's terms after any resync
  mismatch(st.t, b, mm, name, (piece > 0 ? log[piece]! : cur) + (st.offsets.get(key) ?? 0));
  if (ahead > 0) dropLog(log, walk, 0, ahead); // the kernel batched differently: pick up the model's sequence there
  else if (between) {
    // the model has updates the kernel has not reported yet (it split a batch the model made in one): keep
    // them queued, the kernel's next event may land on one
  } else if (piece > 0) {
    // resynchronise to the kernel's value at that piece and keep the model's later pieces, compared by their own
    // deltas (or again absolutely), so one wrong piece is one divergence, not the rest of the walk's
    st.offsets.set(key, b.size / F.PAGE_SIZE - log[piece]!);
    dropLog(log, walk, 0, piece);
    st.pieceRuns.set(key, { tid: b.tid, mlog, m });
  } else {
    st.offsets.set(key, b.size / F.PAGE_SIZE - cur); // resynchronise: later events compare against the kernel's new level
    resetLog(log, walk, cur);
  }
}

/**
 * When every update still queued is a piece of a batched walk (mm/memory.c zap_pte_range / copy_pte_range:
 * add_mm_rss_vec once per VMA x PTE table; exit_mmap's, munmap's, a fork's copy) and the kernel's value moved their
 * way, by another count: the piece the kernel is at, the one whose end is nearest its value (log index; 0: none).
 */
function walkPieceAt(log: number[], walk: number[], v: number): number {
  if (log.length <= 2 || (v - log[0]!) * (log[1]! - log[0]!) <= 0) return 0;
  for (let k = 1; k < walk.length; k++) if (walk[k] === 0) return 0;
  let at = 1;
  for (let k = 2; k < log.length; k++) if (Math.abs(v - log[k]!) < Math.abs(v - log[at]!)) at = k;
  return at;
}

/** The call walking the pieces returned (its pieces are all in): the model's pieces the kernel never reported are its
 *  last value's, so the walk's end is where the kernel's last event is (the resync the walk's first mismatch deferred). */
function endPieceRuns(st: LockState, tid: number): void {
  for (const [key, o] of st.pieceRuns) {
    if (o.tid !== tid) continue;
    st.pieceRuns.delete(key);
    const log = o.mlog.log[o.m]!, walk = o.mlog.walk[o.m]!;
    let j = 0;
    while (j + 1 < log.length && walk[j + 1] !== 0) j++;
    if (j === 0) continue;
    st.offsets.set(key, o.mlog.kernelLast[o.m]! - log[j]!);
    dropLog(log, walk, 0, j);
  }
}

/**
 * A fork child's teardown when it holds pages whose places the trace never showed (its parent's from before the trace):
 * kernel/fork.c: dup_mmap copied the parent's VMAs in address order and mm/mmap.c: exit_mmap -> unmap_vmas zaps the
 * child's in the same order, both flushing rss once per VMA x PTE table (mm/memory.c: copy_pte_range, zap_pte_range:
 * add_mm_rss_vec). When nothing changed the member between (the model's counter as at the copy's end, the kernel's last
 * value its copy's last, T), the teardown undoes the copy's pieces in order: T - c1, T - c2, ..., 0. Each event but the
 * final 0 must land on the next of those points (a child that mapped, unmapped or split a VMA makes it fail), with the
 * two flushes the scheduler decides: copy_pte_range's need_resched break (`progress >= 32`) split a copy piece, so the
 * zap goes past that point whole and lands on a later one; zap_pte_range's need_resched break splits a zap piece, so a
 * value inside a piece is matched once the kernel lands on that piece's end (as the lockstep's own splits, counted in
 * resched_splits); a value past the end of a piece it had begun is a mismatch.
 * False: not compared here (no mirror, or the final 0).
 */
function mirrorTeardown(st: LockState, b: BufferedRss, mm: Mm, mlog: MmLog, kPrev: number): boolean {
  const m = b.member;
  const c = mlog.copied[m]!;
  let at = mlog.mirrorAt[m]!;
  if (at === -1) {
    // decided at the member's first teardown event
    at = mlog.mirrorAt[m] = c.length > 0 && kPrev === c[c.length - 1] && mlog.rssAtCopy[m] === mlog.rssAtTeardown[m] ? 0 : -2;
  }
  if (at < 0) return false;
  const total = c[c.length - 1]!, raw = b.size / F.PAGE_SIZE;
  const key = mm.idx * 4 + m;
  const name = RSS_MEMBER_NAMES[m] ?? String(m);
  const point = (j: number): number => (j < c.length ? total - c[j]! : 0);
  if (raw === 0) {
    // the teardown's end is every model's value after exit_mmap (comparing it would test nothing); a split piece must end here
    settleSplit(st, key, at === c.length - 1);
    return false;
  }
  let k = at;
  while (k < c.length && point(k) > raw) k++; // points the kernel is past
  const onPoint = k < c.length && point(k) === raw;
  const open = st.splitOpen.has(key);
  if (!onPoint && k < c.length && raw < kPrev && !(open && k > at)) {
    // inside a piece (past copy points whole, or the piece a split already began): a zap split, matched when the
    // kernel lands on the piece's end
    countCompared(st.t, mm, m, name);
    hit(st.t, mm, m, name, false);
    openSplit(st, key, mm, name, point(k), b, false);
    mlog.mirrorAt[m] = k;
    return true;
  }
  // (a piece the kernel reported part of must end on its point, not past it)
  settleSplit(st, key, onPoint && k === at);
  countCompared(st.t, mm, m, name);
  if (onPoint && !(open && k > at)) hit(st.t, mm, m, name, false);
  else mismatch(st.t, b, mm, name, point(at));
  mlog.mirrorAt[m] = onPoint ? k + 1 : k; // on with the piece the kernel is in
  resetLog(mlog.log[m]!, mlog.walk[m]!, mm.rss[m]!);
  return true;
}

/**
 * `exact`: the kernel's counters are exact (6.2+); before, compared within SPLIT_RSS_COUNTING's 64 pages.
 * `quiet`: when set, a decrease nothing traced explains is untraced reclaim (not compared, counted, resynchronised).
 */
export function createLockstep(t: Tally, exact: boolean, quiet: QuietAt | null = null): Lockstep {
  const st: LockState = { t, exact, quiet, hintLine: -1, offsets: new Map(), deferred: new Map(), splitOpen: new Map(), lastOfTask: new Map(), pieceRuns: new Map(), ahead: new Map() };
  return {
    onRss: (b, mm, use, mlog) => lockOnRss(st, b, mm, use, mlog),
    hint: (line) => void (st.hintLine = line),
    lost: () => st.offsets.clear(),
    sysExit(tid) {
      if (st.splitOpen.size) for (const [key, o] of st.splitOpen) if (o.events[0]!.b.tid === tid) revokeSplit(st, key);
      if (st.pieceRuns.size) endPieceRuns(st, tid);
    },
    end() {
      for (const key of [...st.splitOpen.keys()]) revokeSplit(st, key);
      for (const key of [...st.ahead.keys()]) closeAhead(st, key);
    },
  };
}
