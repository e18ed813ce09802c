// Event bodies shared by every text format: turns `name` + the field text into one typed TraceEvent.
// Returns a string (the reason) when a known event's body cannot be read, so the line is reported, not guessed.
import { RSS_MEMBER_NAMES, type RowSink, type TraceEvent } from './events.js';
import { charIn, findKey, hexAt, indexIn, isDigit, numAt, longAt, own, parseFields, scanEnd, signedAt } from './fields.js';
import { MM_SYSCALLS } from './syscalls.js';
import type { StatName } from './stats.js';

const SYSTEM_OF: Record<string, string> = {
  page_fault_user: 'exceptions',
  page_fault_kernel: 'exceptions',
  rss_stat: 'kmem',
  rss_stat_throttled: 'kmem',
  sched_process_fork: 'sched',
  sched_process_exec: 'sched',
  sched_process_exit: 'sched',
  task_newtask: 'task',
};

/** Subsystem of a well-known event when the format does not print it (ftrace, trace-cmd). */
export function knownSystem(name: string): string {
  const s = SYSTEM_OF[name];
  if (s !== undefined) return s;
  return name.startsWith('sys_enter_') || name.startsWith('sys_exit_') ? 'syscalls' : '';
}

/** Event kinds as small integers, so the hot path dispatches without comparing name strings. */
export enum Code {
  Other = 0,
  Fault = 1,
  Rss = 2,
  Fork = 3,
  Exec = 4,
  Exit = 5,
  NewTask = 6,
  SysEnter = 7,
  SysExit = 8,
}

/** A user-mode fault's tracepoint (arch/x86/include/asm/trace/exceptions.h: page_fault_user, page_fault_kernel). */
export const isUserFault = (name: string): boolean => name === 'page_fault_user';
/** Android's throttled twin of kmem:rss_stat. */
export const isThrottledRss = (name: string): boolean => name === 'rss_stat_throttled';

/** The decoder for an event name (computed once per distinct name by the readers' caches). */
export function eventCode(name: string): Code {
  switch (name) {
    case 'page_fault_user':
    case 'page_fault_kernel':
      return Code.Fault;
    case 'rss_stat':
    case 'rss_stat_throttled':
      return Code.Rss;
    case 'sched_process_fork':
      return Code.Fork;
    case 'sched_process_exec':
      return Code.Exec;
    case 'sched_process_exit':
      return Code.Exit;
    case 'task_newtask':
      return Code.NewTask;
  }
  if (name.startsWith('sys_enter_') && MM_SYSCALLS.has(name.slice(10))) return Code.SysEnter;
  if (name.startsWith('sys_exit_') && MM_SYSCALLS.has(name.slice(9))) return Code.SysExit;
  return Code.Other;
}

/** Text of `key=` up to ` nextKey=` (values such as comm may hold spaces), or null; a copy (the model keeps comms and file names). */
function between(s: string, key: string, nextKey: string, start: number, end: number): string | null {
  const v = findKey(s, key, start, end);
  if (v < 0) return null;
  let stop = nextKey ? indexIn(s, ' ' + nextKey, v, end) : -1;
  if (stop < 0) {
    stop = charIn(s, 32, v, end);
    if (stop < 0) stop = end;
  }
  return own(s.slice(v, stop));
}

function intField(s: string, key: string, start: number, end: number): number {
  const v = findKey(s, key, start, end);
  return v < 0 ? NaN : signedAt(s, v, end);
}

/** A `%lx` field (hex without the 0x; task_newtask's clone_flags), or NaN. */
function hexField(s: string, key: string, start: number, end: number): number {
  const v = findKey(s, key, start, end);
  return v < 0 ? NaN : hexAt(s, v, end);
}

/** Set by syscallArgs: the last call read a value printed in hex without `0x` (tracefs on older kernels). */
export let bareHexArgs = false;

/**
 * Parse `name: value, name: value` (syscall enter arguments, perf and tracefs print them alike). `tracefs`: the
 * `sys_NAME(...)` form, which kernel/trace/trace_syscalls.c: print_syscall_enter prints in hex (`%s: %lx` up to at
 * least 6.12; newer kernels `%lu` below 10, else `0x%lx`), so a value without `0x` is hex: `clone_flags: 1200011` is 0x1200011.
 */
export function syscallArgs(s: string, start: number, end: number, tracefs = false): Record<string, number> | null {
  const args: Record<string, number> = {};
  bareHexArgs = false;
  let i = start;
  while (i < end && s.charCodeAt(i) === 32) i++;
  while (i < end) {
    const colon = indexIn(s, ': ', i, end);
    if (colon < 0) return null;
    const key = s.slice(i, colon);
    const at = colon + 2;
    let v: number;
    if (tracefs && !(s.charCodeAt(at) === 48 && (s.charCodeAt(at + 1) | 32) === 120) && s.charCodeAt(at) !== 45) {
      v = hexLongAt(s, at, end);
      // Newer kernels print values below 10 bare and the rest with 0x: only a wider bare value tells an older kernel's %lx.
      if (scanEnd > at + 1 || !isDigit(s.charCodeAt(at))) bareHexArgs = true;
    } else v = longAt(s, at, end);
    if (v !== v) return null;
    args[key] = v;
    i = scanEnd;
    if (i >= end) break;
    if (s.charCodeAt(i) !== 44) return null;
    i++;
    while (i < end && s.charCodeAt(i) === 32) i++;
  }
  return args;
}

/** Bare hex digits read as a C long, like longAt reads `0x...` (ffffffffffffffff is -1); NaN when |v| >= 2^53. */
function hexLongAt(s: string, pos: number, end: number): number {
  const v = hexAt(s, pos, end);
  if (v === v) return v;
  const stop = scanEnd;
  if (stop === pos || stop - pos > 16) return NaN;
  const signed = BigInt.asIntN(64, BigInt('0x' + s.slice(pos, stop)));
  return signed > -(1n << 53n) && signed < 1n << 53n ? Number(signed) : NaN;
}

/** `-R` raw form: `__syscall_nr=9 addr=0x0 len=0x2000 ...` */
function rawSyscallArgs(s: string, start: number, end: number): Record<string, number> | null {
  const f = parseFields(s, start, end);
  const args: Record<string, number> = {};
  for (const k in f) {
    if (k === '__syscall_nr') continue;
    const v = f[k];
    if (typeof v === 'number') args[k] = v;
    else if (typeof v === 'bigint') args[k] = Number(BigInt.asIntN(64, v));
    else return null;
  }
  return args;
}

/**
 * One event from its name and the field text [start, end). Header values come in as plain arguments.
 * `system` may be '' (the format does not print it): known events get theirs filled in.
 */
export function decodeEvent(
  code: Code,
  system: string,
  name: string,
  s: string,
  start: number,
  end: number,
  time: number,
  cpu: number,
  pid: number,
  tid: number,
  comm: string,
  line: number,
): TraceEvent | string {
  switch (code) {
    case Code.Fault: {
      // arch/x86/include/asm/trace/exceptions.h: address=%ps ip=%ps error_code=0x%lx
      const a = s.startsWith('address=', start) ? start + 8 : findKey(s, 'address=', start, end);
      if (a < 0) return `${name} without address=`;
      const address = numAt(s, a, end);
      if (address !== address) return `${name}: address is not a user address`;
      const ipAt = s.startsWith(' ip=', scanEnd) ? scanEnd + 4 : findKey(s, 'ip=', a, end);
      let ip = -1;
      let ec = -1;
      if (ipAt >= 0) {
        const v = numAt(s, ipAt, end);
        // %ps prints kernel symbols (elf_load), kernel addresses exceed 2^53: both become -1.
        if (v === v && (scanEnd === end || s.charCodeAt(scanEnd) === 32)) ip = v;
        // Only hex digits lie between ipAt and scanEnd, so a match right there is the first one.
        ec = s.startsWith(' error_code=', scanEnd) && scanEnd + 12 <= end ? scanEnd : indexIn(s, ' error_code=', ipAt, end);
      }
      ec = ec >= 0 ? ec + 12 : findKey(s, 'error_code=', a, end);
      const errorCode = ec < 0 ? -1 : numAt(s, ec, end);
      if (errorCode !== errorCode) return `${name}: bad error_code`;
      return {
        kind: 'fault', name, system: system || 'exceptions', time, cpu, pid, tid, comm, line,
        user: isUserFault(name), address, ip, errorCode,
      };
    }
    case Code.Rss: {
      // include/trace/events/kmem.h: rss_stat: mm_id=%u curr=%d type=%s size=%ldB (member=%d before 6.2)
      let mmId: number, curr: number, member: number, size: number;
      let p = start;
      if (s.startsWith('mm_id=', p)) {
        // Fast path for the kernel's own field order.
        mmId = numAt(s, p + 6, end);
        p = scanEnd;
        curr = s.startsWith(' curr=', p) ? numAt(s, p + 6, end) : intField(s, 'curr=', start, end);
        p = scanEnd;
      } else {
        mmId = intField(s, 'mm_id=', start, end);
        curr = intField(s, 'curr=', start, end);
      }
      const t = s.startsWith(' type=', p) ? p + 6 : findKey(s, 'type=', start, end);
      if (t >= 0) {
        member = -1;
        for (let m = 0; m < RSS_MEMBER_NAMES.length; m++) {
          const nm = RSS_MEMBER_NAMES[m];
          if (s.startsWith(nm, t) && (t + nm.length === end || s.charCodeAt(t + nm.length) === 32)) {
            member = m;
            p = t + nm.length;
            break;
          }
        }
      } else member = intField(s, 'member=', start, end);
      size = s.startsWith(' size=', p) ? signedAt(s, p + 6, end) : intField(s, 'size=', start, end);
      if (mmId !== mmId || curr !== curr || member !== member || member < 0 || size !== size) {
        return `${name}: cannot read mm_id/curr/type/size`;
      }
      return {
        kind: 'rss_stat', name, system: system || 'kmem', time, cpu, pid, tid, comm, line,
        mmId, curr: curr !== 0, member, size, throttled: isThrottledRss(name),
      };
    }
    case Code.Fork: {
      // include/trace/events/sched.h: comm=%s pid=%d child_comm=%s child_pid=%d (-R: parent_comm=, parent_pid=)
      const raw = findKey(s, 'parent_comm=', start, end) >= 0;
      const parentComm = raw ? between(s, 'parent_comm=', 'parent_pid=', start, end) : between(s, 'comm=', 'pid=', start, end);
      const parentPid = intField(s, raw ? 'parent_pid=' : 'pid=', start, end);
      const childComm = between(s, 'child_comm=', 'child_pid=', start, end);
      const childPid = intField(s, 'child_pid=', start, end);
      if (parentComm === null || childComm === null || parentPid !== parentPid || childPid !== childPid) {
        return 'sched_process_fork: cannot read pids';
      }
      return { kind: 'fork', name, system: system || 'sched', time, cpu, pid, tid, comm, line, parentPid, parentComm, childPid, childComm };
    }
    case Code.Exec: {
      const filename = between(s, 'filename=', 'pid=', start, end);
      const execPid = intField(s, 'pid=', start, end);
      const oldPid = intField(s, 'old_pid=', start, end);
      if (filename === null || execPid !== execPid || oldPid !== oldPid) return 'sched_process_exec: cannot read filename/pid';
      return { kind: 'exec', name, system: system || 'sched', time, cpu, pid, tid, comm, line, filename, execPid, oldPid };
    }
    case Code.Exit: {
      const exitPid = intField(s, 'pid=', start, end);
      if (exitPid !== exitPid) return 'sched_process_exit: cannot read pid';
      const g = findKey(s, 'group_dead=', start, end);
      let groupDead: boolean | null = null;
      if (g >= 0) {
        const c = s.charCodeAt(g);
        groupDead = c === 116 /* t */ || (c >= 49 && c <= 57);
      }
      const prio = intField(s, 'prio=', start, end);
      if (prio === prio) return { kind: 'exit', name, system: system || 'sched', time, cpu, pid, tid, comm, line, exitPid, groupDead, prio };
      return { kind: 'exit', name, system: system || 'sched', time, cpu, pid, tid, comm, line, exitPid, groupDead };
    }
    case Code.NewTask: {
      // include/trace/events/task.h: pid=%d comm=%s clone_flags=%lx oom_score_adj=%hd
      const newPid = intField(s, 'pid=', start, end);
      const newComm = between(s, 'comm=', 'clone_flags=', start, end);
      const cloneFlags = hexField(s, 'clone_flags=', start, end);
      if (newPid !== newPid || newComm === null || cloneFlags !== cloneFlags) return 'task_newtask: cannot read pid/comm/clone_flags';
      return { kind: 'newtask', name, system: system || 'task', time, cpu, pid, tid, comm, line, newPid, newComm, cloneFlags };
    }
    case Code.SysEnter: {
      const args = findKey(s, '__syscall_nr=', start, end) >= 0 ? rawSyscallArgs(s, start, end) : syscallArgs(s, start, end);
      if (args === null) return `${name}: cannot read arguments`;
      return { kind: 'sys_enter', name, system: system || 'syscalls', time, cpu, pid, tid, comm, line, call: name.slice(10), args };
    }
    case Code.SysExit: {
      let p = findKey(s, 'ret=', start, end);
      if (p < 0) {
        p = start;
        while (p < end && s.charCodeAt(p) === 32) p++;
      }
      const ret = longAt(s, p, end);
      if (ret !== ret) return `${name}: cannot read the return value`;
      return { kind: 'sys_exit', name, system: system || 'syscalls', time, cpu, pid, tid, comm, line, call: name.slice(9), ret, enter: null };
    }
  }
  if (name.startsWith('sys_exit_') && findKey(s, 'ret=', start, end) < 0) {
    // Other syscalls' exits print just the return value: keep it as `ret`, a signed long like the typed ones.
    let p = start;
    while (p < end && s.charCodeAt(p) === 32) p++;
    const ret = longAt(s, p, end);
    if (ret === ret && scanEnd === end) {
      return { kind: 'other', name, system: system || 'syscalls', time, cpu, pid, tid, comm, line, fields: { ret } };
    }
  }
  return { kind: 'other', name, system: system || knownSystem(name), time, cpu, pid, tid, comm, line, fields: parseFields(s, start, end) };
}

/** Where a line parser sends what it finds. */
export interface LineCtx {
  /** A parsed event, in file order (the merge puts it in time order). */
  push(e: TraceEvent): void;
  /** A line that could not be used, counted under `stat`; `reason` is the one-line message. */
  skip(line: number, stat: StatName, reason: string): void;
  /** A counted remark about what was read (nothing skipped); `line`: the one line it is about, when it is one. */
  count(stat: StatName, n: number, line?: number): void;
  /** The format says `count` events were lost on `cpu` here (-1: unknown count). */
  lost(count: number, cpu: number, line: number): void;
  /** The trace names thread `tid`'s process (a systrace PROCESS DUMP row): no event, but info and replay group by it. */
  thread(tid: number, tgid: number): void;
  /** The header says how many CPUs the trace has (`#P:2`, `cpus=2`): the merge waits for each. */
  cpus(n: number): void;
  /** A fault by its parts, as push would take it (a byte path: the reader may skip building the object). */
  fault?: RowSink['fault'];
  /** An rss_stat by its parts, as push would take it. */
  rss?: RowSink['rss'];
}


/** Names of the software events perf records page faults with. */
export const SOFTWARE_FAULT_EVENTS: ReadonlySet<string> = new Set(['page-faults', 'faults', 'minor-faults', 'major-faults']);
