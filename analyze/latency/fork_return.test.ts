// The return after fork (model/costs.ts FORK_RETURN_STEPS) held out: the shipped profile's per-table and per-PTE
// figures were fitted to forkstride recordings of another boot (2026-12-02, 6.18.44-fc-v1045); here they price the
// forks of the fixtures recorded under chrt -f 10 (no preemption: the return is the host's resync and a few µs of
// user code), against the trace's own sys_exit_clone -> the parent's next user fault, and the workload's clock.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLatencyValidator } from './validate.js';
import { loadProfile, DEFAULT_PROFILE } from '../../model/costs.js';
import { buildVariants } from '../../model/variants.js';
import { readTrace } from '../../traces/read.js';
import { repoRoot } from '../../record/workloads.js';

const mainline = buildVariants({ baseZeroPage: false })[0]!; // recorded without a zero page (pvm_no_zero_page=1)
const within = (a: number, b: number, f: number): boolean => a <= b * f && b <= a * f;

describe('fork return, held out', () => {
  for (const name of ['mthp_4k', 'mthp_64k'])
    for (const backend of ['perf', 'ftrace'])
      it(`${name} (${backend}): the modelled return within 1.5x of the measured one, and clone + modelled return within 1.5x of the parent's clock`, async () => {
        const dir = join(repoRoot(), 'traces', 'fixtures', 'workloads', name);
        const truth = JSON.parse(readFileSync(join(dir, `truth.${backend}.json`), 'utf8')) as { checkpoints: { label: string; fork_ns?: number; child_pid?: number }[] };
        const clock = truth.checkpoints.find((c) => c.label === 'parent_after_fork')!;
        const v = createLatencyValidator(mainline, loadProfile(DEFAULT_PROFILE));
        const r = v.finish(await readTrace(join(dir, `${backend}.txt.gz`), v.sink));
        const p = r.latency!.forks!.pairs.find((x) => x.child_pid === clock.child_pid)!;
        expect(p.return_off_cpu_ns).toBeNull(); // no sched_switch recorded: chrt is what says there was no preemption
        expect(within(p.return_modelled_ns!, p.return_ns, 1.5), `modelled return ${p.return_modelled_ns} ns, measured ${p.return_ns} ns`).toBe(true);
        // issue 14's bound; the clone alone is 1.2x-1.9x under the clock on these (the measured return is 0.6-0.8 ms of 2.1-5.7 ms)
        expect(within(p.measured_ns + p.return_modelled_ns!, clock.fork_ns!, 1.5), `clone ${p.measured_ns} + modelled return ${p.return_modelled_ns} ns, clock ${clock.fork_ns} ns`).toBe(true);
      }, 120_000);
});
