// arch/x86/mm/fault.c: do_user_addr_fault for one traced fault: find (or infer) the VMA, access_error, then
// handle_mm_fault; and the fault's record (path, cost, minflt) for probes and results.
import type { FaultEvent, TraceEvent } from '../traces/events.js';
import { MM_ANONPAGES, MM_FILEPAGES, MM_SHMEMPAGES, X86_PF_INSTR, X86_PF_PROT, X86_PF_SHSTK, X86_PF_USER, X86_PF_WRITE } from '../traces/events.js';
import { faultCost } from './costs.js';
import { pathId } from './fault_paths.js';
import { adoptThread, countPath, countPathRun, FAULTED_ANY, faultBits, newTask, noteFileRead, proc, type EngineState } from './engine_state.js';
import * as F from './flags.js';
import { handleMmFault, mapNewAnonPages, plainAnonWrites } from './memory.js';
import { findVma, firstAbove, inHole, insertVma, newVma, splitRange } from './mm.js';
import { allocUpper, blockOf, entryFlagsAt, mapAnon, pteAlloc, pteIndex, upperPresent } from './page_table.js';
import { allocAnon } from './pages.js';
import type { ProcAcc } from './results.js';
import { PMD_TABLE, type Mm, type PteTable, type Vma } from './state.js';

/** What the event after a fault told about it (the kernel's own rss_stat for that fault), or member -1. */
export interface FaultHint {
  member: number;
  delta: number;
  /** The mm_id of that rss_stat (curr=1: the faulting task's own mm), -1 when none. */
  mmId: number;
  /** False when delta is the counter's first sighting (no earlier event of it to subtract), not a measured change. */
  fromPrev?: boolean;
}

/** include/linux/mm.h: mmap_min_addr default (64 KiB): nothing is ever mapped below it. */
const MMAP_MIN_ADDR = 65536;

/** arch/x86/mm/fault.c: do_user_addr_fault: the trap, its VMA (inferred where the trace showed none), access_error. */
export function onFault(st: EngineState, e: FaultEvent, hint: FaultHint | null): void {
  // faultedSince is set once per fault, at its end (the members it changed) or here (any: not handled)
  if (e.address >= F.TASK_SIZE || e.address < 0) return void st.faultedSince.set(e.tid, FAULTED_ANY); // kernel addresses: vmalloc etc., not handle_mm_fault
  const { ctx, f } = st;
  const t = st.tasks.get(e.tid) ?? newTask(st, e.tid, e.pid, e.comm);
  if (hint !== null && hint.mmId >= 0 && t.mm.mmId === -1 && t.mm.predates) {
    // the fault's own rss_stat (curr=1) names the mm it runs on: a live mm known under that id makes this a thread of it
    const k = st.byMmId.get(hint.mmId);
    if (k && k !== t.mm && !k.dead) adoptThread(st, t, k);
  }
  const mm = t.mm;
  const p = proc(st, t.tgid, t.comm);
  p.res.minflt++; // mm/memory.c: mm_account_fault: one trap, one minflt
  const r0 = mm.rss[0]!, r1 = mm.rss[1]!, r2 = mm.rss[2]!, r3 = mm.rss[3]!;
  const ec = e.errorCode;
  const inferred = ec < 0;
  let write = !inferred && (ec & (X86_PF_WRITE | X86_PF_SHSTK)) !== 0;
  const exec = !inferred && (ec & X86_PF_INSTR) !== 0;
  const addr = Math.floor(e.address / F.VMA_PAGE) * F.VMA_PAGE; // the page an inferred VMA starts or grows by
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
    st.faultedSince.set(e.tid, 0);
    recordFault(st, e, p, 0, 0, 0);
    return;
  }
  // (a file-counter event of the fault's own, even one that added nothing, is mm/filemap.c: filemap_map_pages's
  // add_mm_counter of the pages it mapped around: only a file VMA's fault runs it, mm/memory.c do_fault_around)
  if (!vma || (vma.kind & F.KIND_INFERRED)) vma = inferVma(mm, addr, exec || (hm === MM_FILEPAGES && hd >= 0) ? F.KIND_FILE : F.KIND_ANON, vma, p, cls);
  f.mm = mm;
  f.vma = vma;
  f.address = e.address;
  f.path = '';
  f.fileHint = (hm === MM_FILEPAGES || hm === MM_SHMEMPAGES) && hd >= 0 ? hd : -1; // page-cache (file or shmem) pages the kernel mapped around
  f.anonHint = hm === MM_ANONPAGES && hd > 1 && hint!.fromPrev !== false ? hd : -1; // an mTHP: nr pages in one add_mm_counter
  // a page-size what-if: the hint counts the trace's pages; the same bytes in this variant's pages
  if (f.fileHint > 0 && ctx.geo !== ctx.traceGeo) f.fileHint = Math.ceil((f.fileHint * 2 ** ctx.traceGeo.pageShift) / F.PAGE_SIZE);
  if (f.anonHint > 0 && ctx.geo !== ctx.traceGeo) f.anonHint = -1; // the trace's folio size says nothing about this variant's
  f.anonDelta = hint === null ? -1 : hm === -1 ? 0 : hm === MM_ANONPAGES ? hd : -1; // zero-page evidence (model/machine.ts)
  f.traced = true;
  // (one user only: another thread's fault on the same page, or a vfork child's exec faults, can be ordered before this
  // one; the trace's page size only: a larger page holds the trace's neighbours, which the kernel faulted in one by one)
  const proves = !inferred && mm.users <= 1 && ctx.geo === ctx.traceGeo;
  // no X86_PF_PROT: the kernel's PTE was none; its fault added anon pages, or was a read whose own update is mm/filemap.c
  // filemap_map_pages's add_mm_counter of 0 (only do_read_fault on a none PTE runs it; finish_fault's page follows).
  // (A count above 0 keeps the model's page here: memory.ts handlePteFault maps the rest around it, no unplaced page
  // that a later zap of the table would drop: xz's sh, its ld.so cache read, 6111 -> 6110 matched when it was one)
  f.kernelNone = proves && (ec & X86_PF_PROT) === 0 && ((hm === MM_ANONPAGES && hd > 0) || (hm === MM_FILEPAGES && hd === 0 && !write));
  // arch/x86/mm/fault.c: X86_PF_PROT on a write whose rss_stat is wp_page_copy's dec of the file counter (mm/memory.c)
  // (any number of users: a write onto a present PTE is this thread's own access, and the file page it copied is
  // its own rss_stat's -1; another CPU's update in the same sum would move that delta off -1, and then no rule)
  f.kernelFile = !inferred && ctx.geo === ctx.traceGeo && (ec & (X86_PF_PROT | X86_PF_WRITE)) === (X86_PF_PROT | X86_PF_WRITE) && hm === MM_FILEPAGES && hd === -1;
  f.leftUnseen = false;
  if (ctx.detect && hm === MM_ANONPAGES && hd === F.PTRS) ctx.machine.thpFaults++; // mm/huge_memory.c: a PMD-order folio, one add_mm_counter
  if (inferred) {
    st.inferredFaults++;
    // no error code: a present read-only PTE can only fault for a write; otherwise the kernel's own counters tell
    // (a read of a none PTE maps the zero page and counts nothing; an anon +1 right after means a write)
    write = (entryFlagsAt(mm, e.address) & (F.PTE_PRESENT | F.PTE_WRITE)) === F.PTE_PRESENT || (hm === MM_ANONPAGES && hd > 0 && (vma.flags & F.VM_WRITE) !== 0);
  }
  f.write = write;
  if (accessError(vma, write, exec)) {
    f.path = 'segv'; // arch/x86/mm/fault.c: access_error -> bad_area_access_error
  } else {
    if ((vma.kind & F.KIND_INFERRED) && hint !== null && hm === -1 && !(entryFlagsAt(mm, e.address) & F.PTE_PRESENT)) {
      if (write && (ec & X86_PF_PROT)) mapUnseenAnon(st, vma, mm, e.address);
      else mapSpecial(st, vma, mm, e.address);
    } else handleMmFault(ctx, f);
  }
  if (f.leftUnseen) st.assumed.page_left_unseen++;
  // (handleMmFault set f.path: the narrowing above does not see it)
  // (none around: the faulting page is finish_fault's, counted by the fault's second update, rss_stat.ts)
  if ((f.path as string) === 'file_read' && f.fileHint >= 0 && hm === MM_FILEPAGES) noteFileRead(st, e.tid, mm, f.fileHint === 0 ? e.address : -1);
  // the counters this fault moved (mm/memory.c: each path's add_mm_counter): its rss_stat events are of these members
  st.faultedSince.set(e.tid, faultBits((mm.rss[0] !== r0 ? 1 : 0) | (mm.rss[1] !== r1 ? 2 : 0) | (mm.rss[2] !== r2 ? 4 : 0) | (mm.rss[3] !== r3 ? 8 : 0)));
  recordFault(st, e, p, vma.start, vma.end, vma.flags);
}

/** A user write fault the trace does not hold (the program's own write in a what-if), reused. */
const userWrite: FaultEvent = { kind: 'fault', name: 'page_fault_user', system: 'exceptions', time: 0, cpu: 0, pid: 0, tid: 0, comm: '', line: 0, user: true, address: 0, ip: -1, errorCode: X86_PF_USER | X86_PF_WRITE };

/**
 * The traced program's own writes right after syscall e (ctx.userWrites, e.g. the allocator's memset of a new
 * mapping): arch/x86/mm/fault.c: do_user_addr_fault -> handle_mm_fault for each page whose PTE is not present and
 * writable (a THP per 2 MiB where the VMA takes one), each a trap recorded like a traced fault. Returns the bytes written.
 */
export function applyUserWrites(st: EngineState, e: TraceEvent, p: ProcAcc, mm: Mm): number {
  const { ctx, f } = st;
  const w = ctx.userWrites;
  let bytes = 0;
  Object.assign(userWrite, { time: e.time, cpu: e.cpu, pid: e.pid, tid: e.tid, comm: e.comm, line: e.line });
  for (let k = 0; k + 1 < w.length; k += 2) {
    bytes += w[k + 1]! - w[k]!;
    for (let a = w[k]!; a < w[k + 1]!; ) {
      const vma = findVma(mm, a);
      if (!vma) break;
      const fl = entryFlagsAt(mm, a);
      if ((fl & (F.PTE_PRESENT | F.PTE_WRITE)) !== (F.PTE_PRESENT | F.PTE_WRITE) && !accessError(vma, true, false)) {
        p.res.minflt++; // mm/memory.c: mm_account_fault: one trap, one minflt
        userWriteCtx(st, mm, vma, a);
        handleMmFault(ctx, f);
        userWrite.address = a;
        recordFault(st, userWrite, p, vma.start, vma.end, vma.flags);
      }
      const b = blockOf(a);
      const slot = mm.pmds.get(b);
      // a PMD mapping covers the whole block: the rest of the memset writes to it without faulting
      if (slot && slot.kind !== PMD_TABLE) {
        a = (b + 1) * F.PMD_SIZE;
        continue;
      }
      a += F.PAGE_SIZE;
      if (!slot || !upperPresent(mm, a) || !plainAnonWrites(ctx, vma)) continue;
      // the rest of this PTE table inside the VMA: a none entry faults as a plain anon write (memory.ts:
      // plainAnonWrites: what handleMmFault would do, without its dispatch), a present writable one is stored to;
      // anything else goes the way above
      const t = slot.table!;
      const limit = Math.min(w[k + 1]!, vma.end, (b + 1) * F.PMD_SIZE);
      // with no model:fault probe to see each record, a run of none entries is mapped and recorded in one step
      // (memory.ts mapNewAnonPages, recordFault's n): the same pages, counts and costs as one fault at a time
      const most = ctx.probes.fault ? 1 : F.PTRS;
      for (let i = pteIndex(a); a < limit; ) {
        const e = t.fl[i]!;
        if ((e & (F.PTE_PRESENT | F.PTE_WRITE)) === (F.PTE_PRESENT | F.PTE_WRITE)) {
          a += F.PAGE_SIZE;
          i++;
          continue;
        }
        if (e !== 0) break;
        let n = 1;
        while (n < most && a + n * F.PAGE_SIZE < limit && t.fl[i + n] === 0) n++;
        const last = a + (n - 1) * F.PAGE_SIZE;
        p.res.minflt += n;
        userWriteCtx(st, mm, vma, last);
        mapNewAnonPages(ctx, f, t, i, n, true);
        f.pagesAllocated = 1; // each fault's own
        f.path = 'anon_alloc';
        userWrite.address = last;
        recordFault(st, userWrite, p, vma.start, vma.end, vma.flags, n);
        a += n * F.PAGE_SIZE;
        i += n;
      }
    }
  }
  w.length = 0;
  return bytes;
}

/** The fault context of one user write at a (every field set, as for a new fault). */
function userWriteCtx(st: EngineState, mm: Mm, vma: Vma, a: number): void {
  const f = st.f;
  f.mm = mm;
  f.vma = vma;
  f.address = a;
  f.write = true;
  f.path = '';
  f.fileHint = -1;
  f.anonHint = -1;
  f.anonDelta = -1;
  f.traced = false;
  f.kernelNone = false;
  f.kernelFile = false;
  f.leftUnseen = false;
  f.inferred = false;
  f.pagesAllocated = 0;
  f.tablesAllocated = 0;
  f.tablesCopied = 0;
}

/** arch/x86/mm/fault.c: access_error: a write to a VMA without VM_WRITE, an exec without VM_EXEC, a read of PROT_NONE. */
function accessError(vma: Vma, write: boolean, exec: boolean): boolean {
  if (write && !(vma.flags & F.VM_WRITE)) return true;
  if (exec && !(vma.flags & F.VM_EXEC)) return true;
  return !write && !exec && !(vma.flags & (F.VM_READ | F.VM_WRITE | F.VM_EXEC));
}

/**
 * A fault in a VMA the trace never showed and after which the kernel changed no counter: a special mapping
 * ([vvar]-style pfn mappings: vmf_insert_pfn, no RSS), or the zero page. Map a special PTE, count nothing; the VMA is
 * taken for VM_PFNMAP, which fork copies (mm/memory.c: vma_needs_copy).
 */
function mapSpecial(st: EngineState, vma: Vma, mm: Mm, a: number): void {
  const t = faultTable(st, mm, a);
  if (!t) return;
  const i = pteIndex(a);
  t.fl[i] = F.PTE_PRESENT | F.PTE_ZERO;
  t.present++;
  vma.flags |= F.VM_PFNMAP;
  st.f.path = 'pfnmap';
}

/** The PTE table holding a, allocated with its upper tables as the fault would (counted in the fault's tablesAllocated); null under a huge PMD. */
function faultTable(st: EngineState, mm: Mm, a: number): PteTable | null {
  const { ctx, f } = st;
  f.tablesAllocated += allocUpper(ctx, mm, a);
  const b = blockOf(a);
  const slot = mm.pmds.get(b) ?? (f.tablesAllocated++, pteAlloc(ctx, mm, b));
  return slot.kind === PMD_TABLE ? slot.table! : null;
}

/**
 * A write onto a present PTE (X86_PF_PROT) in a VMA the trace never showed, after which the kernel changed no counter:
 * mm/memory.c do_wp_page on an anon page (wp_page_reuse, or wp_page_copy anon to anon after a fork), which a special
 * PTE or the zero page cannot be (a write to either allocates, +1 anon). Map an anon page, writable, counted before the
 * trace (the mm's baseline holds it): a later zap or fork copy counts it as the kernel does.
 */
function mapUnseenAnon(st: EngineState, vma: Vma, mm: Mm, a: number): void {
  const t = faultTable(st, mm, a);
  if (!t) return;
  vma.anonVma = true; // a mapped anon page: its VMA has an anon_vma (mm/rmap.c), which fork copies (vma_needs_copy)
  mapAnon(st.ctx, mm, t, pteIndex(a), allocAnon(st.ctx.pages, 0), true);
  st.f.path = 'wp_page_reuse';
}

/**
 * An inferred VMA of kind `want` made by access class cls whose protection allows that access: one a fault of that
 * class may widen. (A function, not a closure per call: inferVma runs for most faults of a process older than the
 * trace, and the closure was a quarter of the model's allocation on the bench trace.)
 */
function sameInferred(v: Vma, want: number, cls: number): boolean {
  return v.kind === want && v.inferCls === cls && !accessError(v, cls === F.VM_WRITE, cls === F.VM_EXEC);
}

/** A VMA for a fault where the trace showed no mapping (the process predates the trace, or exec loaded it). */
function inferVma(mm: Mm, addr: number, kind: number, cur: Vma | null, p: ProcAcc, cls: number): Vma {
  const want = kind | F.KIND_INFERRED;
  if (cur && (cur.kind & (F.KIND_ANON | F.KIND_FILE)) === kind && (cur.inferCls === cls || cls !== F.VM_EXEC)) return cur;
  const flags = F.VM_READ | F.VM_WRITE | F.VM_MAYWRITE | (kind === F.KIND_FILE ? F.VM_EXEC : 0);
  if (cur) {
    // another kind, or an instruction fetch in a VMA inferred from data accesses: the kernel's VMA boundary is here
    // the kernel's counters say this page is the other kind: carve a one-page VMA of that kind
    const [v] = splitRange(mm, addr, addr + F.VMA_PAGE);
    v!.kind = want;
    v!.inferCls = cls;
    v!.carved = true;
    v!.flags = flags;
    return v!;
  }
  const k = firstAbove(mm, addr);
  const prev = mm.vmas[k - 1], next = mm.vmas[k];
  // a neighbour whose protection a traced mprotect set has the bounds mprotect_fixup split it at (mm/mprotect.c): an
  // access it forbids (a write next to a RELRO page made read-only) is another VMA, not a reason to widen that one
  if (prev && sameInferred(prev, want, cls) && addr - prev.end < F.PMD_SIZE) {
    prev.end = addr + F.VMA_PAGE; // widen the inferred VMA up to this fault
    mm.lastVma = null;
    return prev;
  }
  if (next && sameInferred(next, want, cls) && next.start - addr <= F.PMD_SIZE) {
    next.start = addr;
    next.pgoff = addr / F.PAGE_SIZE;
    mm.lastVma = null;
    return next;
  }
  const v = newVma(addr, addr + F.VMA_PAGE, flags, want, addr / F.PAGE_SIZE, -2);
  v.inferCls = cls;
  insertVma(mm, v);
  p.res.inferred_vmas++;
  return v;
}

/**
 * The fault's record: path, allocation, modelled cost; counted under its path and sent to the model:fault probe.
 * n > 1 (no probe): n faults whose records differ only in their address, this one the last (their costs are the same,
 * or with a spread each its own draw).
 */
function recordFault(st: EngineState, e: FaultEvent, p: ProcAcc, vs: number, ve: number, vf: number, n = 1): void {
  const { ctx, f } = st;
  const r = ctx.faultRec;
  let path = f.path || 'spurious';
  // A traced fault that a patched variant (or a larger page size: a neighbour in the same page mapped it) finds already
  // satisfied would not have trapped there: no cost and no minflt (mainline keeps both: the trace proves the trap happened).
  const notTaken = path === 'spurious' && (ctx.hooks.patched || ctx.geo !== ctx.traceGeo);
  if (notTaken) {
    path = 'not_taken';
    p.res.minflt--;
  }
  // the last path's id kept: most faults take the path the one before took (pathId is a lookup by string)
  if (path !== st.lastPath) {
    st.lastPath = path;
    st.lastPathId = pathId(path);
  }
  const id = st.lastPathId;
  // the record is read only by the prices and the model:fault probe: with neither (replay without a profile) it is not
  // filled (13 stores per fault and variant); the costs are then 0
  if (st.prices === null && !ctx.probes.fault) {
    if (n > 1) countPathRun(st, p, id, 0, n);
    else countPath(st, p, id, 0);
    return; // (faultLatency: adding 0 leaves it as it is)
  }
  r.time = e.time;
  r.cpu = e.cpu;
  r.pid = p.res.pid;
  r.tid = e.tid;
  r.comm = e.comm;
  r.address = e.address;
  r.errorCode = e.errorCode;
  r.path = path;
  r.vmaStart = vs;
  r.vmaEnd = ve;
  r.vmaFlags = vf;
  r.pagesAllocated = f.pagesAllocated;
  r.tablesAllocated = f.tablesAllocated;
  r.tablesCopied = f.tablesCopied;
  r.inferred = f.inferred;
  r.latencyNs = notTaken ? 0 : faultCost(st.prices, st.draws, id, r);
  if (n > 1 && st.prices?.spread) {
    // each fault draws its own place in its path's spread (costs.ts nextQuantile): priced one by one, in order
    st.faultLatency += r.latencyNs;
    countPath(st, p, id, r.latencyNs);
    for (let j = 1; j < n; j++) {
      const ns = faultCost(st.prices, st.draws, id, r);
      st.faultLatency += ns;
      countPath(st, p, id, ns);
    }
    return;
  }
  if (n > 1) {
    for (let j = 0; j < n; j++) st.faultLatency += r.latencyNs; // one addition per fault: the same float sum
    countPathRun(st, p, id, r.latencyNs, n);
    return;
  }
  st.faultLatency += r.latencyNs;
  countPath(st, p, id, r.latencyNs);
  ctx.probes.fault?.(r);
}
