// Page frames of one variant: ids into growable typed arrays (refcount = mappings, flags, order, THP subpages).
import { PTRS } from './page_geometry.js';
import { PAGE_ANON, PAGE_ANON_EXCLUSIVE, type Pages } from './state.js';

export function createPages(): Pages {
  const n = 1 << 16;
  return {
    refcount: new Int32Array(n),
    flags: new Uint8Array(n),
    order: new Uint8Array(n),
    head: new Int32Array(n),
    free: new Int32Array(n),
    nfree: 0,
    next: 1, // id 0 means "no page"
    folioMms: new Map(),
    freeFolios: [],
    freeRuns: new Map(),
  };
}

function grow(p: Pages, need: number): void {
  let n = p.refcount.length;
  if (need < n) return;
  // four times at a step: every step copies the old arrays into fresh memory, whose first touch (a page fault) costs
  // ~17 us a page in this guest; the unused tail stays untouched (3M-event bench trace with 4 variants, memset's pages
  // grow to 4M ids: 1.2M-event prefix, minor faults 110k -> 97k, peak RSS 339 -> 303 MiB)
  while (n <= need) n *= 4;
  const rc = new Int32Array(n); rc.set(p.refcount); p.refcount = rc;
  const fl = new Uint8Array(n); fl.set(p.flags); p.flags = fl;
  const or = new Uint8Array(n); or.set(p.order); p.order = or;
  const hd = new Int32Array(n); hd.set(p.head); p.head = hd;
}

/** mm/memory.c: alloc_anon_folio / folio_prealloc: a new exclusive anon folio of the given order, refcount 0 until mapped. */
export function allocAnon(p: Pages, order: number): number {
  let id: number;
  if (order === 0 && p.nfree > 0) id = p.free[--p.nfree]!;
  else if (order > 0 && p.freeFolios.length > 0) id = p.freeFolios.pop()!;
  else {
    id = p.next++;
    grow(p, id);
  }
  p.refcount[id] = 0;
  p.flags[id] = PAGE_ANON | PAGE_ANON_EXCLUSIVE; // mm/rmap.c: folio_add_new_anon_rmap(..., RMAP_EXCLUSIVE)
  p.order[id] = order;
  p.head[id] = 0;
  return id;
}

/**
 * k allocAnon(p, 0) pages mapped by mapAnon at entries i .. i + k - 1 of a PTE table's `page` / `fl` with PTE bits
 * `bits`: the same ids in the same order (the free stack first, LIFO, then fresh ids), each with one mapping (a small
 * page has no folio to note). One grow and hoisted arrays: memset's and eager-populate's runs map ~10M pages each on
 * the 3M-event bench trace.
 */
export function allocMapAnonRun(p: Pages, page: Int32Array, fl: Uint8Array, i: number, k: number, bits: number): void {
  const fresh = k - Math.min(k, p.nfree);
  if (fresh > 0) grow(p, p.next + fresh - 1); // the largest id allocAnon would have grown for
  const rc = p.refcount, fg = p.flags, or = p.order, hd = p.head, free = p.free;
  let n = p.nfree, next = p.next;
  for (let j = 0; j < k; j++) {
    const id = n > 0 ? free[--n]! : next++;
    rc[id] = 1; // allocAnon's 0, then mapAnon's one mapping
    fg[id] = PAGE_ANON | PAGE_ANON_EXCLUSIVE;
    or[id] = 0;
    hd[id] = 0;
    page[i + j] = id;
    fl[i + j] = bits;
  }
  p.nfree = n;
  p.next = next;
}

/**
 * The subpage ids of a large folio (nr pages, consecutive; a THP has HPAGE_PMD_NR = PTRS), created on its first PTE-mapping (__split_huge_pmd for a
 * THP, set_ptes for an mTHP); returns the first id.
 */
export function subpages(p: Pages, folio: number, nr = PTRS): number {
  const key = -folio - 1;
  const m = p.folioMms.get(key);
  if (m) return m.get(0)!;
  let first = p.freeRuns.get(nr)?.pop();
  if (first === undefined) {
    first = p.next;
    p.next += nr;
    grow(p, p.next);
  }
  for (let i = 0; i < nr; i++) {
    p.refcount[first + i] = 0;
    p.flags[first + i] = PAGE_ANON;
    p.order[first + i] = 0;
    p.head[first + i] = folio;
  }
  p.folioMms.set(key, new Map([[0, first], [1, nr]]));
  return first;
}

/** Track which mms map a large folio (include/linux/mm_types.h: folio->_mm_id, CONFIG_MM_ID); delta +-1 per mapping. */
export function folioMmMap(p: Pages, folio: number, mmIdx: number, delta: number): void {
  let m = p.folioMms.get(folio);
  if (!m) {
    m = new Map();
    p.folioMms.set(folio, m);
  }
  const c = (m.get(mmIdx) ?? 0) + delta;
  if (c > 0) m.set(mmIdx, c);
  else {
    m.delete(mmIdx);
    if (m.size === 0) releaseLargeFolio(p, folio);
  }
}

/**
 * The large folio's last mapping went (PMD and PTE mappings are all counted in its mm map): the kernel frees it
 * (mm/swap.c: folios_put_refs -> free_unref_folios). Its map goes, and with no PMD mapping left nothing can look its
 * subpage run up again (subpages is called on a PMD-mapped folio or a new one), so that entry goes too. Its ids are
 * reused only when no entry holds the folio or any subpage (a stale subpage's head would name the next folio).
 * Without this, a long trace kept two Maps and PTRS + 1 ids for every THP or mTHP it ever saw.
 */
function releaseLargeFolio(p: Pages, folio: number): void {
  p.folioMms.delete(folio);
  if (p.refcount[folio]! > 0) return;
  const key = -folio - 1;
  const run = p.folioMms.get(key);
  if (run !== undefined) {
    p.folioMms.delete(key);
    const first = run.get(0)!, nr = run.get(1)!;
    for (let i = 0; i < nr; i++) if (p.refcount[first + i]! > 0 || p.head[first + i] !== folio) return;
    let stack = p.freeRuns.get(nr);
    if (stack === undefined) p.freeRuns.set(nr, (stack = []));
    stack.push(first);
  }
  p.freeFolios.push(folio);
}

/**
 * mm/huge_memory.c: __split_huge_page: each subpage of the PTE-mapped large folio becomes its own order-0 folio (zap
 * and fork then batch nothing across them). The folio's entries go, and its id, which no page names now, is reused
 * once no PMD maps it either.
 */
export function splitToOrder0(p: Pages, folio: number): void {
  const run = p.folioMms.get(-folio - 1);
  if (run !== undefined) {
    const first = run.get(0)!, nr = run.get(1)!;
    for (let i = 0; i < nr; i++) p.head[first + i] = 0;
  }
  p.folioMms.delete(folio);
  p.folioMms.delete(-folio - 1);
  if (p.refcount[folio]! <= 0) p.freeFolios.push(folio);
}

/**
 * mm/memory.c: __wp_can_reuse_large_anon_folio (CONFIG_MM_ID, 6.15+): `if (folio_large_mapcount(folio) <= 1) return
 * false` (a single mapped page: free the large folio up instead), then reuse only if every mapping is mm mmIdx's.
 */
export function wpCanReuseLargeAnonFolio(p: Pages, folio: number, mmIdx: number): boolean {
  const m = p.folioMms.get(folio);
  let mapcount = 0;
  if (m)
    for (const [k, n] of m) {
      if (k !== mmIdx) return false;
      mapcount += n;
    }
  return mapcount > 1;
}

/** Room on the free stack for k more ids (putPage's, and zapRange's own puts). */
export function reserveFree(p: Pages, k: number): void {
  let n = p.free.length;
  if (p.nfree + k <= n) return;
  while (n < p.nfree + k) n *= 4; // four times, as grow(): fewer copies into fresh memory
  const f = new Int32Array(n);
  f.set(p.free);
  p.free = f;
}

/** Drop one mapping of a page; a small anon page with no mappings goes back to the free list. */
export function putPage(p: Pages, id: number): void {
  const r = --p.refcount[id]!;
  if (r <= 0 && p.order[id] === 0 && p.head[id] === 0) {
    // a typed stack: a JS array of millions of ids was copied as pops shrank and pushes regrew it
    reserveFree(p, 1);
    p.free[p.nfree++] = id;
  }
}
