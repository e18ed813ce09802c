// Base-page geometry of the kernel build a variant models (4 KiB x86-64 / arm64, 16 KiB and 64 KiB arm64): PAGE_SHIFT,
// PTRS_PER_PTE, PMD_SIZE and the upper tables pgtables_bytes counts, as arch/*/include/asm/pgtable*.h derive them.
//
// These are compile-time constants in the kernel, so the model reads them as constants too (PAGE_SIZE, PTRS, ...,
// re-exported by flags.ts as F.PAGE_SIZE etc.). They are live bindings: the engine running a variant puts that
// variant's geometry in force (useGeometry) before each call into the model, as if each variant were its own kernel
// build; replay runs engines one after another on one thread, so exactly one geometry is in force at a time.
// Code outside an engine (tests calling model functions directly) sees the 4 KiB geometry unless it calls useGeometry.

import { userError } from '../traces/errors.js';

/** The page sizes the model knows: `--page-size` values. */
export type PageSizeName = '4k' | '16k' | '64k';
export const PAGE_SIZE_NAMES: readonly PageSizeName[] = ['4k', '16k', '64k'];

/** One kernel build's page-table geometry. */
export interface PageGeometry {
  name: PageSizeName;
  /** arch/{x86,arm64}/include/asm/page*.h: PAGE_SHIFT. */
  pageShift: number;
  /** Where the layout comes from, for the caveats and --help. */
  layout: string;
  /** PMD_SHIFT: the span one PTE table maps (and the PMD THP order: HPAGE_PMD_SHIFT = PMD_SHIFT). */
  pmdShift: number;
  /** The span one PMD table maps (PUD_SHIFT), 0 when the PMD level is folded (no PMD tables are allocated or counted). */
  pudShift: number;
  /** The span one PUD table maps (PGDIR_SHIFT on 4 levels), 0 when the PUD level is folded. */
  pgdirShift: number;
}

/**
 * arch/arm64/include/asm/pgtable-hwdef.h: ARM64_HW_PGTABLE_LEVELS(va) = (va - 4) / (PAGE_SHIFT - 3),
 * ARM64_HW_PGTABLE_LEVEL_SHIFT(n) = (PAGE_SHIFT - 3) * (4 - n) + 3, PTRS_PER_PTE = 1 << (PAGE_SHIFT - 3); a table is
 * one page (mm_inc_nr_ptes/pmds/puds add PTRS_PER_* * 8 bytes); folded levels (__PAGETABLE_P?D_FOLDED) count nothing.
 */
export const GEOMETRIES: Readonly<Record<PageSizeName, PageGeometry>> = {
  // arch/x86/include/asm/pgtable_64_types.h (4-level): PMD_SHIFT 21, PUD_SHIFT 30, PGDIR_SHIFT 39; arm64 4K VA_BITS=48 is the same
  '4k': { name: '4k', pageShift: 12, layout: 'x86-64 4-level (arm64 4K, VA_BITS=48, is the same)', pmdShift: 21, pudShift: 30, pgdirShift: 39 },
  // arm64 16K, VA_BITS=47: 3 levels (PTE, PMD, PGD): PMD_SHIFT 25 (32 MiB), PGDIR_SHIFT 36; the PUD is folded
  '16k': { name: '16k', pageShift: 14, layout: 'arm64 16K, VA_BITS=47, 3 levels (PUD folded)', pmdShift: 25, pudShift: 36, pgdirShift: 0 },
  // arm64 64K, VA_BITS=42: 2 levels (PTE, PGD): PMD_SHIFT = PGDIR_SHIFT 29 (512 MiB); PMD and PUD folded
  '64k': { name: '64k', pageShift: 16, layout: 'arm64 64K, VA_BITS=42, 2 levels (PMD and PUD folded)', pmdShift: 29, pudShift: 0, pgdirShift: 0 },
};

/** The default: the machine faultline's fixtures come from (x86-64, 4 KiB pages). */
export const DEFAULT_GEOMETRY: PageGeometry = GEOMETRIES['4k'];

// The geometry in force (see the header): set only by useGeometry.
export let PAGE_SHIFT = 12;
export let PAGE_SIZE = 4096;
/** PTRS_PER_PTE: entries per PTE table, and HPAGE_PMD_NR (pages in a PMD THP). */
export let PTRS = 512;
/** PMD_SIZE: the span of one PTE table, and HPAGE_PMD_SIZE. */
export let PMD_SIZE = 2 * 1024 * 1024;
/** The span of one PMD table (PUD_SIZE); 0 when the PMD level is folded. */
export let PUD_SIZE = 1024 * 1024 * 1024;
/** The span of one PUD table (PGDIR_SIZE on 4 levels); 0 when the PUD level is folded. */
export let PGDIR_SIZE = 512 * 1024 * 1024 * 1024;
/** Bytes of one page-table page (PTRS_PER_* * sizeof(pte_t) = one page at every level, on x86-64 and arm64). */
export let TABLE_BYTES = 4096;
/** mm/memory.c: fault_around_pages = fault_around_bytes (64 KiB) >> PAGE_SHIFT, at least 1. */
export let FAULT_AROUND_PAGES = 16;
/**
 * The granularity VMA boundaries are rounded to (PAGE_ALIGN of mmap/munmap/mprotect/madvise lengths): PAGE_SIZE, except
 * in a page-size what-if, where VMAs keep the trace's own layout (a 4 KiB program's mappings are 4 KiB-aligned; rounding
 * them to 16 KiB would overlap its ELF segments) and only the pages and tables take the what-if's size.
 */
export let VMA_PAGE = 4096;

let current: PageGeometry = DEFAULT_GEOMETRY;
let currentVma: PageGeometry = DEFAULT_GEOMETRY;

/** A geometry's sizes, worked out once: a page-size what-if switches geometry twice per event (once per variant). */
interface Sizes {
  pageSize: number;
  ptrs: number;
  pmdSize: number;
  pudSize: number;
  pgdirSize: number;
  faultAround: number;
}
const SIZES = new Map<PageGeometry, Sizes>();
function sizesOf(g: PageGeometry): Sizes {
  let z = SIZES.get(g);
  if (!z) {
    const pageSize = 2 ** g.pageShift;
    z = { pageSize, ptrs: 2 ** (g.pageShift - 3), pmdSize: 2 ** g.pmdShift, pudSize: g.pudShift ? 2 ** g.pudShift : 0, pgdirSize: g.pgdirShift ? 2 ** g.pgdirShift : 0, faultAround: Math.max(1, 65536 / pageSize) };
    SIZES.set(g, z);
  }
  return z;
}

/** Put g in force for the model code that runs next (the engine calls this before each event it handles); vma: the trace's. */
export function useGeometry(g: PageGeometry, vma: PageGeometry = g): void {
  if (g === current && vma === currentVma) return;
  current = g;
  currentVma = vma;
  const z = sizesOf(g);
  VMA_PAGE = Math.min(z.pageSize, sizesOf(vma).pageSize);
  PAGE_SHIFT = g.pageShift;
  PAGE_SIZE = z.pageSize;
  PTRS = z.ptrs;
  PMD_SIZE = z.pmdSize;
  PUD_SIZE = z.pudSize;
  PGDIR_SIZE = z.pgdirSize;
  TABLE_BYTES = z.pageSize;
  FAULT_AROUND_PAGES = z.faultAround;
}

/** The geometry in force. */
export const geometryInForce = (): PageGeometry => current;

/** The geometry the trace was recorded in (--machine-page-size; 4k when not given). */
export const machineGeometry = (spec: { machinePageSize?: PageSizeName }): PageGeometry => GEOMETRIES[spec.machinePageSize ?? '4k'];

/** The geometry a variant replays in: its what-if page size, else the machine's. */
export const variantGeometry = (spec: { machinePageSize?: PageSizeName; pageSize?: PageSizeName }): PageGeometry => GEOMETRIES[spec.pageSize ?? spec.machinePageSize ?? '4k'];

/** A --page-size / --machine-page-size value ('16k', '16K', '16384') as a PageSizeName; a one-line user error otherwise. */
export function parsePageSize(v: string, what: string): PageSizeName {
  const s = v.trim().toLowerCase();
  for (const g of Object.values(GEOMETRIES)) if (s === g.name || s === `${g.name}b` || s === `${g.name}ib` || s === String(2 ** g.pageShift)) return g.name;
  throw userError(`${what} '${v}': expected one of ${PAGE_SIZE_NAMES.join(', ')}`);
}
