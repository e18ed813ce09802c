// Page geometry end to end: a 16 KiB (or 64 KiB) machine's own trace (--machine-page-size) and the 16 KiB what-if on a
// 4 KiB trace (--page-size), on hand-written event sequences whose table counts are derived by hand in each test.
import { describe, expect, it } from 'vitest';
import * as F from './flags.js';
import { defaultVariant } from './replay.js';
import { buildVariants } from './variants.js';
import { BASE, MIB, faultsOf, proc, seq, type Seq } from './patches/event_seq.testlib.js';
import type { VariantResult, VariantSpec } from './types.js';

const KIB = 1024;
const native16k = defaultVariant({ machinePageSize: '16k' });
const whatIf16k = defaultVariant({ name: 'page-size=16k', pageSize: '16k' });
const mainline = defaultVariant();

/** Run the same event program through one engine per spec (as the replay's fan-out does, one after another). */
function runAll(specs: VariantSpec[], program: (s: Seq) => void): VariantResult[] {
  const seqs = specs.map((sp) => seq(sp));
  for (const s of seqs) program(s);
  return seqs.map((s) => s.finish());
}

describe('a 16 KiB machine (arm64, VA_BITS=47: 3 levels, 2048 entries per table)', () => {
  it('one write per 16 KiB page over 40 MiB: 2560 faults, 2 PTE tables (32 MiB each) + 1 PMD table, no PUD table', () => {
    // BASE is 64 GiB-aligned: 40 MiB from it lie in PTE tables 0 and 1 (32 MiB spans) of one PMD table (64 GiB span)
    const [r] = runAll([native16k], (s) => {
      s.mmap(1, BASE, 64 * MIB);
      for (let a = BASE; a < BASE + 40 * MIB; a += 16 * KIB) s.write(1, a + 100);
    });
    const p = proc(r!, 1);
    expect(faultsOf(p)).toEqual({ anon_alloc: 2560 });
    expect(p.rss_anon_final_kb).toBe(2560 * 16); // 40 MiB
    expect(p.pgtables_final_kb).toBe(3 * 16); // 2 PTE + 1 PMD table of 16 KiB; the PUD level is folded
  });

  it('the same touches on a 4 KiB machine: 20 PTE tables + PMD + PUD, a quarter of the RSS', () => {
    const [r] = runAll([mainline], (s) => {
      s.mmap(1, BASE, 64 * MIB);
      for (let a = BASE; a < BASE + 40 * MIB; a += 16 * KIB) s.write(1, a + 100);
    });
    const p = proc(r!, 1);
    expect(p.rss_anon_final_kb).toBe(2560 * 4);
    expect(p.pgtables_final_kb).toBe((20 + 1 + 1) * 4);
  });

  it('a 64 KiB machine (VA_BITS=42, 2 levels): 40 MiB touched every 64 KiB is 640 pages in one 512 MiB PTE table, no upper tables', () => {
    const [r] = runAll([defaultVariant({ machinePageSize: '64k' })], (s) => {
      s.mmap(1, BASE, 64 * MIB);
      for (let a = BASE; a < BASE + 40 * MIB; a += 64 * KIB) s.write(1, a);
    });
    const p = proc(r!, 1);
    expect(faultsOf(p)).toEqual({ anon_alloc: 640 });
    expect(p.rss_anon_final_kb).toBe(640 * 64);
    expect(p.pgtables_final_kb).toBe(64); // one PTE table page of 64 KiB
  });

  it('MADV_HUGEPAGE: one write maps a 32 MiB PMD THP (2048 pages) with its deposited 16 KiB table', () => {
    const [r] = runAll([native16k], (s) => {
      s.mmap(1, BASE, 64 * MIB);
      s.madvise(1, BASE, 64 * MIB, F.MADV_HUGEPAGE);
      s.write(1, BASE + 5 * MIB);
    });
    const p = proc(r!, 1);
    expect(faultsOf(p)).toEqual({ thp_alloc: 1 });
    expect(p.rss_anon_final_kb).toBe(32 * 1024);
    expect(p.pgtables_final_kb).toBe(16 + 16); // PMD table + deposit
  });
});

describe('the 16 KiB what-if on a 4 KiB trace (--page-size 16k)', () => {
  it('every 4 KiB page of [16 MiB, 48 MiB) written (a 32 MiB-aligned boundary inside): 16 PTE tables at 4K, 2 at 16K', () => {
    const [m, w] = runAll([mainline, whatIf16k], (s) => {
      s.mmap(1, BASE, 64 * MIB);
      for (let a = BASE + 16 * MIB; a < BASE + 48 * MIB; a += 4 * KIB) s.write(1, a);
    });
    const pm = proc(m!, 1), pw = proc(w!, 1);
    // 4K: 8192 faults; 32 MiB / 2 MiB = 16 PTE tables + 1 PMD + 1 PUD table of 4 KiB
    expect(faultsOf(pm)).toEqual({ anon_alloc: 8192 });
    expect(pm.pgtables_final_kb).toBe(18 * 4);
    // 16K: the first write in each 16 KiB page faults (2048), its three neighbours find it mapped and do not trap;
    // [16, 32) MiB and [32, 48) MiB are two PTE tables, + 1 PMD table, each 16 KiB
    expect(faultsOf(pw)).toEqual({ anon_alloc: 2048, not_taken: 6144 });
    expect(pw.minflt).toBe(2048);
    expect(pw.pgtables_final_kb).toBe(3 * 16);
    expect(pw.rss_anon_final_kb).toBe(pm.rss_anon_final_kb); // dense: the same 32 MiB
  });

  it('one 4 KiB write per 64 KiB: same faults, four times the RSS (each fault maps 16 KiB)', () => {
    const [m, w] = runAll([mainline, whatIf16k], (s) => {
      s.mmap(1, BASE, 64 * MIB);
      for (let a = BASE; a < BASE + 8 * MIB; a += 64 * KIB) s.write(1, a + 8 * KIB);
    });
    expect(faultsOf(proc(m!, 1))).toEqual({ anon_alloc: 128 });
    expect(faultsOf(proc(w!, 1))).toEqual({ anon_alloc: 128 });
    expect(proc(m!, 1).rss_anon_final_kb).toBe(128 * 4);
    expect(proc(w!, 1).rss_anon_final_kb).toBe(128 * 16);
    expect(proc(m!, 1).pgtables_final_kb).toBe((4 + 1 + 1) * 4); // 8 MiB: 4 PTE tables
    expect(proc(w!, 1).pgtables_final_kb).toBe((1 + 1) * 16); // 8 MiB in one 32 MiB table
  });

  it('a read then a write of a neighbour in the same 16 KiB page: the write is the zero page\'s COW, not a new fault path', () => {
    const [, w] = runAll([mainline, whatIf16k], (s) => {
      s.mmap(1, BASE, 2 * MIB);
      s.read(1, BASE);
      s.write(1, BASE + 4 * KIB);
      s.write(1, BASE + 8 * KIB, true);
    });
    expect(faultsOf(proc(w!, 1))).toEqual({ anon_zero_page: 1, wp_page_copy_zero: 1, not_taken: 1 });
    expect(proc(w!, 1).rss_anon_final_kb).toBe(16);
  });

  it('munmap of a 4 KiB-aligned tail keeps the trace\'s VMA layout (VMAs are not rounded to 16 KiB)', () => {
    const [, w] = runAll([mainline, whatIf16k], (s) => {
      s.mmap(1, BASE, 40 * KIB); // 40 KiB: two and a half 16 KiB pages
      s.mmap(1, BASE + 40 * KIB, 24 * KIB, { prot: F.PROT_READ }); // a read-only neighbour starting mid-page
      s.write(1, BASE + 36 * KIB); // in the writable VMA, inside the 16 KiB page [32, 48) KiB the neighbour shares
    });
    expect(faultsOf(proc(w!, 1))).toEqual({ anon_alloc: 1 });
  });
});

describe('page-size variants (model/variants.ts)', () => {
  it('--page-size adds page-size=SIZE beside mainline; the machine\'s own size adds nothing', () => {
    expect(buildVariants({ pageSize: ['16k', '4k', '64K'] }).map((v) => [v.name, v.pageSize ?? '-'])).toEqual([['mainline', '-'], ['page-size=16k', '16k'], ['page-size=64k', '64k']]);
    const n = buildVariants({ machinePageSize: '16384', pageSize: ['16k', '4k'] });
    expect(n.map((v) => [v.name, v.machinePageSize, v.pageSize ?? '-'])).toEqual([['mainline', '16k', '-'], ['page-size=4k', '16k', '4k']]);
  });

  it('a --patch item may carry page-size=SIZE', () => {
    expect(buildVariants({ patch: ['cow-pte+page-size=16k'] }).map((v) => v.name)).toEqual(['mainline', 'cow-pte+page-size=16k']);
  });

  it('a size the model does not know is a one-line error', () => {
    expect(() => buildVariants({ pageSize: ['8k'] })).toThrow("--page-size '8k': expected one of 4k, 16k, 64k");
  });
});
