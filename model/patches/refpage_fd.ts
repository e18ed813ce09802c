// refpage-fd: Kirill Shutemov's alternative to MAP_REFPAGE (review of "[PATCH] mm: introduce MAP_REFPAGE", 2020-07-31;
// seed 001, model/README.md: Reference pages): no core-mm change; userspace maps a special fd MAP_PRIVATE whose ->fault returns the same
// page every time. A selected VMA therefore behaves as a private file VMA backed by one page-cache page:
//   mm/memory.c: do_read_fault   read -> map the fd's page read-only, MM_FILEPAGES + 1; no fault-around (the fd has
//                                no ->map_pages, so do_fault_around is skipped) and no anon_vma
//   mm/memory.c: do_cow_fault    write-first -> anon_vma, a new anon page copied from the fd's page, MM_ANONPAGES + 1
//   mm/memory.c: wp_page_copy    write after read -> file page replaced by an anon copy: FILE - 1, ANON + 1
//   include/linux/huge_mm.h: thp_vma_suitable_order  no THP (the anon-inode file has no huge pages)
// The model reaches do_read_fault/do_cow_fault through the do_anonymous_page hook: that hook sees every
// not-present fault of the VMA, and the model's own do_fault would apply file fault-around the special fd lacks.
// Fork (kernel/fork.c: dup_mmap -> vma_needs_copy) skips the VMA until a write gave it an anon_vma; copied file
// PTEs charge the child MM_FILEPAGES as for any private file mapping.
import { MM_FILEPAGES } from '../../traces/events.js';
import * as F from '../flags.js';
import { allocAnon } from '../pages.js';
import { addMmCounter } from '../rss.js';
import { PAGE_FILE, type FaultCtx, type ModelCtx, type PteTable } from '../state.js';
import type { Patch } from './patch.js';
import { mapNewAnon, selected, vmaData } from './common.js';

/** The special fd's one page, created on first use with a reference held by the fd (page cache), never freed. */
function fdPage(ctx: ModelCtx, f: FaultCtx): number {
  const d = vmaData(ctx, f.vma);
  if (d.fdPage === 0) {
    const id = allocAnon(ctx.pages, 0);
    ctx.pages.flags[id] = PAGE_FILE; // a page-cache page: not anon, never PageAnonExclusive
    ctx.pages.refcount[id] = 1; // the file's reference, so unmapping never frees it
    d.fdPage = id;
  }
  return d.fdPage;
}

/** mm/memory.c: do_read_fault -> __do_fault -> finish_fault -> set_pte_range: read-only file PTE, file RSS + 1. */
function doReadFault(ctx: ModelCtx, f: FaultCtx, t: PteTable, i: number): void {
  const page = fdPage(ctx, f);
  if (!(t.fl[i]! & F.PTE_PRESENT)) t.present++;
  t.page[i] = page;
  t.fl[i] = F.PTE_PRESENT | F.PTE_FILE;
  ctx.pages.refcount[page]!++;
  addMmCounter(ctx, f.mm, MM_FILEPAGES, 1);
  f.path = 'file_read';
}

export const refpageFd: Patch<never> = {
  name: 'refpage-fd',
  description: 'special fd mapped MAP_PRIVATE (one shared page-cache page): reads file RSS +1, writes COW to anon; no THP',
  status: { kind: 'abandoned', why: 'a review suggestion on MAP_REFPAGE (2020-07-31), never posted as a patch; the next posting, refpage_create, kept the core-mm changes' },
  source: 'Kirill A. Shutemov, review of "[PATCH] mm: introduce MAP_REFPAGE" (2020-07-31): use a special fd; seed 001',
  reproduces: 'none published (the review gave no numbers)',
  paths: {}, // mainline's file_read, file_cow and wp_page_copy

  // mm/memory.c: do_pte_missing -> do_fault (vma->vm_ops set): do_read_fault or do_cow_fault (private mapping)
  do_anonymous_page(ctx, f, table, i) {
    if (!selected(ctx, f.vma)) return false;
    if (!f.write) {
      doReadFault(ctx, f, table, i);
      return true;
    }
    fdPage(ctx, f); // mm/memory.c: do_cow_fault: __do_fault gets the fd's page, then copy_mc_user_highpage
    mapNewAnon(ctx, f, table, i, true);
    f.path = 'file_cow';
    return true;
  },

  // mm/memory.c: do_wp_page -> wp_page_copy for a private file page: the copy is anon, the file page is unmapped
  wp_page_copy(ctx, f, table, i) {
    const fl = table.fl[i]!;
    if (!(fl & F.PTE_FILE) || !selected(ctx, f.vma)) return false;
    const page = table.page[i]!;
    table.fl[i] = 0;
    table.page[i] = 0;
    table.present--;
    ctx.pages.refcount[page]!--; // the fd still holds its reference
    addMmCounter(ctx, f.mm, MM_FILEPAGES, -1);
    mapNewAnon(ctx, f, table, i, true); // MM_ANONPAGES + 1
    f.path = 'wp_page_copy';
    return true;
  },

  // include/linux/huge_mm.h: thp_vma_suitable_order: a file VMA whose file has no huge pages gets none
  thp_vma_suitable_order(ctx, vma) {
    return selected(ctx, vma) ? false : undefined;
  },
};
