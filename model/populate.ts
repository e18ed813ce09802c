// Eager population by GUP (mm/gup.c: populate_vma_page_range, faultin_page): MAP_POPULATE, mlock, MADV_POPULATE_*.
// Each page needing a fault is a handle_mm_fault with no trap: counted in minflt, no page_fault_user event.
import * as F from './flags.js';
import { handleMmFault, mapNewAnonPages, newFaultCtx, plainAnonWrites } from './memory.js';
import { blockOf, entryFlagsAt, pteIndex, upperPresent } from './page_table.js';
import { PMD_TABLE, type FaultCtx, type Mm, type ModelCtx, type Vma } from './state.js';

const gf: FaultCtx = newFaultCtx(null as never);

/** Whether a GUP access at addr needs handle_mm_fault (mm/gup.c: follow_page_mask found no suitable PTE). */
function needsFault(mm: Mm, addr: number, write: boolean): boolean {
  const fl = entryFlagsAt(mm, addr);
  return !(fl & F.PTE_PRESENT) || (write && !(fl & F.PTE_WRITE));
}

/**
 * mm/gup.c: populate_vma_page_range over [start, end) of vma: FOLL_WRITE for private writable VMAs (write = null),
 * or as asked (MADV_POPULATE_READ/WRITE). Returns {faults, pages, tables} summed into out.
 */
export function populateRange(ctx: ModelCtx, mm: Mm, vma: Vma, start: number, end: number, write: boolean | null, out: Float64Array): void {
  if (vma.flags & F.VM_LOCKONFAULT && write === null) return; // mlock2(MLOCK_ONFAULT) populates nothing
  const w = write ?? (vma.flags & (F.VM_WRITE | F.VM_SHARED)) === F.VM_WRITE;
  gf.mm = mm;
  gf.vma = vma;
  gf.write = w;
  const plain = w && plainAnonWrites(ctx, vma);
  for (let a = Math.max(start, vma.start); a < Math.min(end, vma.end); ) {
    if (needsFault(mm, a, w)) {
      gf.address = a;
      gf.path = '';
      gf.pagesAllocated = 0;
      gf.tablesAllocated = 0;
      gf.fileHint = -1;
      handleMmFault(ctx, gf);
      out[0]!++;
      out[1]! += gf.pagesAllocated;
      out[2]! += gf.tablesAllocated;
      ctx.gupFaults++;
    }
    const b = blockOf(a);
    const slot = mm.pmds.get(b);
    // a PMD mapping covers the whole block: GUP steps over it (follow_pmd_mask)
    if (slot && slot.kind !== PMD_TABLE) {
      a = (b + 1) * F.PMD_SIZE;
      continue;
    }
    a += F.PAGE_SIZE;
    if (!plain || !slot || !upperPresent(mm, a)) continue;
    // the rest of this PTE table: a none entry is a plain anon write fault (memory.ts: plainAnonWrites), mapped without
    // handleMmFault's dispatch; a present writable one needs none; anything else goes the way above
    const t = slot.table!;
    const limit = Math.min(end, vma.end, (b + 1) * F.PMD_SIZE);
    for (let i = pteIndex(a); a < limit; ) {
      const e = t.fl[i]!;
      if ((e & (F.PTE_PRESENT | F.PTE_WRITE)) === (F.PTE_PRESENT | F.PTE_WRITE)) {
        a += F.PAGE_SIZE;
        i++;
        continue;
      }
      if (e !== 0) break;
      // a run of none entries: k faults of one page each (memory.ts mapNewAnonPages: as k mapNewAnonPage calls)
      let k = 1;
      while (a + k * F.PAGE_SIZE < limit && t.fl[i + k] === 0) k++;
      gf.address = a + (k - 1) * F.PAGE_SIZE;
      gf.tablesAllocated = 0;
      gf.fileHint = -1;
      gf.pagesAllocated = 0;
      mapNewAnonPages(ctx, gf, t, i, k, true);
      gf.pagesAllocated = 1; // each fault's own, as the last one left it
      gf.path = 'anon_alloc';
      out[0]! += k;
      out[1]! += k;
      ctx.gupFaults += k;
      a += k * F.PAGE_SIZE;
      i += k;
    }
  }
}
