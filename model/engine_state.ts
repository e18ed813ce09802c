// One variant engine's tables (tasks, processes, execs in flight, rss_stat events held) and result tallies, shared by
// the files the engine's events dispatch to (fault_entry, task_lifecycle, exec, syscall_effects, rss_stat).
import type { ExecState } from './exec.js';
import type { Unsure } from './untraced_clone_exec.js';
import { newFaultCtx } from './memory.js';
import { createMm } from './mm.js';
import { countPath as countIn, countPathRun as countInRun, newPathAcc, newProc, newSum, type PathAcc, type ProcAcc, type SumAcc } from './results.js';
import { compilePrices, type CostProfile, type FaultDraws, type FaultPrices } from './costs.js';
import type { BufferedRss, RssStatSink } from './rss_stat.js';
import { logUpdate } from './rss_log.js';
import * as F from './flags.js';
import { blockOf, pteIndex, unmapEntry } from './page_table.js';
import { PMD_TABLE, type FaultCtx, type Mm, type ModelCtx, type Task } from './state.js';
import type { VariantResult } from './types.js';
import type { SyscallEnterEvent, TraceEvent } from '../traces/events.js';

/**
 * What the engine assumed where the trace did not say (issue 12), counted: a mapping call applied without its
 * sys_exit (assumed successful), one whose effect needs the return value and was skipped, a call applied at its first
 * zap piece whose exit then reported a failure, an mm_id that came back for a new mm, a task that turned out to be
 * a thread of an mm it was not seen joining, an execve or a fork (its child mm) inferred without their syscall events,
 * a page a traced fault mapped that a later traced fault proved gone (memory.ts handlePteFault: page_left_unseen).
 */
export type AssumptionKind = 'untraced_exit' | 'untraced_exit_skipped' | 'applied_call_failed' | 'mm_id_reused' | 'thread_adopted' | 'kernel_fault_untraced' | 'exec_inferred' | 'fork_inferred' | 'page_left_unseen';
export const ASSUMPTION_KINDS: readonly AssumptionKind[] = ['untraced_exit', 'untraced_exit_skipped', 'applied_call_failed', 'mm_id_reused', 'thread_adopted', 'kernel_fault_untraced', 'exec_inferred', 'fork_inferred', 'page_left_unseen'];

/** faultedSince's value when any member may still move (a mapping call's pieces follow, or the fault is not applied yet). */
export const FAULTED_ANY = 0xff;

/** faultedSince's value for a fault that changed the members in mask (a bit per member): changed << 4 | still to come. */
export const faultBits = (mask: number): number => (mask << 4) | mask;

export interface EngineState {
  ctx: ModelCtx;
  profile: CostProfile | null;
  /** The profile's prices, read once (null: no profile, every cost 0). */
  prices: FaultPrices | null;
  /** This engine's place in each thread's and path's stratified sequence (costs.ts nextQuantile): state, not prices. */
  draws: FaultDraws;
  /** Bound on series points per process. */
  seriesPoints: number;
  /** Validation callback for every rss_stat event (null when only replaying). */
  rssSink: RssStatSink | null;
  tasks: Map<number, Task>;
  procs: Map<number, ProcAcc>;
  /** mm by the rss_stat mm_id learnt for it. */
  byMmId: Map<number, Mm>;
  /** Exec in flight per tid: the mm being built (learnt from curr=0 events) and whether the switch happened. */
  execs: Map<number, ExecState>;
  /** rss_stat events held while the model has not applied the operation yet (fork copies, mm syscalls). */
  held: Map<number, BufferedRss[]>;
  inClone: Set<number>;
  /** Tasks whose curr=0 events on a new mm_id are a fork's copy or an exec's argument pages, not yet known which (untraced_clone_exec.ts). */
  unsure: Map<number, Unsure>;
  /** Tasks whose fork copied an mm (child-mm events were seen), for a sched_process_fork without task_newtask's flags. */
  copied: Set<number>;
  /** The mapping call in flight per tid (its sys_enter): applied at its exit, its first zap piece, or its return. */
  inMmCall: Map<number, SyscallEnterEvent>;
  /** The last rss_stat size per mm_id * 4 + member: a dead mm's id whose counter rises again is a new mm. */
  lastSize: Map<number, number>;
  assumed: Record<AssumptionKind, number>;
  /** The trace has shown a page_fault_kernel: kernel-mode faults are recorded, none is inferred. */
  sawKernelFault: boolean;
  /**
   * Tasks that took a fault (or whose mapping call began applying) since their last event other than rss_stat, each
   * with faultBits: the counter members the model's fault changed, and those whose rss_stat has not come yet.
   */
  faultedSince: Map<number, number>;
  /**
   * Per tid, its last file read fault the trace's count decided (its mm, and whether its own update came); mm null
   * once the task moved on. Entries are reused, not deleted, until the task exits: a Map that empties on every delete
   * reallocates its table each time (V8's OrderedHashTable shrink), and on a file-backed workload that was the
   * replay's largest source of promoted garbage.
   */
  fileRead: Map<number, FileReadNote>;
  /** Entries of fileRead whose mm is set (the fast path's test, for Map.size). */
  fileReadLive: number;
  /** The mm each exited task last used, for its teardown's rss_stat events. */
  exitedMm: Map<number, Mm>;
  /** Tasks first seen mid-trace with no syscall yet, or whose inferred exec already switched: an exec we see the end of keeps their mm. */
  fresh: Set<number>;
  /** mm idx -> bit per member whose baseline was learnt from rss_stat. */
  adopted: Map<number, number>;
  /**
   * The child of the fork being given its copy's rss_stat events, and the members its parent (older than the trace)
   * never reported: the copy counts pages the trace never showed (null when none).
   */
  unknownCopy: { child: Mm; members: number } | null;
  /** The child of the fork being given its copy's rss_stat events (validation keeps their values: rss_log.ts noteCopyPiece). */
  copying: Mm | null;
  /**
   * Tasks whose munmap/madvise(MADV_DONTNEED) zaps, in an mm older than the trace, a range the trace did not map
   * whole (syscall_effects.ts: noteZap): the mm, its counters before the zap, the kernel's before its first piece, and
   * a bit per member whose pieces have shown pages from before the trace (rss_stat.ts: zapUnseenPiece).
   */
  zapping: Map<number, { mm: Mm; model: Float64Array; kernel: Float64Array; unseen: number }>;
  marks: VariantResult['marks'];
  /** The variant's faults and latency by path id (totals). */
  totals: PathAcc;
  /** Σ over live processes of anon RSS and page tables, with their peaks (the totals' peak of the sum). */
  sum: SumAcc;
  /** A syscall's GUP population tally: [faults, pages, tables] (model/populate.ts). */
  out: Float64Array;
  /** The fault being handled (struct vm_fault), reused. */
  f: FaultCtx;
  inferredFaults: number;
  /**
   * The trace has rss_stat but no page-fault events (arm64 has no fault tracepoint): each rss_stat sets the model's
   * counter (the kernel's figure, inferred rather than modelled); counts the events that did.
   */
  countersFromTrace: number | null;
  forkLatency: number;
  faultLatency: number;
  /** The last recorded fault's path and its id (fault_entry.ts recordFault: most faults take the path the one before took, and pathId is a lookup by string). */
  lastPath: string;
  lastPathId: number;
  forks: number;
  lastTime: number;
}

export function newEngineState(ctx: ModelCtx, profile: CostProfile | null, seriesPoints: number, rssSink: RssStatSink | null): EngineState {
  return {
    ctx, profile, prices: profile ? compilePrices(profile) : null, draws: new Map(), seriesPoints, rssSink,
    tasks: new Map(), procs: new Map(), byMmId: new Map(), execs: new Map(), held: new Map(),
    inClone: new Set(), unsure: new Map(), copied: new Set(), inMmCall: new Map(), lastSize: new Map(),
    assumed: { untraced_exit: 0, untraced_exit_skipped: 0, applied_call_failed: 0, mm_id_reused: 0, thread_adopted: 0, kernel_fault_untraced: 0, exec_inferred: 0, fork_inferred: 0, page_left_unseen: 0 },
    sawKernelFault: false, faultedSince: new Map(), fileRead: new Map(), fileReadLive: 0,
    exitedMm: new Map(), fresh: new Set(), adopted: new Map(), unknownCopy: null, copying: null, zapping: new Map(),
    marks: [], totals: newPathAcc(), sum: newSum(), out: new Float64Array(3), f: newFaultCtx(null as never),
    inferredFaults: 0, countersFromTrace: null, forkLatency: 0, faultLatency: 0, lastPath: '', lastPathId: -1, forks: 0, lastTime: 0,
  };
}

/** The two fields the notes below keep. */
type FileReads = Pick<EngineState, 'fileRead' | 'fileReadLive' | 'ctx'>;

/** A task's last file read fault, while its own rss_stat may still come (EngineState.fileRead). */
export interface FileReadNote {
  mm: Mm | null;
  own: boolean;
  /** The faulting address when fault-around mapped none (memory.ts doReadFault): its page mapped, counted by the
   *  second update; -1 none. (An address, not the PTE table: another thread's munmap may free the table meanwhile.) */
  page: number;
}

/**
 * tid took a file read fault in mm whose page-cache count the trace decided: its next rss_stat may be its own update.
 * `page`: the faulting address whose page is mapped but not yet counted (-1: none such).
 */
export function noteFileRead(st: FileReads, tid: number, mm: Mm, page = -1): void {
  let n = st.fileRead.get(tid);
  if (n === undefined) st.fileRead.set(tid, (n = { mm: null, own: false, page: -1 }));
  if (n.mm === null) st.fileReadLive++;
  n.mm = mm;
  n.own = false;
  n.page = page;
}

/** tid's file read note is over (its next event that is not its own rss_stat; or the second update came). */
export function endFileRead(st: FileReads, tid: number): void {
  const n = st.fileRead.get(tid);
  if (n === undefined || n.mm === null) return;
  const mm = n.mm, a = n.page;
  n.mm = null;
  st.fileReadLive--;
  if (a < 0) return;
  n.page = -1;
  // no second update: finish_fault did not map the page (mm/memory.c: VM_FAULT_NOPAGE/RETRY), so neither does the model
  const s = mm.pmds.get(blockOf(a));
  if (s === undefined || s.kind !== PMD_TABLE) return;
  const i = pteIndex(a);
  if ((s.table!.fl[i]! & (F.PTE_PRESENT | F.PTE_FILE)) === (F.PTE_PRESENT | F.PTE_FILE)) unmapEntry(st.ctx, mm, s.table!, i);
}

/** tid's exit event, after endFileRead: its spent note goes, so fileRead holds no more entries than live threads. */
export function dropFileRead(st: FileReads, tid: number): void {
  const n = st.fileRead.get(tid);
  if (n !== undefined && n.mm === null) st.fileRead.delete(tid);
}

/** The process (thread group) accumulator for pid, created on first sight. */
export function proc(st: EngineState, pid: number, comm: string): ProcAcc {
  let p = st.procs.get(pid);
  if (!p) {
    p = newProc(pid, comm, st.sum);
    st.procs.set(pid, p);
  }
  return p;
}

/** The task an event is about; a task first seen here predates the trace (its mm's baselines come from rss_stat). */
export function task(st: EngineState, e: Pick<TraceEvent, 'tid' | 'pid' | 'comm'>): Task {
  return st.tasks.get(e.tid) ?? newTask(st, e.tid, e.pid, e.comm);
}

/** task() for a task not seen yet (the event's fields passed as values: task's callers' events are of every kind, so its loads are megamorphic). */
export function newTask(st: EngineState, tid: number, pid: number, comm: string): Task {
  const tgid = pid >= 0 ? pid : tid;
  const leader = tgid !== tid ? st.tasks.get(tgid) : undefined;
  let mm: Mm;
  if (leader) {
    mm = leader.mm;
    mm.users++;
  } else {
    mm = createMm(st.ctx, tgid, true); // predates the trace: no mmap history, baselines learnt from rss_stat
    logUpdate(st.ctx, mm);
    st.fresh.add(tid);
  }
  const t: Task = { tid, tgid, comm, mm, exited: false };
  st.tasks.set(tid, t);
  proc(st, tgid, comm);
  return t;
}

/** ownerPid of a child mm copied without task_newtask / sched_process_fork (untraced_clone_exec.ts): its task is not known yet. */
export const ORPHAN_OWNER = -2;

/**
 * include/trace/events/kmem.h: rss_stat's curr is `mm == current->mm`: a task whose curr=1 event names a live mm it
 * was never seen joining is a thread of that mm (created before the trace, or by a clone the trace lacks). The
 * stand-in mm made for it on first sight (task above) is dropped.
 */
export function adoptThread(st: EngineState, t: Task, mm: Mm): void {
  const old = t.mm;
  if (mm.ownerPid === ORPHAN_OWNER) {
    // the child of a fork inferred from its copy (kernel/fork.c: copy_mm): a process of its own, the mm's one user
    old.users--;
    t.mm = mm;
    mm.ownerPid = t.tgid;
    return;
  }
  if (--old.users <= 0 && old.ownerPid === t.tid && old.ownerPid !== mm.ownerPid) st.procs.delete(old.ownerPid);
  t.mm = mm;
  mm.users++;
  t.tgid = mm.ownerPid;
  st.assumed.thread_adopted++;
}

/**
 * Two tasks the model runs on different mms: an event of one changes nothing the other's fault reads (each event is
 * applied to its own task's model mm; mm/memory.c: handle_mm_fault works on vma->vm_mm only), so a fault of one need
 * not be applied before the other's next event. Stand-in mms (tasks that predate the trace, no mm_id yet) count too:
 * until adopted they are model mms of their own, and adoption rides on the task's own fault or rss_stat.
 */
export function onApartMms(st: EngineState, a: number, b: number): boolean {
  const ta = st.tasks.get(a), tb = st.tasks.get(b);
  // an mm a traced fork made shares its parent's anon pages (mm/memory.c: copy_present_pte): whose write fault comes
  // first decides who copies and who reuses (wp_can_reuse_anon_folio), so such pairs (one anon_vma root: mm/rmap.c
  // anon_vma_fork) keep the trace's fault order; mms of different roots share no anon page
  return ta !== undefined && tb !== undefined && ta.mm !== tb.mm && ta.mm.anonRoot !== tb.mm.anonRoot;
}

/** One fault record of path id (fault_paths.ts: pathId) under p and the variant's totals. */
export function countPath(st: EngineState, p: ProcAcc, id: number, ns: number): void {
  countIn(p.paths, id, ns);
  countIn(st.totals, id, ns);
}

/** k fault records of path id costing ns each: as k countPath calls. */
export function countPathRun(st: EngineState, p: ProcAcc, id: number, ns: number, k: number): void {
  countInRun(p.paths, id, ns, k);
  countInRun(st.totals, id, ns, k);
}
