// cow-pte: Chih-En Lin's copy-on-write PTE tables ("[RFC PATCH 0/6] Introduce Copy-On-Write to Page Table",
// RFC v1 2022-05-19 and RFC v2 2022-09-27; v3-v5 to 2023-04-14; never merged; seed 004, model/README.md: COW page tables).
// Status: abandoned. No posting followed v5 (2023-04-14). Issue 16 says a February 2026 review judged it unfeasible;
// that review is not in ../shared/seeds and was not found in the stored search corpora, so its reasons are not
// recorded here. What the seeds hold is the 2022 review of RFC v1 (seed 004, David Hildenbrand): no workload shown to
// benefit (large forks for snapshots have uffd-wp as the alternative), added complexity for rmap, accounting, GUP,
// page-table walkers and OOM in walkers, swap not handled, and simple fork users possibly slower.
// At fork, a PTE table whose 2 MiB range lies wholly inside one qualifying VMA (private anonymous, not brk, not
// shared) is shared with the child (table refcount + 1, both PMDs write-protected) instead of copied.
// Kernel functions it changes:
//   mm/memory.c: copy_pte_range -> (RFC v2) copy_cow_pte_range   share the table; RFC v1/v2 do no per-page work, so
//                the child's RSS and pgtables_bytes exclude it (the owner, the parent, stays charged); v3+
//                (--patch-option cow-pte=v3) does the per-page accounting (RSS, refcount, mapcount, write-protect)
//                in fork again and still charges the table to the owner
//   mm/memory.c: handle_cow_pte_fault / break_cow_pte            a fault in a shared table, or a modifier (mprotect,
//                mremap, partial munmap/madvise), copies the table (refcount > 1) or reuses it (refcount == 1); the
//                mm that was not charged for the table is charged then (pgtables + 4 KiB, RSS in v1/v2); page-level
//                COW still follows (the copied PTEs are write-protected on both sides)
//   mm/memory.c: zap_pte_range / free_pte_range (v5: zap clears the PMD)  munmap, exit or MADV_DONTNEED of a whole
//                shared table only drops this mm's reference; the last owner zaps the pages and frees the table
// Every break fires the model:cow_pte_break probe (how = copy | reuse, cause = what broke it).
import * as F from '../flags.js';
import { folioMmMap, putPage } from '../pages.js';
import { doAnonymousPage } from '../memory.js';
import { allocUpper, forEachPmd, newTable, pteMember } from '../page_table.js';
import { addMmRssVec, addPgtables } from '../rss.js';
import { PAGE_ANON_EXCLUSIVE, PMD_TABLE, type Mm, type ModelCtx, type PmdSlot, type PteTable, type Vma } from '../state.js';
import type { CowPteBreakRecord } from '../types.js';
import { userError } from '../../traces/errors.js';
import type { Patch } from './patch.js';

/** The mm charged for a shared table (RFC v1: "ownership" by PMD-index address); -1 once the owner broke away. */
const owners = new WeakMap<PteTable, number>();

/** mm is the one charged for shared table t. */
const ownedBy = (mm: Mm, t: PteTable): boolean => owners.get(t) === mm.idx;

const rec: CowPteBreakRecord = { variant: '', time: 0, pid: 0, comm: '', address: 0, how: 'copy', cause: '' };
const vec = new Float64Array(4);

/** --patch-option cow-pte=v3: per-page accounting back in fork (v3 cover letter: "All of the benchmarks dropped"). */
export function cowPteV3(ctx: ModelCtx): boolean {
  const v = ctx.spec.patchOptions['cow-pte'];
  return v !== undefined && /^v?[345]$/.test(v);
}

/** RFC v1: only anonymous mappings, tables wholly inside one VMA, brk and shared memory excluded. */
function qualifies(vma: Vma, block: number): boolean {
  const s = block * F.PMD_SIZE;
  if (s < vma.start || s + F.PMD_SIZE > vma.end) return false;
  if ((vma.kind & F.KIND_ANON) === 0 || (vma.kind & (F.KIND_HEAP | F.KIND_SHMEM)) !== 0) return false;
  return (vma.flags & F.VM_SHARED) === 0;
}

/**
 * Add (sign +1) or drop (-1) per-page state for the pages table t maps: page refcounts (refs: the table gains or
 * loses a mapping of them) and mm's share (rss: MM_* counters and the large-folio mm map).
 */
function chargePages(ctx: ModelCtx, mm: Mm, t: PteTable, sign: number, refs: boolean, rss: boolean): void {
  const p = ctx.pages;
  for (let i = 0; i < F.PTRS; i++) {
    const fl = t.fl[i]!;
    if (!(fl & F.PTE_PRESENT) || (fl & F.PTE_SPECIAL)) continue; // vm_normal_page NULL: no refcount, no RSS
    const page = t.page[i]!;
    if (page && refs) {
      if (sign > 0) p.refcount[page]!++;
      else putPage(p, page);
    }
    if (!rss) continue;
    if (page) {
      const head = p.head[page]!;
      if (head) folioMmMap(p, head, mm.idx, sign);
    }
    vec[pteMember(fl)]! += sign;
  }
  if (rss) addMmRssVec(ctx, mm, vec);
}

/** mm/memory.c: __copy_present_ptes in a COW mapping: write-protect every entry, pages lose PageAnonExclusive. */
function wrprotectShared(ctx: ModelCtx, t: PteTable): void {
  const p = ctx.pages;
  for (let i = 0; i < F.PTRS; i++) {
    const fl = t.fl[i]!;
    if (!(fl & F.PTE_PRESENT)) continue;
    t.fl[i] = fl & ~F.PTE_WRITE;
    if (!(fl & F.PTE_SPECIAL) && t.page[i]) p.flags[t.page[i]!]! &= ~PAGE_ANON_EXCLUSIVE;
  }
}

function probe(ctx: ModelCtx, mm: Mm, block: number, how: 'copy' | 'reuse', cause: string): void {
  const cb = ctx.probes.cowPteBreak;
  if (!cb) return;
  rec.variant = ctx.spec.name;
  rec.time = ctx.now;
  rec.pid = mm.ownerPid;
  rec.comm = ctx.curComm;
  rec.address = block * F.PMD_SIZE;
  rec.how = how;
  rec.cause = cause;
  cb(rec);
}

/**
 * mm/memory.c: break_cow_pte for one shared table of mm: copy it (refcount > 1) or take it over (== 1); the mm not
 * yet charged for the table is charged now. Returns the tables allocated.
 * Page refcount here = mappings by distinct tables (v1/v2) or by mms (v3, where fork already counted each sharer).
 */
function breakOne(ctx: ModelCtx, mm: Mm, slot: PmdSlot, block: number, cause: string): number {
  const t = slot.table!;
  const v3 = cowPteV3(ctx);
  const isOwner = ownedBy(mm, t);
  slot.shared = false;
  slot.write = true; // the PMD is writable again; the PTEs keep their own protection
  if (t.refcount > 1) {
    // allocate a table and copy the entries with copy_present_ptes semantics; the shared one loses a reference
    if (!v3) wrprotectShared(ctx, t); // v1/v2 deferred fork's per-page work to this copy
    const c = newTable();
    c.page.set(t.page);
    c.fl.set(t.fl);
    c.present = t.present;
    t.refcount--;
    slot.table = c;
    if (isOwner) owners.set(t, -1); // the owner's charges now cover its copy; the old table is uncharged
    else addPgtables(ctx, mm, 1); // mm_inc_nr_ptes for the new table
    if (!v3) chargePages(ctx, mm, c, 1, true, !isOwner); // the copy maps every page once more
    probe(ctx, mm, block, 'copy', cause);
    return 1;
  }
  takeOver(ctx, mm, slot); // refcount == 1: this mm is the last user and reuses the table
  probe(ctx, mm, block, 'reuse', cause);
  return 0;
}

/** The last user of a shared table makes it its own: charged now unless it was the owner. */
function takeOver(ctx: ModelCtx, mm: Mm, slot: PmdSlot): void {
  const t = slot.table!;
  const isOwner = ownedBy(mm, t);
  owners.delete(t);
  slot.shared = false;
  slot.write = true;
  if (isOwner) return;
  addPgtables(ctx, mm, 1);
  if (!cowPteV3(ctx)) chargePages(ctx, mm, t, 1, false, true);
}

/** Zap of a whole shared table (munmap, exit, MADV_DONTNEED): drop this mm's reference and clear its PMD. */
function dropOne(ctx: ModelCtx, mm: Mm, slot: PmdSlot, block: number): void {
  const t = slot.table!;
  const v3 = cowPteV3(ctx);
  const isOwner = ownedBy(mm, t);
  t.refcount--;
  mm.pmds.delete(block);
  if (isOwner) {
    owners.set(t, -1);
    addPgtables(ctx, mm, -1);
  }
  // v3 charged every sharer's pages at fork; v1/v2 only the owner's, and the table still maps the pages
  if (v3 || isOwner) chargePages(ctx, mm, t, -1, v3, true);
}

const ZAP_CAUSES = new Set(['munmap', 'exit', 'madvise']);

export const cowPte: Patch<never> = {
  name: 'cow-pte',
  description: 'fork shares whole PTE tables of anon VMAs (write-protected PMD); first fault or modifier copies the table',
  status: {
    kind: 'abandoned',
    why: 'no posting followed v5 (2023-04-14); the February 2026 review judging it unfeasible is not in the seeds, whose 2022 review (seed 004) asks which workload benefits and objects to the added complexity for rmap, accounting, GUP and page-table walkers, unhandled swap, and slower simple fork users',
  },
  source: 'Chih-En Lin, "[RFC PATCH 0/6] Introduce Copy-On-Write to Page Table" (RFC v1/v2 2022, v3-v5 2023); seed 004',
  reproduces:
    'RFC v2-v5 cover letter: child VmPTE after a 1 GiB fork 2096 kB -> 44 kB; seed 004 (RFC v1): mainline PageTables 3356 -> 5432 kB across that fork (fork_1g: child VmPTE 2096 kB in /proc and on mainline, the 512 shared tables (2048 kB) less with cow-pte; model/patches/fixtures_fork.test.ts)',
  // a break keeps the fault's own path; its table copy is priced from the record's tablesCopied (model/costs.ts)
  paths: {},

  // --patch-option cow-pte=v1|v2 (default semantics) or v3|v4|v5 (per-page accounting in fork)
  init(ctx) {
    const v = ctx.spec.patchOptions['cow-pte'];
    if (v !== undefined && !/^v?[1-5]$/.test(v)) throw userError(`cow-pte option '${v}': expected a series version, v1 to v5 (v3+ moves per-page accounting back into fork)`);
  },

  // mm/memory.c: copy_pte_range (RFC v2: copy_cow_pte_range): share src's table with dst instead of copying
  copy_pte_range(ctx, dst, src, vma, block, counts) {
    const slot = src.pmds.get(block);
    if (!slot || slot.kind !== PMD_TABLE || !slot.table || !qualifies(vma, block)) return false;
    const t = slot.table;
    if (t.refcount === 1 || !owners.has(t)) owners.set(t, src.idx);
    t.refcount++;
    slot.shared = true;
    slot.write = false; // pmdp_set_wrprotect on the parent's PMD
    allocUpper(ctx, dst, block * F.PMD_SIZE); // copy_pmd_range: the child's PUD/PMD tables as for any copy
    dst.pmds.set(block, { kind: PMD_TABLE, table: t, folio: 0, write: false, shared: true });
    counts[2]!++;
    if (cowPteV3(ctx)) {
      wrprotectShared(ctx, t); // v3: copy_present_ptes' per-page work is back in fork
      chargePages(ctx, dst, t, 1, true, true);
      counts[0]! += t.present;
    }
    return true;
  },

  // mm/memory.c: handle_cow_pte_fault: a read fault that installs a PTE must not write into a shared table either
  // (the model breaks only for writes before the PTE level): break it, then run the mainline path on the copy
  do_anonymous_page(ctx, f, table, i) {
    const b = Math.floor(f.address / F.PMD_SIZE);
    const slot = f.mm.pmds.get(b);
    if (!slot || !slot.shared || slot.table !== table) return false;
    f.tablesAllocated += breakOne(ctx, f.mm, slot, b, 'fault');
    doAnonymousPage(ctx, f, slot.table, i);
    return true;
  },

  // mm/memory.c: break_cow_pte / break_cow_pte_range before a fault or a modifier touches [start, end)
  break_cow_pte(ctx, mm, start, end, cause) {
    const b0 = Math.floor(start / F.PMD_SIZE), b1 = Math.ceil(end / F.PMD_SIZE);
    if (b1 - b0 === 1) {
      // one PMD (every write fault asks for its own page): that entry, with no walk and no closure made per fault
      const slot = mm.pmds.get(b0);
      return slot ? breakSlot(ctx, mm, slot, b0, start, end, cause) : 0;
    }
    let allocated = 0;
    forEachPmd(mm, b0, b1, (b, slot) => void (allocated += breakSlot(ctx, mm, slot, b, start, end, cause)));
    return allocated;
  },
};

/** break_cow_pte's work on PMD entry b of [start, end): the tables it allocated (0 when it dropped or took one over). */
function breakSlot(ctx: ModelCtx, mm: Mm, slot: PmdSlot, b: number, start: number, end: number, cause: string): number {
  if (!slot.shared || slot.kind !== PMD_TABLE || !slot.table) return 0;
  const whole = start <= b * F.PMD_SIZE && (b + 1) * F.PMD_SIZE <= end;
  if (whole && ZAP_CAUSES.has(cause)) {
    if (slot.table.refcount > 1) dropOne(ctx, mm, slot, b);
    else takeOver(ctx, mm, slot); // the last user zaps it like any table: no break to report
    return 0;
  }
  return breakOne(ctx, mm, slot, b, cause);
}
