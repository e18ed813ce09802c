// Field numbers of the Perfetto protos faultline reads (and its test encoder writes): only the fields it needs.
// Facts from github.com/google/perfetto at ec5d16b14b74 (2026-08-22); each block names its .proto file.
// Wire types are the protobuf encoding's: varint 0, 64-bit 1, length-delimited 2, 32-bit 5.

/** protos/perfetto/trace/trace.proto: message Trace { repeated TracePacket packet = 1; } */
export const TRACE_PACKET = 1;

/** protos/perfetto/trace/trace_packet.proto: message TracePacket (the oneof `data` members faultline reads). */
export const Packet = {
  ftrace_events: 1, // FtraceEventBundle
  process_tree: 2, // ProcessTree
  timestamp: 8, // uint64
  ftrace_stats: 34, // FtraceStats
  process_descriptor: 43, // ProcessDescriptor (deprecated, still written by old SDKs)
  thread_descriptor: 44, // ThreadDescriptor
  system_info: 45, // SystemInfo (protos/perfetto/common/system_info.proto): page size, utsname
  compressed_packets: 50, // bytes: a Trace (repeated packet = 1), deflate-compressed
  cpu_info: 67, // CpuInfo
  zstd_compressed_packets: 133, // bytes: the zstd form (not read: counted)
} as const;

/** protos/perfetto/trace/ftrace/ftrace_event_bundle.proto: message FtraceEventBundle. */
export const Bundle = {
  cpu: 1, // uint32
  event: 2, // repeated FtraceEvent
  lost_events: 3, // bool
  compact_sched: 4, // CompactSched
} as const;

/** ftrace_event_bundle.proto: message FtraceEventBundle.CompactSched (structure of arrays, all packed). */
export const CompactSched = {
  switch_timestamp: 1, // repeated uint64, delta-encoded, first absolute
  switch_prev_state: 2, // repeated int64
  switch_next_pid: 3, // repeated int32
  switch_next_prio: 4, // repeated int32
  intern_table: 5, // repeated string
  switch_next_comm_index: 6, // repeated uint32
  waking_timestamp: 7, // repeated uint64, delta-encoded, first absolute
  waking_pid: 8, // repeated int32
  waking_target_cpu: 9, // repeated int32
  waking_prio: 10, // repeated int32
  waking_comm_index: 11, // repeated uint32
  waking_common_flags: 12, // repeated uint32
} as const;

/** protos/perfetto/trace/ftrace/ftrace_event.proto: message FtraceEvent (header fields and the oneof `event` members read). */
export const Event = {
  timestamp: 1, // uint64, ns on the trace clock
  pid: 2, // uint32: the kernel pid, i.e. the thread id
  common_flags: 5, // uint32
  print: 3, // PrintFtraceEvent
  sched_switch: 4, // SchedSwitchFtraceEvent
  sched_waking: 20, // SchedWakingFtraceEvent
  task_newtask: 235, // TaskNewtaskFtraceEvent
  task_rename: 236, // TaskRenameFtraceEvent
  sched_process_exec: 237, // SchedProcessExecFtraceEvent
  sched_process_exit: 238, // SchedProcessExitFtraceEvent
  sched_process_fork: 239, // SchedProcessForkFtraceEvent
  rss_stat: 313, // RssStatFtraceEvent
  generic: 327, // GenericFtraceEvent (any tracepoint without a typed proto: exceptions/page_fault_user, syscalls/sys_enter_mmap, ...)
  mm_event_record: 328, // MmEventRecordFtraceEvent
  sys_enter: 329, // SysEnterFtraceEvent (raw_syscalls)
  sys_exit: 330, // SysExitFtraceEvent (raw_syscalls)
  rss_stat_throttled: 359, // RssStatThrottledFtraceEvent
} as const;

/** protos/perfetto/trace/ftrace/print.proto: message PrintFtraceEvent. */
export const Print = { ip: 1, buf: 2 } as const;

/** protos/perfetto/trace/ftrace/sched.proto: SchedSwitchFtraceEvent. */
export const SchedSwitch = { prev_comm: 1, prev_pid: 2, prev_prio: 3, prev_state: 4, next_comm: 5, next_pid: 6, next_prio: 7 } as const;
/** sched.proto: SchedWakingFtraceEvent. */
export const SchedWaking = { comm: 1, pid: 2, prio: 3, success: 4, target_cpu: 5 } as const;
/** sched.proto: SchedProcessExecFtraceEvent. */
export const SchedProcessExec = { filename: 1, pid: 2, old_pid: 3 } as const;
/** sched.proto: SchedProcessExitFtraceEvent. */
export const SchedProcessExit = { comm: 1, pid: 2, tgid: 3, prio: 4 } as const;
/** sched.proto: SchedProcessForkFtraceEvent. */
export const SchedProcessFork = { parent_comm: 1, parent_pid: 2, child_comm: 3, child_pid: 4 } as const;

/** protos/perfetto/trace/ftrace/task.proto: TaskNewtaskFtraceEvent. */
export const TaskNewtask = { pid: 1, comm: 2, clone_flags: 3, oom_score_adj: 4 } as const;
/** task.proto: TaskRenameFtraceEvent. */
export const TaskRename = { pid: 1, oldcomm: 2, newcomm: 3, oom_score_adj: 4 } as const;

/** protos/perfetto/trace/ftrace/kmem.proto: RssStatFtraceEvent. */
export const RssStat = { member: 1, size: 2, curr: 3, mm_id: 4 } as const;
/** protos/perfetto/trace/ftrace/synthetic.proto: RssStatThrottledFtraceEvent (note: a different field order). */
export const RssStatThrottled = { curr: 1, member: 2, mm_id: 3, size: 4 } as const;
/** protos/perfetto/trace/ftrace/mm_event.proto: MmEventRecordFtraceEvent (vendor kernels). */
export const MmEventRecord = { avg_lat: 1, count: 2, max_lat: 3, type: 4 } as const;
/** protos/perfetto/trace/ftrace/raw_syscalls.proto: SysEnterFtraceEvent / SysExitFtraceEvent. */
export const SysEnter = { id: 1, args: 2 } as const;
export const SysExit = { id: 1, ret: 2 } as const;

/** protos/perfetto/trace/ftrace/generic.proto: GenericFtraceEvent and its Field. */
export const Generic = { event_name: 1, field: 2 } as const;
export const GenericField = { name: 1, str_value: 3, int_value: 4, uint_value: 5 } as const;

/** protos/perfetto/trace/ps/process_tree.proto: ProcessTree, .Process and .Thread. */
export const ProcessTree = { processes: 1, threads: 2 } as const;
export const TreeProcess = { pid: 1, ppid: 2, cmdline: 3 } as const;
export const TreeThread = { tid: 1, name: 2, tgid: 3 } as const;

/** protos/perfetto/trace/track_event/process_descriptor.proto and thread_descriptor.proto. */
export const ProcessDescriptor = { pid: 1, cmdline: 2, process_name: 6 } as const;
export const ThreadDescriptor = { pid: 1, tid: 2, thread_name: 5 } as const;

/** protos/perfetto/trace/ftrace/ftrace_stats.proto: FtraceStats (phase 1 START_OF_TRACE, 2 END_OF_TRACE) and FtraceCpuStats. */
export const FtraceStats = { phase: 1, cpu_stats: 2 } as const;
export const FtraceCpuStats = { cpu: 1, entries: 2, overrun: 3 } as const;
export const PHASE_START = 1;
export const PHASE_END = 2;

/**
 * protos/perfetto/common/system_info.proto: message SystemInfo { optional Utsname utsname = 1; ...
 * optional uint32 page_size = 6; optional uint32 num_cpus = 8; } and message Utsname { optional string sysname = 1;
 * optional string version = 2; optional string release = 3; optional string machine = 4; }
 */
export const SystemInfo = { utsname: 1, page_size: 6, num_cpus: 8 } as const;
export const Utsname = { sysname: 1, version: 2, release: 3, machine: 4 } as const;

/** protos/perfetto/trace/system_info/cpu_info.proto: CpuInfo { repeated Cpu cpus = 1; } */
export const CpuInfo = { cpus: 1 } as const;

/** Wire types. */
export const VARINT = 0;
export const LEN = 2;
