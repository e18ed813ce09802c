// mmap, munmap, brk, mremap, mprotect, mlock on the model's VMA list (mm/mmap.c, mm/vma.c, mm/mremap.c, mm/mprotect.c, mm/mlock.c).
import * as F from './flags.js';
import { findVma, insertVma, mergeAround, newVma, splitRange, unmapRange } from './mm.js';
import { populateRange } from './populate.js';
import { allocUpper, blockOf, freePgdRange, pageUp, pteAlloc, pteIndex } from './page_table.js';
import { PAGE_ANON_EXCLUSIVE, PMD_TABLE, type Mm, type ModelCtx, type Vma } from './state.js';

/** include/linux/mman.h: calc_vm_prot_bits + calc_vm_flag_bits, plus VM_MAYWRITE for private or writable-shared maps. */
export function vmFlagsFor(prot: number, flags: number, defFlags: number): number {
  let vf = (prot & 7) | defFlags;
  const type = flags & F.MAP_TYPE; // mm/mmap.c: do_mmap: switch (flags & MAP_TYPE)
  if (type === F.MAP_SHARED || type === F.MAP_SHARED_VALIDATE) vf |= F.VM_SHARED;
  // MAP_DROPPABLE (6.11+): MAP_PRIVATE plus VM_DROPPABLE (KIND_DROPPABLE here) | VM_NORESERVE | VM_WIPEONFORK | VM_DONTDUMP
  if (type === F.MAP_DROPPABLE) vf |= F.VM_WIPEONFORK;
  if (!(vf & F.VM_SHARED) || (prot & F.PROT_WRITE)) vf |= F.VM_MAYWRITE;
  if (flags & F.MAP_GROWSDOWN) vf |= F.VM_GROWSDOWN;
  if (flags & F.MAP_LOCKED) vf |= F.VM_LOCKED;
  // mm/mmap.c: accountable_mapping: private writable without MAP_NORESERVE is VM_ACCOUNT (it keeps VMAs apart)
  if (!(vf & F.VM_SHARED) && (prot & F.PROT_WRITE) && !(flags & F.MAP_NORESERVE) && type !== F.MAP_DROPPABLE) vf |= F.VM_ACCOUNT;
  return vf;
}

/** mm/mmap.c: do_mmap at the address the syscall returned; MAP_POPULATE / VM_LOCKED populate (mm_populate). */
export function doMmap(ctx: ModelCtx, mm: Mm, addr: number, len: number, prot: number, flags: number, fd: number, off: number, out: Float64Array): Vma | null {
  len = pageUp(len);
  if (len <= 0) return null;
  const anon = (flags & F.MAP_ANONYMOUS) !== 0 || fd < 0 || fd >= 0x7fffffff;
  unmapRange(ctx, mm, addr, addr + len); // MAP_FIXED (or a stale model range): the old mapping goes first
  const vf = vmFlagsFor(prot, flags, mm.defFlags);
  const shared = (vf & F.VM_SHARED) !== 0;
  const kind = anon ? (shared ? F.KIND_SHMEM : F.KIND_ANON) : F.KIND_FILE;
  let kindStack = 0;
  if (flags & (F.MAP_STACK | F.MAP_GROWSDOWN)) kindStack = F.KIND_STACK;
  // VM_DROPPABLE: faults and RSS as private anon (MM_ANONPAGES); the folios are not swap-backed, so reclaim may drop
  // them (mm/rmap.c: folio_add_new_anon_rmap, try_to_unmap_one) -- a trace has no memory pressure, so none is dropped
  if (anon && (flags & F.MAP_TYPE) === F.MAP_DROPPABLE) kindStack |= F.KIND_DROPPABLE;
  const vma = newVma(addr, addr + len, vf, kind | kindStack, anon && !shared ? addr / F.PAGE_SIZE : Math.floor(off / F.PAGE_SIZE), anon ? -1 : fd);
  insertVma(mm, vma);
  let v = mergeAround(mm, vma);
  ctx.hooks.do_mmap(ctx, mm, v, out); // memset / eager-populate pages count as the syscall's GUP faults
  v = findVma(mm, addr) ?? v;
  // mm/mmap.c: do_mmap: populate if VM_LOCKED or (MAP_POPULATE without MAP_NONBLOCK)
  if ((vf & F.VM_LOCKED) || (flags & (F.MAP_POPULATE | F.MAP_NONBLOCK)) === F.MAP_POPULATE) populateRange(ctx, mm, v, addr, addr + len, null, out);
  return v;
}

/** mm/mmap.c: SYSCALL_DEFINE1(brk): grow or shrink the heap VMA to the returned break. */
export function doBrk(ctx: ModelCtx, mm: Mm, newBrk: number, out: Float64Array): void {
  if (mm.brk < 0) {
    mm.brkStart = newBrk; // the first brk seen (usually brk(0)) tells the current break
    mm.brk = newBrk;
    return;
  }
  const old = mm.brk;
  const oldEnd = pageUp(old), newEnd = pageUp(newBrk);
  mm.brk = newBrk;
  if (newEnd < oldEnd) {
    ctx.hooks.break_cow_pte(ctx, mm, newEnd, oldEnd, 'brk');
    unmapRange(ctx, mm, newEnd, oldEnd); // shrink: do_vmi_align_munmap
    return;
  }
  if (newEnd === oldEnd) return;
  // mm/vma.c: do_brk_flags: extend the heap VMA or make a new anonymous one
  const prev = findVma(mm, oldEnd - 1);
  let v: Vma;
  if (prev && prev.end === oldEnd && (prev.kind & F.KIND_HEAP)) {
    prev.end = newEnd;
    v = prev;
  } else {
    v = newVma(oldEnd, newEnd, F.VM_READ | F.VM_WRITE | F.VM_MAYWRITE | F.VM_ACCOUNT | mm.defFlags, F.KIND_ANON | F.KIND_HEAP, oldEnd / F.PAGE_SIZE, -1); // do_brk_flags: VM_ACCOUNT
    unmapRange(ctx, mm, oldEnd, newEnd);
    insertVma(mm, v);
    v = mergeAround(mm, v);
  }
  mm.lastVma = null;
  ctx.hooks.brk(ctx, mm, v, oldEnd, newEnd, out);
  if (mm.defFlags & F.VM_LOCKED) populateRange(ctx, mm, v, oldEnd, newEnd, null, out); // mm_populate after brk
}

/** mm/mprotect.c: mprotect_fixup + change_protection: new VMA flags; PTEs lose write, or gain it where exclusive. */
export function doMprotect(ctx: ModelCtx, mm: Mm, start: number, len: number, prot: number): void {
  const end = start + pageUp(len);
  ctx.hooks.break_cow_pte(ctx, mm, start, end, 'mprotect');
  for (const v of splitRange(mm, start, end)) {
    const nf = (v.flags & ~7) | (prot & 7);
    const gainsWrite = !(v.flags & F.VM_WRITE) && (nf & F.VM_WRITE);
    const losesWrite = (v.flags & F.VM_WRITE) && !(nf & F.VM_WRITE);
    // mm/mprotect.c: mprotect_fixup charges a private mapping gaining write (VM_ACCOUNT), never uncharges on losing it
    v.flags = nf | ((nf & F.VM_WRITE) ? F.VM_MAYWRITE : 0) | (gainsWrite && !(v.flags & F.VM_SHARED) ? F.VM_ACCOUNT : 0);
    if (losesWrite || gainsWrite) changePteWrite(ctx, mm, v, losesWrite ? 0 : 1);
    mergeAround(mm, v);
  }
}

/** mm/mprotect.c: change_pte_range: drop write, or set it where can_change_pte_writable (private: anon-exclusive). */
function changePteWrite(ctx: ModelCtx, mm: Mm, v: Vma, write: number): void {
  for (let b = blockOf(v.start); b * F.PMD_SIZE < v.end; b++) {
    const slot = mm.pmds.get(b);
    if (!slot) continue;
    if (slot.kind !== PMD_TABLE) {
      slot.write = write === 1 && (ctx.pages.flags[slot.folio]! & PAGE_ANON_EXCLUSIVE) !== 0;
      continue;
    }
    const t = slot.table!;
    const i0 = Math.max(v.start, b * F.PMD_SIZE), i1 = Math.min(v.end, (b + 1) * F.PMD_SIZE);
    for (let a = i0; a < i1; a += F.PAGE_SIZE) {
      const i = pteIndex(a);
      const fl = t.fl[i]!;
      if (!(fl & F.PTE_PRESENT)) continue;
      if (!write) t.fl[i] = fl & ~F.PTE_WRITE;
      else if (v.flags & F.VM_SHARED) t.fl[i] = fl | F.PTE_WRITE;
      else if (!(fl & (F.PTE_SPECIAL | F.PTE_FILE | F.PTE_SHMEM)) && (ctx.pages.flags[t.page[i]!]! & PAGE_ANON_EXCLUSIVE)) t.fl[i] = fl | F.PTE_WRITE;
    }
  }
}

/** mm/mremap.c: mremap to the returned address: shrink, grow in place, or move the VMA and its PTEs (move_page_tables). */
export function doMremap(ctx: ModelCtx, mm: Mm, oldAddr: number, oldLen: number, newLen: number, newAddr: number): void {
  oldLen = pageUp(oldLen);
  newLen = pageUp(newLen);
  const v = findVma(mm, oldAddr);
  if (!v) return;
  ctx.hooks.break_cow_pte(ctx, mm, oldAddr, oldAddr + oldLen, 'mremap');
  if (newAddr === oldAddr) {
    if (newLen < oldLen) unmapRange(ctx, mm, oldAddr + newLen, oldAddr + oldLen);
    else if (newLen > oldLen) {
      splitRange(mm, oldAddr, oldAddr + oldLen);
      const w = findVma(mm, oldAddr)!;
      unmapRange(ctx, mm, oldAddr + oldLen, oldAddr + newLen);
      w.end = oldAddr + newLen; // vma_expand
      mm.lastVma = null;
    }
    return;
  }
  const moved = Math.min(oldLen, newLen);
  splitRange(mm, oldAddr, oldAddr + oldLen);
  const src = findVma(mm, oldAddr)!;
  unmapRange(ctx, mm, newAddr, newAddr + newLen);
  const dst = newVma(newAddr, newAddr + newLen, src.flags, src.kind, src.kind & F.KIND_ANON ? newAddr / F.PAGE_SIZE : src.pgoff, src.file);
  dst.anonVma = src.anonVma;
  insertVma(mm, dst);
  // move_ptes: entries move, counters stay; the old range's tables go with free_pgtables
  for (let a = oldAddr; a < oldAddr + moved; a += F.PAGE_SIZE) {
    const s = mm.pmds.get(blockOf(a));
    if (!s) {
      a = (blockOf(a) + 1) * F.PMD_SIZE - F.PAGE_SIZE;
      continue;
    }
    if (s.kind !== PMD_TABLE) continue; // a huge PMD is not moved (move_huge_pmd is not modelled): it stays, rare
    const t = s.table!, i = pteIndex(a);
    if (!(t.fl[i]! & F.PTE_PRESENT)) continue;
    const na = newAddr + (a - oldAddr);
    allocUpper(ctx, mm, na);
    const ds = mm.pmds.get(blockOf(na)) ?? pteAlloc(ctx, mm, blockOf(na));
    if (ds.kind !== PMD_TABLE) continue;
    const dt = ds.table!; // a PMD_TABLE slot always has its table (pteAlloc, fork, split)
    const j = pteIndex(na);
    dt.fl[j] = t.fl[i]!;
    dt.page[j] = t.page[i]!;
    dt.present++;
    t.fl[i] = 0;
    t.page[i] = 0;
    t.present--;
  }
  const idx = mm.vmas.indexOf(src);
  const prev = mm.vmas[idx - 1], next = mm.vmas[idx + 1];
  mm.vmas.splice(idx, 1);
  mm.lastVma = null;
  freePgdRange(ctx, mm, oldAddr, oldAddr + oldLen, prev ? prev.end : 0, next ? next.start : 0);
  if (oldLen > newLen) unmapRange(ctx, mm, oldAddr + newLen, oldAddr + oldLen);
}

/** mm/mlock.c: do_mlock / apply_vma_lock_flags (+ __mm_populate unless MLOCK_ONFAULT); on=false for munlock. */
export function doMlock(ctx: ModelCtx, mm: Mm, start: number, len: number, on: boolean, onFault: boolean, out: Float64Array): void {
  const s = Math.floor(start / F.VMA_PAGE) * F.VMA_PAGE, end = pageUp(start + len);
  for (const v of splitRange(mm, s, end)) {
    if (on && v.kind & F.KIND_DROPPABLE) continue; // mm/mlock.c: mlock_fixup: VM_DROPPABLE is never locked
    if (on) v.flags |= F.VM_LOCKED | (onFault ? F.VM_LOCKONFAULT : 0);
    else v.flags &= ~(F.VM_LOCKED | F.VM_LOCKONFAULT);
    if (on && !onFault) populateRange(ctx, mm, v, v.start, v.end, null, out);
  }
}

/** mm/mlock.c: mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) and munlockall. */
export function doMlockall(ctx: ModelCtx, mm: Mm, flags: number, on: boolean, out: Float64Array): void {
  const MCL_CURRENT = 1, MCL_FUTURE = 2, MCL_ONFAULT = 4;
  if (!on) {
    mm.defFlags &= ~F.VM_LOCKED;
    for (const v of mm.vmas) v.flags &= ~(F.VM_LOCKED | F.VM_LOCKONFAULT);
    return;
  }
  if (flags & MCL_FUTURE) mm.defFlags |= F.VM_LOCKED;
  if (flags & MCL_CURRENT)
    for (const v of [...mm.vmas]) {
      if (v.kind & F.KIND_DROPPABLE) continue; // mm/mlock.c: mlock_fixup skips VM_DROPPABLE
      v.flags |= F.VM_LOCKED | (flags & MCL_ONFAULT ? F.VM_LOCKONFAULT : 0);
      if (!(flags & MCL_ONFAULT)) populateRange(ctx, mm, v, v.start, v.end, null, out);
    }
}
