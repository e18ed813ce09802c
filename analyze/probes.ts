// Probe names: parsing bpftrace probe specs, matching them against trace events and model probes, and their fields.
import type { TraceEvent } from '../traces/events.js';

export type FieldType = 'int' | 'str';
export type ModelProbeName = 'fault' | 'fork' | 'exit' | 'rss' | 'cow_pte_break';
export const MODEL_PROBES: ModelProbeName[] = ['fault', 'fork', 'exit', 'rss', 'cow_pte_break'];

export type ProbeTarget =
  | { type: 'begin' }
  | { type: 'end' }
  | { type: 'tracepoint'; system: RegExp; name: RegExp; exact: string | null }
  | { type: 'software'; name: string }
  | { type: 'interval'; periodNs: number }
  | { type: 'model'; names: ModelProbeName[] };

const LIVE_ONLY: Record<string, string> = {
  kprobe: 'kprobes', k: 'kprobes', kretprobe: 'kretprobes', kr: 'kretprobes',
  uprobe: 'uprobes', u: 'uprobes', uretprobe: 'uretprobes', ur: 'uretprobes',
  usdt: 'USDT probes', U: 'USDT probes', kfunc: 'kfuncs', f: 'fentry probes', fentry: 'fentry probes',
  kretfunc: 'kretfuncs', fr: 'fexit probes', fexit: 'fexit probes', rawtracepoint: 'raw tracepoints', rt: 'raw tracepoints',
  profile: 'profile (timer sampling) probes', p: 'profile probes', hardware: 'hardware counter probes', h: 'hardware counter probes',
  watchpoint: 'watchpoints', w: 'watchpoints', asyncwatchpoint: 'watchpoints', aw: 'watchpoints', iter: 'iterators', it: 'iterators',
};

const SOFTWARE_ALIASES: Record<string, string> = {
  faults: 'page-faults', 'page-faults': 'page-faults', 'minor-faults': 'minor-faults', 'major-faults': 'major-faults',
  cs: 'context-switches', 'context-switches': 'context-switches', 'cpu-migrations': 'cpu-migrations',
  'cpu-clock': 'cpu-clock', cpu: 'cpu-clock', 'task-clock': 'task-clock',
};

function glob(s: string): RegExp {
  return new RegExp('^' + s.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$');
}

/** Parse one probe spec; throws a message string the caller turns into a located error. */
export function parseProbe(text: string): ProbeTarget {
  if (text === 'BEGIN' || text === 'begin') return { type: 'begin' };
  if (text === 'END' || text === 'end') return { type: 'end' };
  const parts = text.split(':');
  const kind = parts[0];
  if (kind in LIVE_ONLY)
    throw `${LIVE_ONLY[kind]} (${kind}:) attach to a live kernel or process; faultline reads recorded traces: use tracepoint:, software:, interval: or model: probes`;
  switch (kind) {
    case 'tracepoint':
    case 't': {
      if (parts.length !== 3 || !parts[1] || !parts[2]) throw `tracepoint probes are tracepoint:SUBSYSTEM:NAME (got '${text}')`;
      const exact = /[*?]/.test(parts[1] + parts[2]) ? null : `${parts[1]}:${parts[2]}`;
      return { type: 'tracepoint', system: glob(parts[1]), name: glob(parts[2]), exact };
    }
    case 'software':
    case 's': {
      if (parts.length < 2 || parts.length > 3) throw `software probes are software:EVENT[:COUNT] (got '${text}')`;
      const name = SOFTWARE_ALIASES[parts[1]];
      if (!name) throw `unknown software event '${parts[1]}' (faultline knows: ${Object.keys(SOFTWARE_ALIASES).join(', ')})`;
      return { type: 'software', name };
    }
    case 'interval':
    case 'i': {
      const unit: Record<string, number> = { s: 1e9, ms: 1e6, us: 1e3, hz: 0 };
      // bpftrace 0.21+ also spells it interval:1s / interval:100ms
      const short = parts.length === 2 ? /^([1-9][0-9]*)(s|ms|us|hz)$/.exec(parts[1]) : null;
      if (short) parts.splice(1, 1, short[2], short[1]);
      if (parts.length !== 3 || !(parts[1] in unit) || !/^[1-9][0-9]*$/.test(parts[2]))
        throw `interval probes are interval:s:N, interval:ms:N, interval:us:N or interval:hz:N (got '${text}')`;
      const n = Number(parts[2]);
      return { type: 'interval', periodNs: parts[1] === 'hz' ? Math.round(1e9 / n) : n * unit[parts[1]] };
    }
    case 'model':
    case 'm': {
      if (parts.length !== 2 || !parts[1]) throw `model probes are model:NAME, NAME one of ${MODEL_PROBES.join(', ')} (got '${text}')`;
      const re = glob(parts[1]);
      const names = MODEL_PROBES.filter((n) => re.test(n));
      if (names.length === 0) throw `no model probe matches '${parts[1]}' (model probes: ${MODEL_PROBES.join(', ')})`;
      return { type: 'model', names };
    }
    default:
      throw `invalid probe type '${kind}' (faultline supports BEGIN, END, tracepoint:, software:, interval:, model:)`;
  }
}

/** The subsystem of events whose format does not name one (ftrace text prints bare event names). */
export function inferSystem(name: string): string {
  if (name.startsWith('page_fault_')) return 'exceptions';
  if (name.startsWith('sys_enter_') || name.startsWith('sys_exit_')) return 'syscalls';
  if (name.startsWith('sched_')) return 'sched';
  if (name.startsWith('task_')) return 'task';
  if (name === 'rss_stat' || name === 'rss_stat_throttled' || name.startsWith('mm_page_') || name.startsWith('kmalloc') || name.startsWith('kfree')) return 'kmem';
  if (name in SOFTWARE_ALIASES) return 'software';
  return ''; // (compileProgram's systemOf then asks the kernel's list)
}

/** Does a probe target fire for an event with this subsystem and name? */
export function matchesEvent(t: ProbeTarget, system: string, name: string): boolean {
  if (t.type === 'tracepoint') return t.system.test(system) && t.name.test(name);
  if (t.type === 'software') return system === 'software' && SOFTWARE_ALIASES[name] === t.name;
  return false;
}

/** The probe builtin for an event, as bpftrace names the attached probe. */
export function eventProbeName(system: string, name: string): string {
  return system === 'software' ? `software:${SOFTWARE_ALIASES[name] ?? name}` : `tracepoint:${system}:${name}`;
}

const FAULT_FIELDS = { address: 'int', ip: 'int', error_code: 'int' } as const;

/**
 * Fields of the tracepoints faultline's readers decode into typed records, named as in the kernel's format files.
 * A field outside these is refused at compile time; whether a line carries it is checked per event (eventFieldNames).
 */
const TRACE_FIELDS: Record<string, Record<string, FieldType>> = {
  'exceptions:page_fault_user': FAULT_FIELDS,
  'exceptions:page_fault_kernel': FAULT_FIELDS,
  'kmem:rss_stat': { mm_id: 'int', curr: 'int', member: 'int', size: 'int' },
  'kmem:rss_stat_throttled': { mm_id: 'int', curr: 'int', member: 'int', size: 'int' },
  'sched:sched_process_fork': { parent_comm: 'str', parent_pid: 'int', child_comm: 'str', child_pid: 'int' },
  'sched:sched_process_exec': { filename: 'str', pid: 'int', old_pid: 'int' },
  'sched:sched_process_exit': { comm: 'str', pid: 'int', prio: 'int', group_dead: 'int' },
  'task:task_newtask': { pid: 'int', comm: 'str', clone_flags: 'int' },
};

/** Enter arguments of the mm syscalls (SYSCALL_DEFINE parameter names, which the tracepoint fields use). */
const SYSCALL_ARGS: Record<string, string[]> = {
  mmap: ['addr', 'len', 'prot', 'flags', 'fd', 'off'],
  munmap: ['addr', 'len'],
  mprotect: ['start', 'len', 'prot'],
  madvise: ['start', 'len_in', 'behavior'],
  brk: ['brk'],
  mremap: ['addr', 'old_len', 'new_len', 'flags', 'new_addr'],
  mlock: ['start', 'len'],
  mlock2: ['start', 'len', 'flags'],
  munlock: ['start', 'len'],
  mlockall: ['flags'],
  munlockall: [],
  exit_group: ['error_code'],
};

/** Field names that hold strings (for tracepoints faultline has no format table for). */
const STRING_FIELDS = new Set(['comm', 'parent_comm', 'child_comm', 'filename', 'name', 'prev_comm', 'next_comm', 'orig_comm', 'oldcomm', 'newcomm']);

/**
 * Fields known for an exact tracepoint: a table, or null when faultline does not know the format (any field
 * is then accepted and typed by name).
 */
export function tracepointFields(exact: string): Record<string, FieldType> | null {
  if (exact in TRACE_FIELDS) return TRACE_FIELDS[exact];
  const m = /^syscalls:sys_(enter|exit)_(\w+)$/.exec(exact);
  if (m) {
    if (m[1] === 'exit') return { __syscall_nr: 'int', ret: 'int' };
    const args = SYSCALL_ARGS[m[2]];
    if (!args) return null;
    const f: Record<string, FieldType> = { __syscall_nr: 'int' };
    for (const a of args) f[a] = 'int';
    return f;
  }
  return null;
}

export function guessFieldType(field: string): FieldType {
  return STRING_FIELDS.has(field) ? 'str' : 'int';
}

/** Model probe record fields in snake_case, with the record property each reads (model/types.ts). */
export const MODEL_FIELDS: Record<ModelProbeName, Record<string, FieldType>> = {
  fault: {
    variant: 'str', time: 'int', cpu: 'int', pid: 'int', tid: 'int', comm: 'str', address: 'int', error_code: 'int',
    path: 'str', vma_start: 'int', vma_end: 'int', vma_flags: 'int', pages_allocated: 'int', tables_allocated: 'int',
    latency_ns: 'int', inferred: 'int',
  },
  fork: {
    variant: 'str', time: 'int', pid: 'int', comm: 'str', child_pid: 'int', ptes_copied: 'int', tables_copied: 'int',
    tables_shared: 'int', pmds_copied: 'int', latency_ns: 'int',
  },
  exit: { variant: 'str', time: 'int', pid: 'int', comm: 'str', rss_anon_kb: 'int', rss_file_kb: 'int', pgtables_kb: 'int' },
  rss: { variant: 'str', time: 'int', pid: 'int', comm: 'str', member: 'int', value: 'int', delta: 'int' },
  cow_pte_break: { variant: 'str', time: 'int', pid: 'int', comm: 'str', address: 'int', how: 'str', cause: 'str' },
};

export function camel(snake: string): string {
  return snake.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** 64-bit values kept as bigint by the readers become signed int64 numbers (kernel addresses stay exact). */
function num(v: string | number | bigint | boolean | undefined): number | string | undefined {
  if (typeof v === 'bigint') return Number(BigInt.asIntN(64, v));
  if (typeof v === 'boolean') return v ? 1 : 0;
  return v;
}

/** A getter for args.FIELD over any trace event; undefined when the event has no such field. */
export function traceFieldGetter(field: string): (e: TraceEvent) => number | string | undefined {
  return (e) => {
    switch (e.kind) {
      case 'fault':
        // -1: the line had no number there (a %ps kernel symbol, or no error code): not a value to read
        return field === 'address' ? e.address : field === 'ip' ? (e.ip >= 0 ? e.ip : undefined) : field === 'error_code' ? (e.errorCode >= 0 ? e.errorCode : undefined) : undefined;
      case 'sys_enter':
        return e.args[field];
      case 'sys_exit':
        return field === 'ret' ? e.ret : undefined;
      case 'rss_stat':
        return field === 'mm_id' ? e.mmId : field === 'curr' ? (e.curr ? 1 : 0) : field === 'member' ? e.member : field === 'size' ? e.size : undefined;
      case 'fork':
        return field === 'parent_pid' ? e.parentPid : field === 'child_pid' ? e.childPid : field === 'parent_comm' ? e.parentComm : field === 'child_comm' ? e.childComm : undefined;
      case 'exec':
        return field === 'filename' ? e.filename : field === 'pid' ? e.execPid : field === 'old_pid' ? e.oldPid : undefined;
      case 'exit':
        return field === 'pid' ? e.exitPid : field === 'comm' ? e.comm : field === 'group_dead' ? num(e.groupDead ?? undefined) : field === 'prio' ? e.prio : undefined;
      case 'newtask':
        return field === 'pid' ? e.newPid : field === 'comm' ? e.newComm : field === 'clone_flags' ? e.cloneFlags : undefined;
      case 'lost':
        return field === 'count' ? e.count : undefined;
      case 'other':
        return num(e.fields[field]);
    }
  };
}

/** The args fields one event carries in the trace (what a refusal lists when a program reads another). */
export function eventFieldNames(e: TraceEvent): string[] {
  switch (e.kind) {
    case 'fault':
      return ['address', ...(e.ip >= 0 ? ['ip'] : []), ...(e.errorCode >= 0 ? ['error_code'] : [])];
    case 'sys_enter':
      return Object.keys(e.args);
    case 'sys_exit':
      return ['ret'];
    case 'rss_stat':
      return ['mm_id', 'curr', 'member', 'size'];
    case 'fork':
      return ['parent_comm', 'parent_pid', 'child_comm', 'child_pid'];
    case 'exec':
      return ['filename', 'pid', 'old_pid'];
    case 'exit':
      return ['comm', 'pid', ...(e.prio !== undefined ? ['prio'] : []), ...(e.groupDead !== null ? ['group_dead'] : [])];
    case 'newtask':
      return ['pid', 'comm', 'clone_flags'];
    case 'lost':
      return ['count'];
    case 'other':
      return Object.keys(e.fields);
  }
}
