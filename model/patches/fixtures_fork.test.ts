// The COW PTE cover letter's 1 GiB fork (RFC v2-v5: child VmPTE 2096 kB on mainline, 44 kB with COW PTE tables),
// reproduced from traces/fixtures/workloads/fork_1g. Expected figures come from the raw trace lines, the recorded
// /proc truth and the region geometry, not from the model.
import { describe, expect, it } from 'vitest';
import { readTruth } from '../../record/fixtures.js';
import { MIB, regionWrites, replay, variant } from './fixture_replay.testlib.js';

describe('fork_1g: COW PTE tables (RFC v2-v5 cover letter: child VmPTE 2096 kB -> 44 kB)', async () => {
  const truth = readTruth('fork_1g', 'perf');
  const region = truth.regions[0]!;
  const child = truth.checkpoints.find((c) => c.label === 'child_after_fork')!;
  const parent = truth.checkpoints.find((c) => c.label === 'parent_after_fork')!;
  // tables wholly inside the 1 GiB region: the ones COW PTE shares
  const shared = Math.floor((region.addr + region.len) / (2 * MIB)) - Math.ceil(region.addr / (2 * MIB));
  // the child's writes into the region, counted from the raw lines (one byte per 2 MiB: one per table)
  const childWrites = regionWrites('fork_1g', child.pid, region);
  const run = await replay('fork_1g', ['cow-pte']);

  // the model's mainline may differ from /proc by a few tables (libraries mapped before the trace): allow 2%
  const tol = Math.ceil(child.vm_pte_kb * 0.02);

  it('mainline: the child right after fork has about the parent VmPTE (/proc: 2096 kB here)', () => {
    const atFork = run.childPteAtFork.get('mainline')!.get(child.pid)!;
    expect(child.vm_pte_kb).toBe(parent.vm_pte_kb);
    expect(Math.abs(atFork - child.vm_pte_kb)).toBeLessThanOrEqual(tol);
  });

  it('cow-pte: the child starts without the shared tables (near 44 kB)', () => {
    const main = run.childPteAtFork.get('mainline')!.get(child.pid)!;
    const cow = run.childPteAtFork.get('cow-pte')!.get(child.pid)!;
    expect(shared).toBe(512);
    expect(cow).toBe(main - 4 * shared); // exactly the 512 tables wholly inside the region
    expect(Math.abs(cow - (child.vm_pte_kb - 4 * shared))).toBeLessThanOrEqual(tol); // /proc 2096 - 2048 = 48 kB
  });

  it("cow-pte: each of the child's writes into a shared table breaks it, charged to that fault", () => {
    expect(childWrites).toBe(512);
    const byChild = run.breaks.filter((b) => b.variant === 'cow-pte' && b.pid === child.pid && b.cause === 'fault');
    expect(byChild.length).toBe(childWrites);
    expect(byChild.every((b) => b.how === 'copy')).toBe(true);
    const m = variant(run.res, 'mainline').processes.find((p) => p.pid === child.pid)!;
    const c = variant(run.res, 'cow-pte').processes.find((p) => p.pid === child.pid)!;
    // after the breaks the child holds what mainline's fork gave it, and page-level COW still ran per write
    expect(c.pgtables_final_kb).toBe(m.pgtables_final_kb);
    expect(c.rss_anon_final_kb).toBe(m.rss_anon_final_kb);
    expect(c.faults['wp_page_copy']).toBe(m.faults['wp_page_copy']);
    // the parent never wrote after fork and is the owner: no break of its own
    expect(run.breaks.filter((b) => b.variant === 'cow-pte' && b.pid === parent.pid && b.cause === 'fault')).toEqual([]);
  });
});

