// kernel/fork.c: dup_mmap -> mm/memory.c: copy_page_range, one function per kernel function (vma_needs_copy,
// copy_pmd_range, copy_huge_pmd, copy_pte_range, copy_present_ptes).
import { MM_ANONPAGES, MM_FILEPAGES, MM_SHMEMPAGES } from '../traces/events.js';
import * as F from './flags.js';
import { createMm, newVma, stackVma } from './mm.js';
import { eachVmaNotingInferredRuns } from './rss_log.js';
import { folioMmMap } from './pages.js';
import { addMmCounter, addMmRssVec, addPgtables, RSS_WALK_COPY } from './rss.js';
import { allocUpper, folioPteBatch, newTable, pteMember } from './page_table.js';
import { PAGE_ANON_EXCLUSIVE, PMD_HUGE_ZERO, PMD_TABLE, PMD_THP, type Mm, type ModelCtx, type PmdSlot, type PteTable, type Vma } from './state.js';

/** What one fork copied: [ptes copied, tables copied, tables shared, huge PMDs copied, of the ptes those copied in large-folio batches, batches]. */
export const forkCounts = new Float64Array(6);
const vec = new Float64Array(4);

/** mm/memory.c: vma_needs_copy: the child VMA is uffd-wp, the parent's is VM_PFNMAP/VM_MIXEDMAP, or it has an anon_vma; otherwise the child re-faults. */
export function vmaNeedsCopy(dst: Vma, src: Vma): boolean {
  if (dst.flags & F.VM_UFFD_WP) return true; // userfaultfd_wp(dst_vma): the PTEs hold protection the page cache lacks
  if (src.flags & (F.VM_PFNMAP | F.VM_MIXEDMAP)) return true;
  return src.anonVma;
}

/** kernel/fork.c: dup_mmap: the child's mm, VMA by VMA; fills forkCounts. */
export function dupMmap(ctx: ModelCtx, parent: Mm, childPid: number): Mm {
  const child = createMm(ctx, childPid, false);
  child.anonRoot = parent.anonRoot; // mm/rmap.c: anon_vma_fork: the child's anon pages are its parent's until a write copies
  child.brkStart = parent.brkStart;
  child.brk = parent.brk;
  child.defFlags = 0;
  forkCounts.fill(0);
  const stack = phantomOwner(parent);
  // kernel/fork.c: dup_mmap -> copy_page_range per VMA; copy_pte_range flushes add_mm_rss_vec once per (VMA x table)
  // piece: how a run of inferred VMAs (exec-loaded, e.g. the binary's .data and the anonymous .bss VMA after it)
  // splits into kernel VMAs is not in the trace, so only the run's total is known (model/rss_log.ts: guessedSpans, not compared)
  eachVmaNotingInferredRuns(ctx, parent.vmas, child, copyVma);
  function copyVma(v: Vma): void {
    if (v.flags & F.VM_DONTCOPY) return; // VM_DONTCOPY: absent in the child
    const c = newVma(v.start, v.end, v.flags & ~(F.VM_LOCKED | F.VM_LOCKONFAULT), v.kind, v.pgoff, v.file); // mlock is not inherited
    c.patchData = v.patchData;
    child.vmas.push(c);
    if (v.flags & F.VM_WIPEONFORK) return; // the child gets an empty VMA: no anon_vma, no copy
    c.anonVma = v.anonVma; // anon_vma_fork
    if (vmaNeedsCopy(c, v)) copyPageRange(ctx, child, parent, v, v === stack);
    else if (v === stack) addPhantom(ctx, child, parent);
    if (v === stack) child.argPages = parent.argPages; // the argument pages stay at the stack's top
  }
  if (!stack) addPhantom(ctx, child, parent);
  return child;
}

/** The VMA that holds pages counted before the trace (the stack: the highest anonymous VMA), or null. */
function phantomOwner(mm: Mm): Vma | null {
  return mm.phantom.some((x) => x !== 0) ? stackVma(mm) : null;
}

function addPhantom(ctx: ModelCtx, child: Mm, parent: Mm): void {
  for (let m = 0; m < 4; m++) {
    if (!phantomCopied(m)) continue;
    const n = parent.phantom[m]!;
    if (n) {
      child.phantom[m] = n;
      addMmCounter(ctx, child, m, n);
    }
  }
}

/**
 * mm/memory.c: vma_needs_copy: a file VMA without an anon_vma is not copied (the child re-faults). Page-cache pages the
 * trace never placed came from read faults (kernel-mode, or finish_fault's second count), so they are taken to lie there.
 */
const phantomCopied = (m: number): boolean => m !== MM_FILEPAGES && m !== MM_SHMEMPAGES;

/** mm/memory.c: copy_page_range for one VMA that vma_needs_copy chose (copy_p4d_range and copy_pud_range fold into copy_pmd_range). */
function copyPageRange(ctx: ModelCtx, dst: Mm, src: Mm, vma: Vma, withPhantom: boolean): void {
  copyPmdRange(ctx, dst, src, vma, withPhantom);
  if (withPhantom && !src.pmds.has(Math.ceil(vma.end / F.PMD_SIZE) - 1)) addPhantom(ctx, dst, src);
}

/** mm/memory.c: copy_pmd_range: per present PMD of the VMA, copy_huge_pmd or copy_pte_range; the child's PUD/PMD tables first. */
function copyPmdRange(ctx: ModelCtx, dst: Mm, src: Mm, vma: Vma, withPhantom: boolean): void {
  const b0 = Math.floor(vma.start / F.PMD_SIZE), b1 = Math.ceil(vma.end / F.PMD_SIZE);
  for (let b = b0; b < b1; b++) {
    const slot = src.pmds.get(b);
    if (!slot) continue;
    allocUpper(ctx, dst, b * F.PMD_SIZE); // copy_pud_range / copy_pmd_range: pud_alloc, pmd_alloc in the child
    if (ctx.hooks.copy_pte_range(ctx, dst, src, vma, b, forkCounts)) continue;
    if (slot.kind !== PMD_TABLE) copyHugePmd(ctx, dst, slot, b);
    else copyPteRange(ctx, dst, src, vma, slot.table!, b, withPhantom && b === b1 - 1);
  }
}

/** mm/huge_memory.c: copy_huge_pmd: the child deposits a table; both PMDs write-protected; a THP gains a mapping. */
function copyHugePmd(ctx: ModelCtx, dst: Mm, slot: PmdSlot, b: number): void {
  const p = ctx.pages;
  dst.pmds.set(b, { kind: slot.kind, table: null, folio: slot.folio, write: false, shared: false });
  addPgtables(ctx, dst, 1);
  forkCounts[1]!++;
  forkCounts[3]!++;
  if (slot.kind === PMD_THP) {
    p.refcount[slot.folio]!++;
    folioMmMap(p, slot.folio, dst.idx, 1);
    p.flags[slot.folio]! &= ~PAGE_ANON_EXCLUSIVE; // folio_try_dup_anon_rmap_pmd
    slot.write = false;
    addMmCounter(ctx, dst, MM_ANONPAGES, F.PTRS);
  } else if (slot.kind !== PMD_HUGE_ZERO) slot.write = false;
}

/**
 * mm/memory.c: copy_pte_range: a child table for every present parent PMD (even an empty one), copy_present_ptes for
 * the VMA's present entries, then one add_mm_rss_vec into the child (curr=0 rss_stat events) for this piece.
 * withPhantom: the stack's last piece also carries the pages counted before the trace.
 */
function copyPteRange(ctx: ModelCtx, dst: Mm, src: Mm, vma: Vma, st: PteTable, b: number, withPhantom: boolean): void {
  const cow = (vma.flags & (F.VM_SHARED | F.VM_MAYWRITE)) === F.VM_MAYWRITE; // is_cow_mapping
  const addr = b * F.PMD_SIZE;
  const have = dst.pmds.get(b);
  let t: PteTable;
  if (have && have.kind === PMD_TABLE && have.table) t = have.table; // a neighbouring VMA already built it
  else {
    t = newTable();
    dst.pmds.set(b, { kind: PMD_TABLE, table: t, folio: 0, write: false, shared: false });
    addPgtables(ctx, dst, 1);
    forkCounts[1]!++;
  }
  const i0 = Math.max(vma.start, addr), i1 = Math.min(vma.end, addr + F.PMD_SIZE);
  const j0 = (i0 - addr) / F.PAGE_SIZE, j1 = (i1 - addr) / F.PAGE_SIZE;
  if (st.present > 0)
    for (let i = j0; i < j1; i++) {
      if (!(st.fl[i]! & F.PTE_PRESENT)) {
        if (st.fl[i]! & F.PTE_GUARD && !(t.fl[i]! & F.PTE_GUARD)) {
          t.fl[i] = F.PTE_GUARD; // mm/memory.c: copy_nonpresent_pte -> copy_pte_marker keeps PTE_MARKER_GUARD
          t.present++;
        }
        continue;
      }
      if (ctx.rules.largeFolioPteBatch && st.page[i] && ctx.pages.head[st.page[i]!]) {
        // mm/memory.c: copy_present_ptes (6.9+): a large folio's PTEs in one batch (folio_pte_batch, max_nr to the piece's end)
        const nr = folioPteBatch(ctx.pages, st, i, j1);
        for (let k = 0; k < nr; k++) copyPresentPtes(ctx, dst, t, st, i + k, cow);
        forkCounts[4]! += nr;
        forkCounts[5]!++;
        i += nr - 1;
      } else copyPresentPtes(ctx, dst, t, st, i, cow);
    }
  if (withPhantom) for (let m = 0; m < 4; m++) if (phantomCopied(m)) (vec[m]! += src.phantom[m]!, (dst.phantom[m] = src.phantom[m]!));
  addMmRssVec(ctx, dst, vec, RSS_WALK_COPY); // one rss_stat per member per piece, into the child's mm (curr=0)
}

/**
 * mm/memory.c: copy_present_ptes (one entry here): special (zero/refpage) PTEs verbatim; a page gains a mapping and
 * loses PageAnonExclusive (folio_try_dup_anon_rmap_ptes); in a COW mapping both PTEs are write-protected.
 */
function copyPresentPtes(ctx: ModelCtx, dst: Mm, t: PteTable, st: PteTable, i: number, cow: boolean): void {
  const p = ctx.pages;
  const fl = st.fl[i]!;
  let nfl = fl;
  if (cow && (fl & F.PTE_WRITE)) {
    st.fl[i] = fl & ~F.PTE_WRITE;
    nfl = fl & ~F.PTE_WRITE;
  }
  t.fl[i] = nfl;
  t.present++;
  forkCounts[0]!++;
  if (fl & F.PTE_SPECIAL) return;
  const page = st.page[i]!;
  t.page[i] = page;
  if (page) {
    p.refcount[page]!++;
    p.flags[page]! &= ~PAGE_ANON_EXCLUSIVE;
    const head = p.head[page]!;
    if (head) folioMmMap(p, head, dst.idx, 1);
  }
  vec[pteMember(fl)]!++;
}
