// A fork or an execve the trace shows no syscall for (issue 12, items 3 and 4): a curr=0 rss_stat on a new mm_id from a
// task with a known mm is kernel/fork.c: copy_mm's copy_page_range into the child, or fs/exec.c: get_arg_page into bprm->mm;
// its events are held until the trace says which, then given to the child or to the exec.
import { MM_ANONPAGES, type TraceEvent } from '../traces/events.js';
import { ORPHAN_OWNER, type EngineState } from './engine_state.js';
import { beginExec } from './exec.js';
import type { FaultHint } from './fault_entry.js';
import * as F from './flags.js';
import { dupMmap } from './fork.js';
import { logUpdate } from './rss_log.js';
import { flushHeld, learnMmId, replayHeld } from './rss_stat.js';
import type { Mm } from './state.js';
import { exitedUnseen } from './task_lifecycle.js';

/** A task whose curr=0 events on a new mm_id are not yet known to be a fork's copy or an exec's argument pages. */
export interface Unsure {
  /** The new mm_id (the child's, or bprm->mm's). */
  mmId: number;
  /**
   * The live mm the model holds under mmId, not the task's own: its users may have exited unseen (task_lifecycle.ts
   * exitedUnseen), or this is a remote change to it (reclaim, GUP); held until the events show a new mm, else theirs.
   */
  replaces: Mm | null;
  /** The first held event's member and size (bytes). */
  member: number;
  size: number;
  /** That size lay below the replaced mm's last reported value of the member. */
  below: boolean;
  /** A later piece on mmId rose above it: a new mm counting up from zero (copy_pte_range or get_arg_page pieces). */
  rose: boolean;
}

/**
 * True when a curr=0 event on mmId (new to the model, or a dead mm's id whose counter rises: mm_id reuse) from tid
 * starts an unsure copy: tid has a live mm whose id is known and no clone, exec or mapping call is in flight.
 */
export function startsUnsure(st: EngineState, tid: number, mmId: number, curr: boolean, key: number, size: number): boolean {
  if (curr || st.countersFromTrace !== null || st.unsure.has(tid) || st.inClone.has(tid) || st.execs.has(tid) || st.inMmCall.has(tid)) return false;
  const t = st.tasks.get(tid);
  if (!t || t.exited || t.mm.dead || t.mm.mmId < 0 || t.mm.mmId === mmId) return false;
  const known = st.byMmId.get(mmId);
  const replaces = known && !known.dead && known !== t.mm ? known : null;
  if (!replaces && !newMmId(st, tid, mmId, key, size)) return false;
  const member = key - mmId * 4;
  // the replaced mm's value: the kernel's last (a fork's copy, held and released, left none: the model's then)
  const last = st.lastSize.get(key) ?? (replaces && member < 4 ? replaces.rss[member]! * F.PAGE_SIZE : undefined);
  st.unsure.set(tid, { mmId, replaces, member, size, below: last !== undefined && size < last, rose: false });
  return true;
}

/**
 * True when mmId names no live mm the model knows: unknown, or a dead mm's id whose counter rises or that another task
 * than the one that dropped it reports (mm_id hashes the mm_struct pointer and mm_structs come from a slab,
 * kernel/fork.c: allocate_mm; a dead mm only falls, in its last user's mmput), which is then
 * forgotten so the events held for the new mm do not resolve to the dead one.
 */
export function newMmId(st: EngineState, tid: number, mmId: number, key: number, size: number): boolean {
  const known = st.byMmId.get(mmId);
  if (!known) return true;
  if (!known.dead || (size <= (st.lastSize.get(key) ?? Infinity) && st.exitedMm.get(tid) === known)) return false;
  st.byMmId.delete(mmId);
  st.lastSize.set(key, size);
  st.assumed.mm_id_reused++;
  return true;
}

/**
 * An event while some task's copy is unsure: does it say which it was? kernel/fork.c: copy_process runs copy_mm
 * (the child's copy_page_range events) before trace_task_newtask, and kernel_clone fires sched_process_fork before the
 * child can run (wake_up_new_task) and before the parent returns; fs/exec.c: after get_arg_page, acct_arg_size charges
 * the caller's own mm (curr=1), exec_mmap makes the new mm current (curr=1 on the new id) and mmput tears the old one
 * down (curr=0 on the old id), load_elf_binary's kernel faults follow, then sched_process_exec.
 */
export function settleUnsure(st: EngineState, e: TraceEvent, hint: FaultHint | null = null): void {
  const u = st.unsure.get(e.tid);
  if (!u) {
    // the child running on its own mm: a new task's curr=1 event on the copied id, or its fault whose own rss_stat
    // (the replay's hint, curr=1) names it
    const id = e.kind === 'rss_stat' ? (e.curr ? e.mmId : -1) : hint !== null ? hint.mmId : -1;
    if (id >= 0) for (const [tid, o] of st.unsure) if (o.mmId === id) return remoteChange(o) ? release(st, tid) : decideFork(st, tid);
    return;
  }
  switch (e.kind) {
    case 'rss_stat': {
      if (e.mmId === u.mmId && !e.curr) {
        if (u.below && e.member === u.member && e.size > u.size) u.rose = true;
        return; // more pieces of the same copy: held
      }
      const old = st.tasks.get(e.tid)!.mm.mmId;
      if (e.mmId === u.mmId || e.mmId === old) return remoteChange(u) && !acctArgCharge(st, u, e, old) ? release(st, e.tid) : decideExec(st, e.tid); // exec_mmap happened, or acct_arg_size
      return remoteChange(u) ? release(st, e.tid) : decideFork(st, e.tid);
    }
    case 'newtask':
    case 'fork':
      st.unsure.delete(e.tid); // task_lifecycle gives the held copy to the child (onNewTask -> flushHeld)
      if (u.replaces) replaced(st, u);
      st.copied.add(e.tid);
      return;
    case 'exec':
      return decideExec(st, e.tid);
    case 'fault':
      if (remoteChange(u)) return release(st, e.tid);
      return e.user ? decideFork(st, e.tid) : decideExec(st, e.tid); // load_elf_binary's faults come after exec_mmap
    case 'sys_exit':
      if (remoteChange(u)) return release(st, e.tid);
      return e.call === 'execve' || e.call === 'execveat' ? decideExec(st, e.tid) : decideFork(st, e.tid);
    default:
      if (remoteChange(u)) return release(st, e.tid);
      return decideFork(st, e.tid); // the parent returned (another syscall, its exit) with no fork event traced
  }
}

/** Held events under a live mm's id that no piece has shown rising as a new mm's: (so far) a change to that mm. */
const remoteChange = (u: Unsure): boolean => u.replaces !== null && !u.rose;

/**
 * fs/exec.c: get_arg_page -> acct_arg_size charges the caller's own mm (curr=1) MM_ANONPAGES by the arg VMA's pages,
 * which are what the held events counted into the nascent mm: a remote change to a live mm (reclaim's
 * try_to_unmap_one, a GUP by process_vm_writev) is followed by no such charge of exactly that size.
 */
function acctArgCharge(st: EngineState, u: Unsure, e: TraceEvent, old: number): boolean {
  if (e.kind !== 'rss_stat' || !e.curr || e.mmId !== old || e.member !== MM_ANONPAGES || u.member !== MM_ANONPAGES) return false;
  const prev = st.lastSize.get(old * 4 + MM_ANONPAGES);
  return prev !== undefined && e.size - prev === u.size;
}

/** No new mm after all: the held events were changes to the live mm under that id; give them to it as they came. */
function release(st: EngineState, tid: number): void {
  st.unsure.delete(tid);
  replayHeld(st, tid);
}

/**
 * A new mm took the id of a live one: mm_id hashes the mm_struct pointer (include/trace/events/kmem.h: mm_ptr_to_hash)
 * and two live mm_structs never share a pointer, so the old mm was freed: its users exited unseen. The new mm's
 * counters start from zero (kernel/fork.c: mm_init), none of the old one's last values is its.
 */
function replaced(st: EngineState, u: Unsure): void {
  const old = u.replaces!;
  u.replaces = null;
  exitedUnseen(st, old);
  if (st.byMmId.get(u.mmId) === old) st.byMmId.delete(u.mmId);
  for (let m = 0; m < 4; m++) st.lastSize.delete(u.mmId * 4 + m);
  st.assumed.mm_id_reused++;
}

/** The held events were an execve's: begin it now (fs/exec.c: bprm_mm_init) and give them to it in order. */
function decideExec(st: EngineState, tid: number): void {
  const u = st.unsure.get(tid)!;
  if (u.replaces) replaced(st, u);
  st.unsure.delete(tid);
  beginExec(st, tid, true);
  st.assumed.exec_inferred++;
  replayHeld(st, tid);
}

/**
 * The held events were a fork's copy and no task_newtask / sched_process_fork names the child: copy the mm now
 * (kernel/fork.c: dup_mmap) under the copied id; the task that first runs on that id (curr=1) takes it.
 */
function decideFork(st: EngineState, tid: number): void {
  const u = st.unsure.get(tid)!;
  if (u.replaces) replaced(st, u);
  st.unsure.delete(tid);
  const parent = st.tasks.get(tid)!;
  const child = dupMmap(st.ctx, parent.mm, ORPHAN_OWNER);
  logUpdate(st.ctx, child);
  learnMmId(st, child, u.mmId);
  st.assumed.fork_inferred++;
  flushHeld(st, tid);
}
