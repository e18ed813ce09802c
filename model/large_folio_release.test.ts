// A large folio's last mapping releases it (model/pages.ts releaseLargeFolio): its two Maps go and its ids (the folio's
// and its subpage run) are reused, unless a subpage is still held. Before, every THP or mTHP a trace ever showed kept
// two Maps and PTRS + 1 ids, so a replay's memory grew with the trace's length.
import { describe, expect, it } from 'vitest';
import { allocAnon, createPages, folioMmMap, putPage, splitToOrder0, subpages, wpCanReuseLargeAnonFolio } from './pages.js';
import type { Pages } from './state.js';

/** An mTHP of nr pages, every subpage mapped once by mm 1 (mapAnon's refcount and folioMmMap). */
function mapped(p: Pages, nr: number): { folio: number; first: number } {
  const folio = allocAnon(p, Math.log2(nr));
  const first = subpages(p, folio, nr);
  for (let i = 0; i < nr; i++) {
    p.refcount[first + i]!++;
    folioMmMap(p, folio, 1, 1);
  }
  return { folio, first };
}

/** unmapEntry's order: the page first, then the folio's count. */
function unmap(p: Pages, folio: number, page: number, mm = 1): void {
  putPage(p, page);
  folioMmMap(p, folio, mm, -1);
}

describe('large folio release (pages.ts)', () => {
  it('the last unmapping of an mTHP frees its Maps, and the next mTHP of that size takes its ids', () => {
    const p = createPages();
    const a = mapped(p, 16);
    const other = mapped(p, 16); // still mapped throughout
    folioMmMap(p, a.folio, 2, 1); // a second mm maps one subpage (fork)
    p.refcount[a.first + 3]!++;
    for (let i = 0; i < 16; i++) unmap(p, a.folio, a.first + i);
    expect(p.folioMms.has(a.folio)).toBe(true); // mm 2's mapping holds it
    expect(wpCanReuseLargeAnonFolio(p, a.folio, 2)).toBe(false); // one mapping: __wp_can_reuse_large_anon_folio says no
    unmap(p, a.folio, a.first + 3, 2);
    expect(p.folioMms.has(a.folio)).toBe(false);
    expect(p.folioMms.has(-a.folio - 1)).toBe(false);
    expect(p.folioMms.size).toBe(2); // the other folio's two entries
    const next = p.next;
    const b = mapped(p, 16);
    expect(b).toEqual(a); // the same folio id and subpage run
    expect(p.next).toBe(next);
    expect(p.head[b.first + 5]).toBe(b.folio);
    expect(p.refcount[b.first + 5]).toBe(1);
    expect(subpages(p, other.folio, 16)).toBe(other.first);
  });

  it('a subpage still held (a reference without its mapping count) keeps the ids out of reuse', () => {
    const p = createPages();
    const a = mapped(p, 8);
    p.refcount[a.first + 2]!++; // e.g. a shared PTE table's reference (patches/cow_pte.ts counts refs and rss apart)
    for (let i = 0; i < 8; i++) unmap(p, a.folio, a.first + i);
    expect(p.folioMms.size).toBe(0); // the Maps go all the same
    const b = mapped(p, 8);
    expect(b.folio).not.toBe(a.folio); // a stale subpage names a.folio as its head: that id must not name another
    expect(b.first).not.toBe(a.first);
    expect(p.head[a.first + 2]).toBe(a.folio);
  });

  it('a PMD-mapped THP never split: its id is reused once the PMD is zapped', () => {
    const p = createPages();
    const t = allocAnon(p, 9);
    p.refcount[t] = 1; // newThpFolio
    folioMmMap(p, t, 1, 1);
    p.refcount[t]!--; // zap_huge_pmd
    folioMmMap(p, t, 1, -1);
    expect(p.folioMms.size).toBe(0);
    expect(allocAnon(p, 9)).toBe(t);
    expect(allocAnon(p, 0)).not.toBe(t); // small pages keep their own free stack
  });

  it('a THP split to order-0 pages (the shrinker): its subpages name no folio, its entries go, its id is reused', () => {
    const p = createPages();
    const t = allocAnon(p, 9);
    const first = subpages(p, t, 512); // splitHugePmd: the PMD's mapping moved to the PTEs (refcount 0)
    p.refcount[first + 7] = 1;
    folioMmMap(p, t, 1, 512);
    splitToOrder0(p, t);
    expect(p.head[first]).toBe(0);
    expect(p.head[first + 511]).toBe(0);
    expect(p.folioMms.size).toBe(0);
    expect(allocAnon(p, 9)).toBe(t);
  });

  it('a split folio still PMD-mapped in another mm keeps its id until that mapping goes', () => {
    const p = createPages();
    const t = allocAnon(p, 9);
    subpages(p, t, 512);
    p.refcount[t] = 1; // the other mm's PMD
    splitToOrder0(p, t);
    expect(allocAnon(p, 9)).not.toBe(t);
  });
});
