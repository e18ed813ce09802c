// The page tables of one mm: PUD/PMD/PTE tables of PTRS entries (one page each), counted in pgtables_bytes; x86-64
// 4-level at 4 KiB, arm64's 3- and 2-level layouts at 16 and 64 KiB (model/page_geometry.ts).
import { MM_ANONPAGES, MM_FILEPAGES, MM_SHMEMPAGES } from '../traces/events.js';
import * as F from './flags.js';
import { folioMmMap, putPage, reserveFree, subpages } from './pages.js';
import { addMmCounter, addMmRssVec, addPgtables, RSS_WALK_ZAP } from './rss.js';
import { PAGE_ANON_EXCLUSIVE, PMD_HUGE_ZERO, PMD_TABLE, PMD_THP, type Mm, type ModelCtx, type Pages, type PmdSlot, type PteTable, type Vma } from './state.js';

/**
 * The arrays of PTE tables free_pgtables dropped, for newTable to reuse (zero-filled): a fresh table is new memory,
 * and its first touch a page fault that costs ~18 us per 4 KiB in this guest (60k tables, 6k live at a time: 0.4 s
 * of CPU allocated, 10 ms reused). Not capped: a table is made only when none is spare, so spare and live tables
 * together never outnumber the peak of live tables (one pool for every variant of the thread: their summed peak).
 */
const spare: { page: Int32Array; fl: Uint8Array }[] = [];

export function newTable(): PteTable {
  const s = spare.pop();
  if (s !== undefined && s.page.length === F.PTRS) {
    s.page.fill(0);
    s.fl.fill(0);
    return { page: s.page, fl: s.fl, present: 0, refcount: 1, ghost: 0 };
  }
  // both arrays over one buffer: one backing store to allocate, track and free per table, not two
  const buf = new ArrayBuffer(F.PTRS * 5);
  return { page: new Int32Array(buf, 0, F.PTRS), fl: new Uint8Array(buf, F.PTRS * 4, F.PTRS), present: 0, refcount: 1, ghost: 0 };
}

export const blockOf = (addr: number): number => Math.floor(addr / F.PMD_SIZE);
export const pteIndex = (addr: number): number => Math.floor(addr / F.PAGE_SIZE) % F.PTRS;
/** A length rounded up to whole pages (mm/mmap.c: PAGE_ALIGN); in a page-size what-if, to the trace's pages (VMA_PAGE). */
export const pageUp = (n: number): number => Math.ceil(n / F.VMA_PAGE) * F.VMA_PAGE;

/** The PTE_* bits mapping addr (0 for none); a huge PMD reads as one present entry, writable as the PMD is. */
export function entryFlagsAt(mm: Mm, addr: number): number {
  const s = mm.pmds.get(blockOf(addr));
  if (!s) return 0;
  if (s.kind !== PMD_TABLE) return F.PTE_PRESENT | (s.write ? F.PTE_WRITE : 0);
  return s.table!.fl[pteIndex(addr)]!;
}

/** mm/memory.c: __pud_alloc, __pmd_alloc: upper tables for addr; returns the number allocated. */
export function allocUpper(ctx: ModelCtx, mm: Mm, addr: number): number {
  const span = F.PUD_SIZE || F.PGDIR_SIZE; // a block of one PMD table (one PUD table where the PMD level folds)
  const at = span ? Math.floor(addr / span) : -1;
  if (at === mm.upperAt) return 0;
  let n = 0;
  const pud = F.PGDIR_SIZE ? Math.floor(addr / F.PGDIR_SIZE) : -1; // -1: the PUD level is folded (no table)
  if (pud >= 0 && !mm.pudTables.has(pud)) {
    mm.pudTables.add(pud); // mm/memory.c: __pud_alloc -> mm_inc_nr_puds
    n++;
  }
  const pmd = F.PUD_SIZE ? Math.floor(addr / F.PUD_SIZE) : -1; // -1: the PMD level is folded
  if (pmd >= 0 && !mm.pmdTables.has(pmd)) {
    mm.pmdTables.add(pmd); // mm/memory.c: __pmd_alloc -> mm_inc_nr_pmds
    n++;
  }
  if (n) addPgtables(ctx, mm, n);
  mm.upperAt = at; // (-1 when both levels fold: nothing to look up anyway)
  return n;
}

/** The upper tables allocUpper would allocate for addr are all there already (it would return 0). */
export function upperPresent(mm: Mm, addr: number): boolean {
  const span = F.PUD_SIZE || F.PGDIR_SIZE;
  if (span && Math.floor(addr / span) === mm.upperAt) return true;
  return (!F.PGDIR_SIZE || mm.pudTables.has(Math.floor(addr / F.PGDIR_SIZE))) && (!F.PUD_SIZE || mm.pmdTables.has(Math.floor(addr / F.PUD_SIZE)));
}

/** mm/memory.c: __pte_alloc -> pmd_install: a PTE table for a none PMD. */
export function pteAlloc(ctx: ModelCtx, mm: Mm, block: number): PmdSlot {
  const slot: PmdSlot = { kind: PMD_TABLE, table: newTable(), folio: 0, write: false, shared: false };
  mm.pmds.set(block, slot);
  addPgtables(ctx, mm, 1); // mm_inc_nr_ptes
  return slot;
}

/** Counter member of a PTE's page (mm/memory.c: mm_counter / mm_counter_file). */
export function pteMember(fl: number): number {
  if (fl & F.PTE_FILE) return MM_FILEPAGES;
  if (fl & F.PTE_SHMEM) return MM_SHMEMPAGES;
  return MM_ANONPAGES;
}

/** Map an anon page at entry i (mm/rmap.c: folio_add_new_anon_rmap or folio_try_dup_anon_rmap: refcount + mm_id). */
export function mapAnon(ctx: ModelCtx, mm: Mm, t: PteTable, i: number, page: number, write: boolean): void {
  t.page[i] = page;
  t.fl[i] = F.PTE_PRESENT | (write ? F.PTE_WRITE : 0);
  t.present++;
  const p = ctx.pages;
  p.refcount[page]!++;
  const head = p.head[page]!;
  if (head) folioMmMap(p, head, mm.idx, 1);
}

/** Unmap entry i and drop its page; returns the counter member it was charged to, or -1 for none/special. */
export function unmapEntry(ctx: ModelCtx, mm: Mm, t: PteTable, i: number): number {
  const fl = t.fl[i]!;
  if (!(fl & F.PTE_PRESENT)) return -1;
  const page = t.page[i]!;
  t.fl[i] = 0;
  t.page[i] = 0;
  t.present--;
  if (fl & F.PTE_SPECIAL) return -1; // mm/memory.c: vm_normal_page returns NULL: no rmap, no RSS
  if (page) {
    const p = ctx.pages;
    const head = p.head[page]!;
    putPage(p, page); // first: the folio's last unmapping releases it only once no subpage is held (pages.ts)
    if (head) folioMmMap(p, head, mm.idx, -1);
  }
  return pteMember(fl);
}

/**
 * mm/internal.h: folio_pte_batch: how many PTEs from entry i (before end) map consecutive pages of the same large
 * folio (dirty, soft-dirty and write bits ignored); 1 for a small page, a special or a none entry.
 */
export function folioPteBatch(p: Pages, t: PteTable, i: number, end: number): number {
  const fl = t.fl[i]!;
  if (!(fl & F.PTE_PRESENT) || (fl & F.PTE_SPECIAL)) return 1;
  const page = t.page[i]!;
  const head = page ? p.head[page]! : 0;
  if (!head) return 1;
  let n = 1;
  while (i + n < end && (t.fl[i + n]! & F.PTE_PRESENT) && !(t.fl[i + n]! & F.PTE_SPECIAL) && t.page[i + n] === page + n && p.head[page + n] === head) n++;
  return n;
}

/** mm/huge_memory.c: __split_huge_pmd_locked: the deposited table becomes the PTE table; PTRS PTEs map the subpages. */
export function splitHugePmd(ctx: ModelCtx, mm: Mm, slot: PmdSlot): PteTable {
  const t = newTable();
  const p = ctx.pages;
  if (slot.kind === PMD_HUGE_ZERO) {
    for (let i = 0; i < F.PTRS; i++) t.fl[i] = F.PTE_PRESENT | F.PTE_ZERO; // huge zero -> PTRS zero-page PTEs
    t.present = F.PTRS;
  } else {
    const folio = slot.folio;
    const first = subpages(p, folio);
    const excl = (p.flags[folio]! & PAGE_ANON_EXCLUSIVE) !== 0;
    for (let i = 0; i < F.PTRS; i++) {
      t.page[i] = first + i;
      t.fl[i] = F.PTE_PRESENT | (slot.write ? F.PTE_WRITE : 0);
      p.refcount[first + i]!++;
      if (excl) p.flags[first + i]! |= PAGE_ANON_EXCLUSIVE;
      else p.flags[first + i]! &= ~PAGE_ANON_EXCLUSIVE;
    }
    t.present = F.PTRS;
    folioMmMap(p, folio, mm.idx, F.PTRS - 1); // one PMD mapping becomes PTRS PTE mappings
    p.refcount[folio]!--;
  }
  slot.kind = PMD_TABLE;
  slot.table = t;
  slot.folio = 0;
  slot.write = false;
  return t; // the deposit is withdrawn, not freed: pgtables_bytes unchanged
}

const vec = new Float64Array(4);

/** Pages an mmu_gather holds before it must flush (include/asm-generic/tlb.h: MAX_GATHER_BATCH, MAX_GATHER_BATCH_COUNT). */
export const GATHER_PAGES = 7 + 19 * 509;
/**
 * The current unmap operation's gather fill (one mmu_gather per munmap / exit_mmap / madvise call), as a slot
 * position over the local batch (8 slots) and MAX_GATHER_BATCH_COUNT = 19 batches of 510.
 */
export const gather = { n: 0 };
const LOCAL_SLOTS = 8, BATCH_SLOTS = 510, BATCHES = 19;

/**
 * mm/mmu_gather.c: __tlb_remove_folio_pages_size: a page takes one entry, a batch of nr > 1 pages of one folio two
 * (page + ENCODED_PAGE_BIT_NR_PAGES_NEXT); a batch counts as full at nr >= max - 1 (room for a two-entry item kept),
 * then tlb_next_batch; after the 19th batch it fails and the caller must flush. True when the gather must flush.
 */
export function gatherAdd(entries: number): boolean {
  const n = (gather.n += entries);
  const start = n <= LOCAL_SLOTS ? 0 : LOCAL_SLOTS + Math.floor((n - LOCAL_SLOTS - 1) / BATCH_SLOTS) * BATCH_SLOTS;
  const max = start === 0 ? LOCAL_SLOTS : BATCH_SLOTS;
  if (n - start < max - 1) return false;
  if (start + max >= LOCAL_SLOTS + BATCHES * BATCH_SLOTS) {
    gather.n = 0; // tlb_flush_mmu: the batches are emptied and reused
    return true;
  }
  gather.n = start + max;
  return false;
}

/** How many gatherAdd(1) calls from now only count (no next batch, no flush): zapRange's small pages add 1 each. */
function gatherRoom(): number {
  const n = gather.n + 1;
  const start = n <= LOCAL_SLOTS ? 0 : LOCAL_SLOTS + Math.floor((n - LOCAL_SLOTS - 1) / BATCH_SLOTS) * BATCH_SLOTS;
  const max = start === 0 ? LOCAL_SLOTS : BATCH_SLOTS;
  return Math.max(0, start + max - 1 - n);
}

/** A present PTE of a small page: not special, a page id, no large folio (folio_pte_batch: a batch of one). */
const smallPage = (p: Pages, fl: number, page: number): boolean => (fl & (F.PTE_PRESENT | F.PTE_SPECIAL)) === F.PTE_PRESENT && page !== 0 && p.head[page] === 0;

/**
 * zap_pte_range's loop over entries i .. i1 - 1 of t while they are none or small pages and the gather has room:
 * for each page what unmapEntry, putPage, the rss batch and gatherAdd(1) returning false do, without the calls
 * (the populating variants zap ~10M such entries each on the 3M-event bench trace). Stops at any other entry, at an
 * emptied table, or where gatherAdd would start a batch or flush (zapRange's own loop then takes that entry); returns
 * the index it stopped at.
 */
function zapSmallPages(p: Pages, t: PteTable, i: number, i1: number): number {
  let room = gatherRoom();
  if (room === 0) return i;
  const tfl = t.fl, tpage = t.page, rc = p.refcount, order = p.order;
  let free = p.free;
  let nf = p.nfree, left = t.present, anon = 0, file = 0, shmem = 0;
  for (; i < i1 && left > 0 && room > 0; i++) {
    const fl = tfl[i]!;
    if (fl === 0) continue;
    const page = tpage[i]!;
    if (!smallPage(p, fl, page)) break;
    tfl[i] = 0;
    tpage[i] = 0;
    left--;
    if (--rc[page]! <= 0 && order[page] === 0) {
      // putPage (head is 0), growing the stack when putPage would
      if (nf === free.length) {
        p.nfree = nf;
        reserveFree(p, 1);
        free = p.free;
      }
      free[nf++] = page;
    }
    if (fl & F.PTE_FILE) file++; // pteMember
    else if (fl & F.PTE_SHMEM) shmem++;
    else anon++;
    room--;
  }
  gather.n += t.present - left; // one slot per page
  t.present = left;
  p.nfree = nf;
  vec[MM_ANONPAGES]! += anon;
  vec[MM_FILEPAGES]! += file;
  vec[MM_SHMEMPAGES]! += shmem;
  return i;
}

/**
 * mm/memory.c: zap_pmd_range -> zap_pte_range / zap_huge_pmd over [start, end) of one VMA, one add_mm_rss_vec per
 * PTE-table piece. reclaim: CONFIG_PT_RECLAIM (MADV_DONTNEED's zap_details.reclaim_pt): zap_pte_range frees a table it
 * emptied when reclaim_pt_is_enabled(addr, end) for that table's own span (mm/pt_reclaim.c: end - start >= PMD_SIZE).
 * dropMarkers: unmap_vmas' ZAP_FLAG_DROP_MARKER (munmap, exit): guard markers go too; other zaps keep them.
 * tailAnon: anon pages the kernel counted in the range's last table beyond the model's PTEs (exit: the exec's argument
 * pages at the stack's top), flushed with that table's piece (alone when the model has no table there).
 */
export function zapRange(ctx: ModelCtx, mm: Mm, start: number, end: number, reclaim: boolean, dropMarkers = false, tailAnon = 0): void {
  const p = ctx.pages;
  for (let b = blockOf(start); b * F.PMD_SIZE < end; b++) {
    const slot = mm.pmds.get(b);
    if (!slot) continue;
    const bs = b * F.PMD_SIZE;
    const s = Math.max(start, bs), e = Math.min(end, bs + F.PMD_SIZE);
    if (slot.kind !== PMD_TABLE) {
      if (s === bs && e === bs + F.PMD_SIZE) {
        // mm/huge_memory.c: zap_huge_pmd: drop the folio, free the deposited table (zap_deposited_table)
        if (slot.kind === PMD_THP) {
          gatherAdd(1);
          p.refcount[slot.folio]!--;
          folioMmMap(p, slot.folio, mm.idx, -1);
          addMmCounter(ctx, mm, MM_ANONPAGES, -F.PTRS);
        }
        mm.pmds.delete(b);
        addPgtables(ctx, mm, -1);
        continue;
      }
      splitHugePmd(ctx, mm, slot); // mm/huge_memory.c: __split_huge_pmd for a partial zap
    }
    const t = slot.table!;
    if (t.refcount > 1) continue; // a shared (COW PTE) table is the patch's to break before zapping
    const i0 = pteIndex(s), i1 = (e - bs) / F.PAGE_SIZE;
    for (let i = i0; i < i1 && t.present > 0; ) {
      const fl = t.fl[i]!;
      if (fl === 0) {
        i++; // a none entry: nothing to unmap and no marker (what the batch, unmapEntry and the marker test do with it)
        continue;
      }
      if (smallPage(p, fl, t.page[i]!)) {
        const j = zapSmallPages(p, t, i, i1);
        if (j > i) {
          i = j;
          continue;
        }
      }
      // mm/memory.c: zap_present_ptes (6.9+): the PTEs of one large folio go as one batch (folio_pte_batch)
      const nr = ctx.rules.largeFolioPteBatch ? folioPteBatch(p, t, i, i1) : 1;
      let m = -1;
      for (let k = 0; k < nr; k++) m = unmapEntry(ctx, mm, t, i + k);
      const at = i; // the entry just unmapped (a marker is a batch of one)
      i += nr;
      if (m >= 0) {
        vec[m]! += nr;
        // mm/mmu_gather.c: __tlb_remove_folio_pages_size: the gather is full after 7 + 19 * 509 pages
        // (local batch of 8, MAX_GATHER_BATCH_COUNT batches of 510, each kept one short): zap_pte_range breaks,
        // flushes its rss batch (one more rss_stat per member) and goes on with the same table
        if (gatherAdd(nr > 1 ? 2 : 1)) {
          for (let k = 0; k < 4; k++) vec[k] = -vec[k]!;
          addMmRssVec(ctx, mm, vec, RSS_WALK_ZAP);
        }
      } else if (dropMarkers && t.fl[at]! & F.PTE_GUARD) {
        t.fl[at] = 0; // mm/memory.c: zap_nonpresent_ptes: a guard marker goes only if zap_drop_markers(details)
        t.present--;
      }
    }
    if (t.ghost) (vec[MM_FILEPAGES]! += t.ghost, (t.ghost = 0));
    if (tailAnon && (b + 1) * F.PMD_SIZE >= end) (vec[MM_ANONPAGES]! += tailAnon, (tailAnon = 0));
    for (let m = 0; m < 4; m++) vec[m] = -vec[m]!;
    addMmRssVec(ctx, mm, vec, RSS_WALK_ZAP);
    if (reclaim && reclaimPtIsEnabled(s, e) && t.present === 0) {
      mm.pmds.delete(b); // mm/pt_reclaim.c: try_get_and_clear_pmd + free_pte
      addPgtables(ctx, mm, -1);
    }
  }
  if (tailAnon) addMmCounter(ctx, mm, MM_ANONPAGES, -tailAnon); // the top table's piece holds only those pages
}

/** mm/pt_reclaim.c: reclaim_pt_is_enabled(start, end, details) for one zap_pte_range call: the whole table was zapped. */
function reclaimPtIsEnabled(start: number, end: number): boolean {
  return end - start >= F.PMD_SIZE;
}

/**
 * fn(block, slot) for each PMD entry of mm in blocks [b0, b1), in block order; when the range holds more blocks than
 * mm has entries (exit, a huge munmap), over a copy of the entries instead (fn may delete the entry it is given).
 */
export function forEachPmd(mm: Mm, b0: number, b1: number, fn: (b: number, slot: PmdSlot) => void): void {
  if (b1 - b0 > mm.pmds.size) {
    for (const [b, slot] of [...mm.pmds]) if (b >= b0 && b < b1) fn(b, slot);
  } else
    for (let b = b0; b < b1; b++) {
      const slot = mm.pmds.get(b);
      if (slot) fn(b, slot);
    }
}

const down = (a: number, size: number): number => Math.floor(a / size) * size;
const minus1 = (c: number): number => (c === 0 ? Infinity : c - 1); // unsigned ceiling - 1 with ceiling 0 = top

/**
 * mm/memory.c: free_pgtables -> free_pgd_range(addr, end, floor, ceiling): free the PTE, PMD and PUD tables of
 * [addr, end) that no VMA outside it can share: floor is the previous VMA's end, ceiling the next VMA's start (0 = none).
 */
export function freePgdRange(ctx: ModelCtx, mm: Mm, addr: number, end: number, floor: number, ceiling: number): void {
  addr = down(addr, F.PMD_SIZE);
  if (addr < floor) addr += F.PMD_SIZE;
  const ceilPmd = ceiling ? down(ceiling, F.PMD_SIZE) : 0;
  if (ceiling && !ceilPmd) return;
  if (end - 1 > minus1(ceilPmd)) end -= F.PMD_SIZE;
  if (addr > end - 1) return;
  let freed = 0;
  // mm/memory.c: free_pte_range for every PMD in [addr, end)
  forEachPmd(mm, blockOf(addr), Math.ceil(end / F.PMD_SIZE), (b, slot) => {
    if (slot.table && slot.table.refcount > 1) slot.table.refcount--; // a shared table loses one owner
    // its last owner's: no one else holds it unless a patch keeps tables of its own (cow-pte, mshare)
    else if (slot.table && !ctx.hooks.tablesShared) spare.push(slot.table);
    mm.pmds.delete(b);
    freed++;
  });
  // mm/memory.c: free_pmd_range frees the PMD table when [start & PUD_MASK, end) lies inside floor/ceiling
  freed += upper(addr, end, floor, ceiling, F.PUD_SIZE, mm.pmdTables);
  // mm/memory.c: free_pud_range, the same at PGDIR granularity
  freed += upper(addr, end, floor, ceiling, F.PGDIR_SIZE, mm.pudTables);
  mm.upperAt = -1; // upper tables may have gone
  if (freed) addPgtables(ctx, mm, -freed);
}

function upper(addr: number, end: number, floor: number, ceiling: number, size: number, present: Set<number>): number {
  if (!size) return 0; // a folded level has no tables
  const c = ceiling ? down(ceiling, size) : 0;
  if (ceiling && !c) return 0;
  let n = 0;
  for (const u of [...present]) {
    if (u * size + size <= addr || u * size >= end) continue;
    const next = Math.min(end, (u + 1) * size);
    if (u * size < floor) continue;
    if (next - 1 > minus1(c)) continue;
    if (present.delete(u)) n++;
  }
  return n;
}

/** The VMAs of mm that overlap [start, end), in order. */
export function vmasIn(mm: Mm, start: number, end: number): Vma[] {
  const out: Vma[] = [];
  for (const v of mm.vmas) if (v.end > start && v.start < end) out.push(v);
  return out;
}
