// `faultline replay` and `faultline validate` end to end in-process on a recorded fixture: JSON shape, text table,
// exit codes, one-line errors.
import { describe, expect, it } from 'vitest';
import { runCli } from './run_cli.suite.js';
import { readFileSync } from 'node:fs';
import { registerReplay } from './replay.js';
import { registerValidate } from './validate.js';

const FIX = new URL('../../traces/fixtures/workloads/', import.meta.url).pathname;
const TRACE = FIX + 'fork_child_half/perf.txt.gz';
const truth = JSON.parse(readFileSync(FIX + 'fork_child_half/truth.perf.json', 'utf8')) as { checkpoints: { label: string; pid: number; rss_anon_kb: number }[] };

const run = (args: string[]) => runCli((p) => (registerReplay(p), registerValidate(p)), args);

describe('faultline replay', () => {
  it('--json follows the ReplayResult schema; parent and child are there with the recorded peak RssAnon', async () => {
    const { out, code } = await run(['replay', TRACE, '--json', '--machine-no-zero-page', '--profile', 'none']);
    expect(code).toBe(0);
    const r = JSON.parse(out);
    expect(Object.keys(r).sort()).toEqual(['format', 'lost_events', 'machine', 'skipped_lines', 'span_ns', 'trace', 'variants']);
    const v = r.variants[0];
    expect(v.name).toBe('mainline');
    const parentPid = truth.checkpoints.find((c) => c.label === 'parent_written')!.pid;
    const childPid = truth.checkpoints.find((c) => c.label === 'child_after_fork')!.pid;
    const parent = v.processes.find((p: { pid: number }) => p.pid === parentPid);
    const child = v.processes.find((p: { pid: number }) => p.pid === childPid);
    const peak = truth.checkpoints.find((c) => c.label === 'parent_written')!.rss_anon_kb;
    expect(Math.abs(parent.rss_anon_peak_kb - peak)).toBeLessThanOrEqual(peak * 0.005);
    expect(parent.forks).toBe(1);
    expect(child.faults.wp_page_copy).toBeGreaterThan(8000); // the child COW-writes half of 16384 pages
    expect(parent.faults.wp_page_reuse).toBeGreaterThan(16000); // then the parent reuses every page
    expect(v.series).toEqual({}); // no --series
    expect(v.marks.map((m: { kind: string }) => m.kind)).toContain('fork');
  });
  it('perf page-faults samples without an address: says the model cannot replay them and exits 3, not 0 with empty totals', async () => {
    const noaddr = new URL('../../traces/fixtures/formats/perf_script.pagefaults_noaddr.txt', import.meta.url).pathname;
    const samples = readFileSync(noaddr, 'utf8').split('\n').filter((l) => / page-faults:/.test(l)).length;
    const { err, code } = await run(['replay', noaddr, '--profile', 'none']);
    expect(samples).toBeGreaterThan(0);
    expect(err).toContain(`${samples} page-fault samples carry no address`);
    expect(err).toContain('record with -d');
    expect(code).toBe(3);
  });
  it('text: one table per variant with a totals row', async () => {
    const { out } = await run(['replay', TRACE, '--machine-no-zero-page', '--profile', 'none']);
    expect(out).toMatch(/variant mainline/);
    expect(out).toMatch(/^\s*total\s/m);
    expect(out).toMatch(/anon_peak/);
  });
  it('a missing file is one line and exit 2', async () => {
    const { err, code } = await run(['replay', FIX + 'nope.txt.gz']);
    expect(code).toBe(2);
    expect(err.trim().split('\n')).toHaveLength(1);
    expect(err).toMatch(/nope\.txt\.gz/);
  });
  it('a bad --kernel is a one-line usage error', async () => {
    const { err, code } = await run(['replay', TRACE, '--kernel', 'banana']);
    expect(code).toBe(2);
    expect(err).toMatch(/--kernel/);
  });
});

describe('faultline validate', () => {
  it('exit 0 on a recorded trace, with the per-member text', async () => {
    const { out, code } = await run(['validate', TRACE, '--machine-no-zero-page']);
    expect(out).toMatch(/MM_ANONPAGES/);
    expect(code).toBe(0);
  });
  it('prints modelled vs measured latency: fault -> rss_stat per path and the fork (clone enter -> exit)', async () => {
    // validate prices with the profile fitted to the trace by default (8357bab), the shipped one when named
    const fitted = await run(['validate', FIX + 'fork_1g/perf.txt.gz', '--machine-no-zero-page']);
    expect(fitted.out).toMatch(/modelled \(profile trace-fitted \(base x86_64-kvm-6\.18\)\) vs measured latency/);
    const { out } = await run(['validate', FIX + 'fork_1g/perf.txt.gz', '--machine-no-zero-page', '--profile', 'x86_64-kvm-6.18']);
    expect(out).toMatch(/modelled \(profile x86_64-kvm-6\.18\) vs measured latency/);
    expect(out).toMatch(/^\s+anon_alloc\s+\d{6}\s/m); // 262k anon faults measured
    expect(out).toMatch(/fork \(clone enter -> exit, 1 fork\): modelled [\d.]+ ms, measured [\d.]+ ms/);
    const none = await run(['validate', FIX + 'fork_1g/perf.txt.gz', '--machine-no-zero-page', '--profile', 'none', '--json']);
    expect(JSON.parse(none.out).latency).toBeNull();
  });
  it('without --machine-no-zero-page, a recording from a boot without a zero page is detected as one (before: 64 of 16482 matched, exit 1)', async () => {
    const { out, code } = await run(['validate', FIX + 'read_then_write/perf.txt.gz']);
    expect(out).toMatch(/^zero page: absent \(detected: 16385 anonymous read faults allocated, 0 mapped the zero page\)$/m);
    expect(code).toBe(0);
  });
  it('a wrong --machine-no-zero-page (a corpus recording from a boot with a zero page) is named, not silently matched', async () => {
    const { out } = await run(['validate', FIX.replace('workloads', 'corpus') + 'git_log/trace.txt.gz', '--machine-no-zero-page']);
    expect(out).toMatch(/^zero page: absent \(given: --machine-no-zero-page; 0 anonymous read faults allocated, 4 mapped the zero page — but the trace shows the zero page in use: the override looks wrong\)$/m);
  });
});
