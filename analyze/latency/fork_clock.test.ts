// Issue 14's fork bullet on every workload fixture with a fork, under the trace-fitted profile (clone fitted per
// trace, the return fitted to the trace's own sys_exit_clone -> next user event: in-sample, one fork per trace): the
// modelled clone + return against the workload's clock_gettime around fork() less the off-CPU time the trace proves
// (other tasks' events on the parent's CPU; no fixture recorded sched_switch). Where that is not within 1.5x, the
// rest of the clock is one span inside the clone with no traced event (a wait whose cause the trace cannot show).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fitProfileToTrace } from './fit.js';
import { createLatencyValidator } from './validate.js';
import { loadProfile } from '../../model/costs.js';
import { buildVariants } from '../../model/variants.js';
import { readTrace } from '../../traces/read.js';
import { repoRoot } from '../../record/workloads.js';

const mainline = buildVariants({ baseZeroPage: false })[0]!; // pvm_no_zero_page=1 on every workload recording
const within = (a: number, b: number, f: number): boolean => a <= b * f && b <= a * f;
// clock / (modelled clone + return) less proven off-CPU above 1.5x on these (trust4, 2026-12-02): an unexplained span
// inside the clone (fork_1g ftrace 36.7 ms, fork_child_half ftrace 4.4 ms, workloads_m2 fork_child_all 12.2 ms)
const WAITED = new Set(['workloads/fork_1g/ftrace', 'workloads/fork_child_half/ftrace', 'workloads_m2/fork_child_all/perf']);
const CASES = [
  ...['fork_1g', 'fork_child_all', 'fork_child_half', 'fork_thp', 'mthp_4k', 'mthp_64k'].flatMap((n) => ['perf', 'ftrace'].map((b) => `workloads/${n}/${b}`)),
  'workloads_m2/fork_1g/perf',
  'workloads_m2/fork_child_all/perf',
];

describe.each(CASES)('%s: modelled clone + return against the workload clock', (c) => {
  it(WAITED.has(c) ? 'over 1.5x, and the rest is the clone\'s one silent span (a wait)' : 'within 1.5x once the off-CPU time the trace proves is taken out', async () => {
    const [m, name, backend] = c.split('/') as [string, string, string];
    const dir = join(repoRoot(), 'traces', 'fixtures', m, name);
    const file = join(dir, `${backend}.txt.gz`);
    const clock = (JSON.parse(readFileSync(join(dir, `truth.${backend}.json`), 'utf8')) as { checkpoints: { label: string; fork_ns?: number; child_pid?: number }[] }).checkpoints.find((x) => x.label === 'parent_after_fork')!;
    const fit = await fitProfileToTrace(file, mainline, loadProfile());
    const v = createLatencyValidator(mainline, fit.profile);
    const p = v.finish(await readTrace(file, v.sink)).latency!.forks!.pairs.find((x) => x.child_pid === clock.child_pid)!;
    const modelled = p.modelled_ns + p.return_modelled_ns!;
    const proven = (p.wait_from === 'longest_gap' ? 0 : p.wait_ns) + (p.return_off_cpu_ns ?? 0);
    const msg = `clock ${clock.fork_ns} ns, proven off-CPU ${proven} ns, modelled clone ${p.modelled_ns} + return ${p.return_modelled_ns} ns, clone's silent span ${p.wait_ns} ns (${p.wait_from})`;
    if (!WAITED.has(c)) return void expect(within(modelled, clock.fork_ns! - proven, 1.5), msg).toBe(true);
    expect(within(modelled, clock.fork_ns! - proven, 1.5), msg).toBe(false);
    expect(p.wait_from, msg).toBe('longest_gap');
    expect(within(modelled, clock.fork_ns! - proven - p.wait_ns, 1.5), msg).toBe(true);
  }, 300_000);
});
