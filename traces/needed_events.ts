// The events the model needs from a trace, and what the replay assumes where a trace lacks one (issue 12: name what
// is missing). A closed catalogue: validate and info list the absent ones with their cost.
import type { TraceEvent } from './events.js';

/** Mapping calls whose effect the model applies from their arguments (traces/syscalls.ts records them). */
const CALLS = ['mmap', 'munmap', 'mprotect', 'madvise', 'brk', 'mremap'] as const;
type Call = (typeof CALLS)[number];

export type NeededEvent =
  | 'page_fault_user' | 'page_fault_kernel' | 'rss_stat'
  | `sys_enter_${Call}` | `sys_exit_${Call}`
  | 'task_newtask' | 'sched_process_fork' | 'sys_enter_execve' | 'sched_process_exec' | 'sched_process_exit';

export interface MissingEvent {
  event: NeededEvent;
  /** What faultline does without it, and what that costs. */
  cost: string;
}

const COST: Record<NeededEvent, string> = {
  page_fault_user: 'no user faults: every page the kernel counts arrives unexplained; only rss_stat baselines',
  page_fault_kernel: 'kernel-mode faults (read() into fresh buffers, load_elf_binary writing the new image): a single-threaded mm\'s counter rising with no fault before it is taken from rss_stat (counted)',
  rss_stat: 'no kernel counters: nothing to validate against, and replays cannot read what the page cache held',
  sys_enter_mmap: 'mmaps unseen: VMAs are inferred from the faults in them (kind from the kernel\'s counters)',
  sys_exit_mmap: 'mmap addresses unknown (only MAP_FIXED ones are applied): VMAs are inferred from the faults in them',
  sys_enter_munmap: 'munmaps unseen: freed pages stay in the model until a not-present fault the kernel counts as new proves one gone (counted: page_left_unseen; single-threaded mms); the kernel\'s counters resync it',
  sys_exit_munmap: 'munmaps applied at their first zap rss_stat, or when the thread\'s next event shows the call returned; assumed successful',
  sys_enter_mprotect: 'mprotects unseen: VMA splits and write permissions as inferred',
  sys_exit_mprotect: 'mprotects applied when the thread\'s next event shows the call returned, assumed successful',
  sys_enter_madvise: 'madvise calls unseen: MADV_DONTNEED/FREE zaps and MADV_HUGEPAGE never take effect; the kernel\'s counters resync the model',
  sys_exit_madvise: 'madvise calls applied at their first rss_stat, or when the thread\'s next event shows the call returned; assumed successful',
  sys_enter_brk: 'brk calls unseen: the heap is inferred from its faults',
  sys_exit_brk: 'brk applied with its argument as the new break when the thread\'s next event shows the call returned',
  sys_enter_mremap: 'mremaps unseen: moved pages (mm/mremap.c move_page_tables: no fault at their new place) stay where the model saw them until a not-present fault there that the kernel counts as new (counted: page_left_unseen; single-threaded mms); the kernel\'s counters resync the model',
  sys_exit_mremap: 'mremap applied when the thread\'s next event shows the call returned: a shrink in place, MREMAP_FIXED at its address, a growth where the thread\'s next fault shows it went (in place, or a PMD-aligned move); otherwise not applied',
  task_newtask: 'clone flags unseen: a new task is a thread of its parent only when the trace shows its pid; forks come from sched_process_fork',
  sched_process_fork: 'a fork with no clone event is inferred from the child mm\'s copy (curr=0 rss_stat under a new mm_id, kernel/fork.c: copy_mm) and given to the first task that runs on it (counted: fork_inferred)',
  sys_enter_execve: 'an exec\'s start is unseen: its new mm is told apart by acct_arg_size\'s charge on the old mm and the old mm\'s teardown (counted: exec_inferred when sched_process_exec is absent too)',
  sched_process_exec: 'execs seen only through the new mm\'s rss_stat events',
  sched_process_exit: 'exits unseen: mms live to the trace\'s end; their teardown events are matched to them by mm_id',
};

/** Tracks which needed events a trace has; `missing()` lists the absent ones (a sys_exit only where its enter is present). */
export function createEventCensus(): { sink: (e: TraceEvent) => void; missing(): MissingEvent[] } {
  const seen = new Set<string>();
  return {
    sink(e) {
      seen.add(e.name);
    },
    missing: () => missingEvents(seen),
  };
}

/** The needed events absent from a trace whose event names (tracepoint names without subsystem) are `seen`. */
export function missingEvents(seen: ReadonlySet<string>): MissingEvent[] {
  const out: MissingEvent[] = [];
  const add = (ev: NeededEvent): void => {
    if (!seen.has(ev)) out.push({ event: ev, cost: COST[ev] });
  };
  add('page_fault_user');
  add('page_fault_kernel');
  if (!seen.has('rss_stat_throttled')) add('rss_stat'); // Android's throttled variant carries the same counters
  for (const c of CALLS) {
    if (c === 'mmap') add('sys_enter_mmap');
    if (seen.has(`sys_enter_${c}`)) add(`sys_exit_${c}`);
  }
  if (!seen.has('sys_enter_munmap') && !seen.has('sys_exit_munmap')) add('sys_enter_munmap');
  if (!seen.has('sys_enter_madvise') && !seen.has('sys_exit_madvise')) add('sys_enter_madvise');
  add('task_newtask');
  if (!seen.has('task_newtask')) add('sched_process_fork'); // task_newtask alone names forks and threads
  if (!seen.has('sched_process_exec')) add('sys_enter_execve'); // sched_process_exec alone tells when exec_mmap ran
  add('sched_process_exec');
  add('sched_process_exit');
  return out;
}
