// Transparent huge pages at fault time (mm/huge_memory.c, include/linux/huge_mm.h): which orders a VMA allows, and the PMD
// order's fault paths (the PTE-mapped mTHP orders are allocated by memory.ts: alloc_anon_folio).
import { MM_ANONPAGES } from '../traces/events.js';
import { noteAnonRead, thpPolicyOf, zeroPageOn } from './machine.js';
import * as F from './flags.js';
import { allocAnon, folioMmMap, splitToOrder0 } from './pages.js';
import { addMmCounter, addPgtables } from './rss.js';
import { PAGE_ANON_EXCLUSIVE, PMD_HUGE_ZERO, PMD_THP, type FaultCtx, type Mm, type ModelCtx, type PmdSlot, type Vma } from './state.js';
import { splitHugePmd, unmapEntry } from './page_table.js';
import { PMD_ORDER } from './thpsize.js';

/** include/linux/mm.h: vma_is_anonymous (vm_ops == NULL). */
export function vmaIsAnonymous(vma: Vma): boolean {
  return (vma.kind & F.KIND_ANON) !== 0;
}

/** include/linux/huge_mm.h: thp_vma_suitable_order (was transhuge_vma_suitable): aligned block inside the VMA, pgoff aligned for files. */
export function thpVmaSuitableOrder(ctx: ModelCtx, vma: Vma, addr: number, order = PMD_ORDER): boolean {
  const r = ctx.hooks.thp_vma_suitable_order(ctx, vma, addr);
  if (r !== undefined) return r;
  const nr = 1 << order, size = nr * F.PAGE_SIZE;
  if (!vmaIsAnonymous(vma) && ((vma.start / F.PAGE_SIZE - vma.pgoff) % nr + nr) % nr !== 0) return false;
  const haddr = Math.floor(addr / size) * size;
  return haddr >= vma.start && haddr + size <= vma.end;
}

/** include/linux/huge_mm.h: thp_vma_suitable_orders: the orders whose aligned range around addr lies inside the VMA. */
export function thpVmaSuitableOrders(ctx: ModelCtx, vma: Vma, addr: number, orders: number): number {
  for (let o = 1; o <= PMD_ORDER; o++) if ((orders & (1 << o)) && !thpVmaSuitableOrder(ctx, vma, addr, o)) orders &= ~(1 << o);
  return orders;
}

/**
 * include/linux/huge_mm.h: thp_vma_allowable_orders (TVA_IN_PF | TVA_ENFORCE_SYSFS) for a fault: the per-size sysfs
 * masks (always; madvise with VM_HUGEPAGE; inherit following the top-level enabled), then mm/huge_memory.c:
 * __thp_vma_allowable_orders (anonymous VMAs only here: file and shmem THP not modelled; VM_NOHUGEPAGE none).
 */
export function thpVmaAllowableOrders(ctx: ModelCtx, vma: Vma, orders: number): number {
  if (!vmaIsAnonymous(vma) || (vma.flags & F.VM_SHARED)) return 0; // shmem THP follows shmem_enabled=never here
  if (vma.flags & F.VM_NOHUGEPAGE) return 0;
  if (vma.kind & F.KIND_INFERRED) return 0; // unknown VMAs: no evidence of MADV_HUGEPAGE, extent unknown
  const m = ctx.mthp;
  const hinted = (vma.flags & F.VM_HUGEPAGE) !== 0;
  let mask = m.always;
  if (hinted) mask |= m.madvise;
  const pol = thpPolicyOf(ctx.machine, ctx.spec.thp, ctx.spec.thpFromTrace); // hugepage_global_always() / hugepage_global_enabled()
  if (pol === 'always' || (hinted && pol === 'madvise')) mask |= m.inherit;
  return orders & mask;
}

/** The PMD order's thp_vma_allowable_order at fault time (__handle_mm_fault -> create_huge_pmd). */
export function thpVmaAllowableOrder(ctx: ModelCtx, vma: Vma): boolean {
  return thpVmaAllowableOrders(ctx, vma, 1 << PMD_ORDER) !== 0;
}

/** mm/huge_memory.c: do_huge_pmd_anonymous_page: huge zero folio on read (use_zero_page), else a new THP. */
export function doHugePmdAnonymousPage(ctx: ModelCtx, f: FaultCtx, block: number): void {
  const mm = f.mm;
  f.vma.anonVma = true; // vmf_anon_prepare even for a read fault
  if (!f.write && ctx.detect) noteAnonRead(ctx.machine, f.anonDelta === F.PTRS ? 1 : f.anonDelta); // (hugepage_vma_check: known VMAs only)
  if (!f.write && zeroPageOn(ctx.machine, ctx.spec.useZeroPage)) {
    // mm/huge_memory.c: set_huge_zero_folio + pgtable_trans_huge_deposit
    const slot: PmdSlot = { kind: PMD_HUGE_ZERO, table: null, folio: 0, write: false, shared: false };
    mm.pmds.set(block, slot);
    addPgtables(ctx, mm, 1);
    f.tablesAllocated++;
    f.path = 'thp_zero';
    return;
  }
  mapNewThp(ctx, mm, block, (f.vma.flags & F.VM_WRITE) !== 0);
  f.tablesAllocated++;
  f.pagesAllocated += F.PTRS;
  f.path = 'thp_alloc';
}

/** A new exclusive PMD-order anon folio, mapped once by mm (vma_alloc_anon_folio_pmd + folio_add_new_anon_rmap). */
function newThpFolio(ctx: ModelCtx, mm: Mm): number {
  const folio = allocAnon(ctx.pages, 9);
  ctx.pages.refcount[folio] = 1;
  folioMmMap(ctx.pages, folio, mm.idx, 1);
  return folio;
}

/** mm/huge_memory.c: __do_huge_pmd_anonymous_page: clear 2 MiB, deposit a table, MM_ANONPAGES += 512. */
function mapNewThp(ctx: ModelCtx, mm: Mm, block: number, write: boolean): PmdSlot {
  const folio = newThpFolio(ctx, mm);
  const slot: PmdSlot = { kind: PMD_THP, table: null, folio, write, shared: false };
  mm.pmds.set(block, slot);
  addPgtables(ctx, mm, 1); // mm_inc_nr_ptes for the deposit
  addMmCounter(ctx, mm, MM_ANONPAGES, F.PTRS);
  return slot;
}

/**
 * mm/huge_memory.c: do_huge_pmd_wp_page. Huge zero: 6.13+ do_huge_zero_wp_pmd maps a new THP, older kernels split.
 * Exclusive or sole mapping: reuse the PMD. Otherwise __split_huge_pmd and retry at PTE level (returns false).
 */
export function doHugePmdWpPage(ctx: ModelCtx, f: FaultCtx, block: number, slot: PmdSlot): boolean {
  const p = ctx.pages;
  f.path = 'thp_wp';
  if (slot.kind === PMD_HUGE_ZERO) {
    if (ctx.rules.hugeZeroWpAllocsThp) {
      // the deposited table stays deposited: no new table
      slot.kind = PMD_THP;
      slot.folio = newThpFolio(ctx, f.mm);
      slot.write = true;
      addMmCounter(ctx, f.mm, MM_ANONPAGES, F.PTRS);
      f.pagesAllocated += F.PTRS;
      return true;
    }
    splitHugePmd(ctx, f.mm, slot);
    return false;
  }
  const folio = slot.folio;
  if ((p.flags[folio]! & PAGE_ANON_EXCLUSIVE) || p.refcount[folio] === 1) {
    p.flags[folio]! |= PAGE_ANON_EXCLUSIVE; // reuse: folio_move_anon_rmap + SetPageAnonExclusive
    slot.write = true;
    return true;
  }
  if (!ctx.rules.thpCowSplits) {
    // before 5.8: copy the whole THP
    p.refcount[folio]!--;
    folioMmMap(p, folio, f.mm.idx, -1);
    slot.folio = newThpFolio(ctx, f.mm);
    slot.write = true;
    f.pagesAllocated += F.PTRS;
    return true;
  }
  splitHugePmd(ctx, f.mm, slot);
  return false;
}

/**
 * The deferred split of an underused THP mapped by one mm only (mm/huge_memory.c: deferred_split_scan -> split_folio
 * -> __split_huge_page -> remap_page(RMP_USE_SHARED_ZEROPAGE)): the PMD becomes a PTE table (the deposited one:
 * __split_huge_pmd_locked, VmPTE unchanged), the folio becomes order-0 pages, and each subpage zero(i) calls
 * zero-filled maps the shared zero page (mm/migrate.c: remove_migration_pte -> try_to_map_unused_to_zeropage:
 * pte_mkspecial(my_zero_pfn), read-only, no RSS) and is freed. Returns the subpages remapped; the caller counts them
 * (dec_mm_counter, one rss_stat each). Checked on this machine (pvm_no_zero_page=1): after the split a read of such a
 * subpage took no fault and a write took one each, so the zero page is mapped there even though read faults get none.
 */
export function splitUnderusedThp(ctx: ModelCtx, mm: Mm, slot: PmdSlot, zero: (i: number) => boolean): number {
  const p = ctx.pages;
  const folio = slot.folio;
  const t = splitHugePmd(ctx, mm, slot);
  splitToOrder0(p, folio); // __split_huge_page
  let freed = 0;
  for (let i = 0; i < F.PTRS; i++) {
    if (!zero(i)) continue;
    if (unmapEntry(ctx, mm, t, i) >= 0) freed++;
    t.fl[i] = F.PTE_PRESENT | F.PTE_ZERO;
    t.page[i] = 0;
    t.present++;
  }
  return freed;
}
