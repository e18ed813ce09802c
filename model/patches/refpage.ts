// refpage: Peter Collingbourne's reference pages ("[PATCH v3] mm: introduce reference pages", refpage_create v2-v5,
// 2020-2021, never merged; seeds 000 and 002, model/README.md: Reference pages). In a selected VMA the clean pages are backed by the
// VMA's reference page instead of the zero page.
// Kernel functions it changes (and the hooks here):
//   mm/memory.c: do_anonymous_page   read -> map the refpage pfn as a special read-only PTE (no anon_vma, no RSS);
//                                    write-first -> allocate and fill from the pattern (copy_refpage), +1 anon
//   mm/memory.c: wp_page_copy        COW from a refpage PTE fills from the pattern instead of zeroing, +1 anon
//   include/linux/mm.h: is_zero_or_refpage_pfn (v2-v4) / is_refpage_pfn in vm_normal_page (v5): the refpage is
//                                    treated like the zero page (no rmap, no RSS, copied verbatim at fork)
//   include/linux/huge_mm.h: transhuge_vma_suitable (v3+; thp_vma_suitable_order since 6.8) false for refpage
//                                    VMAs: no THP, no huge zero page, no mTHP
// Fork needs no hook: copy_present_ptes copies special PTEs verbatim, and a VMA only read has no anon_vma.
import * as F from '../flags.js';
import type { Patch } from './patch.js';
import { mapNewAnon, mapSpecial, selected } from './common.js';

export const refpage: Patch<'refpage_read' | 'refpage_fill' | 'refpage_copy'> = {
  name: 'refpage',
  description: 'reference pages: reads in selected VMAs map a per-VMA pattern page (no RSS), writes copy it; no THP there',
  status: {
    kind: 'abandoned',
    why: 'never merged; the last posting in the seeds is refpage_create v5 (2021-07-17), where review asked whether a reference page and its COW are needed at all (seed 000); the MAP_REFPAGE review (seed 001) had asked for a special fd instead of core-mm changes',
  },
  source: 'Peter Collingbourne, "[PATCH v3] mm: introduce reference pages" (refpage_create v2-v5, 2020-21); seeds 000, 002',
  reproduces:
    'Pixel 4 PDFium max RSS (seed 002): anon 107088, memset 112180, refpage 107128 KiB, as a shape on pattern_init (refpage within a few pages of anon, memset above by the untouched arena; model/patches/fixtures_pattern.test.ts); the real-time column only as signs of the modelled fault time',
  paths: {
    // refpage v5: a special read-only PTE instead of the zero pfn, priced as the zero-page read
    refpage_read: { kernel: 'mm/memory.c: do_anonymous_page (refpage v5, read: the refpage pfn)', trap: true, steps: ['anon_zero_page'] },
    // refpage v3: an unzeroed alloc then copy_refpage
    refpage_fill: { kernel: 'mm/memory.c: do_anonymous_page (refpage v3, write: alloc + copy_refpage)', trap: true, steps: ['anon_alloc', 'page_copy_4k'] },
    refpage_copy: { kernel: 'mm/memory.c: wp_page_copy from a refpage PTE (alloc + a copy of the refpage)', trap: true, steps: ['wp_page_copy'] },
  },

  // include/linux/mm.h: is_zero_or_refpage_pfn: a refpage PTE is as special as the zero page
  is_zero_pfn(_ctx, fl) {
    return (fl & F.PTE_REFPAGE) !== 0 ? true : undefined;
  },

  // mm/memory.c: do_anonymous_page (refpage v5: the zero-page branch maps get_vma_refpage(vma) instead)
  do_anonymous_page(ctx, f, table, i) {
    if (!selected(ctx, f.vma)) return false;
    if (!f.write) {
      mapSpecial(table, i, F.PTE_REFPAGE); // pte_mkspecial(refpage pfn): no anon_vma, no rmap, no RSS
      f.path = 'refpage_read';
      return true;
    }
    mapNewAnon(ctx, f, table, i, true); // alloc_zeroed_user_highpage replaced by an unzeroed alloc + copy_refpage
    f.path = 'refpage_fill';
    return true;
  },

  // mm/memory.c: wp_page_copy: is_zero_or_refpage_pfn(old pte) -> new page filled from the refpage, not zeroed
  wp_page_copy(ctx, f, table, i) {
    if (!(table.fl[i]! & F.PTE_REFPAGE)) return false;
    mapNewAnon(ctx, f, table, i, true);
    f.path = 'refpage_copy';
    return true;
  },

  // include/linux/huge_mm.h: transhuge_vma_suitable: `if (vma->vm_private_data) return false` (refpage v3)
  thp_vma_suitable_order(ctx, vma) {
    return selected(ctx, vma) ? false : undefined;
  },
};
