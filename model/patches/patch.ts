// What a patch is: its name and thread, the fault paths it adds, and its hooks. A proposed patch changes the mainline
// model only at these hooks, each named after the kernel function the real patch touched; a hook returns undefined
// (or false for "not handled") to fall through to mainline. The list of patches is model/patches/index.ts.
import type { FaultPathDef } from '../fault_paths.js';
import type { FaultCtx, ModelCtx, Mm, PteTable, Vma } from '../state.js';

/** What a COW PTE table break is for (break_cow_pte's caller). */
export type BreakCause = 'fault' | 'munmap' | 'mprotect' | 'madvise' | 'exit' | 'mremap' | 'brk';

/** The hooks: each optional; model/patches/hooks.ts resolves a variant's patches into one record with mainline defaults. */
export interface PatchHooks {
  /** Called once when a variant using the patch is created (per-variant state lives in ctx or VMAs' patchData). */
  init?(ctx: ModelCtx): void;

  /** include/linux/pgtable.h: is_zero_pfn (refpage v2: is_zero_or_refpage_pfn). fl = PTE_* bits of the entry; true = special shared page. */
  is_zero_pfn?(ctx: ModelCtx, fl: number): boolean | undefined;
  /** mm/memory.c: do_anonymous_page; handle the fault (set f.path, map the entry via page_table helpers) and return true. */
  do_anonymous_page?(ctx: ModelCtx, f: FaultCtx, table: PteTable, i: number): boolean;
  /** mm/memory.c: wp_page_copy; called when the old PTE is special (zero/refpage) or a page; return true if handled. */
  wp_page_copy?(ctx: ModelCtx, f: FaultCtx, table: PteTable, i: number): boolean;
  /** include/linux/huge_mm.h: thp_vma_suitable_order (refpage v3: transhuge_vma_suitable false for refpage VMAs). */
  thp_vma_suitable_order?(ctx: ModelCtx, vma: Vma, addr: number): boolean | undefined;
  /**
   * mm/mmap.c: do_mmap, after the VMA is in place (memset / eager-populate what-ifs). out is the syscall's
   * population tally [faults, pages, tables] (model/populate.ts: populateRange), so pages a patch populates count
   * as that syscall's GUP faults (minflt, the 'populate' path).
   */
  do_mmap?(ctx: ModelCtx, mm: Mm, vma: Vma, out: Float64Array): void;
  /** mm/mmap.c: brk (SYSCALL brk) growth from oldEnd to newEnd in vma; out as for do_mmap. */
  brk?(ctx: ModelCtx, mm: Mm, vma: Vma, oldEnd: number, newEnd: number, out: Float64Array): void;
  /**
   * mm/memory.c: copy_pte_range for one 2 MiB block of src; return true when the patch handled the block
   * (COW PTE: share src's table with dst instead of copying). counts: [ptes copied, tables copied, tables shared].
   */
  copy_pte_range?(ctx: ModelCtx, dst: Mm, src: Mm, vma: Vma, block: number, counts: Float64Array): boolean;
  /**
   * COW PTE: break_cow_pte before a table modifier touches [start, end) of mm: cause 'fault' | 'munmap' |
   * 'mprotect' | 'madvise' | 'exit' | 'mremap' | 'brk'. Returns the tables allocated.
   */
  break_cow_pte?(ctx: ModelCtx, mm: Mm, start: number, end: number, cause: BreakCause): number;
  /** mm/memory.c: handle_mm_fault entry, before the fault is resolved (THP shrinker: notes written subpages, runs its scan). */
  handle_mm_fault?(ctx: ModelCtx, f: FaultCtx): void;
}

/** A proposed patch; P names the fault paths it adds to mainline's (model/fault_paths.ts). */
export interface Patch<P extends string = string> extends PatchHooks {
  /** --patch NAME. */
  name: string;
  /** One line for `faultline patches`. */
  description: string;
  /** The thread it models (seed file or LKML subject). */
  source: string;
  /** Fault paths this patch adds (none may repeat a mainline path or another patch's). */
  paths: Readonly<Record<P, FaultPathDef>>;
}
