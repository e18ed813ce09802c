// FtraceEvent → TraceEvent: one typed ftrace proto message, or a GenericFtraceEvent, mapped to the event records
// the text readers emit (the job of trace_processor's ftrace_parser). Field numbers: traces/perfetto_proto.ts.
// - exceptions:page_fault_* and syscalls:sys_{enter,exit}_* have no typed proto: Perfetto writes them as
//   GenericFtraceEvent (event_name + named fields), read here into fault and syscall events.
// - sched_process_exit has no group_dead field in the proto: groupDead is null.
// - print (ftrace/print) is named tracing_mark_write, as ftrace and trace_processor's text print it.
import type { OtherEvent, TraceEvent } from './events.js';
import { Code, eventCode, isUserFault, knownSystem } from './decode.js';
import { parseFields } from './fields.js';
import { big, exact, i64, u64, type Long, type Reader } from './perfetto_wire.js';
import { commFor, setComm, type Tasks } from './perfetto_tasks.js';
import * as P from './perfetto_proto.js';

/** What mapping needs across events: the task tables and the ordinal that stands for an event's line. */
export interface Decoder {
  readonly tasks: Tasks;
  /** An event's `line` is its 1-based ordinal in the file (unique, as a text line number is). */
  ordinal: number;
}

export function createDecoder(tasks: Tasks): Decoder {
  return { tasks, ordinal: 0 };
}

function header(d: Decoder, name: string, time: number, cpu: number, tid: number) {
  return { name, system: knownSystem(name), time, cpu, pid: d.tasks.tgidOf.get(tid) ?? -1, tid, comm: commFor(d.tasks, tid), line: ++d.ordinal };
}

export function other(d: Decoder, name: string, fields: OtherEvent['fields'], time: number, cpu: number, tid: number): OtherEvent {
  return { kind: 'other', ...header(d, name, time, cpu, tid), fields };
}

/** GenericFtraceEvent: its named fields, typed like the text readers type them. */
function generic(d: Decoder, r: Reader, end: number, time: number, cpu: number, tid: number): TraceEvent | string {
  let name = '';
  const fields: Record<string, string | number | bigint> = {};
  while (r.pos < end) {
    const t = r.uint32();
    if (t >>> 3 === P.Generic.event_name) name = r.string();
    else if (t >>> 3 === P.Generic.field && (t & 7) === P.LEN) {
      const e = r.uint32() + r.pos;
      let key = '';
      let v: string | number | bigint = '';
      while (r.pos < e) {
        const u = r.uint32();
        const g = u >>> 3;
        if (g === P.GenericField.name) key = r.string();
        else if (g === P.GenericField.str_value) v = r.string();
        else if (g === P.GenericField.int_value) v = big(i64(r), true);
        else if (g === P.GenericField.uint_value) v = big(u64(r), false);
        else r.skipType(u & 7);
      }
      if (key) fields[key] = v;
    } else r.skipType(t & 7);
  }
  if (!name) return 'generic ftrace event without event_name';
  const code = eventCode(name);
  const num = (k: string): number => {
    const v = fields[k];
    return typeof v === 'number' ? v : typeof v === 'bigint' ? Number(BigInt.asIntN(64, v)) : NaN;
  };
  if (code === Code.Fault) {
    // arch/x86/include/asm/trace/exceptions.h: address, ip, error_code (unsigned long each)
    const address = fields.address;
    if (typeof address !== 'number') return `${name}: address is not a user address`;
    const ip = typeof fields.ip === 'number' ? fields.ip : -1;
    const errorCode = typeof fields.error_code === 'number' ? fields.error_code : -1;
    return { kind: 'fault', ...header(d, name, time, cpu, tid), system: 'exceptions', user: isUserFault(name), address, ip, errorCode };
  }
  if (code === Code.SysEnter) {
    const args: Record<string, number> = {};
    for (const k in fields) {
      if (k === '__syscall_nr') continue;
      const v = num(k);
      if (v !== v) return `${name}: field ${k} is not a number`;
      args[k] = v;
    }
    return { kind: 'sys_enter', ...header(d, name, time, cpu, tid), system: 'syscalls', call: name.slice(10), args };
  }
  if (code === Code.SysExit) {
    const ret = num('ret');
    if (ret !== ret) return `${name}: no ret field`;
    return { kind: 'sys_exit', ...header(d, name, time, cpu, tid), system: 'syscalls', call: name.slice(9), ret, enter: null };
  }
  return other(d, name, fields, time, cpu, tid);
}

/** One typed event body of FtraceEvent field `f` over [r.pos, end). */
export function typed(d: Decoder, f: number, r: Reader, end: number, time: number, cpu: number, tid: number): TraceEvent | string | null {
  const vals: (number | string | Long)[] = [];
  // Fields by number; strings and 64-bit values read by their declared type below.
  const read = (kinds: Record<number, 'i32' | 'u32' | 'i64' | 'u64' | 'str'>): void => {
    while (r.pos < end) {
      const t = r.uint32();
      const k = kinds[t >>> 3];
      if (k === undefined) r.skipType(t & 7);
      else vals[t >>> 3] = k === 'str' ? r.string() : k === 'i32' ? r.int32() : k === 'u32' ? r.uint32() : k === 'i64' ? i64(r) : u64(r);
    }
  };
  const n = (i: number, dflt = 0): number => {
    const v = vals[i];
    if (v === undefined) return dflt;
    if (typeof v === 'number') return v;
    if (typeof v === 'string') return NaN;
    return exact(v) ?? NaN;
  };
  const s = (i: number): string => (typeof vals[i] === 'string' ? (vals[i] as string) : '');
  switch (f) {
    case P.Event.rss_stat:
    case P.Event.rss_stat_throttled: {
      const F = f === P.Event.rss_stat ? P.RssStat : P.RssStatThrottled;
      read({ [F.member]: 'i32', [F.size]: 'i64', [F.curr]: 'u32', [F.mm_id]: 'u32' });
      const size = n(F.size);
      if (size !== size) return 'rss_stat: size out of range';
      const name = f === P.Event.rss_stat ? 'rss_stat' : 'rss_stat_throttled';
      return { kind: 'rss_stat', ...header(d, name, time, cpu, tid), mmId: n(F.mm_id), curr: n(F.curr) !== 0, member: n(F.member), size, throttled: f !== P.Event.rss_stat };
    }
    case P.Event.sched_process_fork: {
      const F = P.SchedProcessFork;
      read({ [F.parent_comm]: 'str', [F.parent_pid]: 'i32', [F.child_comm]: 'str', [F.child_pid]: 'i32' });
      const childPid = n(F.child_pid, -1);
      if (childPid > 0) setComm(d.tasks, childPid, s(F.child_comm));
      return { kind: 'fork', ...header(d, 'sched_process_fork', time, cpu, tid), parentPid: n(F.parent_pid, -1), parentComm: s(F.parent_comm), childPid, childComm: s(F.child_comm) };
    }
    case P.Event.sched_process_exec: {
      const F = P.SchedProcessExec;
      read({ [F.filename]: 'str', [F.pid]: 'i32', [F.old_pid]: 'i32' });
      const e: TraceEvent = { kind: 'exec', ...header(d, 'sched_process_exec', time, cpu, tid), filename: s(F.filename), execPid: n(F.pid, -1), oldPid: n(F.old_pid, -1) };
      // fs/exec.c: begin_new_exec sets comm to the file's basename (later events carry it)
      const file = s(F.filename);
      if (e.execPid > 0) setComm(d.tasks, e.execPid, file.slice(file.lastIndexOf('/') + 1));
      return e;
    }
    case P.Event.sched_process_exit: {
      const F = P.SchedProcessExit;
      read({ [F.comm]: 'str', [F.pid]: 'i32', [F.tgid]: 'i32', [F.prio]: 'i32' });
      return { kind: 'exit', ...header(d, 'sched_process_exit', time, cpu, tid), exitPid: n(F.pid, -1), groupDead: null };
    }
    case P.Event.task_newtask: {
      const F = P.TaskNewtask;
      read({ [F.pid]: 'i32', [F.comm]: 'str', [F.clone_flags]: 'u64', [F.oom_score_adj]: 'i32' });
      const newPid = n(F.pid, -1);
      const cloneFlags = n(F.clone_flags);
      if (cloneFlags !== cloneFlags) return 'task_newtask: clone_flags beyond 2^53';
      if (newPid > 0) {
        setComm(d.tasks, newPid, s(F.comm));
        // kernel/fork.c: copy_process: CLONE_THREAD (0x10000) joins the creator's thread group
        const creator = d.tasks.tgidOf.get(tid);
        d.tasks.tgidOf.set(newPid, cloneFlags & 0x10000 ? (creator ?? -1) : newPid);
        if (d.tasks.tgidOf.get(newPid) === -1) d.tasks.tgidOf.delete(newPid);
      }
      return { kind: 'newtask', ...header(d, 'task_newtask', time, cpu, tid), newPid, newComm: s(F.comm), cloneFlags };
    }
    case P.Event.task_rename: {
      const F = P.TaskRename;
      read({ [F.pid]: 'i32', [F.oldcomm]: 'str', [F.newcomm]: 'str', [F.oom_score_adj]: 'i32' });
      const e = other(d, 'task_rename', { pid: n(F.pid), oldcomm: s(F.oldcomm), newcomm: s(F.newcomm), oom_score_adj: n(F.oom_score_adj) }, time, cpu, tid);
      if (n(F.pid) > 0) setComm(d.tasks, n(F.pid), s(F.newcomm));
      return e;
    }
    case P.Event.print: {
      read({ [P.Print.buf]: 'str' });
      // trace_processor's to_ftrace: print is named tracing_mark_write and a trailing newline dropped
      let buf = s(P.Print.buf);
      if (buf.endsWith('\n')) buf = buf.slice(0, -1);
      return other(d, 'tracing_mark_write', parseFields(buf, 0, buf.length), time, cpu, tid);
    }
    case P.Event.sched_switch: {
      const F = P.SchedSwitch;
      read({ [F.prev_comm]: 'str', [F.prev_pid]: 'i32', [F.prev_prio]: 'i32', [F.prev_state]: 'i64', [F.next_comm]: 'str', [F.next_pid]: 'i32', [F.next_prio]: 'i32' });
      d.tasks.running.set(cpu, { pid: n(F.next_pid), prio: n(F.next_prio), comm: s(F.next_comm) });
      if (n(F.next_pid) > 0) setComm(d.tasks, n(F.next_pid), s(F.next_comm));
      return other(d, 'sched_switch', { prev_comm: s(F.prev_comm), prev_pid: n(F.prev_pid), prev_prio: n(F.prev_prio), prev_state: n(F.prev_state), next_comm: s(F.next_comm), next_pid: n(F.next_pid), next_prio: n(F.next_prio) }, time, cpu, tid);
    }
    case P.Event.sched_waking: {
      const F = P.SchedWaking;
      read({ [F.comm]: 'str', [F.pid]: 'i32', [F.prio]: 'i32', [F.success]: 'i32', [F.target_cpu]: 'i32' });
      return other(d, 'sched_waking', { comm: s(F.comm), pid: n(F.pid), prio: n(F.prio), target_cpu: n(F.target_cpu) }, time, cpu, tid);
    }
    case P.Event.mm_event_record: {
      const F = P.MmEventRecord;
      read({ [F.avg_lat]: 'u32', [F.count]: 'u32', [F.max_lat]: 'u32', [F.type]: 'u32' });
      return other(d, 'mm_event_record', { avg_lat: n(F.avg_lat), count: n(F.count), max_lat: n(F.max_lat), type: n(F.type) }, time, cpu, tid);
    }
    case P.Event.sys_enter:
    case P.Event.sys_exit: {
      // raw_syscalls: numbered by the traced machine's syscall table, which the trace does not name: kept generic
      const fields: Record<string, number | bigint> = {};
      let nargs = 0;
      while (r.pos < end) {
        const t = r.uint32();
        const g = t >>> 3;
        if (g === 1) fields.id = big(i64(r), true);
        else if (f === P.Event.sys_exit && g === P.SysExit.ret) fields.ret = big(i64(r), true);
        else if (f === P.Event.sys_enter && g === P.SysEnter.args && (t & 7) === P.LEN) {
          const e = r.uint32() + r.pos;
          while (r.pos < e) fields[`arg${nargs++}`] = big(u64(r), false);
        } else if (f === P.Event.sys_enter && g === P.SysEnter.args) fields[`arg${nargs++}`] = big(u64(r), false);
        else r.skipType(t & 7);
      }
      return other(d, f === P.Event.sys_enter ? 'sys_enter' : 'sys_exit', fields, time, cpu, tid);
    }
    case P.Event.generic:
      return generic(d, r, end, time, cpu, tid);
  }
  r.pos = end;
  return null;
}
