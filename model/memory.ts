// The fault paths of mm/memory.c: __handle_mm_fault -> handle_pte_fault -> do_anonymous_page / do_fault / do_wp_page.
import { MM_ANONPAGES, MM_FILEPAGES, MM_SHMEMPAGES } from '../traces/events.js';
import { noteAnonRead, noteMthpOrder, noteThpFault, thpPolicyOf, zeroPageOn } from './machine.js';
import * as F from './flags.js';
import { allocAnon, allocMapAnonRun, subpages, wpCanReuseLargeAnonFolio } from './pages.js';
import { PMD_ORDER } from './thpsize.js';
import { addMmCounter, addMmCounterPages } from './rss.js';
import { allocUpper, blockOf, mapAnon, pteAlloc, pteIndex, unmapEntry } from './page_table.js';
import { findVma, firstAbove, widenInferred } from './mm.js';
import { doHugePmdAnonymousPage, doHugePmdWpPage, thpVmaAllowableOrder, thpVmaAllowableOrders, thpVmaSuitableOrder, thpVmaSuitableOrders, vmaIsAnonymous } from './huge_memory.js';
import { PAGE_ANON, PAGE_ANON_EXCLUSIVE, PMD_TABLE, type FaultCtx, type Mm, type ModelCtx, type PteTable, type Vma } from './state.js';

/** include/linux/pgtable.h: is_zero_pfn (refpage extends it to is_zero_or_refpage_pfn): the entry maps a shared special page. */
export function isZeroPfn(ctx: ModelCtx, fl: number): boolean {
  return ctx.hooks.is_zero_pfn(ctx, fl);
}

/**
 * Whether a write fault on a none PTE of vma, in a PTE table already there with its upper tables, is exactly
 * __handle_mm_fault -> do_anonymous_page's order-0 write half (mapNewAnonPage, path anon_alloc): no patch hooks the way
 * there, an anonymous private writable VMA, no mTHP order allowed (alloc_anon_folio then allocates one page). Bulk
 * writers (memset's user writes, GUP populate) map such runs without the per-fault dispatch: same effects, same order.
 */
export function plainAnonWrites(ctx: ModelCtx, vma: Vma): boolean {
  return !ctx.hooks.faultHooked && vmaIsAnonymous(vma) && (vma.flags & (F.VM_WRITE | F.VM_SHARED)) === F.VM_WRITE &&
    (!ctx.rules.mthp || (vma.flags & F.VM_UFFD_WP) !== 0 || thpVmaAllowableOrders(ctx, vma, (1 << PMD_ORDER) - 4) === 0);
}

/** mm/memory.c: __handle_mm_fault. f.vma is the VMA containing f.address and access is already allowed. */
export function handleMmFault(ctx: ModelCtx, f: FaultCtx): void {
  const mm = f.mm;
  const vma = f.vma;
  ctx.hooks.handle_mm_fault(ctx, f);
  if (f.write) {
    const copied = ctx.hooks.break_cow_pte(ctx, mm, f.address, f.address + 1, 'fault'); // a copy allocates the new table
    f.tablesAllocated += copied;
    f.tablesCopied += copied;
  }
  f.tablesAllocated += allocUpper(ctx, mm, f.address); // p4d_alloc (folded), pud_alloc, pmd_alloc
  const block = blockOf(f.address);
  let slot = mm.pmds.get(block);
  if (!slot && ctx.detect && f.anonDelta > 0) noteThpEvidence(ctx, f);
  if (!slot && thpVmaAllowableOrder(ctx, vma) && thpVmaSuitableOrder(ctx, vma, f.address)) {
    doHugePmdAnonymousPage(ctx, f, block); // mm/memory.c: create_huge_pmd
    return;
  }
  if (slot && slot.kind !== PMD_TABLE) {
    if (f.write && !slot.write) {
      if (doHugePmdWpPage(ctx, f, block, slot)) return; // mm/memory.c: wp_huge_pmd
    } else {
      f.path = 'spurious'; // mm/huge_memory.c: huge_pmd_set_accessed
      return;
    }
  }
  if (!slot) slot = ctx.hooks.pmd_install(ctx, f, block); // a table shared with another mm (mshare), or none
  if (!slot) {
    slot = pteAlloc(ctx, mm, block); // mm/memory.c: do_anonymous_page / do_fault -> pte_alloc
    f.tablesAllocated++;
  }
  const t = slot.table!;
  ctx.hooks.handle_pte_fault(ctx, f, t, false); // shared page tables (mshare) join or sync the table here
  const i = pteIndex(f.address);
  handlePteFault(ctx, f, t, i);
  if (f.traced && t.fl[i]! & F.PTE_PRESENT) t.fl[i]! |= F.PTE_TRACED;
  ctx.hooks.handle_pte_fault(ctx, f, t, true); // ... and publish what the fault mapped
}

/**
 * The THP policy evidence of a fault on an empty 2 MiB block (machine.ts: noteThpFault): a known private anonymous
 * VMA the PMD order fits (thp_vma_suitable_order), not VM_NOHUGEPAGE, not userfaultfd-armed, whose own rss_stat rose.
 */
function noteThpEvidence(ctx: ModelCtx, f: FaultCtx): void {
  const vma = f.vma;
  if (!vmaIsAnonymous(vma) || (vma.kind & F.KIND_INFERRED) || (vma.flags & (F.VM_SHARED | F.VM_NOHUGEPAGE | F.VM_UFFD_WP))) return;
  if (!thpVmaSuitableOrder(ctx, vma, f.address)) return;
  noteThpFault(ctx.machine, (vma.flags & F.VM_HUGEPAGE) !== 0, f.anonDelta);
}

/**
 * The kernel's PTE at i as the fault's error code and its own rss_stat prove it (arch/x86/mm/fault.c: X86_PF_PROT set
 * iff the PTE was present), where the model's guess of the state before the trace differs; returns the entry's flags.
 */
function kernelPte(ctx: ModelCtx, f: FaultCtx, t: PteTable, i: number): number {
  const fl = t.fl[i]!;
  if (f.kernelNone && (fl & (F.PTE_PRESENT | F.PTE_TRACED)) === (F.PTE_PRESENT | F.PTE_TRACED) && vmaIsAnonymous(f.vma)) {
    // no X86_PF_PROT, and the fault's own rss_stat rose: the kernel's PTE was none, so the page a traced fault saw
    // here left by a call the trace does not show (munmap, MADV_DONTNEED, mremap's move_ptes): still counted (the
    // kernel's counters showed any fall), its place unknown (phantom, leaves at exit_mmap)
    const m = unmapEntry(ctx, f.mm, t, i);
    if (m >= 0) f.mm.phantom[m]! += 1;
    f.leftUnseen = true;
    return 0;
  }
  if (f.kernelNone && (fl & (F.PTE_PRESENT | F.PTE_TRACED | F.PTE_WRITE | F.PTE_FILE | F.PTE_SHMEM)) === (F.PTE_PRESENT | F.PTE_FILE)) {
    // no X86_PF_PROT and an anon rise or a read's fault-around of 0: the kernel's PTE was none, so the untouched
    // page-cache page the model's fault-around put here is the kernel's somewhere else in that run (mm/memory.c
    // do_fault_around): counted, unplaced
    t.fl[i] = 0;
    t.page[i] = 0;
    t.present--;
    t.ghost++;
    return 0;
  }
  // X86_PF_PROT, the kernel's PTE was present: a page-cache page the model's fault-around put elsewhere
  if (f.kernelFile && fl === 0 && ((f.vma.kind & F.KIND_INFERRED) || !vmaIsAnonymous(f.vma)) && moveFaultAroundPage(f, t, i)) return t.fl[i]!;
  return fl;
}

/** mm/memory.c: handle_pte_fault. */
function handlePteFault(ctx: ModelCtx, f: FaultCtx, t: PteTable, i: number): void {
  const fl = f.kernelNone || f.kernelFile ? kernelPte(ctx, f, t, i) : t.fl[i]!;
  if (fl & F.PTE_GUARD) {
    f.path = 'segv'; // mm/memory.c: do_swap_page -> handle_pte_marker: PTE_MARKER_GUARD -> VM_FAULT_SIGSEGV
    return;
  }
  if (!(fl & F.PTE_PRESENT)) {
    // mm/memory.c: do_pte_missing
    if (vmaIsAnonymous(f.vma)) doAnonymousPage(ctx, f, t, i);
    else doFault(ctx, f, t, i);
    return;
  }
  if (f.write && !(fl & F.PTE_WRITE)) {
    doWpPage(ctx, f, t, i);
    return;
  }
  if (f.fileHint > 0 && !f.write && (fl & (F.PTE_FILE | F.PTE_SHMEM))) {
    // the kernel mapped pages here that the model's fault-around guess had placed elsewhere: the trace wins
    doReadFault(ctx, f, t, i, fl & ~F.PTE_WRITE, fl & F.PTE_SHMEM ? MM_SHMEMPAGES : MM_FILEPAGES);
    return;
  }
  f.path = 'spurious'; // only the accessed/dirty bits change
}

/** mm/memory.c: do_anonymous_page: zero-page PTE on read, a new exclusive zeroed page on write. */
export function doAnonymousPage(ctx: ModelCtx, f: FaultCtx, t: PteTable, i: number): void {
  if (ctx.hooks.do_anonymous_page(ctx, f, t, i)) return;
  if (f.vma.flags & F.VM_SHARED) {
    f.path = 'segv'; // VM_SHARED anonymous is shmem and never gets here: SIGBUS
    return;
  }
  // (in a VMA the model inferred, only a rise is evidence: no counter change there may be a page the model misplaced)
  if (!f.write && ctx.detect && (!(f.vma.kind & F.KIND_INFERRED) || f.anonDelta > 0)) noteAnonRead(ctx.machine, f.anonDelta);
  if (!f.write && zeroPageOn(ctx.machine, ctx.spec.useZeroPage)) {
    // pte_mkspecial(zero pfn): no anon_vma, no RSS, read-only
    t.fl[i] = F.PTE_PRESENT | F.PTE_ZERO;
    t.page[i] = 0;
    t.present++;
    f.path = 'anon_zero_page';
    return;
  }
  const order = allocAnonFolio(ctx, f, t, i);
  if (order === 0) {
    mapNewAnonPage(ctx, f, t, i, (f.vma.flags & F.VM_WRITE) !== 0);
    f.path = 'anon_alloc';
    return;
  }
  mapNewAnonFolio(ctx, f, t, i, order, (f.vma.flags & F.VM_WRITE) !== 0);
  f.path = 'mthp_alloc';
}

/** mm/memory.c: pte_range_none: entries [i, i + nr) of t are all none. */
function pteRangeNone(t: PteTable, i: number, nr: number): boolean {
  for (let k = i; k < i + nr; k++) if (t.fl[k] !== 0) return false;
  return true;
}

/**
 * mm/memory.c: alloc_anon_folio: the order do_anonymous_page allocates. Of the orders below PMD_ORDER that
 * thp_vma_allowable_orders enables and thp_vma_suitable_orders fits inside the VMA, the highest whose naturally
 * aligned range is all pte_none, falling back order by order; 0 (folio_prealloc, one page) when none is left or the
 * VMA is userfaultfd-armed. Allocation itself never fails here (no memcg charge or fragmentation fallback modelled).
 */
function allocAnonFolio(ctx: ModelCtx, f: FaultCtx, t: PteTable, i: number): number {
  if (!ctx.rules.mthp || (f.vma.flags & F.VM_UFFD_WP)) return 0; // userfaultfd_armed: per-page fault fidelity
  const hinted = hintOrder(f.anonHint);
  if (hinted > 0 && ctx.detect && !(f.vma.kind & F.KIND_INFERRED)) noteMthpOrder(ctx.machine, (f.vma.flags & F.VM_HUGEPAGE) !== 0, hinted);
  if (ctx.mthp.learn && hinted > 0) learnOrder(ctx, f, hinted);
  if (f.vma.kind & F.KIND_INFERRED) {
    // a VMA the trace never showed (exec-loaded, or older than the trace): its extent is unknown, so the kernel's own
    // +nr for this fault says whether its VMA held the aligned range; taken where this variant enables that order
    // for a VMA without VM_HUGEPAGE (or the settings are being learnt)
    const m = ctx.mthp, bit = 1 << hinted;
    const enabled = ctx.mthp.learn || ((m.always | (thpPolicyOf(ctx.machine, ctx.spec.thp, ctx.spec.thpFromTrace) === 'always' ? m.inherit : 0)) & bit) !== 0;
    return hinted > 0 && enabled && pteRangeNone(t, i & ~((1 << hinted) - 1), 1 << hinted) ? hinted : 0;
  }
  const orders = thpVmaSuitableOrders(ctx, f.vma, f.address, thpVmaAllowableOrders(ctx, f.vma, (1 << PMD_ORDER) - 4));
  for (let order = PMD_ORDER - 1; order >= 2; order--) {
    if (!(orders & (1 << order))) continue;
    const nr = 1 << order;
    if (pteRangeNone(t, i & ~(nr - 1), nr)) return order;
  }
  return 0;
}

/** The mTHP order of an anon +nr the kernel counted for one fault (nr = 4 ... 256, a power of two), else 0. */
function hintOrder(nr: number): number {
  const k = nr > 1 ? Math.log2(nr) : 0;
  return Number.isInteger(k) && k >= 2 && k < PMD_ORDER ? k : 0;
}

/**
 * The machine's per-size settings are not known (no --base-mthp): the kernel's own rss_stat for this fault said +nr,
 * so order k = log2(nr) is enabled for VMAs like this one (madvise with VM_HUGEPAGE, else always).
 */
function learnOrder(ctx: ModelCtx, f: FaultCtx, k: number): void {
  const vma = f.vma, bit = 1 << k, m = ctx.mthp;
  if (vma.kind & F.KIND_INFERRED) return; // no VMA flags to learn from
  if (!vmaIsAnonymous(vma) || (vma.flags & (F.VM_NOHUGEPAGE | F.VM_SHARED))) return; // the kernel would not: not an mTHP
  if (thpVmaAllowableOrders(ctx, vma, bit)) return;
  if (vma.flags & F.VM_HUGEPAGE) m.madvise |= bit;
  else m.always |= bit;
}

/**
 * mm/memory.c: do_anonymous_page with an order > 0 folio: nr = 1 << order PTEs from the aligned address, one
 * folio_add_new_anon_rmap (every subpage PageAnonExclusive), one add_mm_counter(MM_ANONPAGES, nr): one rss_stat of +nr,
 * then set_ptes.
 */
function mapNewAnonFolio(ctx: ModelCtx, f: FaultCtx, t: PteTable, i: number, order: number, writable: boolean): void {
  f.vma.anonVma = true; // vmf_anon_prepare
  const nr = 1 << order, i0 = i & ~(nr - 1);
  if ((f.vma.kind & F.KIND_INFERRED) && f.vma.carved !== true) {
    const base = Math.floor(f.address / F.PMD_SIZE) * F.PMD_SIZE;
    widenInferred(f.mm, f.vma, base + i0 * F.PAGE_SIZE, base + (i0 + nr) * F.PAGE_SIZE); // the kernel's VMA held the whole range
  }
  const p = ctx.pages;
  const folio = allocAnon(p, order);
  const first = subpages(p, folio, nr);
  for (let k = 0; k < nr; k++) {
    p.flags[first + k] = PAGE_ANON | PAGE_ANON_EXCLUSIVE;
    mapAnon(ctx, f.mm, t, i0 + k, first + k, writable);
  }
  addMmCounter(ctx, f.mm, MM_ANONPAGES, nr);
  f.pagesAllocated += nr;
}

/**
 * A fresh exclusive anon page at the none entry i (do_anonymous_page's write half, do_cow_fault): vmf_anon_prepare,
 * allocation, rmap, MM_ANONPAGES + 1 (one rss_stat). The PTE is writable when writable is true.
 */
export function mapNewAnonPage(ctx: ModelCtx, f: FaultCtx, t: PteTable, i: number, writable: boolean): void {
  f.vma.anonVma = true; // vmf_anon_prepare
  const page = allocAnon(ctx.pages, 0);
  mapAnon(ctx, f.mm, t, i, page, writable);
  addMmCounter(ctx, f.mm, MM_ANONPAGES, 1);
  f.pagesAllocated++;
}

/**
 * k calls of mapNewAnonPage at the none entries i .. i + k - 1 of t (a populate's or memset's run of write faults, one
 * table): the same pages in the same order, and the k MM_ANONPAGES + 1 updates as rss.ts addMmCounterPages makes them.
 */
export function mapNewAnonPages(ctx: ModelCtx, f: FaultCtx, t: PteTable, i: number, k: number, writable: boolean): void {
  f.vma.anonVma = true; // vmf_anon_prepare
  allocMapAnonRun(ctx.pages, t.page, t.fl, i, k, F.PTE_PRESENT | (writable ? F.PTE_WRITE : 0)); // k x mapAnon(allocAnon(0))
  t.present += k;
  addMmCounterPages(ctx, f.mm, MM_ANONPAGES, k);
  f.pagesAllocated += k;
}

/** mm/memory.c: do_fault: do_read_fault / do_cow_fault / do_shared_fault. */
function doFault(ctx: ModelCtx, f: FaultCtx, t: PteTable, i: number): void {
  const shared = (f.vma.flags & F.VM_SHARED) !== 0;
  const member = f.vma.kind & F.KIND_SHMEM ? MM_SHMEMPAGES : MM_FILEPAGES;
  const pfl = F.PTE_PRESENT | (member === MM_SHMEMPAGES ? F.PTE_SHMEM : F.PTE_FILE);
  if (!f.write) {
    doReadFault(ctx, f, t, i, pfl, member);
    return;
  }
  if (!shared) {
    // mm/memory.c: do_cow_fault: a new anon page copied from the file page
    mapNewAnonPage(ctx, f, t, i, true);
    f.path = 'file_cow';
    return;
  }
  // mm/memory.c: do_shared_fault: map the page-cache page writable
  t.fl[i] = pfl | F.PTE_WRITE;
  t.present++;
  addMmCounter(ctx, f.mm, member, 1);
  f.pagesAllocated++;
  f.path = 'file_shared';
}

/**
 * mm/memory.c: do_read_fault -> do_fault_around (fault_around_bytes 64 KiB: 16 PTEs at 4 KiB, clipped to the VMA and the
 * PTE table) -> filemap_map_pages maps the page-cache pages already there; f.fileHint (from the trace) says how many.
 * 0: none, the faulting page not ready either: __do_fault + finish_fault map it, counted by the fault's second update
 * (its PTE is placed here, its count then: fault_entry.ts noteFileRead, rss_stat.ts).
 */
function doReadFault(ctx: ModelCtx, f: FaultCtx, t: PteTable, i: number, pfl: number, member: number): void {
  const vma = f.vma;
  const addrPage = Math.floor(f.address / F.PAGE_SIZE);
  const blockFirst = addrPage - i;
  const inferred = (vma.kind & F.KIND_INFERRED) !== 0; // extent unknown: clip to the table and the neighbours
  // do_fault_around clips the window to the fault's VMA; VMAs never overlap, so an inferred VMA's window ends where
  // the VMAs around it begin (e.g. ld.so's one-page r-- segment below its text: the kernel mapped only the text's part)
  let floor = 0, ceil = Infinity;
  if (inferred && !vma.carved) {
    const k = firstAbove(f.mm, vma.start);
    const prev = f.mm.vmas[k - 1], next = f.mm.vmas[k + 1];
    if (prev) floor = prev.end / F.PAGE_SIZE;
    if (next) ceil = next.start / F.PAGE_SIZE;
  }
  const lo = Math.max(blockFirst, inferred ? floor : vma.start / F.PAGE_SIZE, addrPage - (i % F.FAULT_AROUND_PAGES));
  const hi = Math.min(blockFirst + F.PTRS, inferred ? ceil : vma.end / F.PAGE_SIZE, addrPage - (i % F.FAULT_AROUND_PAGES) + F.FAULT_AROUND_PAGES);
  let want = f.fileHint >= 0 ? f.fileHint : hi - lo;
  let mapped = 0;
  let minJ = i, maxJ = i;
  const map = (j: number): void => {
    if (t.fl[j]! & F.PTE_PRESENT) return;
    if (j < minJ) minJ = j;
    if (j > maxJ) maxJ = j;
    t.fl[j] = pfl;
    t.page[j] = 0;
    t.present++;
    mapped++;
  };
  map(i);
  // fewer pages than the window: the kernel's VMA cut the window (a hot library's page cache is complete). When a
  // known neighbour cut its top, the fault's VMA ends there and the run is the window's top (ELF segments are contiguous)
  const from = inferred && hi === ceil && hi - lo > want ? Math.max(lo, Math.min(hi - want, addrPage)) : lo;
  for (let p = from; p < hi && mapped < want; p++) map(p - blockFirst);
  // the trace saw more pages than the window (a larger folio): extend within the table and VMA
  for (let j = i + 1; j < F.PTRS && mapped < want && (inferred ? blockFirst + j < ceil : (blockFirst + j) * F.PAGE_SIZE < vma.end); j++) map(j);
  if (mapped < want) t.ghost += want - mapped; // counted by the kernel, entries unknown
  if (inferred && (minJ < i || maxJ > i)) widenInferred(f.mm, vma, (blockFirst + minJ) * F.PAGE_SIZE, (blockFirst + maxJ + 1) * F.PAGE_SIZE);
  addMmCounter(ctx, f.mm, member, want);
  f.pagesAllocated += want;
  f.path = 'file_read';
}

/**
 * The kernel's PTE at i was a present page-cache page (kernelFile) where the model has none: an earlier fault-around
 * run was placed at the wrong offset (mm/memory.c do_fault_around starts its window at the VMA's start when that lies
 * inside the aligned 16 pages, and an extent the trace never showed is the model's guess). One page of that run moves
 * here: the farthest untouched page-cache entry of this VMA within the window's reach (else one counted but unplaced),
 * so the counters stay and wp_page_copy moves it to anon. False when the model holds no such page.
 */
function moveFaultAroundPage(f: FaultCtx, t: PteTable, i: number): boolean {
  const vma = f.vma;
  const blockFirst = Math.floor(f.address / F.PAGE_SIZE) - i;
  // the run's VMA: this one, or where this one is inferred (its extent and kind are guesses), an inferred neighbour
  const sameVma = (a: number): boolean => (a >= vma.start && a < vma.end) || ((vma.kind & F.KIND_INFERRED) !== 0 && ((findVma(f.mm, a)?.kind ?? 0) & F.KIND_INFERRED) !== 0);
  let from = -1;
  for (let d = F.FAULT_AROUND_PAGES - 1; d > 0 && from < 0; d--) {
    for (const j of [i - d, i + d]) {
      if (j < 0 || j >= F.PTRS || !sameVma((blockFirst + j) * F.PAGE_SIZE)) continue;
      // (a page a traced fault met, or one written, is the kernel's too: only fault-around's untouched guesses move)
      if ((t.fl[j]! & (F.PTE_PRESENT | F.PTE_TRACED | F.PTE_WRITE | F.PTE_SHMEM | F.PTE_FILE)) === (F.PTE_PRESENT | F.PTE_FILE)) {
        from = j;
        break;
      }
    }
  }
  if (from >= 0) {
    t.fl[from] = 0;
    t.page[from] = 0;
  } else if (t.ghost > 0) (t.ghost--, t.present++);
  else return false;
  t.fl[i] = F.PTE_PRESENT | F.PTE_FILE;
  t.page[i] = 0;
  return true;
}

/** mm/memory.c: do_wp_page: shared -> wp_page_shared; exclusive / sole anon page -> wp_page_reuse; else wp_page_copy. */
export function doWpPage(ctx: ModelCtx, f: FaultCtx, t: PteTable, i: number): void {
  const fl = t.fl[i]!;
  if (f.vma.flags & F.VM_SHARED) {
    t.fl[i] = fl | F.PTE_WRITE; // mm/memory.c: wp_page_shared / wp_pfn_shared
    f.path = 'wp_page_reuse';
    return;
  }
  if (isZeroPfn(ctx, fl) || (fl & F.PTE_SPECIAL) || (fl & (F.PTE_FILE | F.PTE_SHMEM))) {
    wpPageCopy(ctx, f, t, i); // vm_normal_page NULL (special) or a page-cache page: copy
    return;
  }
  const p = ctx.pages;
  const page = t.page[i]!;
  const head = p.head[page]!;
  let reuse = (p.flags[page]! & PAGE_ANON_EXCLUSIVE) !== 0;
  if (!reuse) {
    if (head === 0) reuse = p.refcount[page] === 1; // mm/memory.c: wp_can_reuse_anon_folio (small folio)
    else reuse = ctx.rules.largeFolioReuse && wpCanReuseLargeAnonFolio(p, head, f.mm.idx);
  }
  if (reuse) {
    // mm/memory.c: wp_page_reuse (after folio_move_anon_rmap + SetPageAnonExclusive)
    p.flags[page]! |= PAGE_ANON_EXCLUSIVE;
    t.fl[i] = fl | F.PTE_WRITE;
    if (f.path === '') f.path = 'wp_page_reuse';
    return;
  }
  wpPageCopy(ctx, f, t, i);
}

/** mm/memory.c: wp_page_copy: a new exclusive anon page (zeroed from the zero pfn, else copied); file -> anon moves counters. */
export function wpPageCopy(ctx: ModelCtx, f: FaultCtx, t: PteTable, i: number): void {
  if (ctx.hooks.wp_page_copy(ctx, f, t, i)) return;
  const pfnIsZero = isZeroPfn(ctx, t.fl[i]!); // folio_prealloc(..., pfn_is_zero): a zeroed page, no __wp_page_copy_user
  f.vma.anonVma = true; // vmf_anon_prepare
  const old = unmapEntry(ctx, f.mm, t, i);
  if (old === MM_FILEPAGES || old === MM_SHMEMPAGES) addMmCounter(ctx, f.mm, old, -1); // !folio_test_anon(old): dec file counter, inc anon
  const page = allocAnon(ctx.pages, 0);
  mapAnon(ctx, f.mm, t, i, page, true);
  if (old !== MM_ANONPAGES) addMmCounter(ctx, f.mm, MM_ANONPAGES, 1); // from the zero pfn / a special page / a file page: +1 anon
  f.pagesAllocated++;
  if (f.path === '') f.path = pfnIsZero ? 'wp_page_copy_zero' : 'wp_page_copy';
}

/** A fresh fault context (reused by the replay for every fault). */
export function newFaultCtx(mm: Mm): FaultCtx {
  return { mm, vma: null as never, address: 0, write: false, inferred: false, path: '', pagesAllocated: 0, tablesAllocated: 0, tablesCopied: 0, fileHint: -1, anonHint: -1, anonDelta: -1, traced: false, kernelNone: false, kernelFile: false, leftUnseen: false };
}
