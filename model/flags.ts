// VMA and PTE flag bits the model uses; VM_* values mirror include/linux/mm.h so selectors read like the kernel.

// include/linux/mm.h: VM_READ .. VM_WIPEONFORK
export const VM_READ = 0x1;
export const VM_WRITE = 0x2;
export const VM_EXEC = 0x4;
export const VM_SHARED = 0x8;
export const VM_MAYWRITE = 0x20;
export const VM_GROWSDOWN = 0x100;
export const VM_PFNMAP = 0x400; // page ranges without struct page ([vvar]-style special mappings)
export const VM_UFFD_WP = 0x1000; // userfaultfd write-protect tracking (no trace event sets it here)
export const VM_LOCKED = 0x2000;
export const VM_DONTCOPY = 0x20000;
export const VM_LOCKONFAULT = 0x80000;
export const VM_ACCOUNT = 0x100000; // charged to overcommit: private writable maps (mm/mmap.c: accountable_mapping)
export const VM_WIPEONFORK = 0x2000000;
export const VM_MIXEDMAP = 0x10000000;
export const VM_HUGEPAGE = 0x20000000;
export const VM_NOHUGEPAGE = 0x40000000;

/** The flags that decide whether two adjacent VMAs may merge (mm/vma.c: is_mergeable_vma compares vm_flags). */
export const VM_MERGE_MASK =
  VM_READ | VM_WRITE | VM_EXEC | VM_SHARED | VM_MAYWRITE | VM_GROWSDOWN | VM_LOCKED | VM_DONTCOPY |
  VM_LOCKONFAULT | VM_ACCOUNT | VM_WIPEONFORK | VM_HUGEPAGE | VM_NOHUGEPAGE | VM_PFNMAP | VM_MIXEDMAP;

// Model-only VMA kind bits (not kernel flags): how the VMA is backed.
export const KIND_ANON = 1; // vm_ops == NULL: vma_is_anonymous
export const KIND_FILE = 2; // a file mapping (vm_ops with ->fault and ->map_pages)
export const KIND_STACK = 4; // the process stack (VM_GROWSDOWN at the top)
export const KIND_HEAP = 8; // brk area
export const KIND_INFERRED = 16; // not seen mapped: inferred from faults
export const KIND_SHMEM = 32; // shared anonymous (shmem)
export const KIND_DROPPABLE = 64; // MAP_DROPPABLE (VM_DROPPABLE, 6.11+: a bit above 32, so kept here): anon pages not swap-backed

// PTE entry flag bits (per entry, Uint8Array) in a modelled PTE table.
export const PTE_PRESENT = 1;
export const PTE_WRITE = 2;
export const PTE_ZERO = 4; // special: the shared zero page (include/linux/pgtable.h: is_zero_pfn)
export const PTE_REFPAGE = 8; // special: a refpage (refpage patch), no rmap, no RSS
export const PTE_FILE = 16; // maps a page-cache page (MM_FILEPAGES)
export const PTE_SHMEM = 32; // maps a shmem page (MM_SHMEMPAGES)
export const PTE_SPECIAL = PTE_ZERO | PTE_REFPAGE;
export const PTE_GUARD = 64; // not present: a guard-region marker (make_pte_marker(PTE_MARKER_GUARD), 6.13+); counted in PteTable.present
// a traced fault met this entry present: the recorded kernel had it mapped (a later not-present fault on it proves it left unseen)
export const PTE_TRACED = 128;

// mmap(2) prot / flags (include/uapi/asm-generic/mman-common.h, mman.h).
export const PROT_READ = 0x1;
export const PROT_WRITE = 0x2;
export const PROT_EXEC = 0x4;
export const MAP_SHARED = 0x01;
export const MAP_PRIVATE = 0x02;
export const MAP_SHARED_VALIDATE = 0x03;
export const MAP_DROPPABLE = 0x08; // 6.11+
export const MAP_TYPE = 0x0f;
export const MAP_FIXED = 0x10;
export const MAP_ANONYMOUS = 0x20;
export const MAP_GROWSDOWN = 0x100;
export const MAP_LOCKED = 0x2000;
export const MAP_NORESERVE = 0x4000;
export const MAP_POPULATE = 0x8000;
export const MAP_NONBLOCK = 0x10000;
export const MAP_STACK = 0x20000;
export const MAP_FIXED_NOREPLACE = 0x100000;

// madvise(2) behaviours (include/uapi/asm-generic/mman-common.h).
export const MADV_DONTNEED = 4;
export const MADV_FREE = 8;
export const MADV_REMOVE = 9;
export const MADV_DONTFORK = 10;
export const MADV_DOFORK = 11;
export const MADV_HUGEPAGE = 14;
export const MADV_NOHUGEPAGE = 15;
export const MADV_WIPEONFORK = 18;
export const MADV_KEEPONFORK = 19;
export const MADV_POPULATE_READ = 22;
export const MADV_POPULATE_WRITE = 23;
export const MADV_DONTNEED_LOCKED = 24;
export const MADV_GUARD_INSTALL = 102; // 6.13+
export const MADV_GUARD_REMOVE = 103;

// clone flags (include/uapi/linux/sched.h).
/** Syscalls that create a task (kernel/fork.c: kernel_clone callers). */
export const CLONE_CALLS: ReadonlySet<string> = new Set(['clone', 'clone3', 'fork', 'vfork']);
export const CLONE_VM = 0x100;
export const CLONE_VFORK = 0x4000;
export { CLONE_THREAD } from '../traces/events.js';

// The page geometry in force (live bindings: model/page_geometry.ts puts the running variant's in force).
export { PAGE_SHIFT, PAGE_SIZE, PTRS, PMD_SIZE, PUD_SIZE, PGDIR_SIZE, TABLE_BYTES, FAULT_AROUND_PAGES, VMA_PAGE } from './page_geometry.js';
/** x86-64 4-level TASK_SIZE (arch/x86/include/asm/page_64_types.h: TASK_SIZE_MAX = 2^47 - 4096). */
export const TASK_SIZE = 2 ** 47 - 4096;
