// Multi-size THP (6.8+), as exact event sequences: which order mm/memory.c: alloc_anon_folio picks under each
// per-size policy, the one rss_stat of +nr per fault, fork of PTE-mapped large folios (copy_present_ptes batches,
// 6.9+), COW of a subpage (wp_page_copy of one page) and the 6.15 reuse rule, and zap batching in the mmu_gather.
import { describe, expect, it } from 'vitest';
import { MM_ANONPAGES } from '../traces/events.js';
import * as F from './flags.js';
import { gather, gatherAdd } from './page_table.js';
import { defaultVariant } from './replay.js';
import { BASE, MIB, PAGE, faultsOf, proc, seq } from './patches/event_seq.testlib.js';
import type { VariantSpec } from './types.js';
import type { Seq } from './patches/event_seq.testlib.js';
import { formatMthp, mthpFromSysfs, parseMthp } from './thpsize.js';

const KB = 1024;
const spec = (o: Partial<VariantSpec>): VariantSpec => defaultVariant({ useZeroPage: false, mthp: {}, ...o });
/** The MM_ANONPAGES deltas of every counter update, in order (one entry per kmem:rss_stat the kernel emits). */
const anon = (s: Seq): number[] => s.rss.filter((r) => r.member === MM_ANONPAGES).map((r) => r.delta);

describe('alloc_anon_folio: the order a write fault allocates (mm/memory.c)', () => {
  it('64k=always: one fault maps 16 pages with ONE rss_stat of +16 (do_anonymous_page: add_mm_counter(nr_pages))', () => {
    const s = seq(spec({ mthp: { '64kB': 'always' } }));
    s.mmap(1, BASE, MIB);
    s.write(1, BASE + 5 * PAGE); // inside [BASE, BASE + 64K)
    s.write(1, BASE + 16 * PAGE);
    expect(anon(s)).toEqual([16, 16]);
    expect(s.paths).toEqual(['mthp_alloc', 'mthp_alloc']);
    expect(s.rss.filter((r) => r.member === -1).map((r) => r.delta)).toEqual([8192, 4096]); // PUD + PMD tables (__pud_alloc, __pmd_alloc), then the PTE table, once
    const p = proc(s.finish(), 1);
    expect(p.rss_anon_final_kb).toBe(128);
    expect(p.minflt).toBe(2);
  });

  it('falls back order by order to what fits inside the VMA: 64K no, 16K yes, then a single page at the VMA end', () => {
    const s = seq(spec({ mthp: { '64kB': 'always', '16kB': 'always' } }));
    s.mmap(1, BASE, 10 * PAGE); // 40 KiB: no aligned 64K range fits; [0,4) and [4,8) do as 16K, [8,12) does not
    s.write(1, BASE);
    s.write(1, BASE + 4 * PAGE);
    s.write(1, BASE + 8 * PAGE);
    s.write(1, BASE + 9 * PAGE);
    expect(anon(s)).toEqual([4, 4, 1, 1]);
    expect(s.paths).toEqual(['mthp_alloc', 'mthp_alloc', 'anon_alloc', 'anon_alloc']);
  });

  it('skips an order whose aligned range holds a present PTE (pte_range_none), taking the next enabled one', () => {
    const s = seq(spec({ mthp: { '64kB': 'always', '16kB': 'always' } }));
    s.mmap(1, BASE, MIB);
    s.write(1, BASE); // a 64K folio over pages 0-15
    s.madvise(1, BASE + 4 * PAGE, 4 * PAGE, F.MADV_DONTNEED); // pages 4-7 none again: -4
    s.write(1, BASE + 5 * PAGE); // 64K range [0,16) has present PTEs; 16K range [4,8) is none
    expect(anon(s)).toEqual([16, -4, 4]);
  });

  it('inherit follows the top-level enabled: never -> 4K, madvise -> only VM_HUGEPAGE VMAs, always -> every VMA', () => {
    const run = (thp: 'never' | 'madvise' | 'always', hint: boolean): number[] => {
      const s = seq(spec({ thp, mthp: { '64kB': 'inherit' } }));
      s.mmap(1, BASE, MIB); // 1 MiB: no PMD THP fits, so only the 64K order is in play
      if (hint) s.madvise(1, BASE, MIB, F.MADV_HUGEPAGE);
      s.write(1, BASE);
      return anon(s);
    };
    expect([run('never', true), run('madvise', false), run('madvise', true), run('always', false)]).toEqual([[1], [1], [16], [16]]);
  });

  it('madvise needs VM_HUGEPAGE whatever the top-level setting; VM_NOHUGEPAGE turns every size off; never is never', () => {
    const run = (pol: 'madvise' | 'always' | 'never', behavior: number | null): number[] => {
      const s = seq(spec({ thp: 'always', mthp: { '64kB': pol } }));
      s.mmap(1, BASE, MIB);
      if (behavior !== null) s.madvise(1, BASE, MIB, behavior);
      s.write(1, BASE);
      return anon(s);
    };
    expect(run('madvise', null)).toEqual([1]);
    expect(run('madvise', F.MADV_HUGEPAGE)).toEqual([16]);
    expect(run('always', F.MADV_NOHUGEPAGE)).toEqual([1]);
    expect(run('never', F.MADV_HUGEPAGE)).toEqual([1]);
  });

  it('the highest enabled order wins, and the PMD order still goes to create_huge_pmd where 2 MiB fits', () => {
    const s = seq(spec({ thp: 'always', mthp: { '16kB': 'always', '64kB': 'always', '256kB': 'always' } }));
    s.mmap(1, BASE, 4 * MIB);
    s.write(1, BASE); // 2 MiB block inside the VMA: a PMD THP (2048kB inherits always)
    s.mmap(1, BASE + 8 * MIB, 512 * KB);
    s.write(1, BASE + 8 * MIB + 300 * KB); // 256K range [256K, 512K) fits
    expect(anon(s)).toEqual([512, 64]);
    expect(s.paths).toEqual(['thp_alloc', 'mthp_alloc']);
  });

  it('hugepages-2048kB=never turns PMD THP off even with enabled=always; the smaller orders take over', () => {
    const s = seq(spec({ thp: 'always', mthp: { '2048kB': 'never', '1024kB': 'inherit' } }));
    s.mmap(1, BASE, 4 * MIB);
    s.write(1, BASE);
    expect(anon(s)).toEqual([256]);
  });

  it('a read maps the zero page when there is one (mTHP is for allocation only); without it the read allocates the folio', () => {
    const withZero = seq(spec({ useZeroPage: true, mthp: { '64kB': 'always' } }));
    withZero.mmap(1, BASE, MIB);
    withZero.read(1, BASE);
    withZero.write(1, BASE, true); // wp_page_copy from the zero pfn: a single page (folio_prealloc), +1
    expect([anon(withZero), withZero.paths]).toEqual([[1], ['anon_zero_page', 'wp_page_copy_zero']]);
    const noZero = seq(spec({ mthp: { '64kB': 'always' } }));
    noZero.mmap(1, BASE, MIB);
    noZero.read(1, BASE);
    expect([anon(noZero), noZero.paths]).toEqual([[16], ['mthp_alloc']]);
  });

  it('kernels before 6.8 have no per-size settings: 4K pages whatever --mthp says', () => {
    const s = seq(spec({ kernel: '6.7', mthp: { '64kB': 'always' } }));
    s.mmap(1, BASE, MIB);
    s.write(1, BASE);
    expect(anon(s)).toEqual([1]);
  });
});

describe('--patch mthp: the same settings under a patch name (model/patches/mthp.ts)', () => {
  it('defaults to 64k:always; mthp=16k:always/64k:never picks other sizes', () => {
    const run = (opt?: string): number[] => {
      const s = seq(defaultVariant({ useZeroPage: false, patches: ['mthp'], patchOptions: opt ? { mthp: opt } : {} }));
      s.mmap(1, BASE, MIB);
      s.write(1, BASE);
      return anon(s);
    };
    expect([run(), run('16k:always/64k:never')]).toEqual([[16], [4]]);
  });
});

describe('settings unknown: learnt from the kernel\'s own rss_stat for the fault', () => {
  const hint = (delta: number, fromPrev = true) => ({ member: MM_ANONPAGES, delta, mmId: 7, fromPrev });

  it('a fault followed by +16 enables 64K for VMAs like it; later faults without a hint follow the learnt setting', () => {
    const s = seq(defaultVariant({ useZeroPage: false })); // no mthp: learn
    s.mmap(1, BASE, MIB);
    s.write(1, BASE, false, hint(16));
    s.write(1, BASE + 64 * KB, false, null);
    s.mmap(1, BASE + 4 * MIB, 40 * KB); // 40 KiB: no 64K range fits
    s.write(1, BASE + 4 * MIB, false, null);
    expect(anon(s)).toEqual([16, 16, 1]);
  });

  it("a first sighting of a counter is not a measured +nr: nothing is learnt from it", () => {
    const s = seq(defaultVariant({ useZeroPage: false }));
    s.mmap(1, BASE, MIB);
    s.write(1, BASE, false, hint(16, false));
    expect(anon(s)).toEqual([1]);
  });

  it('explicit settings ignore the trace: --mthp variants are what-ifs', () => {
    const s = seq(spec({ mthp: {} }));
    s.mmap(1, BASE, MIB);
    s.write(1, BASE, false, hint(16));
    expect(anon(s)).toEqual([1]);
  });
});

describe('fork, COW and zap of PTE-mapped large folios', () => {
  /** Parent 1 writes four 64K folios of a 1 MiB VMA, forks child 2. */
  const forked = (kernel = '6.18'): Seq => {
    const s = seq(spec({ kernel, mthp: { '64kB': 'always' } }));
    s.mmap(1, BASE, MIB);
    for (let k = 0; k < 4; k++) s.write(1, BASE + k * 64 * KB);
    s.rss.length = 0;
    s.fork(1, 2);
    return s;
  };

  it('fork: the child gets one rss_stat of +64 for the piece (add_mm_rss_vec), its 64 PTEs copied in 4 folio batches (6.9+)', () => {
    const s = forked();
    expect(anon(s)).toEqual([64]);
    expect(s.forks.map((f) => [f.ptesCopied, f.ptesBatched, f.folioBatches])).toEqual([[64, 64, 4]]);
  });

  it('fork on 6.8 (before the batching): the same counters, no batches', () => {
    const s = forked('6.8');
    expect(anon(s)).toEqual([64]);
    expect(s.forks.map((f) => [f.ptesCopied, f.ptesBatched, f.folioBatches])).toEqual([[64, undefined, undefined]]);
  });

  it('COW of one subpage copies a single page (wp_page_copy): no rss_stat; the parent copies too while the child maps the folio', () => {
    const s = forked();
    s.write(2, BASE + 3 * PAGE, true);
    s.write(1, BASE + 3 * PAGE, true);
    expect(anon(s)).toEqual([64]); // only the fork's
    expect(s.paths.slice(-2)).toEqual(['wp_page_copy', 'wp_page_copy']);
  });

  it('after the child exits, 6.15+ reuses the folio the parent alone maps (__wp_can_reuse_large_anon_folio); 6.14 copies', () => {
    for (const [kernel, path] of [['6.18', 'wp_page_reuse'], ['6.14', 'wp_page_copy']] as const) {
      const s = forked(kernel);
      s.write(2, BASE + 3 * PAGE, true);
      s.exit(2);
      s.write(1, BASE + 5 * PAGE, true);
      expect([kernel, s.paths.at(-1)]).toEqual([kernel, path]);
    }
  });

  it('zap: munmap gives one rss_stat per piece whatever the folio size', () => {
    const s = forked();
    s.munmap(1, BASE, MIB);
    expect(anon(s)).toEqual([64, -64]);
    expect(faultsOf(proc(s.finish(), 1))).toEqual({ mthp_alloc: 4 });
  });
});

describe('mmu_gather with folio batches (mm/mmu_gather.c: __tlb_remove_folio_pages_size)', () => {
  it('flushes after 7 + 19 x 509 single pages, or after 4 + 19 x 255 two-entry folio batches', () => {
    const fill = (entries: number): number => {
      gather.n = 0;
      for (let k = 1; ; k++) if (gatherAdd(entries)) return k;
    };
    expect([fill(1), fill(2)]).toEqual([9678, 4849]);
  });

  it('a munmap of 4850 64K folios (151 full tables and 18 folios) breaks after 17 batches of the last table: -272, then -16', () => {
    const s = seq(spec({ mthp: { '64kB': 'always' } }));
    const len = 4850 * 64 * KB;
    s.mmap(1, BASE, len);
    for (let k = 0; k < 4850; k++) s.write(1, BASE + k * 64 * KB);
    s.rss.length = 0;
    s.munmap(1, BASE, len);
    const d = anon(s);
    expect(d.slice(0, 151).every((x) => x === -512)).toBe(true);
    expect(d.slice(151)).toEqual([-272, -16]);
  });
});

describe('per-size settings: --mthp text and the sysfs snapshot a recording keeps', () => {
  it('parses sizes in k/K/kB/M and the four policies; formats back leaving defaults out', () => {
    expect(parseMthp('64k=always,16K=inherit, 2M=never,32kB=madvise')).toEqual({ '64kB': 'always', '16kB': 'inherit', '2048kB': 'never', '32kB': 'madvise' });
    expect(formatMthp({ '64kB': 'always', '16kB': 'never', '2048kB': 'inherit' })).toBe('64k=always');
  });

  it('rejects a size the kernel does not list and a policy it does not know, in one line', () => {
    expect(() => parseMthp('8k=always')).toThrow(/^--mthp: '8k=always': expected SIZE=POLICY with SIZE one of 16k, 32k, 64k/);
    expect(() => parseMthp('64k=sometimes')).toThrow("--mthp: '64k=sometimes': 'sometimes' is not a per-size policy (expected always, inherit, madvise, never)");
  });

  it("reads the bracketed value of each hugepages-<size>kB/enabled file; a snapshot without them says nothing", () => {
    expect(mthpFromSysfs({ enabled: 'always [madvise] never', 'hugepages-64kB/enabled': '[always] inherit madvise never', 'hugepages-2048kB/enabled': 'always [inherit] madvise never' })).toEqual({ '64kB': 'always', '2048kB': 'inherit' });
    expect(mthpFromSysfs({ enabled: 'always [madvise] never' })).toBeUndefined();
  });
});
