// madvise(2) behaviours the model keeps (mm/madvise.c).
import * as F from './flags.js';
import { mergeAround, splitRange } from './mm.js';
import { gather, pageUp, vmasIn, zapRange } from './page_table.js';
import { guardInstall, guardRemove } from './guard_regions.js';
import { populateRange } from './populate.js';
import type { Mm, ModelCtx } from './state.js';

/** mm/madvise.c: do_madvise over [start, start+len) with behavior; out sums GUP faults/pages/tables for POPULATE_*. */
export function doMadvise(ctx: ModelCtx, mm: Mm, start: number, len: number, behavior: number, out: Float64Array): void {
  const end = start + pageUp(len);
  if (end <= start) return;
  switch (behavior) {
    case F.MADV_DONTNEED:
    case F.MADV_DONTNEED_LOCKED: {
      ctx.hooks.break_cow_pte(ctx, mm, start, end, 'madvise');
      // mm/madvise.c: madvise_dontneed_single_vma -> zap_page_range_single (reclaim_pt with CONFIG_PT_RECLAIM)
      for (const v of vmasIn(mm, start, end)) {
        if (behavior === F.MADV_DONTNEED && (v.flags & F.VM_LOCKED)) continue; // -EINVAL for locked VMAs
        gather.n = 0; // zap_page_range_single: its own tlb_gather_mmu
        zapRange(ctx, mm, Math.max(start, v.start), Math.min(end, v.end), ctx.rules.ptReclaim);
      }
      return;
    }
    case F.MADV_HUGEPAGE:
    case F.MADV_NOHUGEPAGE: {
      // mm/khugepaged.c: hugepage_madvise sets VM_HUGEPAGE / VM_NOHUGEPAGE (mm/madvise.c: madvise_update_vma splits)
      const set = behavior === F.MADV_HUGEPAGE ? F.VM_HUGEPAGE : F.VM_NOHUGEPAGE;
      const clear = behavior === F.MADV_HUGEPAGE ? F.VM_NOHUGEPAGE : F.VM_HUGEPAGE;
      for (const v of splitRange(mm, start, end)) {
        v.flags = (v.flags | set) & ~clear;
        mergeAround(mm, v);
      }
      return;
    }
    case F.MADV_DONTFORK:
    case F.MADV_DOFORK:
    case F.MADV_WIPEONFORK:
    case F.MADV_KEEPONFORK: {
      const bit = behavior === F.MADV_DONTFORK || behavior === F.MADV_DOFORK ? F.VM_DONTCOPY : F.VM_WIPEONFORK;
      const on = behavior === F.MADV_DONTFORK || behavior === F.MADV_WIPEONFORK;
      for (const v of splitRange(mm, start, end)) {
        if (bit === F.VM_WIPEONFORK && (v.flags & F.VM_SHARED || !(v.kind & F.KIND_ANON))) continue; // private anon only
        v.flags = on ? v.flags | bit : v.flags & ~bit;
        mergeAround(mm, v);
      }
      return;
    }
    case F.MADV_POPULATE_READ:
    case F.MADV_POPULATE_WRITE: {
      // mm/madvise.c: madvise_populate -> faultin_page_range (mm/gup.c)
      for (const v of vmasIn(mm, start, end)) populateRange(ctx, mm, v, start, end, behavior === F.MADV_POPULATE_WRITE, out);
      return;
    }
    case F.MADV_GUARD_INSTALL:
      ctx.hooks.break_cow_pte(ctx, mm, start, end, 'madvise');
      guardInstall(ctx, mm, start, end);
      return;
    case F.MADV_GUARD_REMOVE:
      guardRemove(ctx, mm, start, end);
      return;
    default:
      return; // MADV_FREE (lazy until reclaim), MADV_COLD/PAGEOUT, WILLNEED...: no counter change modelled
  }
}
