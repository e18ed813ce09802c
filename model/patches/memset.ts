// memset: userspace pattern initialisation, the "memset" row of the Pixel 4 / PDFium table in "[PATCH v3] mm:
// introduce reference pages" (seed 002, model/README.md: Reference pages): the allocator memsets every selected mapping with the pattern
// as soon as it is mapped, so the whole VMA is written once, from user space, at mmap (or brk growth) time.
// Kernel functions it changes: none. The program does more: right after the mmap/brk returns it writes every page,
//   arch/x86/mm/fault.c: do_user_addr_fault -> mm/memory.c: do_anonymous_page (write)   one trapped fault per page,
//   (or mm/huge_memory.c: do_huge_pmd_anonymous_page once per 2 MiB where the VMA takes a THP), counted in minflt and
//   priced as the user fault it is; then the memset's own stores, priced per 4 KiB (page_fill_4k) in one
//   'memset_fill' record per call. Not a kernel populate: that is eager-populate (GUP, no traps).
// Later traced first touches in the VMA find the pages present and writable: 'not_taken' in the replay.
import * as F from '../flags.js';
import type { Patch } from './patch.js';
import { selected } from './common.js';

export const memset: Patch<'memset_fill'> = {
  name: 'memset',
  description:
    'userspace pattern init: right after mmap/brk the allocator writes every page of selected VMAs from user space: one trapped write fault per page (do_anonymous_page; a THP per 2 MiB where eligible), then the memset itself at page_fill_4k per 4 KiB; later first touches are not taken',
  status: { kind: 'what-if', over: "a user-space memset of each selected mapping after mmap/brk (the allocator's pattern init), plain mainline faults" },
  source: 'Peter Collingbourne, "[PATCH v3] mm: introduce reference pages", Pixel 4 PDFium table, memset row; seed 002',
  reproduces:
    'Pixel 4 PDFium max RSS, memset row (seed 002): 112180 KiB against anon 107088 (+4.8%), as a direction on pattern_init: peak RSS above mainline by at least the untouched arena (model/patches/fixtures_pattern.test.ts)',
  paths: {
    memset_fill: {
      kernel: "none: the allocator's memset stores over the pages it just faulted in (user time, one record per mmap/brk)",
      trap: false,
      steps: ['page_fill_4k'],
      perPage: true,
    },
  },

  // mm/mmap.c: do_mmap returns; the allocator's memset follows at once, from user space
  do_mmap(ctx, mm, vma) {
    if (!selected(ctx, vma) || !(vma.flags & F.VM_WRITE)) return;
    ctx.userWrites.push(vma.start, vma.end);
  },

  // mm/mmap.c: brk: a grown heap is pattern-initialised by the allocator before use
  brk(ctx, mm, vma, oldEnd, newEnd) {
    if (!selected(ctx, vma) || !(vma.flags & F.VM_WRITE)) return;
    ctx.userWrites.push(oldEnd, newEnd);
  },
};
