// refpage: expected states derived by hand from the refpage_create v3/v5 diffs (model/README.md: Reference pages; seeds 000, 002):
// reads map the reference page (special PTE: no RSS), write-first allocates and fills (+1 anon), a write to a
// refpage PTE copies (+1 anon), transhuge_vma_suitable refuses the VMA, fork copies refpage PTEs verbatim.
import { describe, expect, it } from 'vitest';
import { buildVariants } from '../variants.js';
import { BASE, MIB, PAGE, faultsOf, proc, seq } from './event_seq.testlib.js';
import * as F from '../flags.js';
import { refpage } from './refpage.js';

const spec = (patch: string) => buildVariants({ patch: [patch] })[1]!;

describe('refpage', () => {
  it('maps reads to the reference page, fills write-first pages, copies on write after read', () => {
    const s = seq(spec('refpage'));
    s.mmap(10, BASE, 4 * MIB);
    s.read(10, BASE); // refpage_read
    s.read(10, BASE + PAGE); // refpage_read
    s.write(10, BASE + PAGE, true); // 0x7 on the read-only refpage PTE: wp_page_copy from the refpage
    s.write(10, BASE + 2 * PAGE); // do_anonymous_page write: fill from the pattern
    s.read(10, BASE + 2 * PAGE); // present: nothing to do
    const p = proc(s.finish(), 10);
    expect(faultsOf(p)).toEqual({ refpage_read: 2, refpage_copy: 1, refpage_fill: 1, not_taken: 1 });
    expect(p.rss_anon_peak_kb).toBe(8); // two anon pages; the two refpage reads cost none
    expect(p.pgtables_peak_kb).toBe(12); // PUD + PMD + one PTE table (PGD not counted)
  });

  it('refuses THP in a selected VMA even with thp=always (no huge zero page, no THP fault)', () => {
    const [, withThp] = buildVariants({ patch: ['refpage+thp=always'] });
    expect(withThp!.name).toBe('refpage+thp=always');
    const s = seq(withThp!);
    s.mmap(10, BASE, 4 * MIB);
    s.read(10, BASE);
    s.write(10, BASE + 2 * MIB);
    const p = proc(s.finish(), 10);
    expect(faultsOf(p)).toEqual({ refpage_read: 1, refpage_fill: 1 });
    expect(p.rss_anon_peak_kb).toBe(4);
    expect(p.pgtables_peak_kb).toBe(16); // PUD + PMD + two PTE tables, no deposits

    // the same faults on mainline with thp=always: a huge zero PMD, then a 2 MiB THP
    const m = seq(buildVariants({ thp: ['always'] })[1]!);
    m.mmap(10, BASE, 4 * MIB);
    m.read(10, BASE);
    m.write(10, BASE + 2 * MIB);
    const q = proc(m.finish(), 10);
    expect(faultsOf(q)).toEqual({ thp_zero: 1, thp_alloc: 1 });
    expect(q.rss_anon_peak_kb).toBe(2048);
  });

  it('leaves unselected VMAs (here: a read-only mapping under the default selector) to mainline', () => {
    const s = seq(spec('refpage'));
    s.mmap(10, BASE, 2 * MIB, { prot: F.PROT_READ });
    s.read(10, BASE);
    expect(faultsOf(proc(s.finish(), 10))).toEqual({ anon_zero_page: 1 });
  });

  it('fork copies refpage PTEs verbatim: no RSS for them in the child, anon pages shared', () => {
    const s = seq(spec('refpage'));
    s.mmap(10, BASE, 2 * MIB);
    for (let i = 0; i < 8; i++) s.read(10, BASE + i * PAGE); // 8 refpage PTEs
    s.write(10, BASE + 8 * PAGE); // one anon page, and the VMA gets an anon_vma
    s.fork(10, 11);
    s.write(11, BASE, true); // child: COW from the refpage in its own copy of the table
    const r = s.finish();
    const c = proc(r, 11);
    expect(s.forks[0]!.ptesCopied).toBe(9);
    expect(c.pgtables_peak_kb).toBe(12);
    expect(c.rss_anon_peak_kb).toBe(8); // the shared anon page (4) + the child's refpage copy (4)
    expect(faultsOf(c)).toEqual({ refpage_copy: 1 });
    expect(proc(r, 10).rss_anon_peak_kb).toBe(4);
  });

  it('a VMA only read has no anon_vma, so fork does not copy it', () => {
    const s = seq(spec('refpage'));
    s.mmap(10, BASE, 2 * MIB);
    s.read(10, BASE);
    s.fork(10, 11);
    const r = s.finish();
    expect(s.forks[0]!.ptesCopied).toBe(0);
    expect(proc(r, 11).pgtables_peak_kb).toBe(0);
  });

  it('treats the refpage as special in is_zero_pfn and nothing else', () => {
    const ctx = {} as Parameters<NonNullable<typeof refpage.is_zero_pfn>>[0];
    expect(refpage.is_zero_pfn!(ctx, F.PTE_PRESENT | F.PTE_REFPAGE)).toBe(true);
    expect(refpage.is_zero_pfn!(ctx, F.PTE_PRESENT | F.PTE_WRITE)).toBeUndefined();
  });

  it('by default leaves VMAs inferred from faults (no mmap in the trace) to mainline; --select can take them', () => {
    const s = seq(spec('refpage'));
    const anon = { member: 1, delta: 1 }; // the kernel's rss_stat after the fault: MM_ANONPAGES + 1
    s.write(10, BASE, false, anon); // the process predates the trace: an inferred anonymous VMA
    expect(faultsOf(proc(s.finish(), 10))).toEqual({ anon_alloc: 1 });
    const t = seq(buildVariants({ patch: ['refpage'], select: 'anon && private' })[1]!);
    t.write(10, BASE, false, anon);
    expect(faultsOf(proc(t.finish(), 10))).toEqual({ refpage_fill: 1 });
  });

  it('--select by size: a small mapping stays mainline, a large one is a refpage mapping', () => {
    const s = seq(buildVariants({ patch: ['refpage'], select: 'anon && write && size >= 1m' })[1]!);
    s.mmap(10, BASE, 64 * 1024);
    s.mmap(10, BASE + 2 * MIB, 2 * MIB);
    s.read(10, BASE);
    s.read(10, BASE + 2 * MIB);
    expect(faultsOf(proc(s.finish(), 10))).toEqual({ anon_zero_page: 1, refpage_read: 1 });
  });
});
