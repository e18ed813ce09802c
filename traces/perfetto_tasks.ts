// Perfetto's thread → process and thread → comm tables, filled from ProcessTree, process/thread descriptors and
// task events as the trace goes (the job of trace_processor's process_tracker); FtraceEvent.pid is only a thread id.
import type { Reader } from './perfetto_wire.js';
import { exact, i64 } from './perfetto_wire.js';
import * as P from './perfetto_proto.js';

const KERNEL_COMM = '<...>';

export interface Tasks {
  /** Thread id → process id (tgid), where the trace said so. */
  readonly tgidOf: Map<number, number>;
  /** Thread id → comm (at most 15 characters, as the kernel's TASK_COMM_LEN - 1). */
  readonly commOf: Map<number, string>;
  /** Per CPU: the task compact sched_switch last switched to (prev_* of the next switch). */
  readonly running: Map<number, { pid: number; prio: number; comm: string }>;
}

export function createTasks(): Tasks {
  return { tgidOf: new Map(), commOf: new Map(), running: new Map() };
}

/** The comm a thread is known by, or what ftrace prints for an unknown one. */
export const commFor = (t: Tasks, tid: number): string => t.commOf.get(tid) ?? (tid === 0 ? '<idle>' : KERNEL_COMM);

export const setComm = (t: Tasks, tid: number, comm: string): void => void t.commOf.set(tid, comm.slice(0, 15));

/** ProcessTree over [r.pos, end): its processes (pid, cmdline) and threads (tid, tgid, name). */
export function processTree(t: Tasks, r: Reader, end: number): void {
  while (r.pos < end) {
    const tag = r.uint32();
    const f = tag >>> 3;
    if ((f === P.ProcessTree.processes || f === P.ProcessTree.threads) && (tag & 7) === P.LEN) {
      const e = r.uint32() + r.pos;
      let id = -1;
      let tgid = -1;
      let name: string | null = null;
      while (r.pos < e) {
        const u = r.uint32();
        const g = u >>> 3;
        if (f === P.ProcessTree.processes && g === P.TreeProcess.pid) id = tgid = r.int32();
        else if (f === P.ProcessTree.processes && g === P.TreeProcess.cmdline) {
          const s = r.string();
          if (name === null) name = s.slice(s.lastIndexOf('/') + 1);
        } else if (f === P.ProcessTree.threads && g === P.TreeThread.tid) id = r.int32();
        else if (f === P.ProcessTree.threads && g === P.TreeThread.tgid) tgid = r.int32();
        else if (f === P.ProcessTree.threads && g === P.TreeThread.name) name = r.string();
        else r.skipType(u & 7);
      }
      if (id > 0) {
        if (tgid > 0) t.tgidOf.set(id, tgid);
        // A process's cmdline names its main thread only until a thread record says otherwise.
        if (name !== null && (f === P.ProcessTree.threads || !t.commOf.has(id))) setComm(t, id, name);
      }
    } else r.skipType(tag & 7);
  }
}

/** ProcessDescriptor or ThreadDescriptor over [r.pos, end): the thread's process and name. */
export function descriptor(t: Tasks, r: Reader, end: number, thread: boolean): void {
  let pid = -1;
  let tid = -1;
  let name: string | null = null;
  while (r.pos < end) {
    const u = r.uint32();
    const g = u >>> 3;
    if (g === 1) pid = r.int32();
    else if (thread && g === P.ThreadDescriptor.tid) tid = exact(i64(r)) ?? -1;
    else if (thread && g === P.ThreadDescriptor.thread_name) name = r.string();
    else if (!thread && g === P.ProcessDescriptor.process_name) name = r.string();
    else if (!thread && g === P.ProcessDescriptor.cmdline && name === null) {
      const s = r.string();
      name = s.slice(s.lastIndexOf('/') + 1);
    } else r.skipType(u & 7);
  }
  const id = thread ? tid : pid;
  if (id > 0 && pid > 0) t.tgidOf.set(id, pid);
  if (id > 0 && name !== null) setComm(t, id, name);
}
