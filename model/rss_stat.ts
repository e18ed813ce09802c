// kmem:rss_stat (include/trace/events/kmem.h, fired by include/linux/mm.h: add_mm_counter): which model mm each event
// is about, the baselines it teaches for mms that predate the trace, and events held until the model catches up.
import { MM_ANONPAGES, MM_FILEPAGES, MM_SHMEMPAGES, type RssStatEvent } from '../traces/events.js';
import { adoptThread, endFileRead, FAULTED_ANY, task, type EngineState } from './engine_state.js';
import { argPagesFaulted, nascentExecMm, oldMmArgEvent, switchExec } from './exec.js';
import * as F from './flags.js';
import { createMm } from './mm.js';
import { addMmCounter } from './rss.js';
import { callBegan } from './syscall_effects.js';
import { newMmId, startsUnsure } from './untraced_clone_exec.js';
import { remapSeen } from './thp_deferred_split.js';
import { exitedUnseen } from './task_lifecycle.js';
import { logOf, logUpdate, noteCopyPiece, notePhantomAtExit, type MmLog } from './rss_log.js';
import type { Mm } from './state.js';

/**
 * How an rss_stat event relates to the model: compared (hinted: its value was read into the model first, like a
 * fault's hint), used as the baseline of an mm that predates the trace, not mapped, a subpage the kernel's deferred
 * THP split remapped (model/thp_deferred_split.ts: followed, not compared), or a zap piece over a range that may hold
 * pages mapped before the trace (zapUnseenPiece: followed, not compared).
 */
export type RssStatUse = 'compare' | 'hinted' | 'baseline' | 'unmapped' | 'thp_remap' | 'unseen_zap';

/** Validation callback: one kmem:rss_stat event, the model mm it belongs to and that mm's log (null when unmapped). */
export type RssStatSink = (e: BufferedRss, mm: Mm | null, use: RssStatUse, log: MmLog | null) => void;

/** The fields of an rss_stat event the model reads (an RssStatEvent itself: events may be held until the model catches up). */
export interface BufferedRss {
  time: number;
  line: number;
  tid: number;
  pid: number;
  comm: string;
  mmId: number;
  curr: boolean;
  member: number;
  size: number;
  /** Android's rss_stat_throttled: emitted only after a large enough change. */
  throttled: boolean;
}

/** One kmem:rss_stat event: held while its clone or mm syscall is in flight, else mapped to its mm now. */
export function onRssStat(st: EngineState, e: RssStatEvent): void {
  const b: BufferedRss = e; // no copy: readers make one object per event and never change it once emitted
  // (the tables below are empty for most events: a size test first skips the hash lookup, ~5 ns each per engine)
  // a mapping call's first piece: apply it now when its arguments decide it (other threads' events count it already),
  // to the mm the piece names (curr=1: current->mm, the mm the call runs on) when the task is a thread not adopted yet
  if (e.curr && st.inMmCall.size !== 0 && st.inMmCall.has(e.tid)) {
    adoptForCall(st, e);
    if (callBegan(st, e.tid)) st.faultedSince.set(e.tid, FAULTED_ANY); // its pieces follow: not kernel faults
  }
  const fb = e.curr ? st.faultedSince.get(e.tid) : undefined;
  if (fb !== undefined && fb !== FAULTED_ANY && e.member < 4) {
    if (fb & (1 << e.member)) st.faultedSince.set(e.tid, fb & ~(1 << e.member)); // the fault's own update came
    else if (fb & (0x10 << e.member)) st.faultedSince.set(e.tid, fb | (REPEAT << e.member)); // another, after it
  }
  // held until the model applies the operation: child-mm copies during clone, zaps/populates inside mm syscalls
  // and a fork's copy or an exec's argument pages with no clone or execve traced (untraced_clone_exec.ts)
  const hold = (st.inClone.size !== 0 && st.inClone.has(e.tid) && !e.curr && (st.countersFromTrace !== null ? !st.byMmId.has(e.mmId) || st.byMmId.get(e.mmId)!.dead : newMmId(st, e.tid, e.mmId, e.mmId * 4 + e.member, e.size))) ||
    (st.inMmCall.size !== 0 && st.inMmCall.has(e.tid)) || (st.unsure.size !== 0 && st.unsure.has(e.tid)) || (!e.curr && startsUnsure(st, e.tid, e.mmId, e.curr, e.mmId * 4 + e.member, e.size));
  if (hold) {
    let h = st.held.get(e.tid);
    if (!h) st.held.set(e.tid, (h = []));
    h.push(b);
    return;
  }
  useRss(st, b, true);
}

/**
 * A task first seen in this mapping call (its stand-in mm, task() in engine_state.ts) whose call's first piece names a
 * live mm with curr=1 is a thread of that mm (include/trace/events/kmem.h: curr = mm == current->mm), adopted before
 * the call is applied so the call changes the mm it ran on.
 */
function adoptForCall(st: EngineState, e: RssStatEvent): void {
  const t = st.tasks.get(e.tid);
  const known = st.byMmId.get(e.mmId);
  if (t && known && !known.dead && t.mm !== known && t.mm.mmId === -1 && t.mm.predates && !st.execs.has(e.tid)) adoptThread(st, t, known);
}

/** Release the events held for tid (its syscall or clone is done: the model has applied it). */
export function flushHeld(st: EngineState, tid: number): void {
  const h = st.held.get(tid);
  if (!h) return;
  st.held.delete(tid);
  for (const b of h) useRss(st, b, false);
}

/** Release the events held for tid as if they arrived now (an exec inferred after them: resolved as its events). */
export function replayHeld(st: EngineState, tid: number): void {
  const h = st.held.get(tid);
  if (!h) return;
  st.held.delete(tid);
  for (const b of h) useRss(st, b, true);
}

/** Lost events: forget learnt baselines so they are learnt again. */
export function relearnBaselines(st: EngineState): void {
  st.adopted.clear();
  for (const mm of st.byMmId.values()) mm.predates = true; // relearn every baseline after a gap
}

function useRss(st: EngineState, b: BufferedRss, now: boolean): void {
  const { ctx } = st;
  const sizeKey = b.mmId * 4 + b.member; // (with member >= 4, Android's, the next mm_id's keys: kept as it always was)
  const prev = st.lastSize.get(sizeKey); // the kernel's last value of this counter (resolveRss moves it on)
  const mm = now ? resolveRss(st, b, sizeKey, prev) : (st.byMmId.get(b.mmId) ?? resolveHeld(st, b));
  // (a curr=0 piece held during a copy into a child or a nascent exec mm: no other task reports that mm meanwhile)
  if (!now && !b.curr) st.lastSize.set(sizeKey, b.size);
  const sink = st.rssSink;
  if (!mm) {
    sink?.(b, null, 'unmapped', null);
    return;
  }
  if (b.member > MM_SHMEMPAGES) {
    // a counter the model does not have (Android kernels add members past NR_MM_COUNTERS' four): not compared
    sink?.(b, null, 'unmapped', null);
    return;
  }
  if (st.copying === mm && !b.curr) noteCopyPiece(ctx, mm, b.member, b.size / F.PAGE_SIZE); // the child's teardown mirrors it
  if (st.countersFromTrace !== null) {
    // no page-fault events to model the counters by: the kernel's figure is the model's (and nothing to compare);
    // curr=1 is the task's own mm (include/trace/events/kmem.h: curr = mm == current->mm): mm_ids of freed mms recur
    // and a copy into a child during clone may carry the id of an mm freed earlier (the exec'd-away one)
    const own = b.curr ? st.tasks.get(b.tid)?.mm : undefined;
    const m = own && !own.dead ? learn(st, own, b.mmId) : !b.curr && mm.dead ? (resolveHeld(st, b) ?? mm) : mm;
    const pages = Math.max(0, b.size) / F.PAGE_SIZE - m.rss[b.member]!; // (a negative size: pre-6.2 split counters)
    if (pages !== 0 && !m.dead) addMmCounter(ctx, m, b.member, pages);
    st.countersFromTrace++;
    sink?.(b, m, 'baseline', ctx.rssLogs && logOf(ctx.rssLogs, m));
    return;
  }
  oldMmArgEvent(st, b, mm);
  const bit = 1 << b.member;
  const done = st.adopted.get(mm.idx) ?? 0;
  // Android's rss_stat_throttled fires only when the 512 KiB bucket changes (Perfetto's hist trigger,
  // src/traced/probes/ftrace/tracefs.cc: bucket=size/0x80000), so an mm's first one comes late: when validation's
  // log shows the model already went through that bucket, the trace showed those pages and it is no baseline
  const bucket = Math.floor(b.size / 0x80000);
  // (or stepped over it in one update: a batched zap piece of 462 pages crosses three buckets, and the kernel, splitting
  // that piece on need_resched, can report a value inside it: populate's munmap of 64 MiB)
  const log = ctx.rssLogs === null ? null : logOf(ctx.rssLogs, mm).log[b.member]!;
  const at = b.size / F.PAGE_SIZE;
  const late = b.throttled && log !== null && log.some((p, k) => Math.floor((p * F.PAGE_SIZE) / 0x80000) === bucket || (k > 0 && (at - log[k - 1]!) * (at - p) < 0));
  const copied = st.unknownCopy !== null && st.unknownCopy.child === mm && !b.curr && (st.unknownCopy.members & bit) !== 0;
  const nascent = nascentExecMm(st, b, mm);
  if ((mm.predates && !(done & bit) && !late) || nascent || copied) {
    // the kernel counted pages before the trace showed them: take its figure as this mm's baseline
    // (also each arg page that execve's get_arg_page writes into the nascent mm: argv/envp sizes are not in the trace;
    // and each piece of a fork's copy of a member its parent, older than the trace, never reported: st.unknownCopy)
    st.adopted.set(mm.idx, done | bit);
    // include/linux/mm.h before 6.2 (SPLIT_RSS_COUNTING): the shared counter can dip below zero while per-task deltas
    // wait for sync_mm_rss; the mm's true count is not negative, so a negative size teaches a baseline of 0
    const pages = Math.max(0, b.size) / F.PAGE_SIZE - mm.rss[b.member]!;
    if (pages !== 0 && !mm.dead) {
      mm.phantom[b.member]! += pages;
      if (nascent && b.member === MM_ANONPAGES && pages > 0) mm.argPages += pages; // fs/exec.c: get_arg_page, the stack's top
      addMmCounter(ctx, mm, b.member, pages);
    } else if (pages !== 0) notePhantomAtExit(ctx, mm, b.member, pages); // first seen in its teardown: all unknown
    sink?.(b, mm, 'baseline', ctx.rssLogs && logOf(ctx.rssLogs, mm));
    argPagesFaulted(st, b, mm);
    return;
  }
  if (now && zapUnseenPiece(st, b, mm, prev)) {
    sink?.(b, mm, 'unseen_zap', ctx.rssLogs && logOf(ctx.rssLogs, mm));
    return;
  }
  if (now && remapSeen(st, b, mm, prev)) {
    // one zero-filled subpage of a THP the kernel's shrinker split (no traced cause): the model follows it
    sink?.(b, mm, 'thp_remap', ctx.rssLogs && logOf(ctx.rssLogs, mm));
    return;
  }
  const kf = now ? untracedKernelFault(st, b, mm, prev) : 0;
  if (kf !== 0) {
    // the kernel's value, taken (a counted assumption): the page it faulted in is not in the model's tables
    // (after a user fault that changed the member: the kernel's own rise, in this variant too, see untracedKernelFault)
    const pages = kf === KF_AFTER_FAULT ? (b.size - prev!) / F.PAGE_SIZE : b.size / F.PAGE_SIZE - mm.rss[b.member]!;
    mm.phantom[b.member]! += pages;
    addMmCounter(ctx, mm, b.member, pages);
    st.assumed.kernel_fault_untraced++;
  }
  const read = st.fileReadLive !== 0 ? st.fileRead.get(b.tid) : undefined;
  let use: RssStatUse = 'compare';
  if (now && read && read.mm === mm && b.curr && b.member === MM_FILEPAGES) {
    // (the kernel's own rise: after a resync the model's counter is offset from the kernel's, so not the distance to it)
    const pages = prev === undefined ? b.size / F.PAGE_SIZE - mm.rss[MM_FILEPAGES]! : (b.size - prev) / F.PAGE_SIZE;
    if (!read.own) read.own = true;
    else if (pages > 0) {
      // mm/memory.c: do_read_fault: do_fault_around (mm/filemap.c: filemap_map_pages, one add_mm_counter for the
      // page-cache pages around) did not map the faulting page, so __do_fault + finish_fault map its folio and count
      // it again: one read fault, two MM_FILEPAGES updates. The second count is the trace's, as the first was the fault's
      // hint; which PTEs it filled is not traced (counted where the model keeps pages it cannot place)
      // (fault-around mapped none: the faulting page is this update's, already in the model's table, memory.ts doReadFault)
      const own = read.page >= 0 ? 1 : 0;
      read.page = -1;
      mm.phantom[MM_FILEPAGES]! += pages - own;
      addMmCounter(ctx, mm, MM_FILEPAGES, pages);
      endFileRead(st, b.tid);
      use = 'hinted';
    }
  }
  sink?.(b, mm, use, ctx.rssLogs && logOf(ctx.rssLogs, mm));
  argPagesFaulted(st, b, mm);
}

/**
 * A piece of a zap in an mm older than the trace over a range its mmaps did not show whole (st.zapping): the kernel
 * frees every present page there (mm/memory.c: zap_pte_range, add_mm_rss_vec per piece). Once it has freed more since
 * the call began than the model (whose pages in the range all went at the call's start), it has freed pages mapped
 * before the trace, whose places are unknowable: that piece and the call's later ones are not compared, and the
 * excess comes out of the mm's pages from before the trace (phantom, at most all of them; an excess larger than those
 * is no evidence of them). Until then, compared.
 */
function zapUnseenPiece(st: EngineState, b: BufferedRss, mm: Mm, prev: number | undefined): boolean {
  const z = st.zapping.size !== 0 ? st.zapping.get(b.tid) : undefined;
  if (!z || z.mm !== mm || prev === undefined || !b.curr || b.member > MM_SHMEMPAGES) return false;
  const m = b.member;
  if (Number.isNaN(z.kernel[m])) z.kernel[m] = prev / F.PAGE_SIZE;
  const extra = (b.size / F.PAGE_SIZE - z.kernel[m]!) - (mm.rss[m]! - z.model[m]!);
  // (an excess beyond the mm's pages from before the trace is the model's own error: compared)
  if (!(z.unseen & (1 << m)) && (extra >= 0 || -extra > mm.phantom[m]!)) return false;
  z.unseen |= 1 << m;
  if (extra < 0) {
    const pages = Math.max(extra, -mm.phantom[m]!);
    mm.phantom[m]! += pages;
    if (pages !== 0) addMmCounter(st.ctx, mm, m, pages);
  }
  return true;
}

/**
 * A kernel-mode fault the trace cannot show (no page_fault_kernel recorded: copy_to_user into a fresh read() buffer,
 * fs/binfmt_elf.c: load_elf_binary clearing bss): the task's own counter rises by a fault's worth (one page, or
 * mm/filemap.c: filemap_map_pages' fault-around of up to 16) with no fault of its since its last other event, or
 * after a user fault whose own updates the kernel already reported (faultReported), or an MM_ANONPAGES rise of one
 * folio after the user fault's own MM_ANONPAGES update (REPEAT: KF_AFTER_FAULT, the kernel's rise added).
 * Single-threaded mms only: with several threads another CPU's fault may be what the counter already shows.
 */
function untracedKernelFault(st: EngineState, b: BufferedRss, mm: Mm, prev: number | undefined): number {
  // a page-size what-if: the kernel counted the trace's pages, not this variant's; nothing to take from it mid-trace
  if (st.ctx.geo !== st.ctx.traceGeo) return 0;
  const faulted = st.faultedSince.get(b.tid);
  if (st.sawKernelFault || !b.curr || mm.users > 1 || mm.dead || (st.execs.size !== 0 && st.execs.has(b.tid))) return 0;
  if (b.member !== MM_ANONPAGES && b.member !== MM_FILEPAGES) return 0;
  if (faulted !== undefined && b.member === MM_ANONPAGES && faulted & (REPEAT << MM_ANONPAGES) && (faulted & 0xf) === 0 && prev !== undefined) {
    // a second MM_ANONPAGES rise after the user fault's own: each anon fault path counts once (mm/memory.c:
    // do_anonymous_page's one add_mm_counter of its folio, wp_page_copy's, do_cow_fault's), so this is a kernel-mode
    // fault, copy_to_user (read()) into the next fresh page of the buffer the user fault began. It happens in a variant
    // only where that variant's own path for the user fault counted the member too (its bits say so: a page eager
    // population had already counted is no fault there), and it adds the kernel's own rise, never the distance from the
    // kernel's total (a patched variant's counter differs from the kernel's by the patch). One folio: a page, or an
    // anon mTHP of order 2-4 (mm/memory.c: alloc_anon_folio; x86-64 has no anon order 1)
    const k = (b.size - prev) / F.PAGE_SIZE;
    return k === 1 || k === 4 || k === 8 || k === 16 ? KF_AFTER_FAULT : 0;
  }
  if (faulted !== undefined && !faultReported(b, faulted)) return 0;
  const k = b.size / F.PAGE_SIZE - mm.rss[b.member]!;
  return k >= 1 && k <= 16 ? KF_RESYNC : 0;
}

/** untracedKernelFault's verdicts: the kernel's value taken (no user fault before it), or its own rise (after one). */
const KF_RESYNC = 1, KF_AFTER_FAULT = 2;
/** faultedSince bit (shifted by the member): an update of a member the fault changed came after the fault's own. */
const REPEAT = 0x100;

/**
 * The task's last user fault moved only the counters in bits (faultBits, fault_entry.ts) and the trace has shown an
 * rss_stat of each since: the fault's own events have come (each path's add_mm_counter fires once per member it
 * changes, mm/memory.c: do_anonymous_page, wp_page_copy, finish_fault; mm/filemap.c: filemap_map_pages), so a rise of
 * another member is not that fault's (a read fault's file page, then read()'s copy_to_user into fresh bss: one
 * FILEPAGES update, then ANONPAGES with no fault traced). A fault that moved nothing, or a member it moved, is left to
 * the fault: the model may have its path wrong.
 */
function faultReported(b: BufferedRss, bits: number): boolean {
  const changed = (bits >> 4) & 0xf;
  return bits !== FAULTED_ANY && changed !== 0 && (bits & 0xf) === 0 && !(changed & (1 << b.member));
}

/** The model mm an rss_stat event is about (an exec in flight has two), learning its mm_id on the way. */
function resolveRss(st: EngineState, e: BufferedRss, sizeKey: number, prev: number | undefined): Mm | null {
  const t = st.tasks.get(e.tid) ?? (st.exitedMm.has(e.tid) ? null : task(st, e));
  let known = st.byMmId.get(e.mmId);
  st.lastSize.set(sizeKey, e.size); // (prev: its value before, read by useRss)
  // (without fault events useRss takes every counter from the trace and resolves dead mms' ids itself)
  if (st.countersFromTrace === null && known && known.dead && (e.curr || (prev !== undefined && e.size > prev) || st.exitedMm.get(e.tid) !== known)) {
    // mm_id is a hash of the mm_struct pointer (include/trace/events/kmem.h: mm_ptr_to_hash) and mm_structs come from a
    // slab (kernel/fork.c: allocate_mm), so a dead mm's id comes back; a dead mm only tears down (curr=0, falling) in
    // the task that dropped it last (kernel/fork.c: mmput -> __mmput): a curr=1 event, a rising counter or another
    // task's event under its id is a new mm (perf traces have no teardown to see the counter fall and rise again)
    st.byMmId.delete(e.mmId);
    known = undefined;
    st.assumed.mm_id_reused++;
  }
  const gone = st.exitedMm.size !== 0 ? st.exitedMm.get(e.tid) : undefined;
  if (known && !known.dead && !e.curr && !t && gone !== undefined && gone !== known && gone.mmId === -1 && (prev === undefined || e.size <= prev)) lastUserGone(st, known, e.tid);
  const ex = t && st.execs.size !== 0 ? st.execs.get(e.tid) : undefined;
  if (known && e.curr && t && !ex && t.mm !== known && !known.dead && t.mm.mmId === -1 && t.mm.predates) adoptThread(st, t, known);
  if (t && ex && !ex.switched) {
    if (e.curr) {
      if (ex.newMm && ex.newMm.mmId === e.mmId) {
        switchExec(st, t, ex);
        return ex.newMm;
      }
      return learn(st, t.mm, e.mmId);
    }
    if (known && known === t.mm) {
      switchExec(st, t, ex); // the old mm's teardown has begun: exec_mmap happened
      return known;
    }
    if (known) return known;
    if (!ex.newMm) {
      ex.newMm = createMm(st.ctx, t.tgid, true); // bprm_mm_init: the new mm, populated by GUP before the switch
      logUpdate(st.ctx, ex.newMm);
      return learn(st, ex.newMm, e.mmId);
    }
    if (t.mm.mmId === -1) {
      const old = learn(st, t.mm, e.mmId);
      switchExec(st, t, ex);
      return old;
    }
    return null;
  }
  if (known) return known; // a dead mm's own teardown events included
  if (e.curr) return t ? learn(st, t.mm, e.mmId) : null;
  if (t && t.mm.mmId === -1 && !st.inClone.has(e.tid)) return learn(st, t.mm, e.mmId);
  if (gone && gone.mmId === -1) return learn(st, gone, e.mmId);
  return null;
}

/**
 * A task the trace saw exit (sched_process_exit) with a stand-in mm, never having named its own, now reports a live
 * mm's counters falling with curr=0: that is the mm's exit_mmap, which runs in the task that drops its last user
 * (kernel/exit.c: exit_mm clears current->mm, hence curr=0, then mmput -> kernel/fork.c: __mmput -> mm/mmap.c:
 * exit_mmap; on 6.16+ trace_sched_process_exit fires before exit_mm). So the task was a thread of mm, and the mm's
 * other users in the model are threads whose exits the trace missed (they exited before sched_process_exit was
 * traced): they are gone, and the mm is torn down now (its pages counted before the trace leave unplaceable,
 * model/rss_log.ts: phantomAtExit).
 */
function lastUserGone(st: EngineState, mm: Mm, tid: number): void {
  exitedUnseen(st, mm);
  st.exitedMm.set(tid, mm);
}

/** The kernel's mm_id for mm is id. */
export function learnMmId(st: EngineState, mm: Mm, id: number): Mm {
  return learn(st, mm, id);
}

function learn(st: EngineState, mm: Mm, id: number): Mm {
  if (mm.mmId !== id) {
    if (mm.mmId >= 0 && st.byMmId.get(mm.mmId) === mm) st.byMmId.delete(mm.mmId);
    mm.mmId = id;
    st.byMmId.set(id, mm);
    const p = st.procs.get(mm.ownerPid);
    if (p) p.res.mm_id = id;
  }
  return mm;
}

/** The mm of an event held during a syscall or clone whose mm_id the model had not learnt then. */
function resolveHeld(st: EngineState, b: BufferedRss): Mm | null {
  const t = st.tasks.get(b.tid);
  if (!t) return null;
  if (b.curr) return learn(st, t.mm, b.mmId);
  // a child mm copied during this clone: the newest child whose id is still unknown
  for (const c of st.tasks.values()) if (c.mm !== t.mm && c.mm.mmId === -1 && !c.mm.predates && c.mm.ownerPid !== t.tgid) return learn(st, c.mm, b.mmId);
  return null;
}
