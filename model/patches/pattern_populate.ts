// pattern-populate: David Hildenbrand's alternative to reference pages (reply to refpage_create v5, 2021-07-17;
// seed 000, model/README.md: Reference pages): store only the pattern, no shared reference page and no COW from it. Every not-present
// fault in a selected VMA, read or write, allocates a fresh page filled with the pattern.
// Kernel functions it changes:
//   mm/memory.c: do_anonymous_page  read and write alike -> vmf_anon_prepare, alloc + pattern fill, MM_ANONPAGES + 1,
//                                   PTE writable if VM_WRITE (so a later write does not fault)
//   include/linux/huge_mm.h: thp_vma_suitable_order  false in selected VMAs: the huge zero page would show zeros,
//                                   and the thread left THP-sized fills (Kirill's v4 remark) unspecified
// Fork needs no hook: every selected VMA that faulted has an anon_vma and is copied like any anon VMA.
import { VM_WRITE } from '../flags.js';
import type { Patch } from './patch.js';
import { mapNewAnon, selected } from './common.js';

export const patternPopulate: Patch<'pattern_fill'> = {
  name: 'pattern-populate',
  description: 'every fault in selected VMAs (reads too) allocates a pattern-filled page; no shared page, no later COW fault',
  status: { kind: 'abandoned', why: 'a review suggestion on refpage_create v5 (2021-07-17), never posted as a patch' },
  source: 'David Hildenbrand, reply to "[PATCH v5] mm: introduce reference pages" (2021-07-17): store only the pattern; seed 000',
  reproduces: 'none published (the suggestion came without numbers); compared with refpage and memset on pattern_init and read_then_write (model/patches/fixtures_pattern.test.ts)',
  paths: {
    pattern_fill: { kernel: 'mm/memory.c: do_anonymous_page (read or write: zeroed alloc + pattern fill)', trap: true, steps: ['anon_alloc', 'page_fill_4k'] },
  },

  // mm/memory.c: do_anonymous_page: the read branch no longer maps the zero page; both branches fill a new page
  do_anonymous_page(ctx, f, table, i) {
    if (!selected(ctx, f.vma)) return false;
    mapNewAnon(ctx, f, table, i, (f.vma.flags & VM_WRITE) !== 0);
    f.path = 'pattern_fill';
    return true;
  },

  // include/linux/huge_mm.h: thp_vma_suitable_order: no huge (zero) pages in pattern VMAs
  thp_vma_suitable_order(ctx, vma) {
    return selected(ctx, vma) ? false : undefined;
  },
};
