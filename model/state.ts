// The model's state records: VMAs, page tables, pages, mms and tasks of one variant. Plain records, typed arrays inside.
import type { VariantSpec, ReplayProbes, FaultRecord, RssRecord } from './types.js';
import type { MachineFacts } from './machine.js';
import type { KernelRules } from './kernel_version.js';
import type { MthpMasks } from './thpsize.js';
import type { Patch } from './patches/patch.js';
import type { Hooks } from './patches/hooks.js';
import type { FaultPath } from './fault_paths.js';
import type { Selector } from './select.js';
import type { RssLogs } from './rss_log.js';
import type { PageGeometry } from './page_geometry.js';

/** One vm_area_struct: [start, end) with kernel vm_flags and the model's backing kind. */
export interface Vma {
  start: number;
  end: number;
  /** include/linux/mm.h VM_* bits. */
  flags: number;
  /** KIND_* bits (model/flags.ts). */
  kind: number;
  /** vm_pgoff in pages (file offset; for anon, start >> 12 as the kernel sets it). */
  pgoff: number;
  /** Identifies the backing file (fd number at mmap time, or -1): tells file VMAs apart for merging. */
  file: number;
  /** vma->anon_vma is set (mm/rmap.c: __anon_vma_prepare): decides vma_needs_copy at fork. */
  anonVma: boolean;
  /** Set by patches (e.g. refpage) to remember per-VMA state. */
  patchData: unknown;
  /** Inferred VMAs only: the access class that created it (VM_EXEC / VM_WRITE / VM_READ), 0 otherwise. */
  inferCls: number;
  /** Inferred VMAs only: carved as one page out of another inferred VMA (its neighbours are that guess's remnants). */
  carved: boolean;
}

/** One PTE table page (PTRS entries: 512 at 4 KiB pages). refcount > 1 only when a patch shares it (COW PTE). */
export interface PteTable {
  /** Page id per entry (index into Pages), 0 = none or special. */
  page: Int32Array;
  /** PTE_* bits per entry. */
  fl: Uint8Array;
  /** Number of non-none entries. */
  present: number;
  /** Owners of this table (COW PTE patch); 1 normally. */
  refcount: number;
  /** File pages the kernel counted here beyond the modelled PTEs (which page-cache pages fault-around found is not in the trace). */
  ghost: number;
}

export const PMD_TABLE = 0; // the PMD points to a PTE table
export const PMD_THP = 1; // a PMD-mapped THP (with a deposited table)
export const PMD_HUGE_ZERO = 2; // the huge zero folio (with a deposited table)

/** One PMD entry that is not none. */
export interface PmdSlot {
  kind: number;
  table: PteTable | null;
  /** THP folio page id (PMD_THP). */
  folio: number;
  write: boolean;
  /** For cow-pte: the PMD is write-protected because the table is shared. */
  shared: boolean;
}

/** Page store of one variant: frames as ids into growable typed arrays (4K pages and large folios). */
export interface Pages {
  /** Number of mappings (PTEs + PMDs) referencing the frame; 0 = free. */
  refcount: Int32Array;
  /** PAGE_* bits. */
  flags: Uint8Array;
  /** Order (0, an mTHP's 1-8, or 9). */
  order: Uint8Array;
  /** Head folio id for a subpage of a split THP (0 = none: the page is its own folio). */
  head: Int32Array;
  /** Freed small page ids, a stack (LIFO, as a JS array's push/pop was): free[0..nfree). */
  free: Int32Array;
  nfree: number;
  next: number;
  /**
   * Large folios: mm index -> mappings, for __wp_can_reuse_large_anon_folio (CONFIG_MM_ID); at key -folio - 1 the
   * folio's subpage run (0 -> first id, 1 -> how many). Both go when the folio's last mapping does (pages.ts).
   */
  folioMms: Map<number, Map<number, number>>;
  /** Ids of freed large folios, a stack: allocAnon of an order > 0 takes one before a fresh id. */
  freeFolios: number[];
  /** Freed subpage runs by length, each a stack of first ids: subpages takes one before fresh ids. */
  freeRuns: Map<number, number[]>;
}

export const PAGE_ANON_EXCLUSIVE = 1; // include/linux/page-flags.h: PageAnonExclusive
export const PAGE_ANON = 2;
export const PAGE_FILE = 4;

/** One mm_struct. */
export interface Mm {
  /** Model index (stable, never reused). */
  idx: number;
  /** kmem:rss_stat mm_id once learnt (-1 until then). */
  mmId: number;
  /** Sorted, non-overlapping VMAs. */
  vmas: Vma[];
  /** Last VMA found (find_vma cache: mm/mmap.c vmacache was removed, but locality is real). */
  lastVma: Vma | null;
  /** PMD entries by block index (addr / PMD_SIZE: 2 MiB at 4 KiB pages). */
  pmds: Map<number, PmdSlot>;
  /** PMD tables by PUD_SIZE index (1 GiB at 4 KiB); PUD tables by PGDIR_SIZE index (512 GiB); empty where folded. */
  pmdTables: Set<number>;
  pudTables: Set<number>;
  /** A PUD_SIZE block (PGDIR_SIZE where the PMD level folds) whose upper tables are all there, -1 for none known: allocUpper's two Set lookups once per block, not per fault. */
  upperAt: number;
  /** include/linux/mm_types_task.h: MM_FILEPAGES, MM_ANONPAGES, MM_SWAPENTS, MM_SHMEMPAGES in pages. */
  rss: Float64Array;
  /** mm->pgtables_bytes (include/linux/mm.h: mm_inc_nr_ptes/pmds/puds). */
  pgtablesBytes: number;
  /** Tasks using this mm (threads and CLONE_VM children). */
  users: number;
  /** The thread-group leader's pid, for reporting. */
  ownerPid: number;
  brkStart: number;
  brk: number;
  /** mm->def_flags VM_LOCKED from mlockall(MCL_FUTURE). */
  defFlags: number;
  /** True when the mm existed before the trace (or came from an exec we saw only part of): baselines are learnt. */
  predates: boolean;
  /**
   * The idx of the mm whose anon_vmas this mm's descend from (mm/rmap.c: anon_vma_fork links a child's VMAs into its
   * parent's anon_vma tree): its own for a new mm (kernel/fork.c: mm_alloc; fs/exec.c: bprm_mm_init), the parent's root
   * for a fork's child. Mms with different roots share no anon page the trace could show.
   */
  anonRoot: number;
  dead: boolean;
  /** Pages the kernel counted before the trace showed them (baseline learnt from rss_stat), per member. */
  phantom: Float64Array;
  /**
   * Of phantom's MM_ANONPAGES, the pages execve's get_arg_page wrote argv/envp into (fs/exec.c: copy_strings), which the
   * trace counted but did not place: they sit at the top of the stack VMA (setup_arg_pages moves them with it).
   */
  argPages: number;
  /** Ranges munmapped in the trace (start, end pairs, the last 64): a fault there is a segv, not an unknown VMA. */
  holes: number[];
}

/** One task (thread). */
export interface Task {
  tid: number;
  tgid: number;
  comm: string;
  mm: Mm;
  /** Its exit has been handled (sched_process_exit, or its group's last thread exited). */
  exited: boolean;
}

/** A reusable record describing the fault being handled (struct vm_fault). */
export interface FaultCtx {
  mm: Mm;
  vma: Vma;
  address: number;
  write: boolean;
  /** Error code had no read/write (arm64/perf samples): decided from model state. */
  inferred: boolean;
  /** The path taken, '' until a handler decides. */
  path: FaultPath | '';
  pagesAllocated: number;
  tablesAllocated: number;
  /** COW PTE tables copied by break_cow_pte on this fault's way in (cow-pte patch), priced as a table copy. */
  tablesCopied: number;
  /** Pages mapped from the page cache by a file read fault, when the trace told us (fault-around hint), else -1. */
  fileHint: number;
  /** Anon pages the kernel's own rss_stat added for this fault when more than one (an mTHP), else -1. */
  anonHint: number;
  /** The kernel's MM_ANONPAGES change right after this fault (0: none changed), -1 when the trace does not say (model/machine.ts). */
  anonDelta: number;
  /** A fault the trace recorded (not a what-if's own write or a populate): the entries it meets present are marked PTE_TRACED. */
  traced: boolean;
  /** The trace proves the kernel's PTE was none (error_code without X86_PF_PROT) and its fault added anon pages, or was a read whose fault-around mapped none. */
  kernelNone: boolean;
  /** The trace proves the kernel's PTE was a present page-cache page: a write with X86_PF_PROT whose rss_stat fell MM_FILEPAGES. */
  kernelFile: boolean;
  /** Set by the fault: it found a PTE_TRACED entry the kernel no longer had and left its page unplaced (memory.ts handlePteFault). */
  leftUnseen: boolean;
}

/** Everything one variant's model needs. */
export interface ModelCtx {
  spec: VariantSpec;
  /** The traced machine's zero page and THP, shared by the replay's variants (model/machine.ts). */
  machine: MachineFacts;
  /** This variant's engine gathers the machine evidence (the first engine only: every engine sees the same faults). */
  detect: boolean;
  rules: KernelRules;
  /** The per-size THP settings as order masks (model/thpsize.ts); learn: unknown, taken from the trace's counters. */
  mthp: MthpMasks & { learn: boolean };
  patches: Patch[];
  /** The patches' hooks, resolved once for this variant with mainline defaults (model/patches/hooks.ts). */
  hooks: Hooks;
  selector: Selector;
  pages: Pages;
  probes: ReplayProbes;
  /** Reused probe records. */
  faultRec: FaultRecord;
  rssRec: RssRecord;
  /** Current event's time and comm for probes. */
  now: number;
  curComm: string;
  /** The PTE walk whose batch is being flushed (RSS_WALK_*), 0 outside one: tags counter updates for validation. */
  rssWalk: number;
  /** Validation's per-mm logs (model/rss_log.ts), null when the variant is only replayed. */
  rssLogs: RssLogs | null;
  /** Called on every counter update (member -1 = pgtables). */
  onRss: ((mm: Mm, member: number, value: number, delta: number) => void) | null;
  /** What k onRss calls for k updates of +1 page each to one member leave (rss.ts addMmCounterPages), null: call onRss k times. */
  onRssRun: ((mm: Mm, member: number, k: number) => void) | null;
  nextMmIdx: number;
  /** The page geometry of the kernel build this variant models (model/page_geometry.ts); the engine puts it in force. */
  geo: PageGeometry;
  /** The geometry the trace was recorded in; geo differs only in a page-size what-if (its hints and rss_stat are in these pages). */
  traceGeo: PageGeometry;
  /** Pages mapped by GUP population (MAP_POPULATE, mlock, MADV_POPULATE_*): counted as minflt, no fault event. */
  gupFaults: number;
  /**
   * [start, end) pairs the traced program writes from user space right after the current syscall (a what-if such as
   * the allocator's memset): the engine takes them as trapped write faults at the syscall's exit (fault_entry.ts).
   */
  userWrites: number[];
  /** pgtables_bytes summed over every mm of the variant (the system's page-table memory) and its peak, bytes. */
  system: { pgtablesBytes: number; pgtablesPeakBytes: number };
}
