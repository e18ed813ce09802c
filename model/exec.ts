// fs/exec.c: execve as the trace shows it: bprm_mm_init's new mm, acct_arg_size charging its arg pages to the old mm,
// exec_mmap switching mms (seen from sched_process_exec or from the new mm's own rss_stat events).
import { MM_ANONPAGES } from '../traces/events.js';
import { proc, task, type EngineState } from './engine_state.js';
import { createMm } from './mm.js';
import { noteCounters } from './results.js';
import { addMmCounter } from './rss.js';
import { logUpdate } from './rss_log.js';
import type { BufferedRss } from './rss_stat.js';
import type { Mm, Task } from './state.js';
import type { TraceEvent } from '../traces/events.js';
import { releaseMm } from './task_lifecycle.js';

/** An execve in flight: the nascent mm (bprm->mm), whether exec_mmap happened, and bprm->vma_pages. */
export interface ExecState {
  newMm: Mm | null;
  switched: boolean;
  argPages: number;
  /** acct_arg_size charged the old mm and the kernel's event for it has not been seen yet. */
  acctPending: boolean;
  /** Begun without sys_enter_execve (model/untraced_clone_exec.ts): over at exec_mmap, as no later event may end it. */
  inferred: boolean;
}

/** True for execve / execveat. */
export function isExecCall(call: string): boolean {
  return call === 'execve' || call === 'execveat';
}

/** sys_enter_execve: an exec begins on tid. */
export function beginExec(st: EngineState, tid: number, inferred = false): void {
  st.execs.set(tid, { newMm: null, switched: false, argPages: 0, acctPending: false, inferred });
}

/** sys_exit_execve: bprm_execve's failure path: acct_arg_size(bprm, 0), the old mm stays. */
export function endExec(st: EngineState, t: Task, ret: number): void {
  const ex = st.execs.get(t.tid);
  if (ex && !ex.switched && ret < 0) (acctArgSize(st, t.mm, ex, 0), st.execs.delete(t.tid));
}

/** fs/exec.c: begin_new_exec -> exec_mmap: the task takes the new mm, the old one is released. */
export function switchExec(st: EngineState, t: Task, ex: ExecState): void {
  if (ex.switched) return;
  ex.switched = true;
  const old = t.mm;
  acctArgSize(st, old, ex, 0); // fs/exec.c: begin_new_exec: acct_arg_size(bprm, 0) just before exec_mmap
  const mm = ex.newMm ?? createMm(st.ctx, t.tgid, true);
  mm.ownerPid = t.tgid;
  logUpdate(st.ctx, mm);
  t.mm = mm;
  releaseMm(st, old, t.tid); // fs/exec.c: exec_mmap -> mmput(old_mm)
  if (ex.inferred) {
    st.execs.delete(t.tid);
    // its sched_process_exec, if the trace has one, is this exec's own (fs/exec.c: exec_binprm traces it before the
    // return to user space): the mm switched here is the one it names, not a cue to switch again (onExec)
    st.fresh.add(t.tid);
  }
}

/** sched_process_exec: the exec succeeded (switch now if no rss_stat event showed it already). */
export function onExec(st: EngineState, e: TraceEvent & { kind: 'exec' }): void {
  const t = task(st, e);
  if (e.execPid === e.tid && t.tgid !== e.tid) {
    // sched_process_exec's pid is the task's after de_thread: its own, so it was no thread but a vfork child taken for
    // one (a sched_process_fork without task_newtask's flags): the group and the exec'd mm are its own
    if (t.mm.ownerPid === t.tgid && execSwitched(st, e.tid)) t.mm.ownerPid = e.tid;
    t.tgid = e.tid;
  }
  const ex = st.execs.get(e.tid);
  if (ex) switchExec(st, t, ex);
  else if (!st.fresh.has(e.tid)) switchExec(st, t, { newMm: null, switched: false, argPages: 0, acctPending: false, inferred: false });
  st.execs.delete(e.tid);
  st.fresh.delete(e.tid);
  const p = proc(st, t.tgid, e.comm);
  p.res.comm = e.comm;
  t.comm = e.comm;
  noteCounters(p, t.mm.rss, t.mm.pgtablesBytes);
  st.marks.push({ t: e.time, pid: t.tgid, kind: 'exec', comm: e.comm });
}

/** The exec in flight on tid already switched mms (from rss_stat evidence before sched_process_exec). */
function execSwitched(st: EngineState, tid: number): boolean {
  return st.execs.get(tid)?.switched ?? false;
}

/** True for an event of the mm an execve is building (bprm->mm), before exec_mmap installs it. */
export function nascentExecMm(st: EngineState, b: BufferedRss, mm: Mm): boolean {
  const ex = st.execs.get(b.tid);
  return !b.curr && ex !== undefined && !ex.switched && ex.newMm === mm;
}

/** fs/exec.c: get_arg_page: after GUP wrote an arg page into the new mm, acct_arg_size(bprm, vma_pages(bprm->vma)). */
export function argPagesFaulted(st: EngineState, b: BufferedRss, mm: Mm): void {
  if (b.curr || b.member !== MM_ANONPAGES) return;
  const ex = st.execs.get(b.tid);
  const t = st.tasks.get(b.tid);
  // the arg VMA grows down page by page as strings are copied, so its size is the new mm's anon page count
  if (ex && t && !ex.switched && ex.newMm === mm) ex.acctPending = acctArgSize(st, t.mm, ex, mm.rss[MM_ANONPAGES]!);
}

/**
 * An old-mm MM_ANONPAGES event during an exec: the one get_arg_page's acct_arg_size just made, or else the
 * acct_arg_size(bprm, 0) that begin_new_exec makes once the strings are copied (fs/exec.c), applied here.
 */
export function oldMmArgEvent(st: EngineState, b: BufferedRss, mm: Mm): void {
  if (!b.curr || b.member !== MM_ANONPAGES) return;
  const ex = st.execs.get(b.tid);
  if (!ex || ex.switched || st.tasks.get(b.tid)?.mm !== mm) return;
  if (ex.acctPending) ex.acctPending = false;
  else acctArgSize(st, mm, ex, 0);
}

/**
 * fs/exec.c: acct_arg_size: the nascent mm's arg pages are charged to the old mm's MM_ANONPAGES until exec_mmap
 * (for oom_badness), then given back with acct_arg_size(bprm, 0): one rss_stat on the old mm each way.
 */
function acctArgSize(st: EngineState, old: Mm, ex: ExecState, pages: number): boolean {
  const diff = pages - ex.argPages;
  if (diff === 0 || old.dead) return false;
  ex.argPages = pages;
  addMmCounter(st.ctx, old, MM_ANONPAGES, diff);
  return true;
}
