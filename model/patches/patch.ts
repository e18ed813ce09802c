// What a patch is: its name and thread, the fault paths it adds, and its hooks. A proposed patch changes the mainline
// model only at these hooks, each named after the kernel function the real patch touched; a hook returns undefined
// (or false for "not handled") to fall through to mainline. The list of patches is model/patches/index.ts.
import type { FaultPathDef } from '../fault_paths.js';
import type { FaultCtx, ModelCtx, Mm, PmdSlot, PteTable, Vma } from '../state.js';

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
   * mm/memory.c: __pte_alloc -> pmd_install for the fault's none PMD: a patch may install a table shared with another
   * mm instead of a new one (the precedent: mm/hugetlb.c huge_pte_alloc -> huge_pmd_share); undefined = allocate.
   */
  pmd_install?(ctx: ModelCtx, f: FaultCtx, block: number): PmdSlot | undefined;
  /**
   * mm/memory.c: handle_pte_fault, once the fault reached the PTE table of its block (after __pte_alloc ->
   * pmd_install; done = false) and again when it returns (done = true): shared page tables (mshare) install or sync
   * the table shared with other mms before, so an entry another process already mapped makes this fault spurious
   * (not taken), and publish what this fault mapped after.
   */
  handle_pte_fault?(ctx: ModelCtx, f: FaultCtx, table: PteTable, done: boolean): void;
  /**
   * COW PTE: break_cow_pte before a table modifier touches [start, end) of mm: cause 'fault' | 'munmap' |
   * 'mprotect' | 'madvise' | 'exit' | 'mremap' | 'brk'. Returns the tables allocated.
   */
  break_cow_pte?(ctx: ModelCtx, mm: Mm, start: number, end: number, cause: BreakCause): number;
  /** mm/memory.c: handle_mm_fault entry, before the fault is resolved (THP shrinker: notes written subpages, runs its scan). */
  handle_mm_fault?(ctx: ModelCtx, f: FaultCtx): void;
}

/**
 * Where a modelled feature stands upstream, for `faultline patches`: a closed set, so a user can tell a what-if
 * from a kernel they can boot. what-if = no kernel patch exists: a policy over mainline mechanisms.
 */
export type PatchStatus =
  | { kind: 'mainline'; since: string } // since: the first kernel release with it, e.g. '6.8'
  | { kind: 'proposed'; latest: string; year: number } // latest: the latest posting (series and version, or request)
  | { kind: 'abandoned'; why: string } // why: the last posting and what stopped it
  | { kind: 'what-if'; over: string }; // over: the mainline mechanisms it is built from

/** The status as one short column: 'mainline 6.8', 'proposed 2025', 'abandoned', 'what-if'. */
export function statusColumn(s: PatchStatus): string {
  switch (s.kind) {
    case 'mainline': return `mainline ${s.since}`;
    case 'proposed': return `proposed ${s.year}`;
    case 'abandoned': return 'abandoned';
    case 'what-if': return 'what-if';
  }
}

/** The status in full: 'mainline since 6.8', 'proposed (v3, 2025)', 'abandoned (why)', 'what-if (no patch: over)'. */
export function statusText(s: PatchStatus): string {
  switch (s.kind) {
    case 'mainline': return `mainline since ${s.since}`;
    case 'proposed': return `proposed (${s.latest}, ${s.year})`;
    case 'abandoned': return `abandoned (${s.why})`;
    case 'what-if': return `what-if (no kernel patch: ${s.over})`;
  }
}

/** What `faultline patches` prints for one feature, a --patch or a variant option (model/patches/index.ts). */
export interface PatchEntry {
  /** --patch NAME, or the variant option's name. */
  name: string;
  /** One line for `faultline patches`. */
  description: string;
  /** Where it stands upstream. */
  status: PatchStatus;
  /** The thread or commit it models (seed file, lore subject, commit). */
  source: string;
  /** The published numbers it reproduces and the test that does; 'none published: ...' when the source has none. */
  reproduces: string;
}

/** A proposed patch; P names the fault paths it adds to mainline's (model/fault_paths.ts). */
export interface Patch<P extends string = string> extends PatchHooks, PatchEntry {
  /** Fault paths this patch adds (none may repeat a mainline path or another patch's). */
  paths: Readonly<Record<P, FaultPathDef>>;
}
