import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { Command } from 'commander';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { gunzipSync } from 'node:zlib';
import { registerReport } from './report.js';
import { progressBar } from '../progress.js';
import { variantsFromCli } from '../variants.js';
import { runReplay } from './replay.js';
import type { ReplayResult } from '../../model/types.js';
import { sampleInput } from '../../reports/sample_input.testlib.js';
import { regionWrites } from '../../model/patches/fixture_replay.testlib.js';
import { fixtureFiles, readTruth } from '../../record/fixtures.js';
import { loadProfile } from '../../model/costs.js';

let dir: string;
let stderr: string[];

async function run(...args: string[]): Promise<number> {
  const program = new Command('faultline').exitOverride();
  registerReport(program);
  process.exitCode = 0;
  await program.parseAsync(['node', 'faultline', 'report', ...args]);
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return code;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'faultline-report-cli-'));
  stderr = [];
  vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
    stderr.push(String(s));
    return true;
  });
});
afterEach(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

/** The peak over time of the Σ over processes, swept here from the per-process series and exit marks. */
function peakOfSummedSeries(v: ReplayResult['variants'][number], field: 'rss_anon_kb' | 'pgtables_kb'): number {
  const ev: [number, number, number | null][] = []; // [t, pid, value or null at exit]
  for (const [pid, pts] of Object.entries(v.series)) for (const p of pts) ev.push([p.t, Number(pid), p[field]]);
  for (const m of v.marks) if (m.kind === 'exit' && v.series[String(m.pid)]) ev.push([m.t, m.pid, null]);
  ev.sort((a, b) => a[0] - b[0] || (a[2] === null ? 1 : 0) - (b[2] === null ? 1 : 0));
  const cur = new Map<number, number>();
  let peak = 0;
  for (let i = 0; i < ev.length; i++) {
    const [t, pid, val] = ev[i]!;
    if (val === null) cur.delete(pid);
    else cur.set(pid, val);
    if (i + 1 < ev.length && ev[i + 1]![0] === t) continue; // the state after every change at this instant
    peak = Math.max(peak, [...cur.values()].reduce((a, b) => a + b, 0));
  }
  return peak;
}

describe('faultline report', () => {
  test('--from-json writes the page, one SVG and one PNG per chart, and shows the validate ratio', async () => {
    const input = sampleInput();
    const json = join(dir, 'replay.json');
    const val = join(dir, 'validate.json');
    writeFileSync(json, JSON.stringify(input.replay));
    writeFileSync(val, JSON.stringify(input.validate));
    const out = join(dir, 'r.html');
    expect(await run('--from-json', json, '--validate', val, '-o', out, '--svg', join(dir, 'svg'), '--png', join(dir, 'png'))).toBe(0);
    const html = readFileSync(out, 'utf8');
    expect(html.includes(`id="fidelity-ratio" data-value="${input.validate!.match_ratio}"`)).toBe(true);
    // Σ of per-process peaks, by hand from the sample: the server's 48 KiB and three workers' 12 KiB each
    expect(html.includes(`data-variant="cow-pte" data-metric="pgtables_peak_sum_kb" data-value="${48 + 3 * 12}"`)).toBe(true);
    const svgs = readdirSync(join(dir, 'svg')).sort();
    expect(svgs).toEqual(['fault_heatmap.svg', 'faults_by_path.svg', 'fidelity.svg', 'fork_costs.svg', 'latency_distribution.svg', 'patch_deltas.svg', 'pgtables_over_time.svg', 'pgtables_per_system.svg', 'rss_over_time.svg']);
    for (const f of svgs) expect(() => new XMLParser().parse(readFileSync(join(dir, 'svg', f), 'utf8'), true), f).not.toThrow();
    expect(readdirSync(join(dir, 'png')).length).toBe(9);
    expect(stderr.join('')).toMatch(/^faultline: wrote .*r\.html and 18 more files/);
  });

  test('a file that is not a replay result is a one-line error naming the file', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"variants": []}');
    expect(await run('--from-json', bad, '-o', join(dir, 'r.html'))).toBe(2);
    expect(stderr).toEqual([`faultline: ${bad}: not a faultline replay --json result (no variants[])\n`]);
    writeFileSync(bad, '{nope');
    expect(await run('--from-json', bad, '-o', join(dir, 'r.html'))).toBe(2);
    expect(stderr[1]).toMatch(new RegExp(`^faultline: ${bad}: not JSON \\(.*\\)\\n$`));
    expect(existsSync(join(dir, 'r.html'))).toBe(false);
  });

  test('bad options and missing traces are user errors, not stack traces', async () => {
    expect(await run('--thp', 'sometimes', '-o', join(dir, 'r.html'), 'x.trace')).toBe(2);
    expect(await run('-o', join(dir, 'r.html'), join(dir, 'missing.trace'))).toBe(2);
    expect(await run('-o', join(dir, 'r.html'))).toBe(2);
    const json = join(dir, 'replay.json');
    writeFileSync(json, JSON.stringify(sampleInput().replay));
    expect(await run('--from-json', json, '-o', join(dir, 'no', 'such', 'dir', 'r.html'))).toBe(2);
    expect(stderr).toEqual([
      "faultline: --thp: 'sometimes' is not a THP policy (expected always, madvise, never)\n",
      `faultline: ${join(dir, 'missing.trace')}: no such file\n`,
      'faultline: report needs a TRACE (or --from-json FILE)\n',
      `faultline: ${join(dir, 'no', 'such', 'dir', 'r.html')}: cannot write (ENOENT)\n`,
    ]);
  });

  test('variants: mainline first, then one per patch and per THP policy', () => {
    const v = variantsFromCli({ patch: ['cow-pte', 'refpage'], thp: ['never'], zeroPage: true, patchOption: [], kernel: '6.12' });
    expect(v.map((x) => [x.name, x.patches.join('+'), x.thp, x.kernel])).toEqual([
      ['mainline', '', 'madvise', '6.12'],
      ['cow-pte', 'cow-pte', 'madvise', '6.12'],
      ['refpage', 'refpage', 'madvise', '6.12'],
      ['thp=never', '', 'never', '6.12'],
    ]);
  });

  test('a real trace: the tables equal `faultline replay --json`, and mainline is validated against every rss_stat line', async () => {
    const fixture = new URL('../../traces/fixtures/formats/perf_script.default.txt.gz', import.meta.url).pathname;
    const out = join(dir, 'real.html');
    expect(await run(fixture, '--patch', 'cow-pte', '-o', out)).toBe(0);
    const html = readFileSync(out, 'utf8');
    // Independent count: the trace's kmem:rss_stat lines.
    const rssLines = gunzipSync(readFileSync(fixture)).toString('utf8').split('\n').filter((l) => / kmem:rss_stat: /.test(l)).length;
    expect(rssLines).toBeGreaterThan(0);
    expect(html.includes(`id="fidelity-rss-events" data-value="${rssLines}"`)).toBe(true);
    expect(html.includes('id="fidelity-lost" data-value="0"')).toBe(true);
    // What `faultline replay TRACE --patch cow-pte --json` prints, through the replay command's own code.
    const { result } = await runReplay(fixture, { patch: ['cow-pte'], thp: [], zeroPage: true, patchOption: [], json: true, series: true });
    const json = JSON.parse(JSON.stringify(result, null, 1)) as ReplayResult;
    const want = new Map<string, number>();
    const paths = new Set(json.variants.flatMap((v) => Object.keys(v.totals.faults).filter((k) => v.totals.faults[k] > 0)));
    for (const v of json.variants) {
      const sum = (f: (p: ReplayResult['variants'][number]['processes'][number]) => number) => v.processes.reduce((a, p) => a + f(p), 0);
      const put = (k: string, n: number) => want.set(`${v.name}|${k}`, n);
      for (const path of paths) put(`faults.${path}`, v.totals.faults[path] ?? 0);
      put('faults.total', Object.entries(v.totals.faults).reduce((a, [k, n]) => (k === 'not_taken' || k === 'populate' ? a : a + n), 0)); // traps taken
      put('rss_anon_peak_total_kb', peakOfSummedSeries(v, 'rss_anon_kb'));
      put('rss_anon_peak_sum_kb', sum((p) => p.rss_anon_peak_kb));
      put('rss_anon_final_kb', sum((p) => p.rss_anon_final_kb));
      put('rss_file_peak_kb', sum((p) => p.rss_file_peak_kb));
      put('rss_file_final_kb', sum((p) => p.rss_file_final_kb));
      put('pgtables_peak_total_kb', peakOfSummedSeries(v, 'pgtables_kb'));
      put('pgtables_peak_sum_kb', sum((p) => p.pgtables_peak_kb));
      put('fault_latency_ns', v.totals.fault_latency_ns);
      put('forks', v.totals.forks);
      put('fork_latency_ns', v.totals.fork_latency_ns);
    }
    const cells = [...html.matchAll(/<td data-variant="([^"]*)" data-metric="([^"]*)" data-value="([^"]*)"/g)];
    expect(cells.length).toBe(want.size);
    for (const [, variant, metric, value] of cells) expect(Number(value), `${variant}|${metric}`).toBe(want.get(`${variant}|${metric}`));
    expect(json.variants.map((v) => v.name)).toEqual(['mainline', 'cow-pte']);
    // The same JSON fed back through --from-json gives the same table.
    const jf = join(dir, 'replay.json');
    writeFileSync(jf, JSON.stringify(result, null, 1));
    expect(await run('--from-json', jf, '-o', join(dir, 'fj.html'))).toBe(0);
    const fj = [...readFileSync(join(dir, 'fj.html'), 'utf8').matchAll(/<td data-variant="([^"]*)" data-metric="([^"]*)" data-value="([^"]*)"/g)].map((m) => m.slice(1).join('|'));
    expect(fj).toEqual(cells.map((m) => m.slice(1).join('|')));
  });

  test('fork_1g with --patch cow-pte: the page says fork time drops and each table-breaking write costs more, by how much', async () => {
    const truth = readTruth('fork_1g', 'perf');
    const region = truth.regions[0]!;
    const child = truth.checkpoints.find((c) => c.label === 'child_after_fork')!;
    // The child's writes into the 1 GiB region (one per 2 MiB, so one per table fork left shared), from the raw lines.
    const childWrites = regionWrites('fork_1g', child.pid, region);
    expect(childWrites).toBe(512);
    const out = join(dir, 'fork.html');
    // The recording machine booted with pvm_no_zero_page=1 (its truth file): replay it as such.
    expect(truth.kernel_cmdline_mm).toContain('pvm_no_zero_page=1');
    expect(await run(fixtureFiles('fork_1g', 'perf').trace, '--patch', 'cow-pte', '--machine-no-zero-page', '--no-validate', '--profile', 'x86_64-kvm-6.18', '-o', out)).toBe(0);
    const html = readFileSync(out, 'utf8');
    const li = /<li data-variant="cow-pte"([^>]*)>([^<]*)<\/li>/.exec(html);
    expect(li).not.toBeNull();
    const attr = (k: string): number => Number(new RegExp(`data-${k}="([^"]+)"`).exec(li![1])![1]);
    // Fork time: the headline's change is the summary table's, and it is a drop.
    const cell = (variant: string, metric: string): number => Number(new RegExp(`data-variant="${variant}" data-metric="${metric}" data-value="([^"]+)"`).exec(html)![1]);
    const [m, c] = [cell('mainline', 'fork_latency_ns'), cell('cow-pte', 'fork_latency_ns')];
    expect(attr('fork-pct')).toBeCloseTo(((c - m) / m) * 100, 9);
    expect(attr('fork-pct')).toBeLessThan(0);
    expect(li![2]).toMatch(/^cow-pte vs mainline: fork time −\d/);
    // Every one of the child's writes into a shared table pays for the copy; each costs more than the same write on mainline
    // by the table allocation plus the table copy (model/costs.ts: faultCostNs; mm/memory.c: break_cow_pte).
    expect(attr('deferred-count')).toBe(childWrites);
    expect(attr('deferred-pct')).toBeGreaterThan(0);
    const P = loadProfile(); // the page above was priced with the shipped profile (--profile), not fitted to the trace
    expect(attr('deferred-delta-ns') / childWrites).toBeCloseTo(P.steps.table_alloc + P.steps.cow_pte_table_copy, 3);
    expect(li![2]).toContain(`; ${childWrites} faults that copy a shared PTE table +`);
    // The chart is on the page, first.
    expect(html.indexOf('id="view-patch_deltas"')).toBeGreaterThan(0);
    expect(html.indexOf('id="view-patch_deltas"')).toBeLessThan(html.indexOf('id="view-pgtables_over_time"'));
  });

  test('progress bar: silent when stderr is not a terminal or the trace is quick, throttled otherwise', () => {
    const written: string[] = [];
    const pipe = progressBar('t.gz', { isTTY: false, write: (x: string) => written.push(x) });
    expect(pipe.onProgress).toBeUndefined();
    let clock = 0;
    const tty = progressBar('/x/t.gz', { isTTY: true, write: (x: string) => written.push(x) }, () => clock);
    tty.onProgress!(10, 100); // t = 0: quick so far
    clock = 999;
    tty.onProgress!(50, 100);
    expect(written).toEqual([]);
    clock = 1000;
    tty.onProgress!(25 * 1048576, 100 * 1048576);
    clock = 1050; // within 100 ms of the last update
    tty.onProgress!(30 * 1048576, 100 * 1048576);
    clock = 1100;
    tty.onProgress!(100 * 1048576, 100 * 1048576);
    tty.done();
    expect(written).toEqual([
      `\rt.gz [${'#'.repeat(8)}${' '.repeat(22)}]  25% 25 MiB`,
      `\rt.gz [${'#'.repeat(30)}] 100% 100 MiB`,
      '\r\x1b[K',
    ]);
  });
});
