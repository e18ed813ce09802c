// kernel/fork.c (copy_process: a thread shares the mm, a process gets dup_mmap's copy; mmput) and kernel/exit.c
// (do_exit: the group's last thread tears the mm down): tasks as task_newtask, sched_process_fork and _exit show them.
import type { ExitEvent, ForkEvent, NewTaskEvent } from '../traces/events.js';
import { MM_ANONPAGES, MM_FILEPAGES } from '../traces/events.js';
import { forkCostNs } from './costs.js';
import { proc, task, type EngineState } from './engine_state.js';
import * as F from './flags.js';
import { dupMmap, forkCounts } from './fork.js';
import { exitMmap } from './mm.js';
import { addLat, endProc, FORK_LAT, latOf, noteCounters, notePoint } from './results.js';
import { logUpdate, noteCopyEnd } from './rss_log.js';
import { flushHeld } from './rss_stat.js';
import { missedThreadExited } from './syscall_effects.js';
import type { ExitRecord, ForkRecord } from './types.js';
import type { Mm } from './state.js';

/** kernel/fork.c: mmput: the last user's release tears the mm down (__mmput -> exit_mmap). */
export function releaseMm(st: EngineState, mm: Mm, tid: number): void {
  if (--mm.users > 0) return;
  exitMmap(st.ctx, mm); // kernel/fork.c: mmput -> __mmput -> exit_mmap
  st.exitedMm.set(tid, mm);
}

/**
 * mm's users exited with no event in the trace: kernel/exit.c: do_exit runs perf_event_exit_task before exit_mm, so a
 * `perf record -- CMD` recording stops following each task before it drops its mm (no teardown pieces either, unlike
 * an exec's mmput in fs/exec.c: exec_mmap). They are gone and the mm is torn down and freed (kernel/fork.c: mmput ->
 * __mmput -> exit_mmap, mmdrop), its mm_id free for the next mm_struct taking that slab slot.
 */
export function exitedUnseen(st: EngineState, mm: Mm): void {
  for (const [tid, o] of st.tasks) {
    if (o.mm !== mm) continue;
    st.tasks.delete(tid);
    o.exited = true;
    st.exitedMm.set(tid, mm);
  }
  mm.users = 0;
  exitMmap(st.ctx, mm);
}

/** Reused model:fork and model:exit probe records of one engine. */
export interface LifecycleRecs {
  fork: ForkRecord;
  exit: ExitRecord;
}

export function newLifecycleRecs(variant: string): LifecycleRecs {
  return {
    fork: { variant, time: 0, pid: 0, comm: '', childPid: 0, ptesCopied: 0, tablesCopied: 0, tablesShared: 0, pmdsCopied: 0, latencyNs: 0 },
    exit: { variant, time: 0, pid: 0, comm: '', rssAnonKb: 0, rssFileKb: 0, pgtablesKb: 0 },
  };
}

/** kernel/fork.c: copy_process: CLONE_VM shares the parent's mm (threads, vfork); otherwise dup_mmap copies it. */
export function onNewTask(st: EngineState, recs: LifecycleRecs, e: NewTaskEvent): void {
  const { ctx } = st;
  const parent = task(st, e);
  st.fresh.delete(e.tid);
  if (e.cloneFlags & F.CLONE_VM) st.copied.delete(e.tid);
  if (st.tasks.has(e.newPid)) return;
  const thread = (e.cloneFlags & F.CLONE_THREAD) !== 0;
  const tgid = thread ? parent.tgid : e.newPid;
  let mm: Mm;
  const pp = proc(st, parent.tgid, parent.comm);
  if (e.cloneFlags & F.CLONE_VM) {
    mm = parent.mm; // threads and vfork share the mm
    mm.users++;
  } else {
    mm = dupMmap(ctx, parent.mm, tgid);
    logUpdate(ctx, mm);
    pp.res.forks++;
    st.forks++;
    const fr = recs.fork;
    fr.time = e.time; fr.pid = parent.tgid; fr.comm = parent.comm; fr.childPid = e.newPid;
    fr.ptesCopied = forkCounts[0]!; fr.tablesCopied = forkCounts[1]! - forkCounts[3]!; fr.tablesShared = forkCounts[2]!; fr.pmdsCopied = forkCounts[3]!;
    if (forkCounts[4]) {
      fr.ptesBatched = forkCounts[4]!;
      fr.folioBatches = forkCounts[5]!;
    } else {
      delete fr.ptesBatched; // absent when no large folio was copied: such records stay as they were
      delete fr.folioBatches;
    }
    fr.latencyNs = forkCostNs(st.profile, fr);
    st.forkLatency += fr.latencyNs;
    addLat(latOf(pp.paths, FORK_LAT), fr.latencyNs);
    ctx.probes.fork?.(fr);
  }
  // a parent older than the trace that never reported a member: the copy's pieces of it count pages the trace never
  // showed (kernel/fork.c: dup_mmap -> mm/memory.c: copy_pte_range, add_mm_rss_vec per piece): baselines of the child
  const unseen = mm !== parent.mm && parent.mm.predates ? unreported(st, parent.mm) : 0;
  st.unknownCopy = unseen ? { child: mm, members: unseen } : null;
  st.tasks.set(e.newPid, { tid: e.newPid, tgid, comm: e.newComm || parent.comm, mm, exited: false });
  if (!thread) {
    const cp = proc(st, tgid, e.newComm || parent.comm);
    noteCounters(cp, mm.rss, mm.pgtablesBytes);
    notePoint(cp, e.time, st.seriesPoints, true);
    st.marks.push({ t: e.time, pid: tgid, kind: 'fork', comm: cp.res.comm });
  }
  st.copying = mm !== parent.mm ? mm : null;
  flushHeld(st, e.tid); // the child-mm rss_stat events seen during copy_page_range
  st.unknownCopy = st.copying = null;
  if (mm !== parent.mm) noteCopyEnd(ctx, mm);
}

/** A bit per counter member of mm that no rss_stat event of the trace has shown (st.lastSize: the kernel's last values). */
function unreported(st: EngineState, mm: Mm): number {
  let bits = 0;
  for (let m = 0; m < 4; m++) if (mm.mmId < 0 || !st.lastSize.has(mm.mmId * 4 + m)) bits |= 1 << m;
  return bits;
}

/**
 * sched_process_fork without task_newtask in the trace. kernel/fork.c: kernel_clone fires it for every clone, threads
 * too, after copy_process's copy_mm: child-mm events (curr=0, a new mm_id) during the clone mean the child got an mm of
 * its own; none means CLONE_VM (a thread, or a vfork child until its exec: model/exec.ts gives it its own group).
 */
export function onFork(st: EngineState, recs: LifecycleRecs, e: ForkEvent): void {
  const copied = st.copied.delete(e.tid) || (st.held.get(e.tid)?.some((b) => !b.curr) ?? false);
  if (st.tasks.has(e.childPid)) return;
  onNewTask(st, recs, { ...e, kind: 'newtask', newPid: e.childPid, newComm: e.childComm, cloneFlags: copied ? 0 : F.CLONE_VM | F.CLONE_THREAD });
}

/** kernel/exit.c: do_exit -> exit_mm: the task drops its mm; the group's last thread takes the threads it missed. */
export function onExit(st: EngineState, recs: LifecycleRecs, e: ExitEvent): void {
  const t = st.tasks.get(e.exitPid) ?? task(st, e);
  if (t.exited) return;
  t.exited = true;
  st.tasks.delete(t.tid);
  const mm = t.mm;
  const p = proc(st, t.tgid, t.comm);
  if (e.groupDead === true) {
    // kernel/exit.c: group_dead is true for the group's last thread: threads whose exit the trace missed are gone too
    for (const [tid, o] of st.tasks) {
      if (o.tgid !== t.tgid || o.mm !== mm) continue;
      missedThreadExited(st, tid, e);
      st.tasks.delete(tid);
      o.exited = true;
      mm.users--;
    }
  }
  const leaderGone = e.groupDead === true || (e.groupDead === null && t.tid === t.tgid) || mm.users <= 1;
  if (mm.users <= 1 || leaderGone) {
    noteCounters(p, mm.rss, mm.pgtablesBytes);
    if (mm.users <= 1) {
      endProc(p); // "final" = just before the teardown
      p.res.exits++;
      notePoint(p, e.time, st.seriesPoints, true);
      const xr = recs.exit;
      xr.time = e.time; xr.pid = t.tgid; xr.comm = t.comm;
      xr.rssAnonKb = (mm.rss[MM_ANONPAGES]! * F.PAGE_SIZE) / 1024; xr.rssFileKb = (mm.rss[MM_FILEPAGES]! * F.PAGE_SIZE) / 1024; xr.pgtablesKb = mm.pgtablesBytes / 1024;
      st.ctx.probes.exit?.(xr);
      st.marks.push({ t: e.time, pid: t.tgid, kind: 'exit', comm: t.comm });
    }
  }
  releaseMm(st, mm, t.tid);
  st.exitedMm.set(t.tid, mm);
}
