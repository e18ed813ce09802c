// The shipped default profile against independent references: MODEL.md §8's per-fault ranges (model/README.md: Fault
// and fork latency) and the fork fixtures'
// own clock_gettime measurement of fork() (committed ground truth, recorded by the workloads on this kernel).
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DEFAULT_PROFILE, faultCostNs, forkCostNs, loadProfile, type CostProfile } from '../costs.js';
import { createMeasuredCollector } from '../../analyze/latency/measured.js';
import type { EventSink } from '../../traces/events.js';
import type { FaultPath, ForkRecord } from '../types.js';

const profileFile = fileURLToPath(new URL(`./${DEFAULT_PROFILE}.json`, import.meta.url));
const raw = JSON.parse(readFileSync(profileFile, 'utf8')) as { notes?: string[] };
const P: CostProfile = loadProfile(DEFAULT_PROFILE);

// MODEL.md §8, "Measured here": 4K zero-fill 1.8-2.0 us, COW copy after fork 3.0-3.5 us, THP 2 MiB zero-fill 350-490 us.
// Tolerance +-50%: a shared 2-vCPU VM whose calibrate p10-p90 spread is itself 1.3-3x wide under other users' load.
const MODEL_MD_S8: [string, number, number][] = [
  ['anon_alloc', 1800, 2000],
  ['wp_page_copy', 3000, 3500],
  ['thp_alloc', 350_000, 490_000],
];

describe(`default profile ${DEFAULT_PROFILE} vs MODEL.md §8`, () => {
  for (const [step, lo, hi] of MODEL_MD_S8) {
    it(`${step} is within ${lo}-${hi} ns +-50%, or the profile records the disagreement with its measured value`, () => {
      const v = P.steps[step];
      expect(v).toBeGreaterThan(0);
      const inRange = v >= lo * 0.5 && v <= hi * 1.5;
      const note = (raw.notes ?? []).find((n) => n.startsWith(`disagrees with MODEL.md §8: ${step} median `));
      if (inRange) expect(note).toBeUndefined(); // a stale note would hide a real change
      else expect(note).toContain(`${step} median ${v} ns`);
    });
  }
});

interface Truth {
  checkpoints: { label: string; fork_ns?: number; child_pid?: number }[];
}

const fixtureDir = (fixture: string) => fileURLToPath(new URL(`../../traces/fixtures/workloads/${fixture}/`, import.meta.url));

/**
 * The fork's duration as measured when the fixture was recorded: the least of the workload's clocks after fork()
 * (parent's and child's, each minus the parent's clock before it) and the ftrace trace's own sys_enter_clone ..
 * sys_exit_clone for that fork (the tightest bracket: the parent is often preempted right after the syscall returns).
 */
async function measuredForkNs(fixture: string): Promise<number | null> {
  let best = Infinity;
  let child = -1;
  for (const backend of ['ftrace', 'perf']) {
    const f = `${fixtureDir(fixture)}truth.${backend}.json`;
    if (!existsSync(f)) continue;
    const t = JSON.parse(readFileSync(f, 'utf8')) as Truth;
    for (const c of t.checkpoints) {
      if (c.fork_ns && c.fork_ns > 0) best = Math.min(best, c.fork_ns);
      if (backend === 'ftrace' && c.label === 'parent_after_fork' && c.child_pid) child = c.child_pid;
    }
  }
  const trace = `${fixtureDir(fixture)}ftrace.txt.gz`;
  if (child > 0 && existsSync(trace) && existsSync(fileURLToPath(new URL('../../traces/read.ts', import.meta.url)))) {
    const { readTrace } = (await import('../../traces/read.js')) as { readTrace: (p: string, s: EventSink) => Promise<unknown> };
    const c = createMeasuredCollector();
    await readTrace(trace, c.sink);
    for (const f of c.result().forks) if (f.childPid === child) best = Math.min(best, f.durationNs);
  }
  return Number.isFinite(best) ? best : null;
}

function forkRec(ptesCopied: number, tablesCopied: number, pmdsCopied: number): ForkRecord {
  return { variant: 'mainline', time: 0, pid: 1, comm: 'fork', childPid: 2, ptesCopied, tablesCopied, tablesShared: 0, pmdsCopied, latencyNs: 0 };
}

describe('modelled fork latency vs the fork fixtures (within 2x)', () => {
  // fork_1g: 1 GiB of written 4K pages = 262144 PTEs in 512 PTE tables
  it.skipIf(!existsSync(fixtureDir('fork_1g')))('1 GiB of populated 4K memory', async () => {
    const measured = await measuredForkNs('fork_1g');
    expect(measured).not.toBeNull();
    const modelled = forkCostNs(P, forkRec(262_144, 512, 0));
    const ratio = modelled / measured!;
    expect(ratio, `modelled ${(modelled / 1e6).toFixed(2)} ms vs measured ${(measured! / 1e6).toFixed(2)} ms`).toBeGreaterThanOrEqual(0.5);
    expect(ratio, `modelled ${(modelled / 1e6).toFixed(2)} ms vs measured ${(measured! / 1e6).toFixed(2)} ms`).toBeLessThanOrEqual(2);
  });
  // fork_thp: a 64 MiB MADV_HUGEPAGE region written = 32 THP PMDs (truth: RssAnon 65644 kB)
  it.skipIf(!existsSync(fixtureDir('fork_thp')))('its THP counterpart (64 MiB = 32 PMDs)', async () => {
    const measured = await measuredForkNs('fork_thp');
    expect(measured).not.toBeNull();
    const modelled = forkCostNs(P, forkRec(0, 0, 32));
    const ratio = modelled / measured!;
    expect(ratio, `modelled ${(modelled / 1e6).toFixed(3)} ms vs measured ${(measured! / 1e6).toFixed(3)} ms`).toBeGreaterThanOrEqual(0.5);
    expect(ratio, `modelled ${(modelled / 1e6).toFixed(3)} ms vs measured ${(measured! / 1e6).toFixed(3)} ms`).toBeLessThanOrEqual(2);
  });
});

describe('COW PTE direction with the default profile (what --patch cow-pte reports)', () => {
  it('a fork that shares its 512 tables instead of copying them is cheaper', () => {
    const mainline = forkCostNs(P, forkRec(262_144, 512, 0));
    const cowPte = forkCostNs(P, { ...forkRec(0, 0, 0), tablesShared: 512 }); // RFC v1/v2: no per-PTE work at fork
    expect(cowPte).toBeLessThan(mainline);
  });
  it("the writer's first touch in a shared table costs a table copy and allocation more than a plain COW", () => {
    const rec = (path: FaultPath, tables: number) => ({
      variant: 'cow-pte', time: 0, cpu: 0, pid: 1, tid: 1, comm: 'w', address: 0, errorCode: 7, path,
      vmaStart: 0, vmaEnd: 0, vmaFlags: 0, pagesAllocated: 1, tablesAllocated: tables, latencyNs: 0, inferred: false,
    });
    const plain = faultCostNs(P, rec('wp_page_copy', 0));
    const broken = faultCostNs(P, { ...rec('wp_page_copy', 1), tablesCopied: 1 }); // the engine keeps the path
    expect(broken - plain).toBeCloseTo(P.steps.cow_pte_table_copy + P.steps.table_alloc, 6);
  });
});
