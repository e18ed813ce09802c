// memset: userspace pattern initialisation, the "memset" row of the Pixel 4 / PDFium table in "[PATCH v3] mm:
// introduce reference pages" (seed 002, MODEL.md §6): the allocator memsets every selected mapping with the pattern
// as soon as it is mapped, so the whole VMA is written once, at mmap (or brk growth) time.
// Kernel functions it changes: none in the kernel; in the model the hooks are
//   mm/mmap.c: do_mmap (after the VMA is in place) and mm/mmap.c: brk growth   write every page of the new range
// How the memset's own faults are modelled (populate-style, chosen and documented here): each page is faulted with
// FOLL_WRITE semantics through the ordinary fault path (mm/gup.c: populate_vma_page_range -> handle_mm_fault), so it
// gets exactly what a user write fault would get (a zeroed 4K page, or a THP where the VMA is THP-eligible, tables,
// MM_ANONPAGES, an anon_vma), is counted in minflt and under the replay's 'populate' path (the mmap's tally),
// not as a page_fault_user trap. Later trace faults in
// the VMA find the pages present and writable: the memset removed them ('not_taken' in the replay).
import * as F from '../flags.js';
import { populateRange } from '../populate.js';
import type { Patch } from './patch.js';
import { selected } from './common.js';

export const memset: Patch<never> = {
  name: 'memset',
  description: 'userspace pattern init: selected VMAs are written in full at mmap/brk time (no later first-touch faults)',
  source: 'Peter Collingbourne, "[PATCH v3] mm: introduce reference pages", Pixel 4 PDFium table, memset row; seed 002',
  paths: {}, // the memset's pages are the syscall's GUP faults (mainline's populate)

  // mm/mmap.c: do_mmap: the allocator's memset follows at once
  do_mmap(ctx, mm, vma, tally) {
    if (!selected(ctx, vma) || !(vma.flags & F.VM_WRITE)) return;
    populateRange(ctx, mm, vma, vma.start, vma.end, true, tally);
  },

  // mm/mmap.c: brk: a grown heap is pattern-initialised by the allocator before use
  brk(ctx, mm, vma, oldEnd, newEnd, tally) {
    if (!selected(ctx, vma) || !(vma.flags & F.VM_WRITE)) return;
    populateRange(ctx, mm, vma, oldEnd, newEnd, true, tally);
  },
};
