// The one normalised event stream every reader produces and every later stage consumes.
// Shape rules: times are integer nanoseconds (a double holds 2^53 ns, about 104 days of uptime, exactly);
// user addresses are plain numbers (x86-64 user space is 47 bits); any value that does not fit in 2^53
// is kept as a bigint in `fields` and never rounded into a number.
import type { StatCounts, StatName } from './stats.js';

export type TraceFormat = 'perf-script' | 'ftrace' | 'trace-cmd' | 'systrace' | 'perfetto' | 'perfetto-text' | 'bpftrace';

/** Header fields shared by every event. */
export interface EventHeader {
  /** Tracepoint name without its subsystem: 'page_fault_user', 'rss_stat', 'sys_enter_mmap', 'page-faults'. */
  name: string;
  /** Subsystem: 'exceptions', 'kmem', 'syscalls', 'sched', 'task', 'software', ... ('' when the format does not say). */
  system: string;
  /** Integer nanoseconds on the trace clock. */
  time: number;
  /** CPU the event was recorded on, -1 if the format does not say. */
  cpu: number;
  /** Thread-group id (the process) where the format shows it, else -1 (resolve through fork/newtask). */
  pid: number;
  /** Task id (the thread). */
  tid: number;
  comm: string;
  /** 1-based line in the source file (for error messages). */
  line: number;
}

/** exceptions:page_fault_user / page_fault_kernel, and software:page-faults samples (errorCode -1: no error code). */
export interface FaultEvent extends EventHeader {
  kind: 'fault';
  /** true for page_fault_user, false for page_fault_kernel; software samples: true. */
  user: boolean;
  address: number;
  /** Faulting instruction pointer; -1 when unknown or not a plain number (kernel symbol, > 2^53). */
  ip: number;
  /** x86 error code (arch/x86/include/asm/trap_pf.h), -1 when the trace has none (perf page-faults samples, arm64). */
  errorCode: number;
}

/** Decoded x86 page-fault error code bits (arch/x86/include/asm/trap_pf.h: X86_PF_*). */
export const X86_PF_PROT = 0x1;
export const X86_PF_WRITE = 0x2;
export const X86_PF_USER = 0x4;
export const X86_PF_RSVD = 0x8;
export const X86_PF_INSTR = 0x10;
export const X86_PF_PK = 0x20;
export const X86_PF_SHSTK = 0x40;

/** syscalls:sys_enter_NAME (perf) or `sys_NAME(arg: v, ...)` (tracefs). Args keyed by the tracepoint's field names. */
export interface SyscallEnterEvent extends EventHeader {
  kind: 'sys_enter';
  call: string;
  args: Record<string, number>;
}

/** syscalls:sys_exit_NAME, paired per tid with its enter (null when the enter was not in the trace). */
export interface SyscallExitEvent extends EventHeader {
  kind: 'sys_exit';
  call: string;
  /** Return value as a signed long: -errno for failures (0xfffffffffffffff4 becomes -12). */
  ret: number;
  enter: SyscallEnterEvent | null;
}

/** sched:sched_process_fork. Fires for threads too: the clone flags come from task:task_newtask. */
export interface ForkEvent extends EventHeader {
  kind: 'fork';
  parentPid: number;
  parentComm: string;
  childPid: number;
  childComm: string;
}

/** sched:sched_process_exec. */
export interface ExecEvent extends EventHeader {
  kind: 'exec';
  filename: string;
  execPid: number;
  oldPid: number;
}

/** sched:sched_process_exit. groupDead is null on kernels whose event lacks the field. */
export interface ExitEvent extends EventHeader {
  kind: 'exit';
  exitPid: number;
  groupDead: boolean | null;
  /** prio= as printed (include/trace/events/sched.h: sched_process_template); absent when the line lacks it. */
  prio?: number;
}

/** task:task_newtask: clone flags tell a thread (CLONE_VM|CLONE_THREAD) from a process. */
export interface NewTaskEvent extends EventHeader {
  kind: 'newtask';
  newPid: number;
  newComm: string;
  cloneFlags: number;
}

/** include/uapi/linux/sched.h: CLONE_THREAD: a task_newtask child joins its creator's thread group. */
export const CLONE_THREAD = 0x00010000;

/** Counter members of kmem:rss_stat (include/linux/mm_types_task.h: NR_MM_COUNTERS). */
export const MM_FILEPAGES = 0;
export const MM_ANONPAGES = 1;
export const MM_SWAPENTS = 2;
export const MM_SHMEMPAGES = 3;
export const RSS_MEMBER_NAMES = ['MM_FILEPAGES', 'MM_ANONPAGES', 'MM_SWAPENTS', 'MM_SHMEMPAGES'] as const;

/** kmem:rss_stat (or Android's rss_stat_throttled): size is the whole counter after the update, in bytes. */
export interface RssStatEvent extends EventHeader {
  kind: 'rss_stat';
  mmId: number;
  /** curr=1: the mm is the current task's own; 0 for fork copies into a child and exit teardown. */
  curr: boolean;
  member: number;
  size: number;
  throttled: boolean;
}

/** The ring buffer dropped events here (ftrace `[LOST n EVENTS]`, trace-cmd `[n EVENTS DROPPED]`, overwritten entries). */
export interface LostEvent extends EventHeader {
  kind: 'lost';
  /** Number of events lost, or -1 when the format only says that some were. */
  count: number;
}

/** Any other event, kept queryable by name and fields. */
export interface OtherEvent extends EventHeader {
  kind: 'other';
  fields: Record<string, string | number | bigint>;
}

export type TraceEvent =
  | FaultEvent
  | SyscallEnterEvent
  | SyscallExitEvent
  | ForkEvent
  | ExecEvent
  | ExitEvent
  | NewTaskEvent
  | RssStatEvent
  | LostEvent
  | OtherEvent;

/** Push-based consumer: readers call it once per event, in timestamp order. */
export type EventSink = (e: TraceEvent) => void;

/**
 * The two hot kinds by their parts, in decode.ts's key order, for a consumer that takes them so (info's counts) and
 * for the parse worker's encoder: the byte paths and the batch decoder then build no object per event.
 */
export interface RowSink {
  fault(name: string, system: string, time: number, cpu: number, pid: number, tid: number, comm: string, line: number, user: boolean, address: number, ip: number, errorCode: number): void;
  rss(name: string, system: string, time: number, cpu: number, pid: number, tid: number, comm: string, line: number, mmId: number, curr: boolean, member: number, size: number, throttled: boolean): void;
}

/** A line the reader could not use: reported as `file:line: why`. */
export interface SkippedLine {
  file: string;
  line: number;
  /** The stats catalogue entry it is counted under. */
  stat: StatName;
  reason: string;
}

/** What a whole read produced besides the events. */
export interface ReadResult {
  file: string;
  format: TraceFormat;
  bytes: number;
  lines: number;
  events: number;
  /** Events known lost (sum of LostEvent counts, plus entries-written minus entries-in-buffer). */
  lostEvents: number;
  skippedLines: number;
  /** The first few skipped lines, for messages. */
  skippedExamples: SkippedLine[];
  /** Counts per stats-catalogue name (traces/stats.ts): skipped lines by cause, losses, remarks. */
  stats: StatCounts;
  /** Thread id -> process id the trace names outside its events (systrace's PROCESS DUMP). */
  threadGroups?: Map<number, number>;
  /** Things read but worth a word (`file:line: why`): an unterminated last line, events out of order beyond the merge window. */
  warnings?: string[];
}

export interface ReadOptions {
  /** Where `-` reads from (process.stdin unless a test hands in a stream). */
  stdin?: NodeJS.ReadableStream;
  /** Force a format instead of detecting it. */
  format?: TraceFormat;
  /** Called now and then with bytes read so far (of the compressed file for .gz) and the file size. */
  onProgress?: (bytesRead: number, totalBytes: number) => void;
  /** Where faults and rss_stat may go by their parts instead of to the sink as objects (the same events, in order). */
  rows?: RowSink;
}
