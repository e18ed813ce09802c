// The traced machine's zero page detected from the trace's own counters (issue 12, item 9): a recording from a boot
// without a zero page (pvm_no_zero_page=1) needs no flag, one with a zero page is told apart, and a wrong override shows.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { readTrace } from '../traces/read.js';
import { createValidator } from './validate.js';
import { createReplay, defaultVariant } from './replay.js';
import { describeMachine, describeThp, thpOverrideContradictions } from './machine.js';

const FIX = join(import.meta.dirname, '..', 'traces', 'fixtures');

async function validate(file: string, useZeroPage: boolean) {
  const v = createValidator(defaultVariant({ useZeroPage }));
  return v.finish(await readTrace(join(FIX, file), v.sink));
}

describe('zero page detected from rss_stat', { timeout: 120_000 }, () => {
  it('a no-zero-page recording (workloads/, pvm_no_zero_page=1) matches every event without --machine-no-zero-page', async () => {
    // read_then_write reads 16384 fresh anon pages first: each read allocated (+1 MM_ANONPAGES) on that boot
    const r = await validate('workloads/read_then_write/perf.txt.gz', true);
    expect(r.machine.zeroPage).toBe(false);
    expect(r.machine.zeroPageGiven).toBe(false);
    expect(r.machine.readZero).toBe(0);
    expect(r.machine.readAllocated).toBeGreaterThanOrEqual(16384);
    expect(r.matched).toBe(r.compared); // before detection: 64 of 16482
  });
  it('THP reads on that boot allocate a THP (no huge zero folio): detected, and counted as THP faults', async () => {
    const r = await validate('workloads/thp_read_first/perf.txt.gz', true);
    expect(r.machine.zeroPage).toBe(false);
    expect(r.machine.thpFaults).toBe(32);
    expect(r.matched).toBe(r.compared); // before: 62 of 127
  });
  it('a recording with a zero page (corpus/, record.sh found one) is detected as such', async () => {
    const v = createReplay([defaultVariant()]);
    const res = v.finish(await readTrace(join(FIX, 'corpus/sort/trace.txt.gz'), v.sink));
    expect(res.machine.zeroPage).toBe(true);
    expect(res.machine.readAllocated).toBe(0);
    expect(describeMachine(res.machine)).toMatch(/^zero page: present \(detected: /);
  });
  it('a wrong --machine-no-zero-page is visible: the override holds, the evidence says otherwise', async () => {
    const r = await validate('corpus/sort/trace.txt.gz', false);
    expect(r.machine.zeroPageGiven).toBe(true);
    expect(r.machine.readZero).toBeGreaterThan(0);
    expect(describeMachine(r.machine)).toContain('the override looks wrong');
  });
});

// THP mode from the trace (issue 12 item 9, issue 16): the fault's own rss_stat says whether the kernel mapped a PMD
// THP (+512) or not on a known anonymous VMA, with or without MADV_HUGEPAGE (include/linux/huge_mm.h:
// thp_vma_allowable_orders), and an mTHP's +nr names its size (mm/memory.c: alloc_anon_folio).
describe('THP policy detected from rss_stat', { timeout: 120_000 }, () => {
  it('thp_shrinker (recorded with enabled=always, no madvise) is detected as always and matches every event without --thp', async () => {
    const r = await validate('workloads/thp_shrinker/perf.txt.gz', true);
    expect([r.machine.thpUnhinted, r.machine.thpGiven]).toEqual([true, null]);
    expect([r.machine.thpUnhintedHuge, r.machine.thpUnhintedSmall]).toEqual([32, 0]); // the workload's 32 THPs
    expect(r.matched).toBe(r.compared); // before detection: 71 of 133
    expect(r.compared).toBe(133);
    expect(describeThp(r.machine)).toMatch(/^THP: always \(detected: 32 faults without MADV_HUGEPAGE got a 2 MiB THP, 0 did not/);
  });
  it('mthp_64k (hugepages-16kB and -64kB always, enabled=madvise) shows its mTHP sizes and no PMD THP without madvise', async () => {
    const r = await validate('workloads/mthp_64k/perf.txt.gz', true);
    expect(r.machine.thpUnhinted).toBe(false);
    expect(r.machine.mthpUnhinted).toBe((1 << 2) | (1 << 4)); // 16 KiB and 64 KiB folios, nothing else
    expect(r.by_member.MM_ANONPAGES!.matched).toBe(r.by_member.MM_ANONPAGES!.compared);
    expect(describeThp(r.machine)).toContain('mTHP folios: 16 KiB, 64 KiB without MADV_HUGEPAGE');
  });
  it('thp_write_first (enabled=madvise, MADV_HUGEPAGE) stays madvise: THPs only where madvised', async () => {
    const r = await validate('workloads/thp_write_first/perf.txt.gz', true);
    expect([r.machine.thpHinted, r.machine.thpUnhinted]).toEqual([true, null]);
    expect(r.machine.thpHintedHuge).toBe(32);
    expect(r.matched).toBe(r.compared);
    expect(describeThp(r.machine)).toMatch(/^THP: madvise \(detected: .*\(or always: no fault without MADV_HUGEPAGE showed which\)/);
  });
  it('a wrong --thp is visible: the override holds, its contradictions are counted', async () => {
    const v = createValidator(defaultVariant({ thp: 'madvise' }));
    const r = v.finish(await readTrace(join(FIX, 'workloads/thp_shrinker/perf.txt.gz'), v.sink));
    expect(r.machine.thpGiven).toBe('madvise');
    expect(thpOverrideContradictions(r.machine)).toBe(32);
    expect(r.matched).toBeLessThan(r.compared); // the figure the override costs (71 of 133)
    expect(describeThp(r.machine)).toContain('32 faults contradict it (the trace points to always): the override looks wrong');
  });
  it('replay: mainline follows the trace, an explicit thp=madvise variant does not', async () => {
    const rp = createReplay([defaultVariant(), defaultVariant({ name: 'thp=madvise', thp: 'madvise' })]);
    const res = rp.finish(await readTrace(join(FIX, 'workloads/thp_shrinker/perf.txt.gz'), rp.sink));
    const thp = (i: number): number => res.variants[i]!.totals.faults['thp_alloc'] ?? 0;
    expect([thp(0), thp(1)]).toEqual([32, 0]);
  });
});
