// One variant's model driven by the event stream: tasks and their mms, syscalls, faults, fork/exec/exit, rss_stat mapping.
import type { ExitEvent, FaultEvent, ForkEvent, NewTaskEvent, RssStatEvent, SyscallExitEvent, TraceEvent } from '../traces/events.js';
import { MM_ANONPAGES, MM_FILEPAGES, MM_SHMEMPAGES, X86_PF_INSTR, X86_PF_SHSTK, X86_PF_WRITE } from '../traces/events.js';
import { faultCostNs, forkCostNs, type CostProfile } from './costs.js';
import * as F from './flags.js';
import { dupMmap, forkCounts } from './fork.js';
import { kernelRules } from './kernel_version.js';
import { doMadvise } from './madvise.js';
import { handleMmFault, newFaultCtx } from './memory.js';
import { createMm, exitMmap, findVma, firstAbove, inHole, insertVma, newVma, splitRange, unmapRange } from './mm.js';
import { doBrk, doMlock, doMlockall, doMmap, doMprotect, doMremap } from './mmap.js';
import { createPages } from './pages.js';
import { allocUpper, blockOf, entryFlagsAt, pageUp, pteAlloc, pteIndex } from './page_table.js';
import { getPatch } from './patches/index.js';
import { resolveHooks } from './patches/hooks.js';
import { addLat, latOf, newProc, noteCounters, notePoint, summarize, type LatAcc, type ProcAcc } from './results.js';
import { addMmCounter } from './rss.js';
import { compileSelect } from './select.js';
import { userError } from '../traces/errors.js';
import { PMD_TABLE, type FaultCtx, type Mm, type ModelCtx, type Task, type Vma } from './state.js';
import type { ReplayProbes, VariantResult, VariantSpec } from './types.js';

/** What the event after a fault told about it (the kernel's own rss_stat for that fault), or member -1. */
export interface FaultHint {
  member: number;
  delta: number;
}

/** How an rss_stat event relates to the model: compared, used as the baseline of an mm that predates the trace, or not mapped. */
export type RssStatUse = 'compare' | 'baseline' | 'unmapped';

/** Validation callback: one kmem:rss_stat event and the model mm it belongs to (null when unmapped). */
export type RssStatSink = (e: BufferedRss, mm: Mm | null, use: RssStatUse) => void;

/** A copy of the fields of an rss_stat event (events may be buffered until the model catches up). */
export interface BufferedRss {
  time: number;
  line: number;
  tid: number;
  mmId: number;
  curr: boolean;
  member: number;
  size: number;
  /** Android's rss_stat_throttled: emitted only after a large enough change. */
  throttled: boolean;
}

/** include/linux/mm.h: mmap_min_addr default (64 KiB): nothing is ever mapped below it. */
const MMAP_MIN_ADDR = 65536;
const MM_SYSCALLS = new Set(['mmap', 'munmap', 'mprotect', 'madvise', 'brk', 'mremap', 'mlock', 'mlock2', 'munlock', 'mlockall', 'munlockall']);

export interface Engine {
  ctx: ModelCtx;
  /** Feed one event (faults carry the hint the replay read from the next event of the same task). */
  handle(e: TraceEvent, hint: FaultHint | null): void;
  /** Lost events: forget learnt baselines so they are learnt again. */
  lost(): void;
  finish(endTime: number): VariantResult;
}

/** An execve in flight: the nascent mm (bprm->mm), whether exec_mmap happened, and bprm->vma_pages. */
interface ExecState {
  newMm: Mm | null;
  switched: boolean;
  argPages: number;
  /** acct_arg_size charged the old mm and the kernel's event for it has not been seen yet. */
  acctPending: boolean;
}

export function createEngine(spec: VariantSpec, probes: ReplayProbes, profile: CostProfile | null, seriesPoints: number, rssSink: RssStatSink | null): Engine {
  const patches = spec.patches.map((n) => {
    const p = getPatch(n);
    if (!p) throw userError(`unknown patch '${n}' (see faultline patches)`);
    return p;
  });
  const ctx: ModelCtx = {
    spec,
    rules: kernelRules(spec.kernel),
    patches,
    hooks: resolveHooks(patches),
    selector: compileSelect(spec.select),
    pages: createPages(),
    probes,
    faultRec: {
      variant: spec.name, time: 0, cpu: 0, pid: 0, tid: 0, comm: '', address: 0, errorCode: 0, path: 'spurious', vmaStart: 0,
      vmaEnd: 0, vmaFlags: 0, pagesAllocated: 0, tablesAllocated: 0, latencyNs: 0, inferred: false,
    },
    rssRec: { variant: spec.name, time: 0, pid: 0, comm: '', member: 0, value: 0, delta: 0 },
    now: 0, curComm: '',
    rssWalk: 0,
    onRss: null,
    nextMmIdx: 1,
    gupFaults: 0,
  };
  for (const p of patches) p.init?.(ctx);

  const tasks = new Map<number, Task>();
  const procs = new Map<number, ProcAcc>();
  const byMmId = new Map<number, Mm>();
  /** Exec in flight per tid: the mm being built (learnt from curr=0 events) and whether the switch happened. */
  const execs = new Map<number, ExecState>();
  /** rss_stat events held while the model has not applied the operation yet (fork copies, mm syscalls). */
  const held = new Map<number, BufferedRss[]>();
  const inClone = new Set<number>();
  const inMmCall = new Set<number>();
  const exitedMm = new Map<number, Mm>();
  /** Tasks first seen mid-trace with no syscall yet: an exec we see the end of keeps their mm. */
  const fresh = new Set<number>();
  const adopted = new Map<number, number>(); // mm idx -> bit per member
  const marks: VariantResult['marks'] = [];
  const totalLat = new Map<string, LatAcc>();
  const faults: Record<string, number> = {};
  const out = new Float64Array(3);
  const f: FaultCtx = newFaultCtx(null as never);
  let inferredFaults = 0;
  let forkLatency = 0, faultLatency = 0, forks = 0;
  let lastTime = 0;

  function proc(pid: number, comm: string): ProcAcc {
    let p = procs.get(pid);
    if (!p) {
      p = newProc(pid, comm);
      procs.set(pid, p);
    }
    return p;
  }

  ctx.onRss = (mm) => {
    const p = procs.get(mm.ownerPid);
    if (p && !mm.dead) {
      noteCounters(p, mm.rss, mm.pgtablesBytes);
      notePoint(p, ctx.now, seriesPoints, false);
    }
    if (logging) logUpdate(mm);
  };
  let logging = rssSink !== null;
  function logUpdate(mm: Mm): void {
    for (let m = 0; m < 4; m++) {
      const l = mm.log[m]!, w = mm.logWalk[m]!;
      if (l.length === 0 || l[l.length - 1] !== mm.rss[m]) {
        if (l.length > 1 << 22) (l.splice(0, l.length >> 1), w.splice(0, w.length >> 1)); // bounded: validation consumes it as events arrive
        l.push(mm.rss[m]!);
        w.push(ctx.rssWalk);
      }
    }
  }

  function task(e: TraceEvent): Task {
    let t = tasks.get(e.tid);
    if (t) return t;
    const tgid = e.pid >= 0 ? e.pid : e.tid;
    const leader = tgid !== e.tid ? tasks.get(tgid) : undefined;
    let mm: Mm;
    if (leader) {
      mm = leader.mm;
      mm.users++;
    } else {
      mm = createMm(ctx, tgid, true); // predates the trace: no mmap history, baselines learnt from rss_stat
      if (logging) logUpdate(mm);
      fresh.add(e.tid);
    }
    t = { tid: e.tid, tgid, comm: e.comm, mm, exited: false };
    tasks.set(e.tid, t);
    proc(tgid, e.comm);
    return t;
  }

  function releaseMm(mm: Mm, tid: number): void {
    if (--mm.users > 0) return;
    exitMmap(ctx, mm); // kernel/fork.c: mmput -> __mmput -> exit_mmap
    exitedMm.set(tid, mm);
  }

  // ---- faults
  function onFault(e: FaultEvent, hint: FaultHint | null): void {
    if (e.address >= F.TASK_SIZE || e.address < 0) return; // kernel addresses: vmalloc etc., not handle_mm_fault
    const t = task(e);
    const mm = t.mm;
    const p = proc(t.tgid, t.comm);
    p.res.minflt++; // mm/memory.c: mm_account_fault: one trap, one minflt
    const ec = e.errorCode;
    const inferred = ec < 0;
    let write = !inferred && (ec & (X86_PF_WRITE | X86_PF_SHSTK)) !== 0;
    const exec = !inferred && (ec & X86_PF_INSTR) !== 0;
    const addr = Math.floor(e.address / F.PAGE_SIZE) * F.PAGE_SIZE;
    let vma = findVma(mm, e.address);
    const hm = hint ? hint.member : -1, hd = hint ? hint.delta : 0;
    // the access class (exec / write / read) tells the segments of an exec-loaded ELF apart, which the kernel keeps
    // as separate VMAs (and so as separate zap and fork-copy pieces)
    const cls = exec ? F.VM_EXEC : write ? F.VM_WRITE : F.VM_READ;
    f.inferred = inferred;
    f.pagesAllocated = 0;
    f.tablesAllocated = 0;
    f.tablesCopied = 0;
    if (!vma && (e.address < MMAP_MIN_ADDR || inHole(mm, e.address))) {
      // arch/x86/mm/fault.c: bad_area_nosemaphore: no VMA where the trace showed none (unmapped, or below mmap_min_addr)
      f.path = 'segv';
      recordFault(e, p, 0, 0, 0);
      return;
    }
    if (!vma || (vma.kind & F.KIND_INFERRED)) vma = inferVma(mm, addr, exec || (hm === MM_FILEPAGES && hd > 0) ? F.KIND_FILE : F.KIND_ANON, vma, p, cls);
    f.mm = mm;
    f.vma = vma;
    f.address = e.address;
    f.path = '';
    f.fileHint = (hm === MM_FILEPAGES || hm === MM_SHMEMPAGES) && hd > 0 ? hd : -1; // page-cache (file or shmem) pages the kernel mapped
    if (inferred) {
      inferredFaults++;
      // no error code: a present read-only PTE can only fault for a write; otherwise the kernel's own counters tell
      // (a read of a none PTE maps the zero page and counts nothing; an anon +1 right after means a write)
      write = (entryFlagsAt(mm, e.address) & (F.PTE_PRESENT | F.PTE_WRITE)) === F.PTE_PRESENT || (hm === MM_ANONPAGES && hd > 0 && (vma.flags & F.VM_WRITE) !== 0);
    }
    f.write = write;
    if ((write && !(vma.flags & F.VM_WRITE)) || (exec && !(vma.flags & F.VM_EXEC)) || (!write && !exec && !(vma.flags & (F.VM_READ | F.VM_WRITE | F.VM_EXEC)))) {
      f.path = 'segv'; // arch/x86/mm/fault.c: access_error -> bad_area_access_error
    } else {
      if ((vma.kind & F.KIND_INFERRED) && hint !== null && hm === -1 && !(entryFlagsAt(mm, e.address) & F.PTE_PRESENT)) mapSpecial(mm, e.address);
      else handleMmFault(ctx, f);
    }
    recordFault(e, p, vma.start, vma.end, vma.flags);
  }

  /**
   * A fault in a VMA the trace never showed and after which the kernel changed no counter: a special mapping
   * ([vvar]/[vdso] pfn mappings: vmf_insert_pfn, no RSS), or the zero page. Map a special PTE, count nothing.
   */
  function mapSpecial(mm: Mm, a: number): void {
    f.tablesAllocated += allocUpper(ctx, mm, a);
    const b = blockOf(a);
    const slot = mm.pmds.get(b) ?? (f.tablesAllocated++, pteAlloc(ctx, mm, b));
    if (slot.kind !== PMD_TABLE) return;
    const t = slot.table!, i = pteIndex(a);
    t.fl[i] = F.PTE_PRESENT | F.PTE_ZERO;
    t.present++;
    f.path = 'pfnmap';
  }

  /** A VMA for a fault where the trace showed no mapping (the process predates the trace, or exec loaded it). */
  function inferVma(mm: Mm, addr: number, kind: number, cur: Vma | null, p: ProcAcc, cls: number): Vma {
    const want = kind | F.KIND_INFERRED;
    if (cur && (cur.kind & (F.KIND_ANON | F.KIND_FILE)) === kind && (cur.inferCls === cls || cls !== F.VM_EXEC)) return cur;
    const flags = F.VM_READ | F.VM_WRITE | F.VM_MAYWRITE | (kind === F.KIND_FILE ? F.VM_EXEC : 0);
    if (cur) {
      // another kind, or an instruction fetch in a VMA inferred from data accesses: the kernel's VMA boundary is here
      // the kernel's counters say this page is the other kind: carve a one-page VMA of that kind
      const [v] = splitRange(mm, addr, addr + F.PAGE_SIZE);
      v!.kind = want;
      v!.inferCls = cls;
      v!.carved = true;
      v!.flags = flags;
      return v!;
    }
    const k = firstAbove(mm, addr);
    const prev = mm.vmas[k - 1], next = mm.vmas[k];
    const same = (v: Vma): boolean => v.kind === want && v.inferCls === cls;
    if (prev && same(prev) && addr - prev.end < F.PMD_SIZE) {
      prev.end = addr + F.PAGE_SIZE; // widen the inferred VMA up to this fault
      mm.lastVma = null;
      return prev;
    }
    if (next && same(next) && next.start - addr <= F.PMD_SIZE) {
      next.start = addr;
      next.pgoff = addr / F.PAGE_SIZE;
      mm.lastVma = null;
      return next;
    }
    const v = newVma(addr, addr + F.PAGE_SIZE, flags, want, addr / F.PAGE_SIZE, -2);
    v.inferCls = cls;
    insertVma(mm, v);
    p.res.inferred_vmas++;
    return v;
  }

  function recordFault(e: FaultEvent, p: ProcAcc, vs: number, ve: number, vf: number): void {
    const r = ctx.faultRec;
    r.time = e.time;
    r.cpu = e.cpu;
    r.pid = p.res.pid;
    r.tid = e.tid;
    r.comm = e.comm;
    r.address = e.address;
    r.errorCode = e.errorCode;
    r.path = f.path || 'spurious';
    // A traced fault that a patched variant finds already satisfied would not have trapped under that patch:
    // no cost and no minflt (mainline keeps both: the trace proves the trap happened there).
    const notTaken = r.path === 'spurious' && ctx.hooks.patched;
    if (notTaken) r.path = 'not_taken';
    r.vmaStart = vs;
    r.vmaEnd = ve;
    r.vmaFlags = vf;
    r.pagesAllocated = f.pagesAllocated;
    r.tablesAllocated = f.tablesAllocated;
    r.tablesCopied = f.tablesCopied;
    r.inferred = f.inferred;
    if (notTaken) p.res.minflt--;
    r.latencyNs = notTaken ? 0 : faultCostNs(profile, r);
    faultLatency += r.latencyNs;
    countPath(p, r.path, r.latencyNs);
    probes.fault?.(r);
  }

  function countPath(p: ProcAcc, path: string, ns: number): void {
    p.res.faults[path] = (p.res.faults[path] ?? 0) + 1;
    faults[path] = (faults[path] ?? 0) + 1;
    addLat(latOf(p.lat, path), ns);
    addLat(latOf(totalLat, path), ns);
  }

  /** GUP population inside a syscall: minflt per page faulted, one 'populate' record for the call. */
  function notePopulate(e: TraceEvent, p: ProcAcc, start: number, end: number): void {
    if (out[0] === 0) return;
    p.res.minflt += out[0]!;
    const r = ctx.faultRec;
    r.time = e.time; r.cpu = e.cpu; r.pid = p.res.pid; r.tid = e.tid; r.comm = e.comm; r.address = start;
    r.errorCode = -1; r.path = 'populate'; r.vmaStart = start; r.vmaEnd = end; r.vmaFlags = 0;
    r.pagesAllocated = out[1]!; r.tablesAllocated = out[2]!; r.inferred = false;
    r.latencyNs = faultCostNs(profile, r);
    faultLatency += r.latencyNs;
    countPath(p, 'populate', r.latencyNs);
    probes.fault?.(r);
  }

  // ---- syscalls
  function onSysExit(e: SyscallExitEvent): void {
    const t = task(e);
    fresh.delete(e.tid);
    const call = e.call;
    if (call === 'execve' || call === 'execveat') {
      const ex = execs.get(e.tid);
      // fs/exec.c: bprm_execve's failure path: acct_arg_size(bprm, 0), the old mm stays
      if (ex && !ex.switched && e.ret < 0) (acctArgSize(t.mm, ex, 0), execs.delete(e.tid));
      return;
    }
    if (F.CLONE_CALLS.has(call)) {
      inClone.delete(e.tid);
      flushHeld(e.tid);
      return;
    }
    if (!MM_SYSCALLS.has(call)) return;
    inMmCall.delete(e.tid);
    const a = e.enter?.args;
    const ret = e.ret;
    const mm = t.mm;
    const p = proc(t.tgid, t.comm);
    out.fill(0);
    if (ret < 0 && ret > -4096 && call !== 'brk') return flushHeld(e.tid); // failed: nothing changed
    if (!a && call !== 'brk') return flushHeld(e.tid);
    const g = (k: string, alt?: string): number => (a ? (a[k] ?? (alt ? a[alt] : undefined) ?? 0) : 0);
    switch (call) {
      case 'mmap': {
        const fd = g('fd');
        const v = doMmap(ctx, mm, ret, g('len'), g('prot'), g('flags'), fd > 0x7fffffff ? -1 : fd, g('off', 'pgoff'), out);
        if (v) notePopulate(e, p, ret, ret + g('len'));
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
        notePopulate(e, p, g('start'), g('start') + g('len_in', 'len'));
        break;
      case 'brk':
        doBrk(ctx, mm, ret, out);
        notePopulate(e, p, mm.brkStart, ret);
        break;
      case 'mremap':
        doMremap(ctx, mm, g('addr'), g('old_len'), g('new_len'), ret);
        break;
      case 'mlock':
      case 'mlock2':
        doMlock(ctx, mm, g('start'), g('len'), true, call === 'mlock2' && (g('flags') & 1) === 1, out);
        notePopulate(e, p, g('start'), g('start') + g('len'));
        break;
      case 'munlock':
        doMlock(ctx, mm, g('start'), g('len'), false, false, out);
        break;
      case 'mlockall':
        doMlockall(ctx, mm, g('flags'), true, out);
        notePopulate(e, p, 0, 0);
        break;
      case 'munlockall':
        doMlockall(ctx, mm, 0, false, out);
        break;
    }
    flushHeld(e.tid);
  }

  // ---- processes
  function onNewTask(e: NewTaskEvent): void {
    const parent = task(e);
    fresh.delete(e.tid);
    if (tasks.has(e.newPid)) return;
    const thread = (e.cloneFlags & F.CLONE_THREAD) !== 0;
    const tgid = thread ? parent.tgid : e.newPid;
    let mm: Mm;
    const pp = proc(parent.tgid, parent.comm);
    if (e.cloneFlags & F.CLONE_VM) {
      mm = parent.mm; // threads and vfork share the mm
      mm.users++;
    } else {
      mm = dupMmap(ctx, parent.mm, tgid);
      if (logging) logUpdate(mm);
      pp.res.forks++;
      forks++;
      const fr = forkRec;
      fr.time = e.time; fr.pid = parent.tgid; fr.comm = parent.comm; fr.childPid = e.newPid;
      fr.ptesCopied = forkCounts[0]!; fr.tablesCopied = forkCounts[1]! - forkCounts[3]!; fr.tablesShared = forkCounts[2]!; fr.pmdsCopied = forkCounts[3]!;
      fr.latencyNs = forkCostNs(profile, fr);
      forkLatency += fr.latencyNs;
      addLat(latOf(pp.lat, 'fork'), fr.latencyNs);
      probes.fork?.(fr);
    }
    tasks.set(e.newPid, { tid: e.newPid, tgid, comm: e.newComm || parent.comm, mm, exited: false });
    if (!thread) {
      const cp = proc(tgid, e.newComm || parent.comm);
      noteCounters(cp, mm.rss, mm.pgtablesBytes);
      notePoint(cp, e.time, seriesPoints, true);
      marks.push({ t: e.time, pid: tgid, kind: 'fork', comm: cp.res.comm });
    }
    flushHeld(e.tid); // the child-mm rss_stat events seen during copy_page_range
  }
  const forkRec = { variant: spec.name, time: 0, pid: 0, comm: '', childPid: 0, ptesCopied: 0, tablesCopied: 0, tablesShared: 0, pmdsCopied: 0, latencyNs: 0 };

  function onFork(e: ForkEvent): void {
    if (tasks.has(e.childPid)) return;
    // no task_newtask in the trace: assume a process fork (threads need newtask's flags to be told apart)
    onNewTask({ ...e, kind: 'newtask', newPid: e.childPid, newComm: e.childComm, cloneFlags: 0 });
  }

  function switchExec(t: Task, ex: ExecState): void {
    if (ex.switched) return;
    ex.switched = true;
    const old = t.mm;
    acctArgSize(old, ex, 0); // fs/exec.c: begin_new_exec: acct_arg_size(bprm, 0) just before exec_mmap
    const mm = ex.newMm ?? createMm(ctx, t.tgid, true);
    mm.ownerPid = t.tgid;
    if (logging) logUpdate(mm);
    t.mm = mm;
    releaseMm(old, t.tid); // fs/exec.c: exec_mmap -> mmput(old_mm)
  }

  function onExec(e: TraceEvent & { kind: 'exec' }): void {
    const t = task(e);
    const ex = execs.get(e.tid);
    if (ex) switchExec(t, ex);
    else if (!fresh.has(e.tid)) switchExec(t, { newMm: null, switched: false, argPages: 0, acctPending: false });
    execs.delete(e.tid);
    fresh.delete(e.tid);
    const p = proc(t.tgid, e.comm);
    p.res.comm = e.comm;
    t.comm = e.comm;
    noteCounters(p, t.mm.rss, t.mm.pgtablesBytes);
    marks.push({ t: e.time, pid: t.tgid, kind: 'exec', comm: e.comm });
  }

  function onExit(e: ExitEvent): void {
    const t = tasks.get(e.exitPid) ?? task(e);
    if (t.exited) return;
    t.exited = true;
    tasks.delete(t.tid);
    const mm = t.mm;
    const p = proc(t.tgid, t.comm);
    if (e.groupDead === true) {
      // kernel/exit.c: group_dead is true for the group's last thread: threads whose exit the trace missed are gone too
      for (const [tid, o] of tasks) {
        if (o.tgid !== t.tgid || o.mm !== mm) continue;
        tasks.delete(tid);
        o.exited = true;
        mm.users--;
      }
    }
    const leaderGone = e.groupDead === true || (e.groupDead === null && t.tid === t.tgid) || mm.users <= 1;
    if (mm.users <= 1 || leaderGone) {
      noteCounters(p, mm.rss, mm.pgtablesBytes);
      if (mm.users <= 1) {
        p.ended = true; // "final" = just before the teardown
        p.res.exits++;
        notePoint(p, e.time, seriesPoints, true);
        const xr = exitRec;
        xr.time = e.time; xr.pid = t.tgid; xr.comm = t.comm;
        xr.rssAnonKb = mm.rss[MM_ANONPAGES]! * 4; xr.rssFileKb = mm.rss[MM_FILEPAGES]! * 4; xr.pgtablesKb = mm.pgtablesBytes / 1024;
        probes.exit?.(xr);
        marks.push({ t: e.time, pid: t.tgid, kind: 'exit', comm: t.comm });
      }
    }
    releaseMm(mm, t.tid);
    exitedMm.set(t.tid, mm);
  }
  const exitRec = { variant: spec.name, time: 0, pid: 0, comm: '', rssAnonKb: 0, rssFileKb: 0, pgtablesKb: 0 };

  // ---- rss_stat: which model mm it is about
  function resolveRss(e: RssStatEvent): Mm | null {
    const t = tasks.get(e.tid) ?? (exitedMm.has(e.tid) ? null : task(e));
    const known = byMmId.get(e.mmId);
    const ex = t ? execs.get(e.tid) : undefined;
    if (t && ex && !ex.switched) {
      if (e.curr) {
        if (ex.newMm && ex.newMm.mmId === e.mmId) {
          switchExec(t, ex);
          return ex.newMm;
        }
        return learn(t.mm, e.mmId);
      }
      if (known && known === t.mm) {
        switchExec(t, ex); // the old mm's teardown has begun: exec_mmap happened
        return known;
      }
      if (known) return known;
      if (!ex.newMm) {
        ex.newMm = createMm(ctx, t.tgid, true); // bprm_mm_init: the new mm, populated by GUP before the switch
        if (logging) logUpdate(ex.newMm);
        return learn(ex.newMm, e.mmId);
      }
      if (t.mm.mmId === -1) {
        const old = learn(t.mm, e.mmId);
        switchExec(t, ex);
        return old;
      }
      return null;
    }
    if (known) return known; // a dead mm's own teardown events included
    if (e.curr) return t ? learn(t.mm, e.mmId) : null;
    if (t && t.mm.mmId === -1 && !inClone.has(e.tid)) return learn(t.mm, e.mmId);
    const gone = exitedMm.get(e.tid);
    if (gone && gone.mmId === -1) return learn(gone, e.mmId);
    return null;
  }

  function learn(mm: Mm, id: number): Mm {
    if (mm.mmId !== id) {
      if (mm.mmId >= 0 && byMmId.get(mm.mmId) === mm) byMmId.delete(mm.mmId);
      mm.mmId = id;
      byMmId.set(id, mm);
      const p = procs.get(mm.ownerPid);
      if (p) p.res.mm_id = id;
    }
    return mm;
  }

  function onRssStat(e: RssStatEvent): void {
    const b: BufferedRss = { time: e.time, line: e.line, tid: e.tid, mmId: e.mmId, curr: e.curr, member: e.member, size: e.size, throttled: e.throttled };
    // held until the model applies the operation: child-mm copies during clone, zaps/populates inside mm syscalls
    const hold = (inClone.has(e.tid) && !e.curr && !byMmId.has(e.mmId)) || inMmCall.has(e.tid);
    if (hold) {
      let h = held.get(e.tid);
      if (!h) held.set(e.tid, (h = []));
      h.push(b);
      return;
    }
    useRss(b, e);
  }

  function useRss(b: BufferedRss, e: RssStatEvent | null): void {
    const mm = e ? resolveRss(e) : (byMmId.get(b.mmId) ?? resolveHeld(b));
    if (!mm) {
      rssSink?.(b, null, 'unmapped');
      return;
    }
    oldMmArgEvent(b, mm);
    const bit = 1 << b.member;
    const done = adopted.get(mm.idx) ?? 0;
    if ((mm.predates && !(done & bit)) || nascentExecMm(b, mm)) {
      // the kernel counted pages before the trace showed them: take its figure as this mm's baseline
      // (also each arg page that execve's get_arg_page writes into the nascent mm: argv/envp sizes are not in the trace)
      adopted.set(mm.idx, done | bit);
      const pages = b.size / F.PAGE_SIZE - mm.rss[b.member]!;
      if (pages !== 0 && !mm.dead) {
        mm.phantom[b.member]! += pages;
        addMmCounter(ctx, mm, b.member, pages);
      } else if (pages !== 0) mm.phantomAtExit[b.member]! += pages; // first seen in its teardown: all unknown
      rssSink?.(b, mm, 'baseline');
      argPagesFaulted(b, mm);
      return;
    }
    rssSink?.(b, mm, 'compare');
    argPagesFaulted(b, mm);
  }

  /** True for an event of the mm an execve is building (bprm->mm), before exec_mmap installs it. */
  function nascentExecMm(b: BufferedRss, mm: Mm): boolean {
    const ex = execs.get(b.tid);
    return !b.curr && ex !== undefined && !ex.switched && ex.newMm === mm;
  }

  /** fs/exec.c: get_arg_page: after GUP wrote an arg page into the new mm, acct_arg_size(bprm, vma_pages(bprm->vma)). */
  function argPagesFaulted(b: BufferedRss, mm: Mm): void {
    if (b.curr || b.member !== MM_ANONPAGES) return;
    const ex = execs.get(b.tid);
    const t = tasks.get(b.tid);
    // the arg VMA grows down page by page as strings are copied, so its size is the new mm's anon page count
    if (ex && t && !ex.switched && ex.newMm === mm) ex.acctPending = acctArgSize(t.mm, ex, mm.rss[MM_ANONPAGES]!);
  }

  /**
   * An old-mm MM_ANONPAGES event during an exec: the one get_arg_page's acct_arg_size just made, or else the
   * acct_arg_size(bprm, 0) that begin_new_exec makes once the strings are copied (fs/exec.c), applied here.
   */
  function oldMmArgEvent(b: BufferedRss, mm: Mm): void {
    if (!b.curr || b.member !== MM_ANONPAGES) return;
    const ex = execs.get(b.tid);
    if (!ex || ex.switched || tasks.get(b.tid)?.mm !== mm) return;
    if (ex.acctPending) ex.acctPending = false;
    else acctArgSize(mm, ex, 0);
  }

  /**
   * fs/exec.c: acct_arg_size: the nascent mm's arg pages are charged to the old mm's MM_ANONPAGES until exec_mmap
   * (for oom_badness), then given back with acct_arg_size(bprm, 0): one rss_stat on the old mm each way.
   */
  function acctArgSize(old: Mm, ex: ExecState, pages: number): boolean {
    const diff = pages - ex.argPages;
    if (diff === 0 || old.dead) return false;
    ex.argPages = pages;
    addMmCounter(ctx, old, MM_ANONPAGES, diff);
    return true;
  }

  function resolveHeld(b: BufferedRss): Mm | null {
    const t = tasks.get(b.tid);
    if (!t) return null;
    if (b.curr) return learn(t.mm, b.mmId);
    // a child mm copied during this clone: the newest child whose id is still unknown
    for (const c of tasks.values()) if (c.mm !== t.mm && c.mm.mmId === -1 && !c.mm.predates && c.mm.ownerPid !== t.tgid) return learn(c.mm, b.mmId);
    return null;
  }

  function flushHeld(tid: number): void {
    const h = held.get(tid);
    if (!h) return;
    held.delete(tid);
    for (const b of h) useRss(b, null);
  }

  function handle(e: TraceEvent, hint: FaultHint | null): void {
    ctx.now = e.time;
    lastTime = e.time;
    ctx.curComm = e.comm;
    switch (e.kind) {
      case 'fault':
        onFault(e, hint);
        return;
      case 'rss_stat':
        onRssStat(e);
        return;
      case 'sys_enter': {
        task(e);
        fresh.delete(e.tid);
        if (F.CLONE_CALLS.has(e.call)) inClone.add(e.tid);
        else if (MM_SYSCALLS.has(e.call)) inMmCall.add(e.tid);
        else if (e.call === 'execve' || e.call === 'execveat') execs.set(e.tid, { newMm: null, switched: false, argPages: 0, acctPending: false });
        return;
      }
      case 'sys_exit':
        onSysExit(e);
        return;
      case 'newtask':
        onNewTask(e);
        return;
      case 'fork':
        onFork(e);
        return;
      case 'exec':
        onExec(e);
        return;
      case 'exit':
        onExit(e);
        return;
      default:
        return;
    }
  }

  function lost(): void {
    adopted.clear();
    for (const mm of byMmId.values()) mm.predates = true; // relearn every baseline after a gap
  }

  function finish(endTime: number): VariantResult {
    for (const tid of held.keys()) flushHeld(tid);
    const processes = [...procs.values()].sort((a, b) => a.res.pid - b.res.pid);
    const series: VariantResult['series'] = {};
    let rssPeak = 0, ptPeak = 0;
    for (const p of processes) {
      notePoint(p, endTime || lastTime, seriesPoints, true);
      for (const [k, a] of p.lat) p.res.latency_ns[k] = summarize(a);
      series[String(p.res.pid)] = p.series;
      rssPeak = Math.max(rssPeak, p.res.rss_anon_peak_kb);
      ptPeak = Math.max(ptPeak, p.res.pgtables_peak_kb);
    }
    const latency_ns: VariantResult['latency_ns'] = {};
    for (const [k, a] of totalLat) latency_ns[k] = summarize(a);
    return {
      name: spec.name,
      spec,
      processes: processes.map((p) => p.res),
      totals: { faults: { ...faults }, rss_anon_peak_kb: rssPeak, pgtables_peak_kb: ptPeak, fault_latency_ns: faultLatency, fork_latency_ns: forkLatency, forks },
      latency_ns,
      series,
      marks,
      inferred_faults: inferredFaults,
    };
  }

  return {
    ctx,
    handle,
    lost,
    finish,
  };
}

