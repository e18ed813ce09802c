// Syscall normalisation (which calls faultline types) and enter/exit pairing per thread, after the merge
// so that pairs are matched in time order.
import type { EventSink, SyscallEnterEvent, TraceEvent } from './events.js';

/** The mm syscalls faultline types as sys_enter/sys_exit; any other syscall stays a generic event. */
export const MM_SYSCALLS: ReadonlySet<string> = new Set([
  'mmap', 'munmap', 'mprotect', 'madvise', 'brk', 'mremap',
  'mlock', 'mlock2', 'munlock', 'mlockall', 'munlockall',
  'clone', 'clone3', 'fork', 'vfork', 'execve', 'exit_group',
]);

/** Wrap `sink` so each sys_exit carries the sys_enter of the same call on the same thread. */
export function pairSyscalls(sink: EventSink): EventSink {
  const pending = new Map<number, SyscallEnterEvent>();
  return (e: TraceEvent): void => {
    if (e.kind === 'sys_enter') {
      pending.set(e.tid, e);
    } else if (e.kind === 'sys_exit') {
      const enter = pending.get(e.tid);
      if (enter !== undefined) {
        pending.delete(e.tid);
        if (enter.call === e.call) e.enter = enter;
      }
    }
    sink(e);
  };
}
