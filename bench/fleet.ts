// faultline batch on a fleet: every committed fixture plus >= 200 traces sliced and re-timed from the real recordings,
// one by one (--jobs 1) and two at a time (--jobs 2) in the same run. Aim: jobs 2 in <= 0.6x the one-by-one time.
import { spawnSync } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchArgs, BenchSection } from './run.js';
import { generateFleet } from '../record/fleet_gen.js';
import { repoRoot } from '../record/workloads.js';

const TRACES = 200;
const ORDER = [1, 2, 2, 1] as const;

function batch(inputs: string[], out: string, jobs: number): { ms: number; summary: string } {
  const cli = join(repoRoot(), 'dist/src/cli.js');
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [cli, 'batch', ...inputs, '-o', out, '--jobs', String(jobs), '--patch', 'cow-pte', '--machine-no-zero-page'], { encoding: 'utf8' });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`faultline batch --jobs ${jobs} exited ${r.status}: ${r.stderr.trim().split('\n').pop()}`);
  return { ms, summary: r.stdout.trim() };
}

function autogroup(): boolean {
  try {
    return readFileSync('/proc/sys/kernel/sched_autogroup_enabled', 'utf8').trim() === '1';
  } catch {
    return false;
  }
}

export async function benchFleet(args: BenchArgs): Promise<void> {
  const gen = join(args.tmp, `faultline-bench-fleet-${TRACES}`);
  const inputs = [join(repoRoot(), 'traces/fixtures'), gen];
  console.log(`fleet: ${generateFleet(TRACES, gen).length} generated traces in ${gen} + every trace under traces/fixtures (cow-pte, machine without a zero page)`);
  console.log(`  ${availableParallelism()} CPUs, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} before`);
  // kernel/sched/autogroup.c: with autogroup on, CPU time is shared per session first, so while other sessions keep the
  // CPUs busy a batch's share does not grow with its thread count: --jobs 2 can only show its speed-up on a quiet machine
  if (autogroup() && loadavg()[0]! > availableParallelism()) {
    console.log(`  sched_autogroup_enabled=1 and load above the CPU count: this run's ratio is bounded by its session's share, not by the batch`);
  }
  // ABBA order (1, 2, 2, 1): on a machine shared with other work the load drifts over minutes, and a drift that
  // favours whichever setting runs second cancels out when each setting runs once early and once late
  const runs: { jobs: number; ms: number }[] = [];
  for (const jobs of ORDER) {
    const out = mkdtempSync(join(args.tmp, `faultline-bench-fleet-out${jobs}-`));
    try {
      const r = batch(inputs, out, jobs);
      runs.push({ jobs, ms: r.ms });
      console.log(`  --jobs ${jobs}: ${(r.ms / 1000).toFixed(1)} s  (${r.summary.replace(/ -> .*/, '')})  load ${loadavg()[0]!.toFixed(2)}`);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }
  const total = (jobs: number): number => runs.filter((r) => r.jobs === jobs).reduce((a, r) => a + r.ms, 0);
  console.log(`  load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} after`);
  console.log(`  --jobs 2 / --jobs 1 time = ${(total(2) / total(1)).toFixed(2)} (sum of the two runs of each, order ${ORDER.join(',')}; aim <= 0.60)`);
}

export const section: BenchSection = {
  name: 'fleet',
  description: `faultline batch over the fixtures + ${TRACES} generated traces, --jobs 2 vs one by one`,
  run: benchFleet,
};
