// Perfetto protobuf traces (.perfetto-trace / .pftrace, plain or .gz): streamed packet by packet, the ftrace
// bundles decoded with protobufjs's minimal reader into the same TraceEvents the text readers emit.
// Field numbers: traces/perfetto_proto.ts (each cited to its .proto in github.com/google/perfetto).
// What a Perfetto trace does not say, and what the reader does instead:
// - FtraceEvent.pid is the thread id; the process (tgid) and comm come from ProcessTree / descriptors, from
//   task_newtask (CLONE_THREAD joins the creator's group: kernel/fork.c copy_process), sched_process_fork and
//   exec (comm = basename of the file: fs/exec.c begin_new_exec); otherwise pid -1 and comm '<...>' as ftrace prints.
// - exceptions:page_fault_* and syscalls:sys_{enter,exit}_* have no typed proto: Perfetto writes them as
//   GenericFtraceEvent (event_name + named fields), read here into fault and syscall events.
// - sched_process_exit has no group_dead field in the proto: groupDead is null.
// - print (ftrace/print) is named tracing_mark_write, as ftrace and trace_processor's text print it.
// - An event's `line` is its 1-based ordinal in the file (unique, as a text line number is); a skipped packet's
//   example names the packet's number.
// Unknown packets, packet fields and ftrace event kinds are counted into one warning each, never fatal.
import { createReadStream, promises as fsp } from 'node:fs';
import { createGunzip, inflateSync } from 'node:zlib';
import pb from 'protobufjs/minimal.js';
import type { EventSink, LostEvent, OtherEvent, ReadOptions, ReadResult, SkippedLine, TraceEvent } from './events.js';
import { userError, isUserError } from './errors.js';
import type { FileReader } from './reader.js';
import type { StatCounts, StatName } from './stats.js';
import { Code, eventCode, knownSystem } from './decode.js';
import { parseFields } from './fields.js';
import { createMerger, type MergeOptions } from './merge.js';
import { pairSyscalls } from './syscalls.js';
import * as P from './perfetto_proto.js';

type Reader = pb.Reader;
type Long = { low: number; high: number; unsigned: boolean };

const CHUNK = 1 << 20;
const MAX_PACKET = 256 << 20;
const MAX_EXAMPLES = 5;
/** Perfetto's probes write one bundle per CPU per drain period (100 ms by default), so CPUs interleave by whole bundles. */
const PERFETTO_WINDOW_NS = 10_000_000_000;
const KERNEL_COMM = '<...>';
const TWO32 = 4294967296;

/** A Trace is `repeated TracePacket packet = 1`: the first packets' tags, lengths and fields must all parse. */
export function isPerfettoTrace(head: Uint8Array): boolean {
  let binary = false;
  for (let i = 0; i < Math.min(head.length, 4096); i++) if (head[i] < 9 || (head[i] > 13 && head[i] < 32)) binary = true;
  if (!binary || head.length < 4 || head[0] !== 0x0a) return false;
  let p = 0;
  let packets = 0;
  while (p < head.length && packets < 4) {
    if (head[p] !== 0x0a) return packets > 0;
    const len = varintAt(head, p + 1);
    if (len === null || len.value === 0 || len.value > MAX_PACKET) return false;
    const end = len.next + len.value;
    let q = len.next;
    while (q < Math.min(end, head.length)) {
      const tag = varintAt(head, q);
      if (tag === null) return packets > 0;
      const wt = tag.value % 8;
      if (tag.value < 8) return false;
      q = tag.next;
      if (wt === 0) {
        const v = varintAt(head, q);
        if (v === null) return packets > 0;
        q = v.next;
      } else if (wt === 1) q += 8;
      else if (wt === 5) q += 4;
      else if (wt === 2) {
        const l = varintAt(head, q);
        if (l === null) return packets > 0;
        q = l.next + l.value;
      } else return false;
    }
    if (q > end && end <= head.length) return false;
    packets++;
    p = end;
  }
  return packets > 0;
}

/** A varint at `at` (framing only: up to 2^53), or null when it runs past the buffer. */
function varintAt(b: Uint8Array, at: number): { value: number; next: number } | null {
  let v = 0;
  let mul = 1;
  for (let i = at; i < b.length && i < at + 8; i++) {
    const c = b[i];
    v += (c & 0x7f) * mul;
    if (c < 0x80) return { value: v, next: i + 1 };
    mul *= 128;
  }
  return null;
}

/** uint64/int64 from protobufjs as a number when exact, else null (kernel addresses, 64-bit flags). */
function exact(l: Long | number): number | null {
  if (typeof l === 'number') return l;
  const hi = l.high >>> 0;
  if (!l.unsigned && l.high < 0) {
    // negative int64: exact when it is at least -2^53
    const v = l.high * TWO32 + (l.low >>> 0);
    return v >= -Number.MAX_SAFE_INTEGER ? v : null;
  }
  return hi < 0x200000 ? hi * TWO32 + (l.low >>> 0) : null;
}

function big(l: Long | number, signed: boolean): number | bigint {
  const n = exact(l);
  if (n !== null) return n;
  const v = (BigInt((l as Long).high >>> 0) << 32n) | BigInt((l as Long).low >>> 0);
  return signed ? BigInt.asIntN(64, v) : v;
}

const u64 = (r: Reader): Long => r.uint64() as unknown as Long;
const i64 = (r: Reader): Long => r.int64() as unknown as Long;

/** Read the whole trace, pushing events to `sink` in time order (per-CPU bundles merged). */
export async function readPerfetto(path: string, sink: EventSink, opts: ReadOptions & { merge?: MergeOptions } = {}): Promise<ReadResult> {
  let size: number;
  try {
    size = (await fsp.stat(path)).size;
  } catch (err) {
    throw userError(`cannot read: ${(err as Error).message}`, { file: path });
  }
  const fh = await fsp.open(path, 'r');
  const magic = Buffer.alloc(2);
  await fh.read(magic, 0, 2, 0);
  await fh.close();
  const gz = magic[0] === 0x1f && magic[1] === 0x8b;
  const raw = createReadStream(path, { highWaterMark: CHUNK });
  let chunks: AsyncIterable<Buffer> = raw;
  if (gz) {
    const gunzip = createGunzip({ chunkSize: CHUNK });
    raw.on('error', (e) => gunzip.destroy(e));
    raw.pipe(gunzip);
    chunks = gunzip;
  }

  const skippedExamples: SkippedLine[] = [];
  const warnings: string[] = [];
  let skipped = 0;
  let events = 0;
  let lostMarkers = 0;
  let packets = 0;
  const unknownPacketFields = new Map<number, number>();
  const unknownEventKinds = new Map<number, number>();
  let unreadCompressed = 0;
  const overrunAt = new Map<number, { start: number; end: number }>();

  const paired = pairSyscalls((e: TraceEvent) => {
    if (e.kind !== 'lost') events++;
    sink(e);
  });
  const merger = createMerger(paired, { windowNs: PERFETTO_WINDOW_NS, ...opts.merge });

  let ordinal = 0;
  const tgidOf = new Map<number, number>();
  const commOf = new Map<number, string>();
  /** Per CPU: the task compact sched_switch last switched to (prev_* of the next switch). */
  const running = new Map<number, { pid: number; prio: number; comm: string }>();

  const stats: StatCounts = {};
  const stat = (name: StatName, n: number): void => void (stats[name] = (stats[name] ?? 0) + n);
  function skip(pkt: number, reason: string): void {
    skipped++;
    stat('perfetto_packet_unreadable', 1);
    if (skippedExamples.length < MAX_EXAMPLES) skippedExamples.push({ file: path, line: pkt, stat: 'perfetto_packet_unreadable', reason });
  }
  const count = (m: Map<number, number>, k: number): void => void m.set(k, (m.get(k) ?? 0) + 1);
  const commFor = (tid: number): string => commOf.get(tid) ?? (tid === 0 ? '<idle>' : KERNEL_COMM);
  const setComm = (tid: number, comm: string): void => void commOf.set(tid, comm.slice(0, 15));

  function str(r: Reader): string {
    return r.string();
  }

  // --- packet-level messages -------------------------------------------------------------------------------

  function processTree(r: Reader, end: number): void {
    while (r.pos < end) {
      const tag = r.uint32();
      const f = tag >>> 3;
      if ((f === P.ProcessTree.processes || f === P.ProcessTree.threads) && (tag & 7) === P.LEN) {
        const e = r.uint32() + r.pos;
        let id = -1;
        let tgid = -1;
        let name: string | null = null;
        while (r.pos < e) {
          const t = r.uint32();
          const g = t >>> 3;
          if (f === P.ProcessTree.processes && g === P.TreeProcess.pid) id = tgid = r.int32();
          else if (f === P.ProcessTree.processes && g === P.TreeProcess.cmdline) {
            const s = str(r);
            if (name === null) name = s.slice(s.lastIndexOf('/') + 1);
          } else if (f === P.ProcessTree.threads && g === P.TreeThread.tid) id = r.int32();
          else if (f === P.ProcessTree.threads && g === P.TreeThread.tgid) tgid = r.int32();
          else if (f === P.ProcessTree.threads && g === P.TreeThread.name) name = str(r);
          else r.skipType(t & 7);
        }
        if (id > 0) {
          if (tgid > 0) tgidOf.set(id, tgid);
          // A process's cmdline names its main thread only until a thread record says otherwise.
          if (name !== null && (f === P.ProcessTree.threads || !commOf.has(id))) setComm(id, name);
        }
      } else r.skipType(tag & 7);
    }
  }

  function descriptor(r: Reader, end: number, thread: boolean): void {
    let pid = -1;
    let tid = -1;
    let name: string | null = null;
    while (r.pos < end) {
      const t = r.uint32();
      const g = t >>> 3;
      if (g === 1) pid = r.int32();
      else if (thread && g === P.ThreadDescriptor.tid) tid = exact(i64(r)) ?? -1;
      else if (thread && g === P.ThreadDescriptor.thread_name) name = str(r);
      else if (!thread && g === P.ProcessDescriptor.process_name) name = str(r);
      else if (!thread && g === P.ProcessDescriptor.cmdline && name === null) {
        const s = str(r);
        name = s.slice(s.lastIndexOf('/') + 1);
      } else r.skipType(t & 7);
    }
    const id = thread ? tid : pid;
    if (id > 0 && pid > 0) tgidOf.set(id, pid);
    if (id > 0 && name !== null) setComm(id, name);
  }

  function ftraceStats(r: Reader, end: number): void {
    let phase = 0;
    const cpus: [number, number][] = [];
    while (r.pos < end) {
      const t = r.uint32();
      if (t >>> 3 === P.FtraceStats.phase) phase = r.int32();
      else if (t >>> 3 === P.FtraceStats.cpu_stats && (t & 7) === P.LEN) {
        const e = r.uint32() + r.pos;
        let cpu = -1;
        let overrun = 0;
        while (r.pos < e) {
          const u = r.uint32();
          if (u >>> 3 === P.FtraceCpuStats.cpu) cpu = exact(u64(r)) ?? -1;
          else if (u >>> 3 === P.FtraceCpuStats.overrun) overrun = exact(u64(r)) ?? 0;
          else r.skipType(u & 7);
        }
        cpus.push([cpu, overrun]);
      } else r.skipType(t & 7);
    }
    // Every CPU has a cpu_stats entry: the merge waits for each from the start.
    if (cpus.length > 0 && cpus.length <= 4096) merger.expectCpus(cpus.length);
    for (const [cpu, overrun] of cpus) {
      const o = overrunAt.get(cpu) ?? { start: -1, end: -1 };
      if (phase === P.PHASE_START) o.start = overrun;
      else if (phase === P.PHASE_END) o.end = overrun;
      overrunAt.set(cpu, o);
    }
  }

  // --- ftrace events -----------------------------------------------------------------------------------------

  function header(name: string, time: number, cpu: number, tid: number, _pkt: number) {
    return { name, system: knownSystem(name), time, cpu, pid: tgidOf.get(tid) ?? -1, tid, comm: commFor(tid), line: ++ordinal };
  }

  function other(name: string, fields: OtherEvent['fields'], time: number, cpu: number, tid: number, pkt: number): OtherEvent {
    return { kind: 'other', ...header(name, time, cpu, tid, pkt), fields };
  }

  /** GenericFtraceEvent: its named fields, typed like the text readers type them. */
  function generic(r: Reader, end: number, time: number, cpu: number, tid: number, pkt: number): TraceEvent | string {
    let name = '';
    const fields: Record<string, string | number | bigint> = {};
    while (r.pos < end) {
      const t = r.uint32();
      if (t >>> 3 === P.Generic.event_name) name = str(r);
      else if (t >>> 3 === P.Generic.field && (t & 7) === P.LEN) {
        const e = r.uint32() + r.pos;
        let key = '';
        let v: string | number | bigint = '';
        while (r.pos < e) {
          const u = r.uint32();
          const g = u >>> 3;
          if (g === P.GenericField.name) key = str(r);
          else if (g === P.GenericField.str_value) v = str(r);
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
      return { kind: 'fault', ...header(name, time, cpu, tid, pkt), system: 'exceptions', user: name === 'page_fault_user', address, ip, errorCode };
    }
    if (code === Code.SysEnter) {
      const args: Record<string, number> = {};
      for (const k in fields) {
        if (k === '__syscall_nr') continue;
        const v = num(k);
        if (v !== v) return `${name}: field ${k} is not a number`;
        args[k] = v;
      }
      return { kind: 'sys_enter', ...header(name, time, cpu, tid, pkt), system: 'syscalls', call: name.slice(10), args };
    }
    if (code === Code.SysExit) {
      const ret = num('ret');
      if (ret !== ret) return `${name}: no ret field`;
      return { kind: 'sys_exit', ...header(name, time, cpu, tid, pkt), system: 'syscalls', call: name.slice(9), ret, enter: null };
    }
    return other(name, fields, time, cpu, tid, pkt);
  }

  /** One typed event body of FtraceEvent field `f` over [r.pos, end). */
  function typed(f: number, r: Reader, end: number, time: number, cpu: number, tid: number, pkt: number): TraceEvent | string | null {
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
        return { kind: 'rss_stat', ...header(name, time, cpu, tid, pkt), mmId: n(F.mm_id), curr: n(F.curr) !== 0, member: n(F.member), size, throttled: f !== P.Event.rss_stat };
      }
      case P.Event.sched_process_fork: {
        const F = P.SchedProcessFork;
        read({ [F.parent_comm]: 'str', [F.parent_pid]: 'i32', [F.child_comm]: 'str', [F.child_pid]: 'i32' });
        const childPid = n(F.child_pid, -1);
        if (childPid > 0) setComm(childPid, s(F.child_comm));
        return { kind: 'fork', ...header('sched_process_fork', time, cpu, tid, pkt), parentPid: n(F.parent_pid, -1), parentComm: s(F.parent_comm), childPid, childComm: s(F.child_comm) };
      }
      case P.Event.sched_process_exec: {
        const F = P.SchedProcessExec;
        read({ [F.filename]: 'str', [F.pid]: 'i32', [F.old_pid]: 'i32' });
        const e: TraceEvent = { kind: 'exec', ...header('sched_process_exec', time, cpu, tid, pkt), filename: s(F.filename), execPid: n(F.pid, -1), oldPid: n(F.old_pid, -1) };
        // fs/exec.c: begin_new_exec sets comm to the file's basename (later events carry it)
        const file = s(F.filename);
        if (e.execPid > 0) setComm(e.execPid, file.slice(file.lastIndexOf('/') + 1));
        return e;
      }
      case P.Event.sched_process_exit: {
        const F = P.SchedProcessExit;
        read({ [F.comm]: 'str', [F.pid]: 'i32', [F.tgid]: 'i32', [F.prio]: 'i32' });
        return { kind: 'exit', ...header('sched_process_exit', time, cpu, tid, pkt), exitPid: n(F.pid, -1), groupDead: null };
      }
      case P.Event.task_newtask: {
        const F = P.TaskNewtask;
        read({ [F.pid]: 'i32', [F.comm]: 'str', [F.clone_flags]: 'u64', [F.oom_score_adj]: 'i32' });
        const newPid = n(F.pid, -1);
        const cloneFlags = n(F.clone_flags);
        if (cloneFlags !== cloneFlags) return 'task_newtask: clone_flags beyond 2^53';
        if (newPid > 0) {
          setComm(newPid, s(F.comm));
          // kernel/fork.c: copy_process: CLONE_THREAD (0x10000) joins the creator's thread group
          const creator = tgidOf.get(tid);
          tgidOf.set(newPid, cloneFlags & 0x10000 ? (creator ?? -1) : newPid);
          if (tgidOf.get(newPid) === -1) tgidOf.delete(newPid);
        }
        return { kind: 'newtask', ...header('task_newtask', time, cpu, tid, pkt), newPid, newComm: s(F.comm), cloneFlags };
      }
      case P.Event.task_rename: {
        const F = P.TaskRename;
        read({ [F.pid]: 'i32', [F.oldcomm]: 'str', [F.newcomm]: 'str', [F.oom_score_adj]: 'i32' });
        const e = other('task_rename', { pid: n(F.pid), oldcomm: s(F.oldcomm), newcomm: s(F.newcomm), oom_score_adj: n(F.oom_score_adj) }, time, cpu, tid, pkt);
        if (n(F.pid) > 0) setComm(n(F.pid), s(F.newcomm));
        return e;
      }
      case P.Event.print: {
        read({ [P.Print.buf]: 'str' });
        // trace_processor's to_ftrace: print is named tracing_mark_write and a trailing newline dropped
        let buf = s(P.Print.buf);
        if (buf.endsWith('\n')) buf = buf.slice(0, -1);
        return other('tracing_mark_write', parseFields(buf, 0, buf.length), time, cpu, tid, pkt);
      }
      case P.Event.sched_switch: {
        const F = P.SchedSwitch;
        read({ [F.prev_comm]: 'str', [F.prev_pid]: 'i32', [F.prev_prio]: 'i32', [F.prev_state]: 'i64', [F.next_comm]: 'str', [F.next_pid]: 'i32', [F.next_prio]: 'i32' });
        running.set(cpu, { pid: n(F.next_pid), prio: n(F.next_prio), comm: s(F.next_comm) });
        if (n(F.next_pid) > 0) setComm(n(F.next_pid), s(F.next_comm));
        return other('sched_switch', { prev_comm: s(F.prev_comm), prev_pid: n(F.prev_pid), prev_prio: n(F.prev_prio), prev_state: n(F.prev_state), next_comm: s(F.next_comm), next_pid: n(F.next_pid), next_prio: n(F.next_prio) }, time, cpu, tid, pkt);
      }
      case P.Event.sched_waking: {
        const F = P.SchedWaking;
        read({ [F.comm]: 'str', [F.pid]: 'i32', [F.prio]: 'i32', [F.success]: 'i32', [F.target_cpu]: 'i32' });
        return other('sched_waking', { comm: s(F.comm), pid: n(F.pid), prio: n(F.prio), target_cpu: n(F.target_cpu) }, time, cpu, tid, pkt);
      }
      case P.Event.mm_event_record: {
        const F = P.MmEventRecord;
        read({ [F.avg_lat]: 'u32', [F.count]: 'u32', [F.max_lat]: 'u32', [F.type]: 'u32' });
        return other('mm_event_record', { avg_lat: n(F.avg_lat), count: n(F.count), max_lat: n(F.max_lat), type: n(F.type) }, time, cpu, tid, pkt);
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
        return other(f === P.Event.sys_enter ? 'sys_enter' : 'sys_exit', fields, time, cpu, tid, pkt);
      }
      case P.Event.generic:
        return generic(r, end, time, cpu, tid, pkt);
    }
    r.pos = end;
    return null;
  }

  function ftraceEvent(r: Reader, end: number, cpu: number, pkt: number, out: TraceEvent[]): void {
    let time = -1;
    let tid = -1;
    let f = 0;
    let fs = 0;
    let fe = 0;
    while (r.pos < end) {
      const t = r.uint32();
      const g = t >>> 3;
      if (g === P.Event.timestamp) time = exact(u64(r)) ?? -1;
      else if (g === P.Event.pid) tid = r.uint32();
      else if ((t & 7) === P.LEN && g !== P.Event.common_flags) {
        const len = r.uint32();
        f = g;
        fs = r.pos;
        fe = fs + len;
        r.pos = fe;
      } else r.skipType(t & 7);
    }
    if (f === 0) return void skip(pkt, 'ftrace event with no event body');
    if (time < 0) return void skip(pkt, 'ftrace event without a timestamp');
    r.pos = fs;
    const e = typed(f, r, fe, time, cpu, tid, pkt);
    r.pos = end;
    if (e === null) count(unknownEventKinds, f);
    else if (typeof e === 'string') skip(pkt, e);
    else out.push(e);
  }

  /** FtraceEventBundle.CompactSched: columns to sched_switch / sched_waking events (prev_* from the CPU's last switch). */
  function compactSched(r: Reader, end: number, cpu: number, pkt: number, out: TraceEvent[]): void {
    const C = P.CompactSched;
    const cols: Record<number, number[]> = {};
    const interned: string[] = [];
    while (r.pos < end) {
      const t = r.uint32();
      const g = t >>> 3;
      if (g === C.intern_table) {
        interned.push(r.string());
        continue;
      }
      const col = (cols[g] ??= []);
      const signed64 = g === C.switch_prev_state;
      const isU64 = g === C.switch_timestamp || g === C.waking_timestamp;
      const one = (): number => (isU64 ? (exact(u64(r)) ?? NaN) : signed64 ? (exact(i64(r)) ?? NaN) : g === C.switch_next_comm_index || g === C.waking_comm_index || g === C.waking_common_flags ? r.uint32() : r.int32());
      if ((t & 7) === P.LEN) {
        const e = r.uint32() + r.pos;
        while (r.pos < e) col.push(one());
      } else if ((t & 7) === P.VARINT) col.push(one());
      else r.skipType(t & 7);
    }
    const get = (g: number, i: number): number => cols[g]?.[i] ?? 0;
    let ts = 0;
    const switches = cols[C.switch_timestamp]?.length ?? 0;
    for (let i = 0; i < switches; i++) {
      ts += get(C.switch_timestamp, i);
      const prev = running.get(cpu);
      const nextPid = get(C.switch_next_pid, i);
      const nextComm = interned[get(C.switch_next_comm_index, i)] ?? '';
      const nextPrio = get(C.switch_next_prio, i);
      const prevPid = prev?.pid ?? -1;
      out.push(other('sched_switch', {
        prev_comm: prev?.comm ?? '', prev_pid: prevPid, prev_prio: prev?.prio ?? -1, prev_state: get(C.switch_prev_state, i),
        next_comm: nextComm, next_pid: nextPid, next_prio: nextPrio,
      }, ts, cpu, prevPid, pkt));
      running.set(cpu, { pid: nextPid, prio: nextPrio, comm: nextComm });
      if (nextPid > 0) setComm(nextPid, nextComm);
    }
    ts = 0;
    const wakings = cols[C.waking_timestamp]?.length ?? 0;
    for (let i = 0; i < wakings; i++) {
      ts += get(C.waking_timestamp, i);
      // The waker is not recorded: the task running on the CPU (from the switches) stands for it.
      const cur = running.get(cpu)?.pid ?? -1;
      out.push(other('sched_waking', {
        comm: interned[get(C.waking_comm_index, i)] ?? '', pid: get(C.waking_pid, i), prio: get(C.waking_prio, i), target_cpu: get(C.waking_target_cpu, i),
      }, ts, cpu, cur, pkt));
    }
  }

  const evStarts: number[] = [];
  const evEnds: number[] = [];
  function bundle(r: Reader, end: number, pkt: number): void {
    let cpu = -1;
    let lost = false;
    let cs = -1;
    let ce = -1;
    evStarts.length = 0;
    evEnds.length = 0;
    while (r.pos < end) {
      const t = r.uint32();
      const g = t >>> 3;
      if (g === P.Bundle.cpu) cpu = r.uint32();
      else if (g === P.Bundle.lost_events) lost = r.bool();
      else if (g === P.Bundle.event && (t & 7) === P.LEN) {
        const len = r.uint32();
        evStarts.push(r.pos);
        evEnds.push(r.pos + len);
        r.pos += len;
      } else if (g === P.Bundle.compact_sched && (t & 7) === P.LEN) {
        const len = r.uint32();
        cs = r.pos;
        ce = cs + len;
        r.pos = ce;
      } else r.skipType(t & 7);
    }
    const out: TraceEvent[] = [];
    // Compact switches first: they set the running task that same-bundle events do not depend on.
    if (cs >= 0) {
      r.pos = cs;
      compactSched(r, ce, cpu, pkt, out);
    }
    for (let i = 0; i < evStarts.length; i++) {
      r.pos = evStarts[i];
      ftraceEvent(r, evEnds[i], cpu, pkt, out);
    }
    r.pos = end;
    // A CPU's events are in time order; compact columns interleave with them by timestamp (stable).
    if (cs >= 0) out.sort((a, b) => a.time - b.time);
    if (lost && out.length > 0) {
      lostMarkers++;
      const l: LostEvent = { kind: 'lost', name: 'lost', system: '', time: out[0].time, cpu, pid: -1, tid: -1, comm: '', line: pkt, count: -1 };
      merger.push(l);
    }
    for (const e of out) merger.push(e);
  }

  function packet(bytes: Uint8Array, pkt: number): void {
    const r = pb.Reader.create(bytes);
    while (r.pos < r.len) {
      const tag = r.uint32();
      const f = tag >>> 3;
      const wt = tag & 7;
      if (wt === P.LEN && f === P.Packet.cpu_info) {
        const end = r.uint32() + r.pos;
        let n = 0;
        while (r.pos < end) {
          const t = r.uint32();
          if (t >>> 3 === P.CpuInfo.cpus) n++;
          r.skipType(t & 7);
        }
        if (n > 0 && n <= 4096) merger.expectCpus(n);
      } else if (wt === P.LEN && (f === P.Packet.ftrace_events || f === P.Packet.process_tree || f === P.Packet.ftrace_stats || f === P.Packet.process_descriptor || f === P.Packet.thread_descriptor)) {
        const end = r.uint32() + r.pos;
        if (end > r.len) throw new RangeError('field runs past the packet');
        if (f === P.Packet.ftrace_events) bundle(r, end, pkt);
        else if (f === P.Packet.process_tree) processTree(r, end);
        else if (f === P.Packet.ftrace_stats) ftraceStats(r, end);
        else descriptor(r, end, f === P.Packet.thread_descriptor);
        r.pos = end;
      } else if (wt === P.LEN && f === P.Packet.compressed_packets) {
        // trace_packet.proto: deflate-compressed TracePackets framed as a Trace
        const inner = inflateSync(r.bytes());
        let q = 0;
        while (q < inner.length) {
          const t = varintAt(inner, q);
          const l = t === null ? null : varintAt(inner, t.next);
          if (t === null || l === null || t.value !== 10 || l.next + l.value > inner.length) throw new RangeError('bad framing inside compressed_packets');
          packet(inner.subarray(l.next, l.next + l.value), pkt);
          q = l.next + l.value;
        }
      } else {
        if (f === P.Packet.zstd_compressed_packets) unreadCompressed++;
        else count(unknownPacketFields, f);
        r.skipType(wt);
      }
    }
  }

  // --- framing: Trace = repeated (tag 0x0a, varint length, TracePacket) --------------------------------------
  let buf: Buffer = Buffer.alloc(0);
  let pos = 0;
  let waiting: Buffer[] | null = null;
  let waitHave = 0;
  let waitNeed = 0;
  let offset = 0; // file offset of buf[0], for messages
  const onProgress = opts.onProgress;
  let nextProgress = 0;
  try {
    for await (const chunk of chunks) {
      if (onProgress !== undefined && raw.bytesRead >= nextProgress) {
        onProgress(raw.bytesRead, size);
        nextProgress = raw.bytesRead + 8 * CHUNK;
      }
      if (waiting !== null) {
        waiting.push(chunk);
        waitHave += chunk.length;
        if (waitHave < waitNeed) continue;
        offset += pos;
        buf = Buffer.concat(waiting);
        pos = 0;
        waiting = null;
      } else {
        offset += pos;
        buf = pos < buf.length ? Buffer.concat([buf.subarray(pos), chunk]) : chunk;
        pos = 0;
      }
      for (;;) {
        const tag = varintAt(buf, pos);
        if (tag === null) break;
        const wt = tag.value % 8;
        const field = Math.floor(tag.value / 8);
        let bodyEnd: number;
        let bodyStart = tag.next;
        if (wt === P.LEN) {
          const len = varintAt(buf, tag.next);
          if (len === null) break;
          if (len.value > MAX_PACKET) throw userError(`packet ${packets + 1} at byte ${offset + pos} claims ${len.value} bytes: not a Perfetto trace, or corrupt`, { file: path });
          bodyStart = len.next;
          bodyEnd = len.next + len.value;
        } else if (wt === P.VARINT) {
          const v = varintAt(buf, tag.next);
          if (v === null) break;
          bodyEnd = v.next;
        } else if (wt === 1 || wt === 5) bodyEnd = tag.next + (wt === 1 ? 8 : 4);
        else throw userError(`byte ${offset + pos}: wire type ${wt} where a TracePacket should start: not a Perfetto trace, or corrupt`, { file: path });
        if (bodyEnd > buf.length) {
          waiting = [buf.subarray(pos)];
          waitHave = buf.length - pos;
          waitNeed = bodyEnd - pos;
          break;
        }
        if (field === P.TRACE_PACKET && wt === P.LEN) {
          packets++;
          try {
            packet(buf.subarray(bodyStart, bodyEnd), packets);
          } catch (err) {
            if (isUserError(err)) throw err;
            skip(packets, `unreadable packet (${(err as Error).message})`);
          }
        } else count(unknownPacketFields, -field);
        pos = bodyEnd;
      }
    }
  } catch (err) {
    if (isUserError(err)) throw err;
    throw userError(`cannot read${gz ? ' (corrupt or truncated gzip data?)' : ''}: ${(err as Error).message}`, { file: path });
  }
  if (waiting !== null || pos < buf.length) {
    stat('perfetto_packet_cut', 1);
    warnings.push(`${path}: the last packet is cut off at byte ${offset + buf.length} (file truncated?); it was not read`);
  }
  if (packets === 0) throw userError('no trace packets: not a Perfetto trace', { file: path });

  let lostEvents = 0;
  for (const [cpu, o] of overrunAt) {
    if (o.start >= 0 && o.end > o.start) {
      lostEvents += o.end - o.start;
      merger.push({ kind: 'lost', name: 'lost', system: '', time: 0, cpu, pid: -1, tid: -1, comm: '', line: packets, count: o.end - o.start });
    }
  }
  // Bundles flagged lost_events without a counted overrun still lost at least one event each.
  lostEvents = Math.max(lostEvents, lostMarkers);
  if (lostEvents > 0) stat('ring_buffer_lost', lostEvents);
  merger.flush();
  if (onProgress !== undefined) onProgress(size, size);
  const late = merger.late();
  if (late > 0) stat('merge_out_of_order', late);
  if (late > 0) warnings.push(`${path}: ${late} events arrived later than the merge window allows and were passed on out of time order`);
  const list = (m: Map<number, number>): string =>
    [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([k, v]) => `${k < 0 ? `Trace field ${-k}` : k} (${v})`).join(', ');
  for (const v of unknownPacketFields.values()) stat('perfetto_unknown_packet_field', v);
  for (const v of unknownEventKinds.values()) stat('perfetto_unknown_ftrace_event', v);
  if (unreadCompressed > 0) stat('perfetto_zstd_packets', unreadCompressed);
  if (unknownPacketFields.size > 0) warnings.push(`${path}: TracePacket fields faultline does not read, skipped: ${list(unknownPacketFields)}`);
  if (unknownEventKinds.size > 0) {
    let n = 0;
    for (const v of unknownEventKinds.values()) n += v;
    warnings.push(`${path}: ${n} ftrace events of kinds faultline does not read (FtraceEvent field: count): ${list(unknownEventKinds)}`);
  }
  if (unreadCompressed > 0) warnings.push(`${path}: ${unreadCompressed} zstd_compressed_packets not read (decompress with \`traceconv decompress_packets\`)`);
  const result: ReadResult = { file: path, format: 'perfetto', bytes: size, lines: packets, events, lostEvents, skippedLines: skipped, skippedExamples, stats };
  if (warnings.length > 0) result.warnings = warnings;
  return result;
}

export const perfettoReader: FileReader<'perfetto'> = {
  name: 'perfetto',
  title: 'Perfetto protobuf',
  sniff: { bytes: isPerfettoTrace },
  read: readPerfetto,
};
