// allocMapAnonRun (a populate's or memset's run of new pages in one step) leaves the pages and the table as k
// allocAnon + mapAnon calls do, one page at a time.
import { describe, expect, it } from 'vitest';
import { PTRS } from './page_geometry.js';
import { allocAnon, allocMapAnonRun, createPages, putPage } from './pages.js';
import { PAGE_ANON, PAGE_ANON_EXCLUSIVE, type Pages } from './state.js';

/** Pages with `used` ids handed out and every `gap`-th one freed again (a free stack to pop first). */
function pagesWith(used: number, gap: number): Pages {
  const p = createPages();
  const ids: number[] = [];
  for (let j = 0; j < used; j++) {
    const id = allocAnon(p, 0);
    p.refcount[id] = 1;
    ids.push(id);
  }
  for (let j = 0; j < used; j += gap) putPage(p, ids[j]!);
  return p;
}

/** The page-at-a-time way: allocAnon(p, 0), then what mapAnon does to a small page and its entry. */
function oneByOne(p: Pages, page: Int32Array, fl: Uint8Array, i: number, k: number, bits: number): void {
  for (let j = 0; j < k; j++) {
    const id = allocAnon(p, 0);
    page[i + j] = id;
    fl[i + j] = bits;
    p.refcount[id]!++;
  }
}

const view = (p: Pages) => ({
  next: p.next,
  nfree: p.nfree,
  free: [...p.free.subarray(0, p.nfree)],
  refcount: [...p.refcount.subarray(0, p.next)],
  flags: [...p.flags.subarray(0, p.next)],
  order: [...p.order.subarray(0, p.next)],
  head: [...p.head.subarray(0, p.next)],
});

describe('allocMapAnonRun', () => {
  // 65536 ids to start with: 65500 used crosses the first grow; the free stack holds 0, 7 or 6550 ids
  for (const [used, gap, k] of [
    [100, 7, 30],
    [100, 7, 200],
    [65500, 10, 500],
    [65500, 65500, 500],
  ] as const) {
    it(`hands out the same ids in the same order (${used} used, every ${gap}th freed, a run of ${k})`, () => {
      const a = pagesWith(used, gap), b = pagesWith(used, gap);
      const pa = new Int32Array(PTRS), fa = new Uint8Array(PTRS), pb = new Int32Array(PTRS), fb = new Uint8Array(PTRS);
      const runs = Math.ceil(k / 100); // several runs into one table, as memset's partial tables make them
      for (let r = 0, i = 0; r < runs && i < PTRS; r++) {
        const n = Math.min(100, k - r * 100, PTRS - i);
        oneByOne(a, pa, fa, i, n, 3);
        allocMapAnonRun(b, pb, fb, i, n, 3);
        i += n;
      }
      expect(view(b)).toEqual(view(a));
      expect([...pb]).toEqual([...pa]);
      expect([...fb]).toEqual([...fa]);
      expect(b.flags[pb[0]!]).toBe(PAGE_ANON | PAGE_ANON_EXCLUSIVE);
      expect(b.refcount[pb[0]!]).toBe(1);
    });
  }
});
