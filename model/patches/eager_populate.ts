// eager-populate: the OSv design note on eager vs lazy population (seed 003, model/README.md: Eager population): early OSv populated every
// anonymous mmap at once, like MAP_POPULATE everywhere (its example: a 1 MiB thread stack of which ~10 KiB is used).
// What-if: every private anonymous mmap and every brk growth is populated as MAP_POPULATE would.
// Kernel functions it changes:
//   mm/mmap.c: do_mmap   populate = len for every private anonymous mapping (as if MAP_POPULATE were always set)
//   mm/mmap.c: brk       mm_populate after growth (as with mm->def_flags & VM_LOCKED)
// Population is mm/gup.c: populate_vma_page_range: FOLL_WRITE for private writable VMAs (real zeroed pages, or THPs
// where eligible: anon += len, tables for the whole span), read faults (zero pages) for read-only ones; each page is
// a GUP handle_mm_fault counted in minflt with no page_fault_user event, and later first touches do not fault.
// PROT_NONE mappings are skipped as MAP_POPULATE skips them, so a pthread stack (mmap PROT_NONE, then mprotect) is
// not populated here. Fork then copies everything (every populated VMA has an anon_vma).
import * as F from '../flags.js';
import { populateRange } from '../populate.js';
import type { Patch } from './patch.js';
import { isPrivateAnon } from './common.js';

export const eagerPopulate: Patch<never> = {
  name: 'eager-populate',
  description: 'kernel populate: every private anonymous mmap and brk growth is populated inside the syscall as MAP_POPULATE would (GUP: no traps, populate_per_page per page; OSv eager)',
  status: { kind: 'what-if', over: 'MAP_POPULATE (private mappings since 2.6.23, mmap(2)) on every private anonymous mmap and brk, as early OSv populated' },
  source: 'OSv design note "mm", section "Lazy population" (a fork of cloudius-systems/osv): eager vs lazy anonymous mmaps; seed 003',
  reproduces:
    "none measured: the note's example is a 1 MiB thread stack of which ~10 KiB is used; on sparse_1g eager population charges RSS and tables for all 9 GiB reserved (model/patches/fixtures_eager.test.ts)",
  paths: {}, // mainline's populate

  // mm/mmap.c: do_mmap: `if (populate) mm_populate(addr, populate)` for every private anonymous mapping
  do_mmap(ctx, mm, vma, tally) {
    if (!isPrivateAnon(vma)) return;
    // mm/gup.c: populate_vma_page_range: "we've never faulted in PROT_NONE pages" (pthread stacks start PROT_NONE)
    if (!(vma.flags & (F.VM_READ | F.VM_WRITE | F.VM_EXEC))) return;
    populateRange(ctx, mm, vma, vma.start, vma.end, null, tally);
  },

  // mm/mmap.c: brk: `if (populate) mm_populate(oldbrk, newbrk - oldbrk)`
  brk(ctx, mm, vma, oldEnd, newEnd, tally) {
    populateRange(ctx, mm, vma, oldEnd, newEnd, null, tally);
  },
};
