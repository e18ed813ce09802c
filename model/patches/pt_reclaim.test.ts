// pt-reclaim: CONFIG_PT_RECLAIM forced on for older kernel rules and off for 6.14+ ones. Expected values derived by
// hand from mm/pt_reclaim.c (reclaim_pt_is_enabled: the zap spans the whole table) and mm/memory.c (zap_pte_range);
// the fixture part reproduces the cover letter's shape on traces/fixtures/workloads/pt_reclaim (recorded on 6.18,
// CONFIG_PT_RECLAIM=y, no zero page).
import { describe, expect, it } from 'vitest';
import { buildVariants } from '../variants.js';
import { readTruth } from '../../record/fixtures.js';
import { BASE, MIB, PAGE, proc, seq } from './event_seq.testlib.js';
import { replay, variant } from './fixture_replay.testlib.js';
import * as F from '../flags.js';

/** Write one page in each of the first `blocks` 2 MiB blocks of a 4 MiB mapping, then MADV_DONTNEED [BASE+from, BASE+to). */
function run(opts: Parameters<typeof buildVariants>[0], pick: number, from: number, to: number) {
  const s = seq(buildVariants(opts)[pick]!);
  s.mmap(10, BASE, 4 * MIB);
  s.write(10, BASE);
  s.write(10, BASE + 2 * MIB + PAGE);
  s.madvise(10, BASE + from, to - from, F.MADV_DONTNEED);
  return proc(s.finish(), 10);
}

describe('pt-reclaim (event sequences)', () => {
  it('on 6.13 rules: mainline keeps both emptied tables, --patch pt-reclaim frees them', () => {
    // BASE is 1 GiB aligned: PUD + PMD + two PTE tables = 16 KiB before the DONTNEED
    const main = run({ kernel: '6.13', patch: ['pt-reclaim'] }, 0, 0, 4 * MIB);
    const pr = run({ kernel: '6.13', patch: ['pt-reclaim'] }, 1, 0, 4 * MIB);
    expect(main.pgtables_peak_kb).toBe(16);
    expect(main.pgtables_final_kb).toBe(16);
    expect(pr.pgtables_final_kb).toBe(8); // try_get_and_clear_pmd + free_pte twice
    expect(pr.rss_anon_final_kb).toBe(0);
    expect(main.rss_anon_final_kb).toBe(0);
  });

  it('on 6.18 rules: --patch pt-reclaim=off keeps what mainline frees', () => {
    const v = buildVariants({ patch: ['pt-reclaim=off'] });
    expect(v.map((x) => x.name)).toEqual(['mainline', 'pt-reclaim=off']);
    expect(run({ patch: ['pt-reclaim=off'] }, 0, 0, 4 * MIB).pgtables_final_kb).toBe(8);
    expect(run({ patch: ['pt-reclaim=off'] }, 1, 0, 4 * MIB).pgtables_final_kb).toBe(16);
  });

  it('a DONTNEED that covers a table only in part keeps it, even when it empties it (end - start < PMD_SIZE)', () => {
    // [BASE, BASE + 2M - 4K) empties the first table but does not span it; [BASE+2M, BASE+4M) spans the second
    const pr = run({ kernel: '6.13', patch: ['pt-reclaim'] }, 1, 0, 2 * MIB - PAGE);
    expect(pr.pgtables_final_kb).toBe(16);
    const pr2 = run({ kernel: '6.13', patch: ['pt-reclaim'] }, 1, MIB, 4 * MIB);
    expect(pr2.pgtables_final_kb).toBe(12);
  });

  it('a table that still maps a page is kept (reclaim needs every entry none)', () => {
    // only [BASE+2M+8K, BASE+4M) zapped... the page at BASE+2M+4K survives in the second table
    const pr = run({ kernel: '6.13', patch: ['pt-reclaim'] }, 1, 2 * MIB + 2 * PAGE, 4 * MIB);
    expect(pr.pgtables_final_kb).toBe(16);
    expect(pr.rss_anon_final_kb).toBe(8);
  });

  it('a bad option is a one-line error', () => {
    expect(() => run({ patch: ['pt-reclaim=maybe'] }, 1, 0, MIB)).toThrow(/pt-reclaim option 'maybe': expected on or off/);
  });
});

describe('pt-reclaim on the recorded cover-letter loop (pt_reclaim: 8 GiB, 16 pages per 2 MiB, 6.18)', () => {
  it('without PT_RECLAIM VmPTE grows by one table per 2 MiB block; with it, it stays flat', async () => {
    const t = readTruth('pt_reclaim', 'perf');
    const looped = t.checkpoints.find((c) => c.label === 'looped')!;
    const r = await replay('pt_reclaim', ['pt-reclaim=off']);
    const pid = looped.pid;
    const on = proc(variant(r.res, 'mainline'), pid);
    const off = proc(variant(r.res, 'pt-reclaim=off'), pid);
    // 8 GiB / 2 MiB = 4096 tables of 4 KiB kept without the feature: 16384 kB (the cover letter: 25600 for 50 GiB)
    const before = off.pgtables_peak_kb, after = on.pgtables_peak_kb;
    console.log(`pt_reclaim fixture: VmPTE peak without PT_RECLAIM ${before} kB, with ${after} kB (/proc at "looped": ${looped.vm_pte_kb} kB); cover letter (50 GiB): 102640 kB -> 240 kB`);
    expect(Math.abs(after - looped.vm_pte_kb)).toBeLessThanOrEqual(4); // the kernel's own figure: the feature is on
    expect(before - after).toBeGreaterThanOrEqual(16384 - 16);
    expect(before - after).toBeLessThanOrEqual(16384 + 16);
    // the shape: two to three orders of magnitude (cover letter: 102640 / 240 = 428x)
    expect(before / after).toBeGreaterThan(100);
    expect(off.rss_anon_peak_kb).toBe(on.rss_anon_peak_kb); // RSS is the same: only tables differ
  });
});
