// PTE tables dropped by free_pgtables are reused by later allocations (page_table.ts newTable): a reused table must
// start as empty as a new one, in the same mm or another.
import { describe, expect, it } from 'vitest';
import { buildVariants } from './variants.js';
import { BASE, MIB, PAGE, faultsOf, proc, seq, type Seq } from './patches/event_seq.testlib.js';
import { MM_ANONPAGES } from '../traces/events.js';
import * as F from './flags.js';
import { createEngine } from './engine.js';
import { createMm } from './mm.js';
import { freePgdRange, pteAlloc } from './page_table.js';

const anon = { flags: F.MAP_PRIVATE | F.MAP_ANONYMOUS };

describe('a page table reused after munmap', () => {
  it('holds none of the entries its last mm left in it', () => {
    const s = seq(buildVariants()[0]!);
    // fill two tables completely, then unmap them: free_pgtables drops both tables
    s.mmap(10, BASE, 4 * MIB, anon);
    for (let a = BASE; a < BASE + 4 * MIB; a += PAGE) s.write(10, a);
    s.munmap(10, BASE, 4 * MIB);
    // the same blocks again and a block elsewhere: every first touch allocates (none finds a stale present PTE)
    s.mmap(10, BASE, 4 * MIB, anon);
    s.mmap(10, BASE + 64 * MIB, 2 * MIB, anon);
    for (const a of [BASE, BASE + 5 * PAGE, BASE + 2 * MIB + 511 * PAGE, BASE + 64 * MIB + 7 * PAGE]) s.write(10, a);
    s.read(10, BASE + 9 * PAGE); // a none PTE read: the zero page, no RSS
    const p = proc(s.finish(), 10);
    expect(faultsOf(p)).toEqual({ anon_alloc: 1024 + 4, anon_zero_page: 1 });
    expect(p.rss_anon_final_kb).toBe(16);
  });
});

describe('the arrays of a table free_pgtables dropped', () => {
  /** A mm with a PTE table at block 5 holding one present entry, dropped by free_pgtables with the entry in it. */
  function dropFull(patch: string[]) {
    const en = createEngine(buildVariants({ patch })[patch.length ? 1 : 0]!, {}, null, 64, null);
    const ctx = en.ctx;
    const mm = createMm(ctx, 1, false);
    const old = pteAlloc(ctx, mm, 5).table!;
    old.fl[3] = F.PTE_PRESENT | F.PTE_WRITE;
    old.page[3] = 42;
    old.present = 1;
    freePgdRange(ctx, mm, 0, F.TASK_SIZE, 0, 0);
    expect(mm.pmds.size).toBe(0);
    return { ctx, mm, old };
  }

  it('come back empty in the next new table', () => {
    const { ctx, mm, old } = dropFull([]);
    const t = pteAlloc(ctx, mm, 6).table!;
    expect(t).not.toBe(old); // a new table object (cow-pte keys its owners by the object)
    expect(t.page.buffer).toBe(old.page.buffer); // reused memory, so the zero fill below is what makes it empty
    expect(t.fl.every((v) => v === 0) && t.page.every((v) => v === 0)).toBe(true);
    expect([t.present, t.refcount, t.ghost]).toEqual([0, 1, 0]);
  });

  it('are all kept however many one exit frees (a populating variant frees ~5.6k at once on the bench trace)', () => {
    const en = createEngine(buildVariants()[0]!, {}, null, 64, null);
    const ctx = en.ctx;
    const mm = createMm(ctx, 1, false);
    const N = 6000;
    const freed = new Set<ArrayBufferLike>();
    for (let b = 0; b < N; b++) freed.add(pteAlloc(ctx, mm, b).table!.page.buffer);
    freePgdRange(ctx, mm, 0, F.TASK_SIZE, 0, 0);
    let reused = 0;
    for (let b = 0; b < N; b++) if (freed.has(pteAlloc(ctx, mm, b).table!.page.buffer)) reused++;
    expect(reused).toBe(N);
  });

  it('are not reused when a patch keeps tables of its own (cow-pte)', () => {
    const { ctx, mm, old } = dropFull(['cow-pte']);
    const t = pteAlloc(ctx, mm, 6).table!;
    expect(t.page.buffer).not.toBe(old.page.buffer);
  });
});

describe('zap_pte_range over small pages (page_table.ts zapSmallPages)', () => {
  const anonDeltas = (s: Seq): number[] => s.rss.filter((r) => r.member === MM_ANONPAGES).map((r) => r.delta);

  it('a munmap of 10000 pages (19 full tables and 272 pages) flushes at the 9678th page: 18 x -512, -462, -50, -272', () => {
    const s = seq(buildVariants()[0]!);
    s.mmap(10, BASE, 10000 * PAGE, anon);
    for (let k = 0; k < 10000; k++) s.write(10, BASE + k * PAGE);
    const pages = s.engine.ctx.pages;
    const free0 = pages.nfree;
    s.rss.length = 0;
    s.munmap(10, BASE, 10000 * PAGE);
    // mm/mmu_gather.c: 7 + 19 x 509 = 9678 pages fill the gather; 9678 = 18 x 512 + 462
    expect(anonDeltas(s)).toEqual([...Array(18).fill(-512), -462, -50, -272]);
    expect(pages.nfree - free0).toBe(10000); // every page back on the free stack
  });

  it('a page a forked child still maps keeps its mapping: the child then reuses it on write', () => {
    const s = seq(buildVariants()[0]!);
    s.mmap(10, BASE, 4 * PAGE, anon);
    for (let k = 0; k < 4; k++) s.write(10, BASE + k * PAGE);
    s.fork(10, 11);
    const free0 = s.engine.ctx.pages.nfree;
    s.munmap(10, BASE, 4 * PAGE);
    expect(s.engine.ctx.pages.nfree).toBe(free0); // no page freed: the child maps all four
    s.paths.length = 0;
    s.write(11, BASE + PAGE, true);
    expect(s.paths).toEqual(['wp_page_reuse']); // mm/memory.c: wp_can_reuse_anon_folio: the only mapping left
  });
});
