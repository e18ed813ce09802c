// Opens the generated page in real headless Chromium with the network blocked: charts drawn, table right, no errors.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { ReplayResult, VariantResult } from '../model/types.js';
import { readTrace } from '../traces/read.js';
import { createReplay } from '../model/replay.js';
import { buildVariants } from '../model/variants.js';
import { loadProfile } from '../model/costs.js';
import { createReportCollector } from './aggregate.js';
import { buildReport } from './html.js';
import { buildCharts } from './charts.js';
import { sampleInput } from './sample_input.testlib.js';
import type { ReportInput } from './types.js';

const CHROMIUM = '/usr/bin/chromium';
// A real perf trace with a fork, two processes, COW and file faults (recorded on this project's machine).
const FIXTURE = new URL('../traces/fixtures/formats/perf_script.default.txt.gz', import.meta.url).pathname;
const EVIL = '<script>alert(1)</script>';
const skip = !existsSync(CHROMIUM) && !process.env.CI;
if (skip) console.warn(`reports/browser.test.ts skipped: ${CHROMIUM} is absent (apt-get install chromium; in CI this test must run)`);

/** Marks drawn per chart container, by the SVG renderer. */
interface ChartMarks {
  id: string;
  svg: number;
  marks: number;
  bars: number;
}

interface Loaded {
  page: Page;
  consoleErrors: string[];
  requests: string[];
  dialogs: string[];
  /** The page's data-rendered value and every chart's marks, taken in the same task that set the signal. */
  atSignal: { state: string; charts: ChartMarks[] };
}

/**
 * Runs in the page before its scripts: when <body data-rendered> appears, counts each chart's marks at once (a
 * MutationObserver callback, before any later task could draw more), so a signal set too early shows empty charts.
 */
function watchSignal(): void {
  const w = window as unknown as { __atSignal?: unknown };
  const count = () =>
    [...document.querySelectorAll<HTMLElement>('.chart')].map((el) => ({
      id: el.dataset.chart ?? '',
      svg: el.querySelectorAll('svg').length,
      marks: el.querySelectorAll('g.role-mark:not(.mark-group) > path, g.role-mark:not(.mark-group) > line, g.role-mark:not(.mark-group) > rect, g.role-mark:not(.mark-group) > text').length,
      bars: el.querySelectorAll('g.mark-rect.role-mark > path').length,
    }));
  new MutationObserver((_, obs) => {
    const state = document.body?.getAttribute('data-rendered');
    if (state === null || state === undefined) return;
    w.__atSignal = { state, charts: count() };
    obs.disconnect();
  }).observe(document, { attributes: true, subtree: true, attributeFilter: ['data-rendered'] });
}

/** Per variant, the highest `kb` of `series` (or any) in a chart's data: what the over-time charts draw as the total. */
function chartPeaks(input: ReportInput, id: string, series?: string): Map<string, number> {
  const spec = buildCharts(input).find((c) => c.id === id)!.spec as unknown as { data?: { values: Row[] }; vconcat?: { data: { values: Row[] } }[] };
  type Row = { variant: string; kb?: number; series?: string };
  const rows = spec.vconcat ? spec.vconcat[0].data.values : spec.data!.values;
  const out = new Map<string, number>();
  for (const r of rows) if (r.kb !== undefined && (series === undefined || r.series === series)) out.set(r.variant, Math.max(out.get(r.variant) ?? 0, r.kb));
  return out;
}

/** Figures the summary table must show: from the replay JSON, and the peak totals from the charts' own data. */
function expectedFigures(replay: ReplayResult, input: ReportInput): Map<string, number> {
  const out = new Map<string, number>();
  const anonPeaks = chartPeaks(input, 'rss_over_time', 'anon');
  const pgtPeaks = chartPeaks(input, 'pgtables_over_time');
  const sum = (v: VariantResult, k: 'rss_anon_final_kb' | 'rss_anon_peak_kb' | 'rss_file_peak_kb' | 'rss_file_final_kb' | 'pgtables_peak_kb') => v.processes.reduce((s, p) => s + p[k], 0);
  // A path with faults in any variant has a row, so variants without any show 0 there.
  const paths = new Set(replay.variants.flatMap((v) => Object.keys(v.totals.faults).filter((k) => v.totals.faults[k] > 0)));
  for (const v of replay.variants) {
    const put = (metric: string, n: number) => out.set(`${v.name}|${metric}`, n);
    let all = 0;
    for (const [k, n] of Object.entries(v.totals.faults)) if (k !== 'not_taken' && k !== 'populate') all += n; // traps taken
    for (const path of paths) put(`faults.${path}`, v.totals.faults[path] ?? 0);
    put('faults.total', all);
    // totals are sums: the summary's peak is the peak of the summed series the charts draw
    put('rss_anon_peak_total_kb', anonPeaks.get(v.name)!);
    put('rss_anon_peak_sum_kb', sum(v, 'rss_anon_peak_kb'));
    put('rss_anon_final_kb', sum(v, 'rss_anon_final_kb'));
    put('rss_file_peak_kb', sum(v, 'rss_file_peak_kb'));
    put('rss_file_final_kb', sum(v, 'rss_file_final_kb'));
    put('pgtables_peak_total_kb', pgtPeaks.get(v.name)!);
    put('pgtables_peak_sum_kb', sum(v, 'pgtables_peak_kb'));
    put('fault_latency_ns', v.totals.fault_latency_ns);
    put('forks', v.totals.forks);
    put('fork_latency_ns', v.totals.fork_latency_ns);
  }
  return out;
}

/** The number a reader sees in a cell ("1,234", "4.7 MiB", "201.0 µs"), in the column's base unit. */
function shown(text: string): { value: number; tolerance: number } {
  const m = /^(-?[\d,]+(?:\.(\d+))?)\s*(KiB|MiB|ns|µs|ms)?$/.exec(text.trim());
  if (!m) throw new Error(`unreadable cell text ${JSON.stringify(text)}`);
  const n = Number(m[1].replace(/,/g, ''));
  const scale = { MiB: 1024, µs: 1e3, ms: 1e6 }[m[3] as string] ?? 1;
  const half = m[2] ? 0.5 * 10 ** -m[2].length : 0;
  return { value: n * scale, tolerance: half * scale };
}

describe.skipIf(skip)('report page in headless Chromium', () => {
  let browser: Browser;
  let dir: string;
  let input: ReportInput;
  let loaded: Loaded;

  async function open(html: string, name: string): Promise<Loaded> {
    const file = join(dir, name);
    writeFileSync(file, html);
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const consoleErrors: string[] = [];
    const requests: string[] = [];
    const dialogs: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') consoleErrors.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    // The network is blocked: any request that is not the page itself (or a data: URL) is aborted and recorded.
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('file:') || url.startsWith('data:')) return route.continue();
      requests.push(url);
      return route.abort();
    });
    await page.addInitScript(watchSignal);
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    await page.waitForSelector('body[data-rendered]', { state: 'attached', timeout: 60_000 });
    const atSignal = await page.evaluate(() => (window as unknown as { __atSignal: Loaded['atSignal'] }).__atSignal);
    return { page, consoleErrors, requests, dialogs, atSignal };
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'faultline-report-'));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    input = sampleInput({ serverComm: EVIL });
    loaded = await open(buildReport(input), 'report.html');
  });

  afterAll(async () => {
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** The page's summary figures against the replay JSON, as `faultline replay --json` prints it. */
  async function checkTable(page: Page, input: ReportInput): Promise<number> {
    const cells = await page.evaluate(() =>
      [...document.querySelectorAll<HTMLElement>('#summary td[data-metric], #faults-by-path td[data-metric]')].map((td) => ({
        variant: td.dataset.variant ?? '',
        metric: td.dataset.metric ?? '',
        value: Number(td.dataset.value),
        text: td.querySelector('.value')?.textContent ?? '',
        delta: td.querySelector<HTMLElement>('.delta')?.dataset.delta ?? null,
      })),
    );
    const replay = JSON.parse(JSON.stringify(input.replay)) as ReplayResult;
    const want = expectedFigures(replay, input);
    expect(cells.length).toBe(want.size);
    const base = replay.variants[0].name;
    for (const c of cells) {
      const key = `${c.variant}|${c.metric}`;
      expect(want.has(key), key).toBe(true);
      expect(c.value, key).toBe(want.get(key));
      const s = shown(c.text);
      expect(Math.abs(s.value - want.get(key)!), `${key} shows ${c.text}`).toBeLessThanOrEqual(s.tolerance);
      if (c.variant === base) expect(c.delta).toBeNull();
      else expect(Number(c.delta), key).toBeCloseTo(want.get(key)! - want.get(`${base}|${c.metric}`)!, 9);
    }
    return cells.length;
  }

  /** Marks drawn per chart container, by the SVG renderer, now. */
  async function chartMarks(page: Page): Promise<ChartMarks[]> {
    return page.evaluate(() =>
      [...document.querySelectorAll<HTMLElement>('.chart')].map((el) => ({
        id: el.dataset.chart ?? '',
        svg: el.querySelectorAll('svg').length,
        marks: el.querySelectorAll('g.role-mark:not(.mark-group) > path, g.role-mark:not(.mark-group) > line, g.role-mark:not(.mark-group) > rect, g.role-mark:not(.mark-group) > text').length,
        bars: el.querySelectorAll('g.mark-rect.role-mark > path').length,
      })),
    );
  }

  test('no network request, no console error or warning, no script from the trace ran', () => {
    expect(loaded.requests).toEqual([]);
    expect(loaded.consoleErrors).toEqual([]);
    expect(loaded.dialogs).toEqual([]);
  });

  test('at the render-complete signal every section has drawn marks (a signal set early would see empty charts)', () => {
    expect(loaded.atSignal.state).toBe('ok');
    const sections = loaded.atSignal.charts;
    expect(sections.length).toBe(buildCharts(input).length);
    for (const c of sections) {
      expect(c.svg, c.id).toBe(1);
      expect(c.marks, c.id).toBeGreaterThan(0);
    }
  });

  test('every chart is drawn with data marks by the SVG renderer', async () => {
    const counts = await chartMarks(loaded.page);
    expect(counts.map((c) => c.id)).toEqual(['patch_deltas', 'pgtables_over_time', 'pgtables_per_system', 'rss_over_time', 'faults_by_path', 'latency_distribution', 'fork_costs', 'fault_heatmap', 'fidelity']);
    for (const c of counts) {
      expect(c.svg, c.id).toBe(1);
      expect(c.marks, c.id).toBeGreaterThan(0);
    }
    const bars = input.replay.variants.reduce((s, v) => s + Object.values(v.totals.faults).filter((n) => n > 0).length, 0);
    expect(counts.find((c) => c.id === 'faults_by_path')!.bars).toBe(bars);
    expect(counts.find((c) => c.id === 'fault_heatmap')!.bars).toBe(input.faults.cells.length);
  });

  /** The whole-system page-table section's bars and their labels, as drawn. */
  async function perSystemFigures(page: Page): Promise<{ bars: number; labels: string[]; lines: number }> {
    return page.evaluate(() => ({
      bars: document.querySelectorAll('#view-pgtables_per_system g.mark-rect.role-mark > path').length,
      labels: [...document.querySelectorAll('#view-pgtables_per_system g.mark-text.role-mark > text')].map((t) => t.textContent ?? ''),
      lines: document.querySelectorAll('#view-pgtables_per_system g.mark-line.role-mark > path').length,
    }));
  }

  /** The labels the whole-system section must draw: each variant's peak and final whole-system KiB, from the replay JSON. */
  function perSystemExpected(replay: ReplayResult): string[] {
    return replay.variants.flatMap((v) => [v.totals.system_pgtables_peak_kb, v.totals.system_pgtables_final_kb].map((kb) => `${kb.toLocaleString('en-US')} KiB`));
  }

  test('the whole-system page-table section draws a bar and a label per variant and figure, with the replay totals', async () => {
    const { bars, labels, lines } = await perSystemFigures(loaded.page);
    const n = input.replay.variants.length;
    expect(bars).toBe(3 * n);
    expect(labels.length).toBe(3 * n);
    expect(lines).toBe(n);
    for (const want of perSystemExpected(input.replay)) expect(labels.some((l) => l.startsWith(want)), want).toBe(true);
    expect(labels).toContain('84 KiB (−36 KiB, −30.0%)'); // the sample's cow-pte peak: 48 + 3 x 12 against 48 + 3 x 24
  });

  /** The patch chart's bars and labels, and the headline lines, as drawn. */
  async function patchFigures(page: Page): Promise<{ bars: number; labels: string[]; headline: string[] }> {
    return page.evaluate(() => ({
      bars: document.querySelectorAll('#view-patch_deltas g.mark-rect.role-mark > path').length,
      labels: [...document.querySelectorAll('#view-patch_deltas g.mark-text.role-mark > text')].map((t) => t.textContent ?? ''),
      headline: [...document.querySelectorAll('#patch-headline li')].map((li) => li.textContent ?? ''),
    }));
  }

  test('the patch chart draws a labelled bar per figure, and the headline says by how much, with the right signs', async () => {
    const { bars, labels, headline } = await patchFigures(loaded.page);
    // The sample: forks 3 x 90 µs -> 3 x 30 µs (-66.7%); 6 faults copying a table, 1875 ns -> 3875 ns each (+106.7%).
    expect(bars).toBe(3);
    expect(labels.length).toBe(3);
    expect(labels.filter((t) => t.startsWith('−66.7%')).length).toBe(1);
    expect(labels.filter((t) => t.startsWith('+106.7%')).length).toBe(1);
    expect(headline.length).toBe(1);
    expect(headline[0]).toMatch(/^cow-pte vs mainline: fork time −66\.7% .*; 6 faults that copy a shared PTE table \+106\.7% each/);
  });

  test("the summary tables' numbers equal the replay JSON's figures (hand-built replay)", async () => {
    await checkTable(loaded.page, input);
  });

  test('a real trace: replayed under mainline and cow-pte, the page draws every chart and its tables equal the replay JSON', async () => {
    const collector = createReportCollector();
    const rep = createReplay(buildVariants({ patch: ['cow-pte'] }), collector.probes, { profile: loadProfile() });
    const read = await readTrace(FIXTURE, rep.sink);
    const replayJson = JSON.stringify(rep.finish(read));
    const { faults, forks } = collector.result();
    const real: ReportInput = {
      replay: JSON.parse(replayJson) as ReplayResult,
      faults,
      forks,
      validate: null,
      provenance: { command: 'test', version: 'test', trace: FIXTURE, kernelRules: '6.18', costProfile: 'default' },
    };
    const page = await open(buildReport(real), 'real.html');
    expect(page.requests).toEqual([]);
    expect(page.consoleErrors).toEqual([]);
    expect(page.atSignal.state).toBe('ok');
    for (const c of page.atSignal.charts) expect(c.marks, c.id).toBeGreaterThan(0);
    // The trace has faults on several paths, one fork and two processes: the checks below are not vacuous.
    expect(await checkTable(page.page, real)).toBeGreaterThan(2 * 10);
    expect(forks.records.length).toBe(2);
    // The headline's fork change is the replay JSON's (this small fork shares no whole table: cow-pte changes nothing).
    const [f0, f1] = real.replay.variants.map((v) => v.totals.fork_latency_ns);
    const pct = ((f1 - f0) / f0) * 100;
    const { headline, bars } = await patchFigures(page.page);
    expect(headline.length).toBe(1);
    expect(headline[0]).toContain(`fork time ${pct === 0 ? '±0' : `${pct > 0 ? '+' : '−'}${Math.abs(pct).toFixed(1)}`}%`);
    expect(bars).toBeGreaterThanOrEqual(2); // fork and fault time
  });

  test('a real trace under mshare-transparent: the whole-system section is drawn, its labels the replay totals', async () => {
    const collector = createReportCollector();
    const rep = createReplay(buildVariants({ patch: ['mshare-transparent'] }), collector.probes, { profile: loadProfile() });
    const read = await readTrace(FIXTURE, rep.sink);
    const replay = JSON.parse(JSON.stringify(rep.finish(read))) as ReplayResult;
    const { faults, forks } = collector.result();
    const real: ReportInput = { replay, faults, forks, validate: null, provenance: { command: 'test', version: 'test', trace: FIXTURE, kernelRules: '6.18', costProfile: 'default' } };
    const page = await open(buildReport(real), 'mshare.html');
    expect(page.consoleErrors).toEqual([]);
    expect(page.atSignal.state).toBe('ok');
    const section = page.atSignal.charts.find((c) => c.id === 'pgtables_per_system');
    expect(section, 'the section is on the page').toBeDefined();
    expect(section!.marks).toBeGreaterThan(0);
    const { bars, labels } = await perSystemFigures(page.page);
    expect(bars).toBe(3 * replay.variants.length);
    expect(replay.variants[0].totals.system_pgtables_peak_kb).toBeGreaterThan(0);
    for (const want of perSystemExpected(replay)) expect(labels.some((l) => l.startsWith(want)), want).toBe(true);
  });

  test('a comm of <script>alert(1)</script> is drawn as text', async () => {
    const { scripts, heatTitles } = await loaded.page.evaluate(() => ({
      scripts: document.querySelectorAll('script').length,
      heatTitles: [...document.querySelectorAll('#view-fault_heatmap text')].map((t) => t.textContent ?? ''),
    }));
    expect(scripts).toBe(5);
    expect(heatTitles.some((t) => t.includes('<script>alert(1)</script>'))).toBe(true);
  });
});
