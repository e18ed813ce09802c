// thp-shrinker: expected values derived by hand from mm/huge_memory.c (thp_underused: zero-filled subpages >
// max_ptes_none, never at 511; split_huge_page -> remap_page -> try_to_map_unused_to_zeropage).
import { describe, expect, it } from 'vitest';
import { buildVariants } from '../variants.js';
import { BASE, MIB, PAGE, proc, seq } from './event_seq.testlib.js';

/** THP=always, one 2 MiB block with `pages` written 4K pages (one THP fault, the rest taken inside the THP), then a
 * fault 2 s later (the scan runs first) in a second mapping. */
function run(patch: string, pages: number, zero = true) {
  const v = buildVariants({ patch: [patch], baseThp: 'always', baseZeroPage: zero })[1]!;
  const s = seq(v);
  s.mmap(10, BASE, 2 * MIB);
  for (let i = 0; i < pages; i++) s.write(10, BASE + i * PAGE, i > 0);
  s.mmap(10, BASE + 1024 * MIB, PAGE);
  return s;
}

describe('thp-shrinker', () => {
  it('a THP with 8 of 512 subpages written is split at the next scan when max_ptes_none < 504: RssAnon 2048 -> 32 KiB', () => {
    const s = run('thp-shrinker=409@1ms', 8);
    // seq advances 1 us per event: wait out the 1 ms period with reads elsewhere, then fault once more
    for (let i = 0; i < 1100; i++) s.read(10, BASE + 1024 * MIB);
    s.write(10, BASE + 1024 * MIB);
    const p = proc(s.finish(), 10);
    expect(p.rss_anon_peak_kb).toBe(2048); // the far mapping's reads map the zero page; its write comes after the split
    expect(p.rss_anon_final_kb).toBe(32 + 4);
  });

  it('the split THP reads back as zero pages: a later write to an unwritten subpage is a copy of the zero page', () => {
    const s = run('thp-shrinker=409@1ms', 8);
    for (let i = 0; i < 1100; i++) s.read(10, BASE + 1024 * MIB);
    s.write(10, BASE + 100 * PAGE, true);
    const p = proc(s.finish(), 10);
    expect(p.rss_anon_final_kb).toBe(32 + 4);
    expect(s.paths[s.paths.length - 1]).toBe('wp_page_copy_zero');
  });

  it('max_ptes_none 511 (the default, this machine) never splits; 504 zero pages are not > 504', () => {
    for (const opt of ['thp-shrinker=511@1ms', 'thp-shrinker=504@1ms']) {
      const s = run(opt, 8);
      for (let i = 0; i < 1100; i++) s.read(10, BASE + 1024 * MIB);
      expect(proc(s.finish(), 10).rss_anon_final_kb, opt).toBe(2048);
    }
  });

  it('a machine whose read faults allocate (no zero page at fault) still remaps at split: try_to_map_unused_to_zeropage asks only mm_forbids_zeropage', () => {
    // recorded here with pvm_no_zero_page=1: RssAnon -504 pages per split THP (model/patches/thp_shrinker_fixture.test.ts)
    const s = run('thp-shrinker=409@1ms', 8, false);
    for (let i = 0; i < 1100; i++) s.read(10, BASE + 1024 * MIB);
    expect(proc(s.finish(), 10).rss_anon_final_kb).toBe(32 + 4); // 8 written subpages + the far page, which a read allocates here
  });

  it('a bad option is a one-line error', () => {
    expect(() => run('thp-shrinker=600', 1)).toThrow(/thp-shrinker option '600': expected MAX_PTES_NONE/);
  });
});

describe("thp-shrinker on recorded programs (corpus, 4 KiB recordings): Meta's shape", () => {
  it('THP=always costs memory over madvise; the shrinker (max_ptes_none 409, a scan per 100 ms) takes most of it back', async () => {
    const { readTrace } = await import('../../traces/read.js');
    const { createReplay } = await import('../replay.js');
    const { join } = await import('node:path');
    const sum = { mainline: 0, 'thp=always': 0, 'thp-shrinker=409@100ms+thp=always': 0 } as Record<string, number>;
    for (const t of ['xz_T2', 'node_workers_2']) {
      const variants = buildVariants({ thp: ['always'], patch: ['thp-shrinker=409@100ms+thp=always'] });
      const rep = createReplay(variants, {});
      const read = await readTrace(join(import.meta.dirname, '..', '..', 'traces', 'fixtures', 'corpus', t, 'trace.txt.gz'), rep.sink);
      for (const v of rep.finish(read).variants) for (const p of v.processes) sum[v.name]! += p.rss_anon_peak_kb;
    }
    const m = sum.mainline!, a = sum['thp=always']!, s = sum['thp-shrinker=409@100ms+thp=always']!;
    const pct = (x: number) => (((x - m) / m) * 100).toFixed(1);
    console.log(`thp-shrinker (xz_T2 + node_workers_2, sum of per-process peak RssAnon): madvise ${m} kB, THP=always ${a} kB (+${pct(a)}%), with the shrinker ${s} kB (+${pct(s)}%); Meta: +7.7% vs +2.4%`);
    expect(a).toBeGreaterThan(m * 1.02); // THP=always inflates the sparse tails of heaps and arenas
    expect(s).toBeLessThan(a);
    expect(s - m).toBeLessThanOrEqual((a - m) / 2); // Meta: 2.4 / 7.7 = 31% of the overhead left
    expect(s).toBeGreaterThanOrEqual(m); // splitting never goes below the 4 KiB baseline's written pages
  });
});
