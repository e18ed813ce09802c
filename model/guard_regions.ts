// Guard regions (mainline since 6.13): madvise(MADV_GUARD_INSTALL / MADV_GUARD_REMOVE) put and clear PTE markers
// that SIGSEGV on access, in place of a PROT_NONE VMA per guard page (mm/madvise.c, Lorenzo Stoakes, "implement
// lightweight guard pages", v4 2024-10, merged v6.13-rc1). Page-table cost: the markers live in PTE tables, so
// installing over untouched memory allocates tables (VmPTE) but no RSS; MADV_DONTNEED keeps them, munmap/exit drop them.
import * as F from './flags.js';
import { allocUpper, blockOf, gather, pteAlloc, pteIndex, vmasIn, zapRange } from './page_table.js';
import { PMD_TABLE, type Mm, type ModelCtx, type PteTable, type Vma } from './state.js';

/** The entry is a guard marker (include/linux/swapops.h: is_guard_swp_entry): non-present, not none. */
export const isGuardMarker = (fl: number): boolean => (fl & F.PTE_GUARD) !== 0;

/** mm/madvise.c: is_valid_guard_vma: no VM_SPECIAL/VM_HUGETLB (nor VM_LOCKED to install); anonymous and VM_MAYWRITE before 6.15. */
function validGuardVma(ctx: ModelCtx, v: Vma, allowLocked: boolean): boolean {
  if (v.flags & (F.VM_PFNMAP | F.VM_MIXEDMAP)) return false; // VM_SPECIAL as the model knows it
  if (!allowLocked && (v.flags & F.VM_LOCKED)) return false;
  // 6.15 ("mm: allow guard regions in file-backed and read-only mappings") dropped the anonymous and VM_MAYWRITE test
  if (!ctx.rules.guardRegionsAnyVma) return (v.kind & F.KIND_ANON) !== 0 && (v.kind & F.KIND_SHMEM) === 0 && (v.flags & F.VM_MAYWRITE) !== 0;
  return true;
}

/** The table of block b ready for markers: a PMD-mapped folio was zapped or split by the caller's zap first. */
function tableFor(ctx: ModelCtx, mm: Mm, b: number): PteTable {
  allocUpper(ctx, mm, b * F.PMD_SIZE); // mm/pagewalk.c: walk_pud_range / walk_pmd_range allocate with ops->install_pte
  const slot = mm.pmds.get(b);
  if (slot && slot.kind === PMD_TABLE && slot.table) return slot.table;
  return pteAlloc(ctx, mm, b).table!; // mm/pagewalk.c: walk_pte_range -> pte_alloc (__pte_alloc: mm_inc_nr_ptes)
}

/**
 * mm/madvise.c: madvise_guard_install over [start, end) of each VMA: anon_vma_prepare, then walk_page_range_mm with
 * guard_install_walk_ops; any populated entry (or PMD-mapped THP) makes it zap_page_range_single(details NULL: no
 * PT_RECLAIM) and walk again, so pages there are freed (RSS falls) and every entry becomes a marker (guard_install_set_pte).
 */
export function guardInstall(ctx: ModelCtx, mm: Mm, start: number, end: number): void {
  if (!ctx.rules.guardRegions) return; // -EINVAL before 6.13
  for (const v of vmasIn(mm, start, end)) {
    if (!validGuardVma(ctx, v, false)) continue;
    v.anonVma = true; // "This ensures that on fork, we copy page tables correctly"
    const s = Math.max(start, v.start), e = Math.min(end, v.end);
    if (hasNonGuard(mm, s, e)) {
      gather.n = 0;
      zapRange(ctx, mm, s, e, false); // existing guard markers stay (zap_pte_range: !zap_drop_markers)
    }
    for (let b = blockOf(s); b * F.PMD_SIZE < e; b++) {
      const t = tableFor(ctx, mm, b);
      const bs = b * F.PMD_SIZE;
      const i1 = (Math.min(e, bs + F.PMD_SIZE) - bs) / F.PAGE_SIZE;
      for (let i = pteIndex(Math.max(s, bs)); i < i1; i++) {
        if (t.fl[i]! & F.PTE_GUARD) continue;
        t.fl[i] = F.PTE_GUARD; // make_pte_marker(PTE_MARKER_GUARD): no page, no RSS
        t.page[i] = 0;
        t.present++;
      }
    }
  }
}

/** mm/madvise.c: guard_install_pte_entry / pmd_entry: any entry that is neither none nor a marker, or a huge PMD, forces the zap. */
function hasNonGuard(mm: Mm, s: number, e: number): boolean {
  for (let b = blockOf(s); b * F.PMD_SIZE < e; b++) {
    const slot = mm.pmds.get(b);
    if (!slot) continue;
    if (slot.kind !== PMD_TABLE) return true;
    const t = slot.table!;
    const bs = b * F.PMD_SIZE;
    const i1 = (Math.min(e, bs + F.PMD_SIZE) - bs) / F.PAGE_SIZE;
    for (let i = pteIndex(Math.max(s, bs)); i < i1; i++) if (t.fl[i]! & F.PTE_PRESENT) return true;
  }
  return false;
}

/** mm/madvise.c: madvise_guard_remove -> guard_remove_pte_entry: clear the markers (pte_clear_not_present_full); tables stay. */
export function guardRemove(ctx: ModelCtx, mm: Mm, start: number, end: number): void {
  if (!ctx.rules.guardRegions) return;
  for (const v of vmasIn(mm, start, end)) {
    if (!validGuardVma(ctx, v, true)) continue;
    const s = Math.max(start, v.start), e = Math.min(end, v.end);
    for (let b = blockOf(s); b * F.PMD_SIZE < e; b++) {
      const slot = mm.pmds.get(b);
      if (!slot || slot.kind !== PMD_TABLE || !slot.table) continue; // guard_remove_pmd_entry: huge, no markers
      const t = slot.table, bs = b * F.PMD_SIZE;
      const i1 = (Math.min(e, bs + F.PMD_SIZE) - bs) / F.PAGE_SIZE;
      for (let i = pteIndex(Math.max(s, bs)); i < i1; i++)
        if (t.fl[i]! & F.PTE_GUARD) {
          t.fl[i] = 0;
          t.present--;
        }
    }
  }
}
