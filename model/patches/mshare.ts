// mshare and mshare-transparent: PTE tables shared between every process that maps the same object the same way.
// mshare: Khalid Aziz's msharefs (RFC 2022), continued by Anthony Yznaga ("[PATCH v3 01/22] mm: Add msharefs
// filesystem", 2025-08-20): a process creates an msharefs file, sets a region (start and size aligned to
// /sys/fs/mshare/mshare_info), maps memory into it (MSHAREFS_CREATE_MAPPING), and every process that mmaps the file at
// that address shares the region's page tables. Not merged.
// mshare-transparent: the variant Android asked for, without msharefs: the page tables of Zygote-inherited ELF
// mappings shared by every app (issue 16 quotes "upwards of 200 MB of redundant page tables per device").
// The precedent in mainline is hugetlb's PMD sharing (mm/hugetlb.c: huge_pmd_share, since 2.6.20): huge_pte_alloc
// walks the file's i_mmap for a VMA of another mm that maps the same pgoff at the same PUD alignment
// (page_table_shareable) and installs that mm's PMD table instead of allocating one (page refcount = sharers).
// Modelled at the PTE-table level (mm/memory.c: __pte_alloc -> pmd_install installs the shared table):
//   - a 2 MiB block is shareable when every VMA in it is selected (--select; see DEFAULT_SELECT below) and qualifies:
//     a file or MAP_SHARED mapping seen mmapped in the trace, no anon_vma, not private-writable (a private write
//     would put a COW page into everyone's table). Its key is the block's layout: each VMA piece's offsets within
//     the block, object, pgoff and protection; mshare adds the block's address (the region sits at one address in
//     every process), mshare-transparent does not (hugetlb's rule: the same pgoff at the same alignment)
//   - the first mm to fault in a block of a key owns the shared table and is charged for it (pgtables_bytes); later
//     mms get that table at their first fault there (their own __pte_alloc is refunded): per system one table per key
//   - an entry another sharer mapped (its fault, its fault-around) is present for every sharer: that sharer's traced
//     fault there is not taken. Each sharer's RSS counts the pages its view of the table maps (as smaps would walk
//     it), brought up to date at its next fault in the block
//   - a modifier in one mm (munmap, mprotect, madvise, mremap, brk, exit, or a changed layout) takes that mm out of
//     the group (mm/hugetlb.c: huge_pmd_unshare): it keeps a private copy (charged now) or, zapping the whole
//     block, drops the table; the owner leaving hands the charge to another sharer
// Object identity is approximated: sys_enter_mmap has only the fd (perf script prints no PERF_RECORD_MMAP2 maj:min
// ino unless asked, and faultline's recordings do not ask). A mapping inherited through fork keeps its parent's
// object exactly (fork copies the VMA); a file mmap at offset 0 outside the fd's last span starts a new object named
// by the mapping's length (ld.so maps each library's whole span first: the same library in two processes gets the
// same length), and later mmaps of that fd inside the span belong to it. Two files with the same first-mapping length
// would be taken for one; VMAs only inferred from faults (exec-loaded binaries, mappings older than the trace) are
// never shared: their boundaries are guesses.
import * as F from '../flags.js';
import { userError } from '../../traces/errors.js';
import { blockOf, newTable, pteIndex, pteMember, vmasIn, zapRange } from '../page_table.js';
import { putPage } from '../pages.js';
import { addMmRssVec, addPgtables } from '../rss.js';
import { compileSelect, PATCH_SELECT_DEFAULT, type Selector } from '../select.js';
import { PMD_TABLE, type Mm, type ModelCtx, type PmdSlot, type PteTable, type Vma } from '../state.js';
import { vmaData } from './common.js';
import type { Patch } from './patch.js';

/** --select default for mshare: MAP_SHARED mappings, what an application would put into an msharefs region. */
export const MSHARE_SELECT = 'shared && !inferred';
/**
 * --select default for mshare-transparent: file mappings; qualifies() then keeps the read-only private ones (ELF text
 * and rodata, .oat/.vdex/.art, fonts) and the MAP_SHARED ones.
 */
export const TRANSPARENT_SELECT = 'file && !inferred';

/** One shared table: the sharers' layout key, the table's entries (holding a page reference each), its members. */
interface Group {
  key: string;
  /** The shared table's entries: what any member mapped while in the group. */
  table: PteTable;
  /** Member mm -> its view of the table (its own PmdSlot's table) and whether it is charged for the shared table. */
  members: Map<Mm, { view: PteTable; charged: boolean }>;
}

/** One variant's state: groups by key, and each mm's groups by block. */
interface State {
  groups: Map<string, Group>;
  byMm: WeakMap<Mm, Map<number, Group>>;
  select: Selector;
  transparent: boolean;
  /** Per mm: the last object started per fd ([start, end) of its first mapping), for objectOf. */
  spans: WeakMap<Mm, Map<number, { obj: string; start: number; end: number }>>;
  nextShm: number;
  /** Per view: the entries sync() brought in from other sharers (1), which the process's own table would not hold. */
  synced: WeakMap<PteTable, Uint8Array>;
}

const states = new WeakMap<ModelCtx, State>();
const vec = new Float64Array(4);

function state(ctx: ModelCtx, transparent: boolean): State {
  let s = states.get(ctx);
  if (!s) {
    // the variant's --select, unless it is the pattern-init patches' anonymous default (no --select given)
    const expr = ctx.spec.select === PATCH_SELECT_DEFAULT ? (transparent ? TRANSPARENT_SELECT : MSHARE_SELECT) : ctx.spec.select;
    s = { groups: new Map(), byMm: new WeakMap(), select: compileSelect(expr), transparent, spans: new WeakMap(), nextShm: 0, synced: new WeakMap() };
    states.set(ctx, s);
  }
  return s;
}

/**
 * The object a freshly mmapped VMA maps (see the header: fd runs, named by the first mapping's length), or '' when
 * the VMA is not selected or cannot be shared.
 */
function objectOf(s: State, mm: Mm, vma: Vma): string {
  if (vma.file < 0) return (vma.flags & F.VM_SHARED) !== 0 ? `shm#${mm.idx}.${s.nextShm++}` : ''; // shmem: by fork only
  let spans = s.spans.get(mm);
  if (!spans) s.spans.set(mm, (spans = new Map()));
  const cur = spans.get(vma.file);
  if (cur && vma.start >= cur.start && vma.end <= cur.end) return cur.obj;
  const obj = vma.pgoff === 0 ? `file(${vma.end - vma.start} B)` : `file(${vma.end - vma.start} B)@${vma.pgoff}`;
  spans.set(vma.file, { obj, start: vma.start, end: vma.end });
  return obj;
}

/** The VMA can live in a shared table: identified, no anon_vma (no private pages), not private-writable. */
function qualifies(vma: Vma): boolean {
  const d = vma.patchData as { obj?: string } | null;
  if (!d || !d.obj) return false;
  if (vma.anonVma || (vma.flags & F.VM_PFNMAP) !== 0) return false;
  return (vma.flags & F.VM_SHARED) !== 0 || (vma.flags & F.VM_WRITE) === 0;
}

/** The layout key of block b of mm, or null when some VMA there cannot be shared (or none is there). */
export function blockKey(s: State, mm: Mm, b: number): string | null {
  const bs = b * F.PMD_SIZE;
  const parts: string[] = s.transparent ? [] : [`@${bs.toString(16)}`];
  let any = false;
  for (const v of vmasIn(mm, bs, bs + F.PMD_SIZE)) {
    if (!qualifies(v)) return null;
    const st = Math.max(v.start, bs), en = Math.min(v.end, bs + F.PMD_SIZE);
    const pgoff = v.pgoff + (st - v.start) / F.PAGE_SIZE;
    parts.push(`${(st - bs) / F.PAGE_SIZE}-${(en - bs) / F.PAGE_SIZE}:${(v.patchData as { obj: string }).obj}+${pgoff}:${v.flags & (F.VM_READ | F.VM_WRITE | F.VM_EXEC | F.VM_SHARED)}`);
    any = true;
  }
  return any ? parts.join(' ') : null;
}

function groupsOf(s: State, mm: Mm): Map<number, Group> {
  let m = s.byMm.get(mm);
  if (!m) s.byMm.set(mm, (m = new Map()));
  return m;
}

/** What mm's fault mapped into its view goes into the shared table (file and shmem pages only: never a private page). */
function publish(ctx: ModelCtx, g: Group, view: PteTable): void {
  const t = g.table, p = ctx.pages;
  for (let i = 0; i < F.PTRS; i++) {
    const vf = view.fl[i]!;
    if (!(vf & F.PTE_PRESENT) || !(vf & (F.PTE_FILE | F.PTE_SHMEM)) || (t.fl[i]! & F.PTE_PRESENT)) continue;
    t.fl[i] = vf;
    t.page[i] = view.page[i]!;
    t.present++;
    if (view.page[i]) p.refcount[view.page[i]!]!++; // the shared table holds its own reference
  }
}

/** The shared table's entries mm's view lacks are mapped there (charged to mm: its view maps them). */
function sync(ctx: ModelCtx, s: State, g: Group, mm: Mm, view: PteTable): void {
  const t = g.table, p = ctx.pages;
  let marks = s.synced.get(view);
  vec.fill(0);
  for (let i = 0; i < F.PTRS; i++) {
    const vf = view.fl[i]!, tf = t.fl[i]!;
    if (vf & F.PTE_PRESENT) continue;
    if (tf & F.PTE_PRESENT) {
      view.fl[i] = tf; // mapped by another sharer: present for this one too
      view.page[i] = t.page[i]!;
      view.present++;
      if (!marks) s.synced.set(view, (marks = new Uint8Array(F.PTRS)));
      marks[i] = 1;
      if (tf & F.PTE_SPECIAL) continue; // no rmap, no RSS
      if (t.page[i]) p.refcount[t.page[i]!]!++; // page-cache pages carry no page id in the model (memory.ts: doReadFault)
      vec[pteMember(tf)]!++; // MM_FILEPAGES or MM_SHMEMPAGES: shared tables hold no anon pages
    }
  }
  addMmRssVec(ctx, mm, vec);
}

/**
 * The pages a sharer's read fault at entry i maps once its view holds what the other sharers mapped. The trace's
 * count (the kernel's +nr for this fault, with a table of the process's own) would otherwise be re-applied over the
 * shared entries (memory.ts: handlePteFault's "the trace wins" rule): an entry another sharer mapped takes no fault
 * (0: spurious, not_taken under the patch); a none one maps only the none entries of its fault-around window
 * (mm/filemap.c: filemap_map_pages -> filemap_map_folio_range skips present PTEs), so the entries other sharers
 * mapped there (synced: their marks) are taken off. The process's own earlier entries are not: the kernel's count
 * already left them out (its own table held them), which matters for the owner faulting a block it shares.
 * [lo, hi): the window's entries inside the fault's VMA (memory.ts: doFaultAround's clip).
 */
export function sharedFileHint(view: PteTable, i: number, hint: number, synced: Uint8Array | undefined, lo = i - (i % F.FAULT_AROUND_PAGES), hi = lo + F.FAULT_AROUND_PAGES): number {
  if (view.fl[i]! & F.PTE_PRESENT) return 0;
  if (!synced) return hint;
  let theirs = 0;
  for (let j = Math.max(0, lo); j < hi && j < F.PTRS; j++) if (synced[j] && view.fl[j]! & F.PTE_PRESENT) theirs++;
  return Math.max(1, hint - theirs);
}

/** mm leaves g's block b (huge_pmd_unshare): keep its view as a private table, or (zap) drop it with its pages. */
function leave(ctx: ModelCtx, s: State, g: Group, mm: Mm, b: number, zapWhole: boolean): void {
  const me = g.members.get(mm)!;
  g.members.delete(mm);
  groupsOf(s, mm).delete(b);
  if (zapWhole) {
    // zap its view and clear the PMD now (free_pgtables then finds none), before another member takes the charge
    zapRange(ctx, mm, b * F.PMD_SIZE, (b + 1) * F.PMD_SIZE, false);
    mm.pmds.delete(b);
    if (me.charged) addPgtables(ctx, mm, -1);
  } else if (!me.charged) addPgtables(ctx, mm, 1); // its view becomes a private copy: mm_inc_nr_ptes
  if (me.charged) {
    // the shared table stays with the others: the next member is charged for it
    const next = g.members.entries().next();
    if (!next.done) {
      next.value[1].charged = true;
      addPgtables(ctx, next.value[0], 1);
    }
  }
  if (g.members.size === 0) dissolve(ctx, s, g);
}

/** The last sharer left: the shared table's page references go. */
function dissolve(ctx: ModelCtx, s: State, g: Group): void {
  const t = g.table;
  for (let i = 0; i < F.PTRS; i++) if ((t.fl[i]! & F.PTE_PRESENT) && !(t.fl[i]! & F.PTE_SPECIAL) && t.page[i]) putPage(ctx.pages, t.page[i]!);
  s.groups.delete(g.key);
}

const ZAP_WHOLE = new Set(['munmap', 'exit']);

function sharePatch(name: 'mshare' | 'mshare-transparent'): Patch<never> {
  const transparent = name === 'mshare-transparent';
  return {
    name,
    description: transparent
      ? 'PTE tables of read-only file mappings shared by every process mapping the same file pages at the same 2 MiB alignment (Zygote-inherited ELF); faults another sharer satisfied are not taken'
      : 'PTE tables of selected MAP_SHARED mappings shared by every process mapping the same object at the same address (msharefs regions); faults another sharer satisfied are not taken',
    status: transparent
      ? { kind: 'what-if', over: "Android's request (issue 16; no posting found): mshare's table sharing without msharefs, as mm/hugetlb.c huge_pmd_share does for hugetlb" }
      : { kind: 'proposed', latest: 'Anthony Yznaga, mshare v3 (22 patches, 2025-08-20), after Khalid Aziz RFC v1 (2022)', year: 2025 },
    source: transparent
      ? 'Android\'s request as issue 16 quotes it: "upwards of 200 MB of redundant page tables per device" (its thread was not found in the stored corpora); precedent mm/hugetlb.c: huge_pmd_share'
      : 'Anthony Yznaga, "[PATCH v3 01/22] mm: Add msharefs filesystem" (linux-mm, 2025-08-20), from Khalid Aziz\'s mshare RFC (2022)',
    reproduces: transparent
      ? 'the per-system shape of the Android figure (page tables of shared file mappings counted once per system, not once per process) on a Zygote-style recording of this machine: 8 children without exec over 207 MiB of read-only files, whole-system page tables 4212 -> 916 KiB, the saving growing by 412 KiB per child alive (model/patches/mshare_zygote.test.ts); exec\'d processes share almost nothing (model/patches/mshare_fixture.test.ts); no per-device trace here to reproduce 200 MB itself'
      : 'none published as numbers in the stored texts; the per-system page-table sum is what the model reports (model/patches/mshare.test.ts)',
    paths: {}, // a fault another sharer satisfied is mainline's spurious path, counted not_taken under a patch

    init(ctx) {
      if (states.has(ctx)) throw userError(`--patch ${name}: mshare and mshare-transparent cannot be combined in one variant`);
      state(ctx, transparent);
    },

    // mm/mmap.c: do_mmap: the new VMA's object (the trace gives the fd only: see objectOf)
    do_mmap(ctx, mm, vma) {
      const s = state(ctx, transparent);
      const d = vmaData(ctx, vma);
      if (d.obj === '' && s.select(vma, ctx.curComm)) d.obj = objectOf(s, mm, vma);
      // a new VMA in a block this mm shares changes its layout: the mm leaves (other changes are caught at its next fault)
      const mine = s.byMm.get(mm);
      if (mine) for (const [b, g] of [...mine]) if ((b + 1) * F.PMD_SIZE > vma.start && b * F.PMD_SIZE < vma.end && blockKey(s, mm, b) !== g.key) leave(ctx, s, g, mm, b, false);
    },

    // mm/memory.c: __pte_alloc -> pmd_install (hugetlb: huge_pte_alloc -> huge_pmd_share): a none PMD in a block
    // whose table another mm owns gets that table, with no allocation (the mm's view of it: see the header)
    pmd_install(ctx, f, b) {
      const s = state(ctx, transparent);
      const key = blockKey(s, f.mm, b);
      const g = key === null ? undefined : s.groups.get(key);
      // one view per mm and group: the same object mapped twice alike in one mm keeps its second table private
      if (!g || g.members.size === 0 || g.members.has(f.mm)) return undefined;
      const slot: PmdSlot = { kind: PMD_TABLE, table: newTable(), folio: 0, write: false, shared: false };
      f.mm.pmds.set(b, slot);
      g.members.set(f.mm, { view: slot.table!, charged: false });
      groupsOf(s, f.mm).set(b, g);
      return slot;
    },

    // the fault reached the table: join a group (first user: its owner), check the layout, sync; then publish
    handle_pte_fault(ctx, f, view, done) {
      const s = state(ctx, transparent);
      const mm = f.mm, b = blockOf(f.address);
      const mine = groupsOf(s, mm);
      let g = mine.get(b);
      if (done) {
        if (g && g.members.get(mm)!.view === view) publish(ctx, g, view);
        return;
      }
      const key = blockKey(s, mm, b);
      if (g && (g.key !== key || g.members.get(mm)!.view !== view)) {
        leave(ctx, s, g, mm, b, false); // the layout (or the table) changed since it joined
        g = undefined;
      }
      if (!g) {
        const slot = mm.pmds.get(b);
        if (key === null || !slot || slot.kind !== PMD_TABLE) return;
        g = s.groups.get(key);
        if (g?.members.has(mm)) return; // the same layout twice in one mm: this block's table stays private
        if (!g) s.groups.set(key, (g = { key, table: newTable(), members: new Map() }));
        const charged = g.members.size === 0;
        if (!charged) addPgtables(ctx, mm, -1); // a private table older than the group: freed for the shared one
        g.members.set(mm, { view, charged });
        mine.set(b, g);
      }
      sync(ctx, s, g, mm, view);
      if (!f.write && f.fileHint > 0) {
        const i = pteIndex(f.address), bs = b * F.PMD_SIZE, aligned = i - (i % F.FAULT_AROUND_PAGES);
        const lo = Math.max(aligned, (f.vma.start - bs) / F.PAGE_SIZE), hi = Math.min(aligned + F.FAULT_AROUND_PAGES, (f.vma.end - bs) / F.PAGE_SIZE);
        f.fileHint = sharedFileHint(view, i, f.fileHint, s.synced.get(view), lo, hi);
      }
    },

    // huge_pmd_unshare before a modifier: munmap, mprotect, madvise, mremap, brk, exit. A write fault (cause
    // 'fault') writes through the shared table: only MAP_SHARED mappings can take one here
    break_cow_pte(ctx, mm, start, end, cause) {
      if (cause === 'fault') return 0;
      const s = state(ctx, transparent);
      const mine = s.byMm.get(mm);
      if (!mine || mine.size === 0) return 0;
      for (const [b, g] of [...mine]) {
        const bs = b * F.PMD_SIZE;
        if (bs + F.PMD_SIZE <= start || bs >= end) continue;
        leave(ctx, s, g, mm, b, ZAP_WHOLE.has(cause) && start <= bs && bs + F.PMD_SIZE <= end);
      }
      return 0; // a private copy is charged in leave, not priced as a fault's table copy
    },
  };
}

export const mshare = sharePatch('mshare');
export const mshareTransparent = sharePatch('mshare-transparent');
