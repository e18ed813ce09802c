// `faultline validate`'s latency table end to end: the measured spans (fault -> its rss_stat) leave the trap out, so
// they are compared with the modelled kernel part; the "> 2x" warning must stay quiet under the trace's own fitted
// profile and speak under a profile that misprices the path.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './run_cli.suite.js';
import { registerValidate } from './validate.js';
import { profilesDir, DEFAULT_PROFILE } from '../../model/costs.js';

const TRACE = new URL('../../traces/fixtures/workloads/fork_child_all/perf.txt.gz', import.meta.url).pathname;
const run = (args: string[]) => runCli(registerValidate, ['validate', TRACE, '--machine-no-zero-page', ...args]);
const WARNING = /^warning: modelled and measured differ by more than 2x for (.*): /m;
/** The table row of a path: [faults, model p50, model kernel p50, measured p50, p90, p99, meas/kernel]. */
const row = (out: string, path: string): string[] => new RegExp(`^    ${path} +(.*)$`, 'm').exec(out)![1]!.trim().split(/ +/);

afterEach(() => {
  process.exitCode = 0;
});

describe('validate latency: kernel part against kernel part', () => {
  it('under the trace-fitted profile (the default) no path or fork is flagged, and anon_alloc compares 1:1', async () => {
    const r = await run([]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('model kernel p50');
    expect(r.out).not.toMatch(WARNING);
    const [faults, full, kernel, measured, , , ratio] = row(r.out, 'anon_alloc');
    expect(Number(faults)).toBeGreaterThan(16_000);
    // the full modelled cost carries the trap (~10 µs on this guest); the kernel part is what the span measured
    expect(Number(full)).toBeGreaterThan(5 * Number(measured));
    expect(Number(kernel)).toBeCloseTo(Number(measured), 1);
    expect(Number(ratio)).toBeCloseTo(1, 1);
  }, 120_000);
  it('sparse_1g: table_alloc is fitted from the faults that allocated a table, so anon_alloc is not flagged; paths under 20 faults are named, not judged', async () => {
    const sparse = new URL('../../traces/fixtures/workloads/sparse_1g/perf.txt.gz', import.meta.url).pathname;
    const r = await runCli(registerValidate, ['validate', sparse, '--machine-no-zero-page']);
    // 537 of its 550 anon_alloc faults allocate a table (one fault per 2 MiB): calibrate's 46.6 µs table made it 0.31
    expect(r.err).toMatch(/table_alloc = 1[0-9]\.[0-9]+ µs .* median over 5[0-9]{2} anon_alloc faults that allocated a page table/);
    const ratio = Number(row(r.out, 'anon_alloc')[6]);
    expect(ratio).toBeGreaterThan(0.8);
    expect(ratio).toBeLessThan(1.25);
    expect(r.out).not.toMatch(WARNING);
    // wp_page_copy's 6 faults are more than 2x off, and said to be too few to judge
    expect(Number(row(r.out, 'wp_page_copy')[6])).toBeLessThan(0.5);
    expect(r.out).toMatch(/^  more than 2x off but not judged, under 20 faults: wp_page_copy \(6 faults\)/m);
  }, 120_000);
  it('under a profile that prices anon_alloc 4x, the warning names anon_alloc', async () => {
    const shipped = JSON.parse(readFileSync(join(profilesDir(), `${DEFAULT_PROFILE}.json`), 'utf8'));
    for (const k of ['median_ns', 'p10_ns', 'p90_ns'] as const) shipped.steps.anon_alloc[k] *= 4;
    const file = join(mkdtempSync(join(tmpdir(), 'fl-validate-')), 'wrong.json');
    writeFileSync(file, JSON.stringify(shipped));
    const r = await run(['--profile', file]);
    expect(r.out).toMatch(WARNING);
    expect(WARNING.exec(r.out)![1]!.split(', ')).toContain('anon_alloc');
    expect(Number(row(r.out, 'anon_alloc')[6])).toBeLessThan(0.5);
  }, 120_000);
});
