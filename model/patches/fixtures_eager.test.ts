// The OSv question (seed 003) on a real trace: what eager population (MAP_POPULATE on every private anonymous mmap)
// costs traces/fixtures/workloads/sparse_1g, which touches one byte per 2 MiB of 1 GiB and 24 bytes of an 8 GiB
// reservation. Expected figures come from the recorded regions and the raw trace lines, not from the model.
import { describe, expect, it } from 'vitest';
import { readTruth } from '../../record/fixtures.js';
import { MIB, rawLines, replay, variant } from './fixture_replay.testlib.js';

describe('sparse_1g: eager population of sparse reservations', async () => {
  const regions = readTruth('sparse_1g', 'perf').regions;
  const bytes = regions.reduce((s, r) => s + r.len, 0);
  const inRegion = (a: number) => regions.some((r) => a >= r.addr && a < r.addr + r.len);
  const touches = rawLines('sparse_1g').filter((l) => {
    const m = /page_fault_user: address=0x([0-9a-f]+) /.exec(l);
    return m !== null && inRegion(parseInt(m[1]!, 16));
  }).length;
  const run = await replay('sparse_1g', ['eager-populate']);
  const main = variant(run.res, 'mainline'), eager = variant(run.res, 'eager-populate');

  it('populates every reserved byte: RSS and page tables for the whole 9 GiB', () => {
    expect(bytes).toBe(9 * 1024 * MIB);
    expect(eager.totals.rss_anon_peak_kb).toBeGreaterThanOrEqual(bytes / 1024);
    expect(eager.totals.pgtables_peak_kb).toBeGreaterThanOrEqual((bytes / (2 * MIB)) * 4);
    expect(main.totals.rss_anon_peak_kb).toBeLessThan(bytes / 1024 / 100);
  });

  it('the traced first touches in the regions are faults eager population does not take', () => {
    expect(touches).toBe(512 + 24);
    expect(eager.totals.faults['not_taken'] ?? 0).toBeGreaterThanOrEqual(touches);
    expect(main.totals.faults['anon_alloc'] ?? 0).toBeGreaterThanOrEqual(touches);
  });
});
