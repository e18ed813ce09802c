// The summary's totals are sums over processes (peak of the summed series, Σ of per-process peaks), its deltas on
// counts are absolute, and a figure the tool doubts is never coloured as good news.
import { describe, expect, test } from 'vitest';
import type { ProcessResult, ReplayResult, SeriesPoint, VariantResult } from '../model/types.js';
import { peakOfSum, summaryTableHtml } from './summary_table.js';
import { replayCaveats } from '../analyze/caveats.js';
import { provenanceHtml } from './provenance.js';
import { newMachineFacts, noteThpFault } from '../model/machine.js';

const pt = (t: number, anon: number, pgt: number): SeriesPoint => ({ t, rss_anon_kb: anon, rss_file_kb: 0, pgtables_kb: pgt });

function proc(pid: number, anonPeak: number, pgtPeak: number): ProcessResult {
  return {
    pid, comm: `p${pid}`, mm_id: pid, rss_anon_peak_kb: anonPeak, rss_anon_final_kb: 0, rss_file_peak_kb: 0, rss_file_final_kb: 0,
    rss_shmem_peak_kb: 0, rss_shmem_final_kb: 0, pgtables_peak_kb: pgtPeak, pgtables_final_kb: 0, faults: {}, minflt: 0, forks: 0, exits: 1,
    latency_ns: {}, inferred_vmas: 0,
  };
}

/** A parent (472 KiB of tables) forks a child that holds 472 KiB too until it exits: the python-fork shape of issue 14. */
function forkVariant(name: string, childPgt: number, faults: Record<string, number> = { anon_alloc: 10 }): VariantResult {
  return {
    name, spec: { name, patches: [], thp: 'madvise', useZeroPage: true, kernel: '6.18', select: '', patchOptions: {} },
    processes: [proc(1, 4000, 472), proc(2, 1000, childPgt)],
    totals: { faults, rss_anon_peak_kb: 4000, pgtables_peak_kb: 472, fault_latency_ns: 1000, fork_latency_ns: 0, forks: 1 },
    latency_ns: {},
    series: { '1': [pt(0, 4000, 472), pt(30, 4000, 472)], '2': [pt(10, 1000, childPgt), pt(20, 1000, childPgt)] },
    marks: [{ t: 25, pid: 2, kind: 'exit', comm: 'p2' }],
    inferred_faults: 0,
  };
}

const cell = (html: string, variant: string, metric: string): string =>
  new RegExp(`<td data-variant="${variant}" data-metric="${metric.replace('.', '\\.')}"[^>]*>.*?</td>`).exec(html)?.[0] ?? '';
const value = (td: string): number => Number(/data-value="([^"]*)"/.exec(td)![1]);

describe('summary totals are sums', () => {
  test('peak of the summed series: parent and child together, not the larger one', () => {
    expect(peakOfSum(forkVariant('mainline', 472), 'pgtables_kb')).toBe(944);
    expect(peakOfSum(forkVariant('cow-pte', 68), 'pgtables_kb')).toBe(540);
    expect(peakOfSum(forkVariant('mainline', 472), 'rss_anon_kb')).toBe(5000);
  });
  test('a process that exited before another started does not add to the peak, but does to the Σ of peaks', () => {
    const v = forkVariant('mainline', 472);
    v.series = { '1': [pt(0, 4000, 472), pt(10, 4000, 472)], '2': [pt(20, 1000, 100)] };
    v.marks = [{ t: 15, pid: 1, kind: 'exit', comm: 'p1' }];
    v.processes[1]!.pgtables_peak_kb = 100;
    const html = summaryTableHtml({ trace: 't', format: 'perf-script', lost_events: 0, skipped_lines: 0, span_ns: 30, variants: [v] });
    expect(value(cell(html, 'mainline', 'pgtables_peak_total_kb'))).toBe(472);
    expect(value(cell(html, 'mainline', 'pgtables_peak_sum_kb'))).toBe(572);
  });
  test("the summary shows the python-fork figures of issue 14: 944 vs 540 KiB, and the delta as -404 KiB", () => {
    const r: ReplayResult = { trace: 't', format: 'perf-script', lost_events: 0, skipped_lines: 0, span_ns: 30, variants: [forkVariant('mainline', 472), forkVariant('cow-pte', 68)] };
    const html = summaryTableHtml(r);
    expect(value(cell(html, 'mainline', 'pgtables_peak_total_kb'))).toBe(944);
    const cow = cell(html, 'cow-pte', 'pgtables_peak_total_kb');
    expect(value(cow)).toBe(540);
    expect(cow).toContain('data-delta="-404"');
    expect(cow).toContain('class="delta better"');
  });
  test('without series (replay JSON made without --series) the peak of the sum is n/a, not 0', () => {
    const v = forkVariant('mainline', 472);
    v.series = {};
    v.marks = [];
    const html = summaryTableHtml({ trace: 't', format: 'perf-script', lost_events: 0, skipped_lines: 0, span_ns: 30, variants: [v] });
    expect(cell(html, 'mainline', 'pgtables_peak_total_kb')).toContain('>n/a<');
  });
});

describe('deltas and colours', () => {
  test('a count changes by an absolute number, never a percentage; a size from a tiny base is a ratio, not +3,069,000%', () => {
    const a = forkVariant('mainline', 472, { anon_alloc: 1 });
    const b = forkVariant('memset', 472, { anon_alloc: 30691 });
    b.series['1'] = [pt(0, 4000 * 40000, 472), pt(30, 4000, 472)];
    const html = summaryTableHtml({ trace: 't', format: 'perf-script', lost_events: 0, skipped_lines: 0, span_ns: 30, variants: [a, b] });
    const faults = cell(html, 'memset', 'faults.total');
    expect(faults).toContain('+30,690<');
    expect(faults).not.toContain('%');
    const anon = cell(html, 'memset', 'rss_anon_peak_total_kb');
    expect(anon).not.toContain('%');
    expect(anon).toMatch(/\(×\d/);
  });
  test('a THP lower-bound figure carries its caveat and is not green', () => {
    const a = forkVariant('mainline', 472, { thp_alloc: 32 });
    const b = forkVariant('refpage', 472, { anon_alloc: 32 });
    b.series['1'] = [pt(0, 100, 472)];
    const r: ReplayResult = { trace: 't', format: 'perf-script', lost_events: 0, skipped_lines: 0, span_ns: 30, variants: [a, b] };
    const caveats = replayCaveats(r);
    expect(caveats.map((c) => [c.kind, c.variant])).toEqual([['thp_lower_bound', 'refpage']]);
    const anon = cell(summaryTableHtml(r, caveats), 'refpage', 'rss_anon_peak_total_kb');
    expect(anon).toContain('data-caveat="thp_lower_bound"');
    expect(anon).toContain('class="delta doubt"');
    expect(anon).not.toContain('better');
    // without the caveat the same drop is good news
    expect(cell(summaryTableHtml(r), 'refpage', 'rss_anon_peak_total_kb')).toContain('class="delta better"');
  });
});

describe('page size on the page', () => {
  test('each variant row names its page size; a --page-size variant says what-if, and its caveat names what the trace cannot tell', () => {
    const m = forkVariant('mainline', 472);
    const w = forkVariant('page-size=16k', 472);
    w.spec = { ...w.spec, pageSize: '16k' };
    const r: ReplayResult = { trace: 't', format: 'perf-script', lost_events: 0, skipped_lines: 0, span_ns: 30, variants: [m, w] };
    const html = summaryTableHtml(r);
    expect(/<tr data-variant="mainline">.*?<div class="spec">([^<]*)<\/div>/.exec(html)?.[1]).toBe('thp=madvise 4k pages');
    expect(/<tr data-variant="page-size=16k">.*?<div class="spec">([^<]*)<\/div>/.exec(html)?.[1]).toBe('thp=madvise 16k pages (what-if)');
    const c = replayCaveats(r).find((x) => x.kind === 'page_size_what_if');
    expect(c?.variant).toBe('page-size=16k');
    expect(c?.text).toContain('allocators');
  });
});

test('provenance states the machine page size and each what-if', () => {
  const m = forkVariant('mainline', 472);
  m.spec = { ...m.spec, machinePageSize: '16k' };
  const w = forkVariant('page-size=4k', 472);
  w.spec = { ...w.spec, machinePageSize: '16k', pageSize: '4k' };
  const replay: ReplayResult = { trace: 't', format: 'perf-script', lost_events: 0, skipped_lines: 0, span_ns: 30, variants: [m, w] };
  const html = provenanceHtml({ replay, provenance: { command: 'c', version: 'v', trace: 't', kernelRules: '6.18', costProfile: 'p' }, faults: null as never, forks: null as never, validate: null });
  expect(/<dd id="prov-page-size"><code>([^<]*)<\/code>/.exec(html)?.[1]).toBe('16k (--machine-page-size); page-size=4k: 4k (what-if on the trace)');
});

test('provenance says what the trace showed of the machine, and a variant following it replays that THP policy', () => {
  const machine = newMachineFacts();
  noteThpFault(machine, false, 512); // a +512 on a VMA without MADV_HUGEPAGE: enabled=always
  const m = forkVariant('mainline', 472);
  m.spec = { ...m.spec, thp: 'madvise', thpFromTrace: true };
  const w = forkVariant('thp=never', 472);
  w.spec = { ...w.spec, thp: 'never' };
  const replay: ReplayResult = { trace: 't', format: 'perf-script', lost_events: 0, skipped_lines: 0, span_ns: 30, variants: [m, w], machine };
  const html = provenanceHtml({ replay, provenance: { command: 'c', version: 'v', trace: 't', kernelRules: '6.18', costProfile: 'p' }, faults: null as never, forks: null as never, validate: null });
  expect(/<dd id="prov-machine"><code>([^<]*)<\/code>/.exec(html)?.[1]).toContain('THP: always (detected: 1 fault without MADV_HUGEPAGE got a 2 MiB THP');
  expect(/<dd id="prov-variants"><code>([^<]*)<\/code>/.exec(html)?.[1]).toMatch(/^mainline \[thp=always \(as the trace shows\), .*; thp=never \[thp=never, /);
});
