// mm_struct and its VMA list: creation, lookup, insert/split/merge, teardown (kernel/fork.c: mm_alloc, mm/mmap.c: exit_mmap).
import { MM_ANONPAGES } from '../traces/events.js';
import * as F from './flags.js';
import { freePgdRange, gather, zapRange } from './page_table.js';
import { addMmCounter, addPgtables } from './rss.js';
import type { Mm, ModelCtx, Vma } from './state.js';
import { eachVmaNotingInferredRuns, noteTeardown } from './rss_log.js';

/** kernel/fork.c: mm_alloc: an empty mm (no tables but the PGD, which pgtables_bytes does not count). */
export function createMm(ctx: ModelCtx, ownerPid: number, predates: boolean): Mm {
  const idx = ctx.nextMmIdx++;
  return {
    idx,
    mmId: -1,
    vmas: [],
    lastVma: null,
    pmds: new Map(),
    pmdTables: new Set(),
    pudTables: new Set(),
    upperAt: -1,
    rss: new Float64Array(4),
    pgtablesBytes: 0,
    users: 1,
    ownerPid,
    brkStart: -1,
    brk: -1,
    defFlags: 0,
    predates,
    anonRoot: idx,
    dead: false,
    phantom: new Float64Array(4),
    argPages: 0,
    holes: [],
  };
}

export function newVma(start: number, end: number, flags: number, kind: number, pgoff: number, file: number): Vma {
  return { start, end, flags, kind, pgoff, file, anonVma: false, patchData: null, inferCls: 0, carved: false };
}

/**
 * A part [start, end) of v at pgoff, every other field v's (mm/vma.c: __split_vma's vm_area_dup). Every Vma is made
 * with newVma's fields in newVma's order, so every VMA load in the model sees one shape (spreads and fields added
 * later made them megamorphic: V8's stub cache on every findVma).
 */
function vmaPart(v: Vma, start: number, end: number, pgoff: number): Vma {
  return { start, end, flags: v.flags, kind: v.kind, pgoff, file: v.file, anonVma: v.anonVma, patchData: v.patchData, inferCls: v.inferCls, carved: v.carved };
}

/** mm/mmap.c: find_vma-style lookup of the VMA containing addr, or null. */
export function findVma(mm: Mm, addr: number): Vma | null {
  const c = mm.lastVma;
  if (c && addr >= c.start && addr < c.end) return c;
  const v = mm.vmas;
  let lo = 0, hi = v.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const x = v[mid]!;
    if (addr < x.start) hi = mid - 1;
    else if (addr >= x.end) lo = mid + 1;
    else {
      mm.lastVma = x;
      return x;
    }
  }
  return null;
}

/** Index of the first VMA whose end is above addr. */
export function firstAbove(mm: Mm, addr: number): number {
  const v = mm.vmas;
  let lo = 0, hi = v.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (v[mid]!.end <= addr) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Insert a VMA that overlaps none (the caller unmapped the range first). */
export function insertVma(mm: Mm, vma: Vma): void {
  if (mm.holes.length) fillHole(mm, vma.start, vma.end);
  mm.vmas.splice(firstAbove(mm, vma.start), 0, vma);
  mm.lastVma = null;
}

/** mm/vma.c: __split_vma: make start and end VMA boundaries (when they fall inside a VMA); returns the VMAs within. */
export function splitRange(mm: Mm, start: number, end: number): Vma[] {
  const out: Vma[] = [];
  for (let k = firstAbove(mm, start); k < mm.vmas.length; k++) {
    const v = mm.vmas[k]!;
    if (v.start >= end) break;
    if (v.start < start) {
      const left = vmaPart(v, v.start, start, v.pgoff);
      v.pgoff += (start - v.start) / F.PAGE_SIZE;
      v.start = start;
      mm.vmas.splice(k, 0, left);
      k++;
    }
    if (v.end > end) {
      const right = vmaPart(v, end, v.end, v.pgoff + (end - v.start) / F.PAGE_SIZE);
      v.end = end;
      mm.vmas.splice(k + 1, 0, right);
    }
    out.push(v);
  }
  mm.lastVma = null;
  return out;
}

/** mm/vma.c: is_mergeable_vma + is_mergeable_anon_vma: same flags, kind and file, contiguous pgoff. */
function mergeable(a: Vma, b: Vma): boolean {
  if (a.end !== b.start) return false;
  if ((a.flags & F.VM_MERGE_MASK) !== (b.flags & F.VM_MERGE_MASK)) return false;
  if ((a.kind & ~(F.KIND_INFERRED | F.KIND_HEAP | F.KIND_STACK)) !== (b.kind & ~(F.KIND_INFERRED | F.KIND_HEAP | F.KIND_STACK))) return false;
  if (a.file !== b.file || a.patchData !== b.patchData) return false;
  if ((a.kind & F.KIND_INFERRED) !== (b.kind & F.KIND_INFERRED) || a.inferCls !== b.inferCls) return false;
  if (!(a.kind & F.KIND_ANON) && a.pgoff + (a.end - a.start) / F.PAGE_SIZE !== b.pgoff) return false;
  return true;
}

/** mm/vma.c: vma_merge_new_range / vma_merge_existing_range: merge v with its neighbours where allowed. */
export function mergeAround(mm: Mm, v: Vma): Vma {
  const k = mm.vmas.indexOf(v);
  if (k < 0) return v;
  mm.lastVma = null;
  const next = mm.vmas[k + 1];
  if (next && mergeable(v, next)) {
    absorb(v, next);
    mm.vmas.splice(k + 1, 1);
  }
  const prev = mm.vmas[k - 1];
  if (prev && mergeable(prev, v)) {
    absorb(prev, v);
    mm.vmas.splice(k, 1);
    return prev;
  }
  return v;
}

/** a grows over b, the VMA right after it (mm/vma.c: vma_expand): anon_vma and heap/stack kind carry over. */
function absorb(a: Vma, b: Vma): void {
  a.end = b.end;
  a.anonVma ||= b.anonVma;
  a.kind |= b.kind & (F.KIND_HEAP | F.KIND_STACK);
}

/**
 * mm/vma.c: do_vmi_munmap -> vms_clear_ptes (unmap_vmas: zap each VMA, then free_pgtables with floor = previous VMA's
 * end and ceiling = next VMA's start) and removal.
 */
export function unmapRange(ctx: ModelCtx, mm: Mm, start: number, end: number): number {
  noteHole(mm, start, end);
  const vs = splitRange(mm, start, end);
  if (vs.length === 0) return 0;
  ctx.hooks.break_cow_pte(ctx, mm, start, end, 'munmap');
  gather.n = 0; // tlb_gather_mmu
  for (const v of vs) zapRange(ctx, mm, v.start, v.end, false, true);
  const first = mm.vmas.indexOf(vs[0]!);
  const prev = mm.vmas[first - 1];
  const next = mm.vmas[first + vs.length];
  mm.vmas.splice(first, vs.length);
  mm.lastVma = null;
  freePgdRange(ctx, mm, vs[0]!.start, vs[vs.length - 1]!.end, prev ? prev.end : 0, next ? next.start : 0);
  return vs.length;
}

/** The stack: the highest private anonymous VMA, or null. */
export function stackVma(mm: Mm): Vma | null {
  for (let k = mm.vmas.length - 1; k >= 0; k--) {
    const v = mm.vmas[k]!;
    if ((v.kind & F.KIND_ANON) && !(v.flags & F.VM_SHARED)) return v;
  }
  return null;
}

/** mm/mmap.c: exit_mmap: unmap_vmas over every VMA (one rss batch per piece), phantom pages last, free_pgtables. */
export function exitMmap(ctx: ModelCtx, mm: Mm): void {
  if (mm.dead) return;
  // fs/exec.c: copy_strings -> get_arg_page wrote argv/envp at the top of the stack VMA (setup_arg_pages moved them
  // with it): those pages leave with the stack's last piece, so they are no longer pages the model cannot place
  const stack = mm.argPages > 0 ? stackVma(mm) : null;
  const args = stack ? Math.min(mm.argPages, mm.phantom[MM_ANONPAGES]!) : 0;
  mm.phantom[MM_ANONPAGES]! -= args;
  mm.argPages = 0;
  noteTeardown(ctx, mm, args);
  ctx.hooks.break_cow_pte(ctx, mm, 0, F.TASK_SIZE, 'exit');
  gather.n = 0; // tlb_gather_mmu
  // mm/memory.c: unmap_vmas -> unmap_single_vma per VMA -> zap_pte_range, whose add_mm_rss_vec flushes once per
  // (VMA x table) piece: within a run of inferred VMAs (exec-loaded, never mmapped in the trace) the model guessed the
  // boundaries ([vdso] next to ld.so's one-page r-- segment looks like one VMA), so only the run's total is known
  eachVmaNotingInferredRuns(ctx, mm.vmas, mm, (v) => zapRange(ctx, mm, v.start, v.end, false, true, v === stack ? args : 0));
  dropPhantom(ctx, mm);
  // pages the model placed outside every VMA it knows (fault-around guesses in inferred VMAs) leave last
  for (const b of [...mm.pmds.keys()]) zapRange(ctx, mm, b * F.PMD_SIZE, (b + 1) * F.PMD_SIZE, false, true);
  for (let m = 0; m < 4; m++) if (mm.rss[m] !== 0) addMmCounter(ctx, mm, m, -mm.rss[m]!);
  if (mm.vmas.length) freePgdRange(ctx, mm, 0, F.TASK_SIZE, 0, 0);
  // anything left (tables under no VMA, e.g. after inferred VMAs were widened): free_pgtables reaches them too
  const left = mm.pmds.size + mm.pmdTables.size + mm.pudTables.size;
  if (left) {
    mm.pmds.clear();
    mm.pmdTables.clear();
    mm.pudTables.clear();
    mm.upperAt = -1;
  }
  if (mm.pgtablesBytes) addPgtables(ctx, mm, -mm.pgtablesBytes / F.TABLE_BYTES);
  mm.vmas = [];
  mm.lastVma = null;
  mm.dead = true;
}

/** Pages counted from the trace's rss_stat baseline (the mm predates the trace) leave with the mm. */
export function dropPhantom(ctx: ModelCtx, mm: Mm): void {
  for (let m = 0; m < 4; m++) {
    const n = mm.phantom[m]!;
    if (n !== 0) {
      mm.phantom[m] = 0;
      addMmCounter(ctx, mm, m, -n);
    }
  }
}

/** Widen an inferred VMA to cover [lo, hi) as far as its neighbours allow (pages the kernel showed are inside it). */
export function widenInferred(mm: Mm, v: Vma, lo: number, hi: number): void {
  const k = mm.vmas.indexOf(v);
  if (k < 0) return;
  const prev = mm.vmas[k - 1], next = mm.vmas[k + 1];
  const nlo = Math.max(lo, prev ? prev.end : 0), nhi = Math.min(hi, next ? next.start : F.TASK_SIZE);
  if (nlo < v.start) {
    v.pgoff -= (v.start - nlo) / F.PAGE_SIZE;
    v.start = nlo;
  }
  if (nhi > v.end) v.end = nhi;
  mm.lastVma = null;
}

/** Remember an unmapped range; mmap over it later clears the overlap (fillHole). */
function noteHole(mm: Mm, start: number, end: number): void {
  if (mm.holes.length >= 128) mm.holes.splice(0, 2);
  mm.holes.push(start, end);
}

/** True when addr lies in a range the trace showed unmapped (and nothing was mapped there since). */
export function inHole(mm: Mm, addr: number): boolean {
  const h = mm.holes;
  for (let i = 0; i < h.length; i += 2) if (addr >= h[i]! && addr < h[i + 1]!) return true;
  return false;
}

/** A new mapping over [start, end): those addresses are no longer holes. */
export function fillHole(mm: Mm, start: number, end: number): void {
  const h = mm.holes;
  for (let i = h.length - 2; i >= 0; i -= 2) {
    const s = h[i]!, e = h[i + 1]!;
    if (e <= start || s >= end) continue;
    const keep: number[] = [];
    if (s < start) keep.push(s, start);
    if (e > end) keep.push(end, e);
    h.splice(i, 2, ...keep);
  }
}

