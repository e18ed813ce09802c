// The fault-path catalogue: every path a fault record can carry, with the kernel function that handles it, the cost
// steps that price it and whether it is a trap. Mainline's are listed here, each patch's in its own file (Patch.paths);
// FaultPath is the union of their keys, so a path nobody catalogued (and so nobody priced) is a compile error.
import type { StepName } from './costs.js';
import { PATCHES } from './patches/index.js';

export interface FaultPathDef {
  /** The kernel code that handles it: `file: function`. */
  kernel: string;
  /** A trap the variant takes (counted in faultsTaken and minflt), not a record of something else. */
  trap: boolean;
  /**
   * model/costs.ts steps summed for one fault of this path (faultCostNs adds tables, fault-around pages and per-page
   * population); thp_wp lists its three outcomes, of which the record's allocation picks one.
   */
  steps: readonly StepName[];
  /** The steps count once per page in the record's pagesAllocated (one record per syscall: populate, memset_fill). */
  perPage?: boolean;
}

/** Mainline's paths, named after the kernel function that handles them (mm/memory.c, mm/huge_memory.c). */
export const MAINLINE_PATHS = {
  anon_zero_page: { kernel: 'mm/memory.c: do_anonymous_page (read: zero-page PTE)', trap: true, steps: ['anon_zero_page'] },
  anon_alloc: { kernel: 'mm/memory.c: do_anonymous_page (write: a zeroed page)', trap: true, steps: ['anon_alloc'] },
  mthp_alloc: {
    kernel: 'mm/memory.c: do_anonymous_page -> alloc_anon_folio (an mTHP: nr zeroed pages, one add_mm_counter, set_ptes)',
    trap: true,
    steps: ['anon_alloc', 'page_fill_4k'], // the first page as a 4K fault, each further page cleared (faultCostNs)
  },
  wp_page_copy: { kernel: 'mm/memory.c: do_wp_page -> wp_page_copy (alloc + __wp_page_copy_user)', trap: true, steps: ['wp_page_copy'] },
  wp_page_copy_zero: { kernel: 'mm/memory.c: do_wp_page -> wp_page_copy from the zero pfn (a zeroed alloc, no copy)', trap: true, steps: ['wp_page_copy_zero'] },
  wp_page_reuse: { kernel: 'mm/memory.c: do_wp_page -> wp_page_reuse (or wp_page_shared)', trap: true, steps: ['wp_page_reuse'] },
  thp_alloc: { kernel: 'mm/huge_memory.c: do_huge_pmd_anonymous_page (write: a new THP)', trap: true, steps: ['thp_alloc'] },
  thp_zero: { kernel: 'mm/huge_memory.c: do_huge_pmd_anonymous_page (read: huge zero page)', trap: true, steps: ['thp_zero'] },
  thp_wp: {
    kernel: 'mm/huge_memory.c: do_huge_pmd_wp_page (reuse, split + 4K copy, or huge zero -> new THP)',
    trap: true,
    steps: ['thp_reuse', 'thp_wp_split', 'thp_zero_wp'],
  },
  file_read: { kernel: 'mm/memory.c: do_read_fault (+ do_fault_around)', trap: true, steps: ['file_read'] },
  file_cow: { kernel: 'mm/memory.c: do_cow_fault', trap: true, steps: ['file_cow'] },
  file_shared: { kernel: 'mm/memory.c: do_shared_fault (a page-cache page mapped writable, no copy)', trap: true, steps: ['file_read'] },
  pfnmap: {
    kernel: 'mm/memory.c: vmf_insert_pfn in a VMA the trace never showed ([vvar]-style: a special PTE, no page, no RSS)',
    trap: true,
    steps: ['anon_zero_page'], // a trap that installs a special PTE and allocates nothing, as the zero-page read
  },
  spurious: { kernel: 'mm/memory.c: handle_pte_fault (present PTE: only the accessed/dirty bits change)', trap: true, steps: ['spurious'] },
  segv: { kernel: 'arch/x86/mm/fault.c: bad_area / access_error (no VMA, or access not allowed)', trap: true, steps: ['segv'] },
  not_taken: { kernel: 'none: a traced fault a patched variant would not take (already satisfied there)', trap: false, steps: [] },
  populate: {
    kernel: 'mm/gup.c: populate_vma_page_range (one record per MAP_POPULATE, mlock, MADV_POPULATE_* call: GUP faults, no trap)',
    trap: false,
    steps: ['populate_per_page'],
    perPage: true,
  },
} as const satisfies Record<string, FaultPathDef>;

export type MainlinePath = keyof typeof MAINLINE_PATHS;
type PathsOf<T> = T extends { readonly paths: Readonly<Record<infer P, FaultPathDef>> } ? P : never;
/** Paths the patches add (model/patches/<name>.ts: paths). */
export type PatchPath = PathsOf<(typeof PATCHES)[number]>;
/** Every fault path: mainline's and the patches'. */
export type FaultPath = MainlinePath | PatchPath;

/** Every path's entry: mainline's, then each patch's in list order. */
export const FAULT_PATHS: Readonly<Record<FaultPath, FaultPathDef>> = Object.freeze(
  Object.assign({}, MAINLINE_PATHS, ...PATCHES.map((p) => p.paths)) as Record<FaultPath, FaultPathDef>,
);

/** A traced fault a patched variant would not take (model/engine.ts recordFault): no trap, no cost, no minflt. */
export const NOT_TAKEN: FaultPath = 'not_taken';
/** One record per populating syscall (MAP_POPULATE, mlock, MADV_POPULATE_*): its pages are GUP faults, not traps. */
export const GUP_PATH: FaultPath = 'populate';

/** Traps the variant takes: every path's count but those the catalogue says are not traps (not-taken, populate). */
export function faultsTaken(faults: Readonly<Record<string, number>>): number {
  const paths: Readonly<Record<string, FaultPathDef | undefined>> = FAULT_PATHS;
  let n = 0;
  for (const [k, c] of Object.entries(faults)) if (paths[k]?.trap !== false) n += c;
  return n;
}

/** Every path in catalogue order: a path's integer id is its index here (result counters and cost tables are arrays by it). */
export const PATH_NAMES: readonly FaultPath[] = Object.keys(FAULT_PATHS) as FaultPath[];
const PATH_IDS = new Map<string, number>(PATH_NAMES.map((p, i) => [p, i]));

/** The integer id of a path (its index in PATH_NAMES). */
export function pathId(path: FaultPath): number {
  return PATH_IDS.get(path)!;
}
