// The event set a recording asks for (the tracepoints faultline reads), and parsing a user's --events list.
import { userError } from '../traces/errors.js';
import { MM_SYSCALLS } from '../traces/syscalls.js';

/** The event set faultline needs, as `system:name` (perf spelling; ftrace uses events/system/name). */
export const DEFAULT_EVENTS: readonly string[] = [
  'exceptions:page_fault_user',
  'exceptions:page_fault_kernel',
  'kmem:rss_stat',
  ...[...MM_SYSCALLS].flatMap((c) => [`syscalls:sys_enter_${c}`, `syscalls:sys_exit_${c}`]),
  'sched:sched_process_fork',
  'sched:sched_process_exec',
  'sched:sched_process_exit',
  'task:task_newtask',
  // off-CPU time inside a fork and in the parent's return (analyze/latency/measured.ts): the tracepoint fires in
  // __schedule (kernel/sched/core.c), so perf's per-task events see only the command's own switches, and ftrace's
  // set_event_pid keeps a switch only when prev or next is a filtered pid (kernel/trace/trace_events.c:
  // event_filter_pid_sched_switch_probe_pre): a few events per time slice, not the whole machine's
  'sched:sched_switch',
];

/** Events without which a trace is useless to faultline: recording refuses to start if none of them exists. */
export const ESSENTIAL_EVENTS = ['exceptions:page_fault_user', 'kmem:rss_stat'];

/** Splits `--events a,b c` into `system:name` entries; bare names are looked up under their usual system. */
export function parseEventList(spec: string): string[] {
  const out: string[] = [];
  for (const raw of spec.split(/[\s,]+/)) {
    if (!raw) continue;
    const ev = raw.includes(':') ? raw : raw.includes('/') ? raw.replace('/', ':') : guessSystem(raw);
    if (!/^[A-Za-z0-9_]+:[A-Za-z0-9_]+$/.test(ev)) throw userError(`bad event '${raw}': expected system:name, e.g. kmem:rss_stat`);
    if (!out.includes(ev)) out.push(ev);
  }
  if (out.length === 0) throw userError('--events is empty: give a comma-separated list such as kmem:rss_stat,exceptions:page_fault_user');
  return out;
}

function guessSystem(name: string): string {
  const hit = DEFAULT_EVENTS.find((e) => e.endsWith(`:${name}`));
  if (!hit) throw userError(`event '${name}' needs its system: write it as system:name (e.g. kmem:${name})`);
  return hit;
}
