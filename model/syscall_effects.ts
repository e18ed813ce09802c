// The mm syscalls' effects, applied at sys_exit with the returned address (mm/mmap.c, mm/vma.c, mm/mprotect.c,
// mm/madvise.c, mm/mremap.c, mm/mlock.c: their SYSCALL_DEFINEs), and the GUP population each one records.
import type { SyscallEnterEvent, SyscallExitEvent, TraceEvent } from '../traces/events.js';
import { faultCostNs } from './costs.js';
import { countPath, proc, task, type EngineState } from './engine_state.js';
import { beginExec, endExec, isExecCall } from './exec.js';
import * as F from './flags.js';
import { doMadvise } from './madvise.js';
import { unmapRange } from './mm.js';
import { doBrk, doMlock, doMlockall, doMmap, doMprotect, doMremap } from './mmap.js';
import { pageUp } from './page_table.js';
import type { ProcAcc } from './results.js';
import { flushHeld } from './rss_stat.js';
import { applyUserWrites } from './fault_entry.js';
import type { Mm } from './state.js';

/** Syscalls whose effect on the mm's mappings the model applies at their exit (traces/syscalls.ts: MM_SYSCALLS is what is recorded). */
const MAPPING_CALLS: ReadonlySet<string> = new Set(['mmap', 'munmap', 'mprotect', 'madvise', 'brk', 'mremap', 'mlock', 'mlock2', 'munlock', 'mlockall', 'munlockall']);

/** sys_enter: a clone, a mapping call or an execve is now in flight on this task (its rss_stat events wait for it). */
export function onSysEnter(st: EngineState, e: SyscallEnterEvent): void {
  task(st, e);
  st.fresh.delete(e.tid);
  if (F.CLONE_CALLS.has(e.call)) st.inClone.add(e.tid);
  else if (MAPPING_CALLS.has(e.call)) st.inMmCall.add(e.tid);
  else if (isExecCall(e.call)) beginExec(st, e.tid);
}

/** sys_exit: apply the call with its return value, then release the rss_stat events held during it. */
export function onSysExit(st: EngineState, e: SyscallExitEvent): void {
  const { ctx, out } = st;
  const t = task(st, e);
  st.fresh.delete(e.tid);
  const call = e.call;
  if (isExecCall(call)) {
    endExec(st, t, e.ret);
    return;
  }
  if (F.CLONE_CALLS.has(call)) {
    st.inClone.delete(e.tid);
    flushHeld(st, e.tid);
    return;
  }
  if (!MAPPING_CALLS.has(call)) return;
  st.inMmCall.delete(e.tid);
  const a = e.enter?.args;
  const ret = e.ret;
  const mm = t.mm;
  const p = proc(st, t.tgid, t.comm);
  out.fill(0);
  if (ret < 0 && ret > -4096 && call !== 'brk') return flushHeld(st, e.tid); // failed: nothing changed
  if (!a && call !== 'brk') return flushHeld(st, e.tid);
  const g = (k: string, alt?: string): number => (a ? (a[k] ?? (alt ? a[alt] : undefined) ?? 0) : 0);
  switch (call) {
    case 'mmap': {
      const fd = g('fd');
      const v = doMmap(ctx, mm, ret, g('len'), g('prot'), g('flags'), fd > 0x7fffffff ? -1 : fd, g('off', 'pgoff'), out);
      if (v) notePopulate(st, e, p, ret, ret + g('len'));
      break;
    }
    case 'munmap':
      unmapRange(ctx, mm, g('addr'), g('addr') + pageUp(g('len')));
      break;
    case 'mprotect':
      doMprotect(ctx, mm, g('start'), g('len'), g('prot'));
      break;
    case 'madvise':
      doMadvise(ctx, mm, g('start'), g('len_in', 'len'), g('behavior'), out);
      notePopulate(st, e, p, g('start'), g('start') + g('len_in', 'len'));
      break;
    case 'brk':
      doBrk(ctx, mm, ret, out);
      notePopulate(st, e, p, mm.brkStart, ret);
      break;
    case 'mremap':
      doMremap(ctx, mm, g('addr'), g('old_len'), g('new_len'), ret);
      break;
    case 'mlock':
    case 'mlock2':
      doMlock(ctx, mm, g('start'), g('len'), true, call === 'mlock2' && (g('flags') & 1) === 1, out);
      notePopulate(st, e, p, g('start'), g('start') + g('len'));
      break;
    case 'munlock':
      doMlock(ctx, mm, g('start'), g('len'), false, false, out);
      break;
    case 'mlockall':
      doMlockall(ctx, mm, g('flags'), true, out);
      notePopulate(st, e, p, 0, 0);
      break;
    case 'munlockall':
      doMlockall(ctx, mm, 0, false, out);
      break;
  }
  if (ctx.userWrites.length > 0) noteUserWrites(st, e, p, mm);
  flushHeld(st, e.tid);
}

/**
 * The program's own writes right after the call (a what-if, e.g. the allocator's memset): their trapped faults are
 * recorded one by one (fault_entry.ts), then one 'memset_fill' record prices the writing itself per 4 KiB.
 */
function noteUserWrites(st: EngineState, e: TraceEvent, p: ProcAcc, mm: Mm): void {
  const bytes = applyUserWrites(st, e, p, mm);
  if (bytes <= 0) return;
  const r = st.ctx.faultRec;
  r.time = e.time; r.cpu = e.cpu; r.pid = p.res.pid; r.tid = e.tid; r.comm = e.comm; r.address = 0;
  r.errorCode = -1; r.path = 'memset_fill'; r.vmaStart = 0; r.vmaEnd = 0; r.vmaFlags = 0;
  r.pagesAllocated = Math.ceil(bytes / F.PAGE_SIZE); r.tablesAllocated = 0; r.tablesCopied = 0; r.inferred = false;
  r.latencyNs = faultCostNs(st.profile, r);
  st.faultLatency += r.latencyNs;
  countPath(st, p, 'memset_fill', r.latencyNs);
  st.ctx.probes.fault?.(r);
}

/** GUP population inside a syscall: minflt per page faulted, one 'populate' record for the call. */
function notePopulate(st: EngineState, e: TraceEvent, p: ProcAcc, start: number, end: number): void {
  const { ctx, out } = st;
  if (out[0] === 0) return;
  p.res.minflt += out[0]!;
  const r = ctx.faultRec;
  r.time = e.time; r.cpu = e.cpu; r.pid = p.res.pid; r.tid = e.tid; r.comm = e.comm; r.address = start;
  r.errorCode = -1; r.path = 'populate'; r.vmaStart = start; r.vmaEnd = end; r.vmaFlags = 0;
  r.pagesAllocated = out[1]!; r.tablesAllocated = out[2]!; r.inferred = false;
  r.latencyNs = faultCostNs(st.profile, r);
  st.faultLatency += r.latencyNs;
  countPath(st, p, 'populate', r.latencyNs);
  ctx.probes.fault?.(r);
}
