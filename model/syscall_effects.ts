// The mm syscalls' effects, applied at sys_exit with the returned address (mm/mmap.c, mm/vma.c, mm/mprotect.c,
// mm/madvise.c, mm/mremap.c, mm/mlock.c: their SYSCALL_DEFINEs), and the GUP population each one records.
import type { SyscallEnterEvent, SyscallExitEvent, TraceEvent } from '../traces/events.js';
import { faultCost } from './costs.js';
import { pathId } from './fault_paths.js';
import { countPath, dropFileRead, endFileRead, proc, task, type EngineState } from './engine_state.js';
import { beginExec, endExec, isExecCall } from './exec.js';
import * as F from './flags.js';
import { doMadvise } from './madvise.js';
import { findVma, firstAbove, unmapRange } from './mm.js';
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
  else if (MAPPING_CALLS.has(e.call)) st.inMmCall.set(e.tid, e);
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
  if (!st.inMmCall.delete(e.tid) && e.enter) {
    // applied already, at its first zap piece (callBegan): only a failure is news, and the model cannot undo it
    if (e.ret < 0 && e.ret > -4096) st.assumed.applied_call_failed++;
    return flushHeld(st, e.tid);
  }
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
      noteZap(st, e.tid, mm, g('addr'), g('addr') + pageUp(g('len')));
      unmapRange(ctx, mm, g('addr'), g('addr') + pageUp(g('len')));
      break;
    case 'mprotect':
      doMprotect(ctx, mm, g('start'), g('len'), g('prot'));
      break;
    case 'madvise':
      if (g('behavior') === F.MADV_DONTNEED || g('behavior') === F.MADV_DONTNEED_LOCKED) noteZap(st, e.tid, mm, g('start'), g('start') + pageUp(g('len_in', 'len')));
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
 * A zap (munmap, MADV_DONTNEED) of [start, end) about to be applied to mm: in an mm older than the trace that holds
 * pages from before it, a range the trace's own mmaps do not cover whole may hold some of them (VMAs there are
 * inferred or unknown); noted for its rss_stat pieces (rss_stat.ts: zapUnseenPiece).
 */
function noteZap(st: EngineState, tid: number, mm: Mm, start: number, end: number): void {
  if (!mm.predates || !mm.phantom.some((n) => n > 0) || mappedInTrace(mm, start, end)) return;
  st.zapping.set(tid, { mm, model: Float64Array.from(mm.rss), kernel: new Float64Array(4).fill(NaN), unseen: 0 });
}

/** [start, end) lies whole in VMAs the trace showed being mapped (none inferred from faults). */
function mappedInTrace(mm: Mm, start: number, end: number): boolean {
  let at = start;
  for (let k = firstAbove(mm, start); at < end; k++) {
    const v = mm.vmas[k];
    if (!v || v.start > at || v.kind & F.KIND_INFERRED) return false;
    at = v.end;
  }
  return true;
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
  r.latencyNs = faultCost(st.prices, st.draws, MEMSET_FILL, r);
  st.faultLatency += r.latencyNs;
  countPath(st, p, MEMSET_FILL, r.latencyNs);
  st.ctx.probes.fault?.(r);
}

/** Calls whose effect the arguments alone decide, so they can be applied at their first rss_stat piece. */
const ARGS_DECIDE: ReadonlySet<string> = new Set(['munmap', 'mprotect', 'madvise', 'brk', 'mlock', 'mlock2', 'munlock', 'mlockall', 'munlockall']);
const MAP_FIXED = 0x10, MAP_FIXED_NOREPLACE = 0x100000, MREMAP_MAYMOVE = 1, MREMAP_FIXED = 2;

/**
 * The value a mapping call returns when it succeeds, from its arguments alone (include/uapi/asm-generic/mman-common.h
 * flags); null when only the kernel's choice of address would tell (mmap without MAP_FIXED, a growing mremap).
 */
function assumedReturn(e: SyscallEnterEvent): number | null {
  const g = (k: string, alt?: string): number => e.args[k] ?? (alt ? e.args[alt] : undefined) ?? 0;
  switch (e.call) {
    case 'mmap': return g('flags') & (MAP_FIXED | MAP_FIXED_NOREPLACE) ? g('addr') : null;
    case 'brk': return g('brk') > 0 ? g('brk') : null; // mm/mmap.c: SYSCALL_DEFINE1(brk): returns the new break
    case 'mremap': return g('flags') & MREMAP_FIXED ? g('new_addr') : g('new_len') <= g('old_len') ? g('addr') : null;
    default: return 0;
  }
}

/**
 * Where a growing MREMAP_MAYMOVE mremap went, from the thread's first user fault after it (by): mm/mremap.c:
 * SYSCALL_DEFINE5(mremap) expands in place when it can, and a move never overlaps the old range (still mapped during
 * get_unmapped_area), so a fault in [addr, addr + new_len) proves in place. A fault in no VMA the model has proves a
 * move; an anonymous new_len that is a PMD multiple is placed PMD-aligned (mm/mmap.c: __get_unmapped_area ->
 * thp_get_unmapped_area_vmflags, pgoff 0 for anonymous memory), at the highest such start that holds the fault and
 * is free (top-down); any other length goes where vm_unmapped_area (VM_UNMAPPED_AREA_TOPDOWN) puts it, at the top of
 * the highest free gap: right below the lowest VMA above the fault, when that range holds the fault and is free (a
 * realloc's copy: perl's hash buckets, 33 -> 65 pages, moved below the next chunk). Null when the fault does not tell.
 */
function mremapTarget(st: EngineState, enter: SyscallEnterEvent, by: TraceEvent | undefined): number | null {
  if (!by || by.kind !== 'fault' || !by.user) return null;
  const g = (k: string): number => enter.args[k] ?? 0;
  const addr = g('addr'), newLen = pageUp(g('new_len'));
  if (!(g('flags') & MREMAP_MAYMOVE) || g('flags') & MREMAP_FIXED) return null;
  const f = by.address;
  if (f >= addr && f < addr + newLen) return addr;
  const mm = st.tasks.get(by.tid)?.mm;
  const v = mm ? findVma(mm, addr) : null;
  if (!mm || !v || !(v.kind & F.KIND_ANON) || v.flags & F.VM_SHARED || findVma(mm, f)) return null;
  if (newLen % F.PMD_SIZE) {
    const k = firstAbove(mm, f), prev = mm.vmas[k - 1], next = mm.vmas[k];
    if (!next || f < next.start - newLen || (prev && prev.end > next.start - newLen)) return null;
    return next.start - newLen;
  }
  for (let q = Math.floor(f / F.PMD_SIZE) * F.PMD_SIZE; q > f - newLen; q -= F.PMD_SIZE) {
    const k = firstAbove(mm, q), prev = mm.vmas[k - 1], next = mm.vmas[k];
    if ((!prev || prev.end <= q) && (!next || next.start >= q + newLen)) return q;
  }
  return null;
}

/**
 * Where a non-fixed mmap without its sys_exit went, from the thread's first user fault after it (by): mm/mmap.c:
 * get_unmapped_area -> vm_unmapped_area (VM_UNMAPPED_AREA_TOPDOWN) takes the highest free gap that fits and places the
 * area at its top. A fault in no VMA the model has, within len bytes below the lowest VMA above it, with that much free
 * below that VMA, shows that gap was the one: the area ends where that VMA begins (ld.so's mmap of ld.so.cache right
 * below the previous mapping). Only a hint-less mmap shorter than a PMD (longer ones may be PMD-aligned:
 * thp_get_unmapped_area). Null when the fault does not tell.
 */
function mmapTarget(st: EngineState, enter: SyscallEnterEvent, by: TraceEvent | undefined): number | null {
  const lib = libraryBase(enter, by);
  if (lib !== null) return lib;
  if (!by || by.kind !== 'fault' || !by.user) return null;
  const len = pageUp(enter.args.len ?? 0);
  if ((enter.args.addr ?? 0) !== 0 || len === 0 || len >= F.PMD_SIZE) return null;
  const mm = st.tasks.get(by.tid)?.mm;
  if (!mm || findVma(mm, by.address)) return null;
  const k = firstAbove(mm, by.address), prev = mm.vmas[k - 1], next = mm.vmas[k];
  if (!next || by.address < next.start - len || (prev && prev.end > next.start - len)) return null;
  return next.start - len;
}

/**
 * ld.so loading a library (glibc elf/dl-map-segments.h: _dl_map_segments): one mmap of the whole extent at an address
 * the kernel picks, then, as the thread's next call, a MAP_FIXED mmap of the next segment from the same fd at
 * l_addr + p_vaddr, file offset p_offset. With p_vaddr - p_offset equal for both segments (ld's layout: each segment's
 * vaddr is its file offset), the extent began at that address - (its offset - the first call's): a fixed mapping that
 * lies inside it confirms. Null otherwise.
 */
function libraryBase(enter: SyscallEnterEvent, by: TraceEvent | undefined): number | null {
  if (!by || by.kind !== 'sys_enter' || by.call !== 'mmap' || !((by.args.flags ?? 0) & MAP_FIXED)) return null;
  const fd = enter.args.fd ?? -1, off = enter.args.off ?? 0, len = pageUp(enter.args.len ?? 0);
  if ((enter.args.addr ?? 0) !== 0 || fd < 0 || fd >= 0x80000000 || by.args.fd !== fd || len === 0) return null;
  const base = (by.args.addr ?? 0) - ((by.args.off ?? 0) - off);
  if (base <= 0 || base % F.PAGE_SIZE || (by.args.addr ?? 0) + pageUp(by.args.len ?? 0) > base + len || (by.args.off ?? 0) < off) return null;
  return base;
}

/** Applies tid's mapping call in flight as if its sys_exit said it succeeded (a counted assumption). */
function applyAssumed(st: EngineState, tid: number, why: 'began' | 'returned', by?: TraceEvent): void {
  const enter = st.inMmCall.get(tid);
  if (!enter) return;
  const ret = assumedReturn(enter) ?? (enter.call === 'mremap' ? mremapTarget(st, enter, by) : enter.call === 'mmap' ? mmapTarget(st, enter, by) : null);
  if (ret === null) {
    st.inMmCall.delete(tid);
    st.assumed.untraced_exit_skipped++; // VMAs of an mmap at an address the trace never told are inferred from faults
    // mm/mmap.c: get_unmapped_area may have picked any free range, a former hole included: holes prove nothing now
    const t = st.tasks.get(tid);
    if (t) t.mm.holes.length = 0;
    return flushHeld(st, tid);
  }
  if (why === 'returned') st.assumed.untraced_exit++;
  // applied (and no longer in flight): the real sys_exit, if the trace has it, only releases held events
  onSysExit(st, { ...enter, kind: 'sys_exit', name: `sys_exit_${enter.call}`, ret, enter });
}

/**
 * The call's first rss_stat piece (a zap's add_mm_rss_vec, mm/memory.c: zap_pte_range) shows the kernel is
 * applying it: apply it now when its arguments decide it, so other threads' events see it as the kernel's do.
 * Returns true when the call was applied (the event need not wait for the exit).
 */
export function callBegan(st: EngineState, tid: number): boolean {
  const enter = st.inMmCall.get(tid);
  if (!enter || !ARGS_DECIDE.has(enter.call) || assumedReturn(enter) === null) return false;
  applyAssumed(st, tid, 'began');
  return true;
}

/**
 * The thread's next event that is not its own rss_stat (nor a kernel-mode fault inside the call) shows its syscall
 * returned: a mapping call without a traced sys_exit is applied now, assumed successful; a clone without one is over.
 */
export function returnedBy(e: TraceEvent): boolean {
  switch (e.kind) {
    case 'fault': return e.user;
    case 'sys_enter': case 'newtask': case 'fork': case 'exec': case 'exit': return true;
    default: return false;
  }
}

/**
 * tid's calls in flight whose exit the trace did not show, now that `e` shows tid has returned (returnedBy: its own
 * event; missedThreadExited: its group's last exit).
 */
export function callsReturned(st: EngineState, e: TraceEvent, tid = e.tid): void {
  if (st.inMmCall.has(tid)) applyAssumed(st, tid, 'returned', e);
  if (st.inClone.has(tid) && e.kind !== 'newtask' && e.kind !== 'fork') {
    st.inClone.delete(tid);
    flushHeld(st, tid);
  }
}

/**
 * A thread whose exit the trace missed, now that its group is dead (task_lifecycle.ts onExit): it left any call before
 * its own do_exit (kernel/exit.c: group_dead is the last thread's, so every other one has exited), so a call in flight
 * returned and events held for it are released, before the mm's teardown as in the kernel; its per-thread notes go.
 */
export function missedThreadExited(st: EngineState, tid: number, by: TraceEvent): void {
  callsReturned(st, by, tid);
  flushHeld(st, tid); // (held for other reasons too: an untraced clone or exec still undecided)
  st.faultedSince.delete(tid);
  st.fresh.delete(tid);
  st.zapping.delete(tid);
  endFileRead(st, tid);
  dropFileRead(st, tid);
}

const MEMSET_FILL = pathId('memset_fill'), POPULATE = pathId('populate');

/** GUP population inside a syscall: minflt per page faulted, one 'populate' record for the call. */
function notePopulate(st: EngineState, e: TraceEvent, p: ProcAcc, start: number, end: number): void {
  const { ctx, out } = st;
  if (out[0] === 0) return;
  p.res.minflt += out[0]!;
  const r = ctx.faultRec;
  r.time = e.time; r.cpu = e.cpu; r.pid = p.res.pid; r.tid = e.tid; r.comm = e.comm; r.address = start;
  r.errorCode = -1; r.path = 'populate'; r.vmaStart = start; r.vmaEnd = end; r.vmaFlags = 0;
  r.pagesAllocated = out[1]!; r.tablesAllocated = out[2]!; r.inferred = false;
  r.latencyNs = faultCost(st.prices, st.draws, POPULATE, r);
  st.faultLatency += r.latencyNs;
  countPath(st, p, POPULATE, r.latencyNs);
  ctx.probes.fault?.(r);
}
