// Helpers the patch files share: which VMAs a pattern-init patch owns, and the page-level steps of a fault
// (anon_vma, a fresh page, a special PTE) built from the model's page_table/pages/rss primitives.
import * as F from '../flags.js';
import { mapNewAnonPage } from '../memory.js';
import type { FaultCtx, ModelCtx, PteTable, Vma } from '../state.js';

/** What the patches remember per VMA (Vma.patchData); split VMAs share the record, as they share the file. */
export interface VmaPatchData {
  /** The variant's --select verdict, taken when the patch first sees the VMA (mmap time when traced). */
  sel: boolean;
  /** refpage-fd: page id of the special fd's one page (0 until the first read fault). */
  fdPage: number;
  /** mshare: the mapped object's identity (model/patches/mshare.ts: objectOf), '' until the patch saw the mmap. */
  obj: string;
}

/** The VMA's patch record, created (and its --select verdict taken with the current comm) on first sight. */
export function vmaData(ctx: ModelCtx, vma: Vma): VmaPatchData {
  let d = vma.patchData as VmaPatchData | null | undefined;
  if (!d || typeof d !== 'object' || typeof d.sel !== 'boolean') {
    d = { sel: ctx.selector(vma, ctx.curComm), fdPage: 0, obj: '' };
    vma.patchData = d;
  }
  return d;
}

/** True when the variant's --select expression chose this VMA for pattern initialisation. */
export function selected(ctx: ModelCtx, vma: Vma): boolean {
  return vmaData(ctx, vma).sel;
}

/** Clear entry i if it maps a special page (zero page / refpage: no rmap, no RSS to undo). */
export function dropSpecial(t: PteTable, i: number): void {
  if ((t.fl[i]! & F.PTE_PRESENT) && (t.fl[i]! & F.PTE_SPECIAL)) {
    t.fl[i] = 0;
    t.page[i] = 0;
    t.present--;
  }
}

/**
 * A fresh exclusive anon page at entry i (mm/memory.c: do_anonymous_page write half, or wp_page_copy from a special
 * PTE): a special entry there is dropped first, then memory.ts's mapNewAnonPage (anon_vma, allocation, rmap, MM_ANONPAGES + 1).
 */
export function mapNewAnon(ctx: ModelCtx, f: FaultCtx, t: PteTable, i: number, writable: boolean): void {
  dropSpecial(t, i);
  mapNewAnonPage(ctx, f, t, i, writable);
}

/** Install a special read-only PTE (mm/memory.c: do_anonymous_page: pte_mkspecial(pfn_pte(pfn, vm_page_prot))). */
export function mapSpecial(t: PteTable, i: number, bit: number): void {
  if (!(t.fl[i]! & F.PTE_PRESENT)) t.present++;
  t.fl[i] = F.PTE_PRESENT | bit;
  t.page[i] = 0;
}

/** The VMA is a private anonymous mapping (vm_ops == NULL, !VM_SHARED). */
export function isPrivateAnon(vma: Vma): boolean {
  return (vma.kind & F.KIND_ANON) !== 0 && (vma.kind & F.KIND_SHMEM) === 0 && (vma.flags & F.VM_SHARED) === 0;
}
