// The traced machine's zero page detected from the trace's own counters (issue 12, item 9): a recording from a boot
// without a zero page (pvm_no_zero_page=1) needs no flag, one with a zero page is told apart, and a wrong override shows.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { readTrace } from '../traces/read.js';
import { createValidator } from './validate.js';
import { createReplay, defaultVariant } from './replay.js';
import { describeMachine } from './machine.js';

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
