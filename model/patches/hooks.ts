// One variant's patches resolved once into a frozen record of hooks: each hook is mainline's default when no patch
// implements it, the patch's own function when one does, and the patches' functions in --patch order when several do.
import * as F from '../flags.js';
import type { FaultCtx, ModelCtx, Mm, PmdSlot, PteTable, Vma } from '../state.js';
import type { BreakCause, Patch, PatchHooks } from './patch.js';

/** The hooks the model calls, every one present; `patched` is false for mainline (no patch at all). */
export interface Hooks {
  readonly patched: boolean;
  /** Some patch hooks a fault's way to do_anonymous_page (handle_mm_fault, break_cow_pte, pmd_install, handle_pte_fault,
   * do_anonymous_page): false lets bulk writers map plain anon pages without the per-fault dispatch (memory.ts: plainAnonWrites). */
  readonly faultHooked: boolean;
  /** A patch shares, installs or copies PTE tables itself (cow-pte, mshare): a table may be held beyond its mm's PMD. */
  readonly tablesShared: boolean;
  /** include/linux/pgtable.h: is_zero_pfn (refpage: is_zero_or_refpage_pfn). */
  is_zero_pfn(ctx: ModelCtx, fl: number): boolean;
  /** mm/memory.c: do_anonymous_page: true when a patch handled the fault (mainline: false). */
  do_anonymous_page(ctx: ModelCtx, f: FaultCtx, table: PteTable, i: number): boolean;
  /** mm/memory.c: wp_page_copy: true when a patch handled the copy (mainline: false). */
  wp_page_copy(ctx: ModelCtx, f: FaultCtx, table: PteTable, i: number): boolean;
  /** include/linux/huge_mm.h: thp_vma_suitable_order: a patch's verdict, or undefined for mainline's. */
  thp_vma_suitable_order(ctx: ModelCtx, vma: Vma, addr: number): boolean | undefined;
  /** mm/mmap.c: do_mmap, after the VMA is in place (mainline: nothing). */
  do_mmap(ctx: ModelCtx, mm: Mm, vma: Vma, out: Float64Array): void;
  /** mm/mmap.c: brk growth (mainline: nothing). */
  brk(ctx: ModelCtx, mm: Mm, vma: Vma, oldEnd: number, newEnd: number, out: Float64Array): void;
  /** mm/memory.c: copy_pte_range for one block: true when a patch handled it (mainline: false). */
  copy_pte_range(ctx: ModelCtx, dst: Mm, src: Mm, vma: Vma, block: number, counts: Float64Array): boolean;
  /** mm/memory.c: __pte_alloc -> pmd_install: a patch's shared table for the block, or undefined (mainline allocates). */
  pmd_install(ctx: ModelCtx, f: FaultCtx, block: number): PmdSlot | undefined;
  /** mm/memory.c: handle_pte_fault entry (done = false) and return (done = true) with the fault's PTE table (mainline: nothing). */
  handle_pte_fault(ctx: ModelCtx, f: FaultCtx, table: PteTable, done: boolean): void;
  /** COW PTE: break_cow_pte over [start, end); the tables allocated (mainline: 0, no table is ever shared). */
  break_cow_pte(ctx: ModelCtx, mm: Mm, start: number, end: number, cause: BreakCause): number;
  /** mm/memory.c: handle_mm_fault entry (mainline: nothing). */
  handle_mm_fault(ctx: ModelCtx, f: FaultCtx): void;
}

/** include/linux/pgtable.h: is_zero_pfn: the entry maps the shared zero page. */
const mainlineIsZeroPfn = (_ctx: ModelCtx, fl: number): boolean => (fl & F.PTE_ZERO) !== 0;

/** The implementations of hook k among patches, in order. */
function impls<K extends keyof PatchHooks>(patches: readonly Patch[], k: K): NonNullable<PatchHooks[K]>[] {
  const out: NonNullable<PatchHooks[K]>[] = [];
  for (const p of patches) {
    const h = p[k];
    if (h) out.push(h.bind(p) as NonNullable<PatchHooks[K]>);
  }
  return out;
}

/** Resolve a variant's patches (in --patch order) into its hooks, once per variant. */
export function resolveHooks(patches: readonly Patch[]): Hooks {
  const zero = impls(patches, 'is_zero_pfn');
  const anon = impls(patches, 'do_anonymous_page');
  const wpCopy = impls(patches, 'wp_page_copy');
  const thp = impls(patches, 'thp_vma_suitable_order');
  const mmap = impls(patches, 'do_mmap');
  const brk = impls(patches, 'brk');
  const copy = impls(patches, 'copy_pte_range');
  const breakCow = impls(patches, 'break_cow_pte');
  const fault = impls(patches, 'handle_mm_fault');
  const pteFault = impls(patches, 'handle_pte_fault');
  const install = impls(patches, 'pmd_install');
  return Object.freeze<Hooks>({
    patched: patches.length > 0,
    faultHooked: fault.length + breakCow.length + install.length + pteFault.length + anon.length > 0,
    tablesShared: breakCow.length + copy.length + install.length + pteFault.length > 0,
    // the first patch with a verdict decides; none: mainline's
    is_zero_pfn:
      zero.length === 0
        ? mainlineIsZeroPfn
        : (ctx, fl) => {
            for (const h of zero) {
              const r = h(ctx, fl);
              if (r !== undefined) return r;
            }
            return mainlineIsZeroPfn(ctx, fl);
          },
    // the first patch that handles the fault wins
    do_anonymous_page: anon.length === 0 ? () => false : (ctx, f, t, i) => anon.some((h) => h(ctx, f, t, i)),
    wp_page_copy: wpCopy.length === 0 ? () => false : (ctx, f, t, i) => wpCopy.some((h) => h(ctx, f, t, i)),
    thp_vma_suitable_order:
      thp.length === 0
        ? () => undefined
        : (ctx, vma, addr) => {
            for (const h of thp) {
              const r = h(ctx, vma, addr);
              if (r !== undefined) return r;
            }
            return undefined;
          },
    // every patch runs
    do_mmap: mmap.length === 0 ? () => undefined : (ctx, mm, vma, out) => mmap.forEach((h) => h(ctx, mm, vma, out)),
    brk: brk.length === 0 ? () => undefined : (ctx, mm, vma, o, n, out) => brk.forEach((h) => h(ctx, mm, vma, o, n, out)),
    copy_pte_range:
      copy.length === 0
        ? () => false
        : (ctx, dst, src, vma, b, counts) => {
            let handled = false;
            for (const h of copy) if (h(ctx, dst, src, vma, b, counts)) handled = true;
            return handled;
          },
    break_cow_pte:
      breakCow.length === 0
        ? () => 0
        : (ctx, mm, start, end, cause) => {
            let n = 0;
            for (const h of breakCow) n += h(ctx, mm, start, end, cause);
            return n;
          },
    handle_mm_fault: fault.length === 0 ? () => undefined : (ctx, f) => fault.forEach((h) => h(ctx, f)),
    // the first patch that installs a table wins
    pmd_install:
      install.length === 0
        ? () => undefined
        : (ctx, f, b) => {
            for (const h of install) {
              const s = h(ctx, f, b);
              if (s) return s;
            }
            return undefined;
          },
    handle_pte_fault: pteFault.length === 0 ? () => undefined : (ctx, f, t, done) => pteFault.forEach((h) => h(ctx, f, t, done)),
  });
}
