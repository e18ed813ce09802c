import { describe, expect, test } from 'vitest';
import { XMLParser } from 'fast-xml-parser';
import { buildCharts } from './charts.js';
import { renderPng, renderSvg } from './svg.js';
import { sampleInput } from './sample_input.testlib.js';
import { systemByProcesses } from './pgtables_per_system.js';

type XmlNode = { [k: string]: unknown };

/** Count data-mark items per mark type: children of every <g class="mark-TYPE role-mark ..."> group. */
function countMarks(svg: string): Record<string, number> {
  const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_' }).parse(svg) as XmlNode;
  const counts: Record<string, number> = {};
  const walk = (node: unknown, markType: string | null): void => {
    if (Array.isArray(node)) return node.forEach((n) => walk(n, markType));
    if (typeof node !== 'object' || node === null) return;
    const n = node as XmlNode;
    const cls = typeof n['@_class'] === 'string' ? (n['@_class'] as string) : '';
    const m = /\bmark-(\w+)\b.*\brole-mark\b/.exec(cls);
    const inner = m ? m[1] : null;
    for (const [k, v] of Object.entries(n)) {
      if (k.startsWith('@_') || k === '#text') continue;
      if (inner && inner !== 'group' && ['path', 'line', 'text', 'rect'].includes(k)) {
        counts[inner] = (counts[inner] ?? 0) + (Array.isArray(v) ? v.length : 1);
      }
      walk(v, inner ?? markType);
    }
  };
  walk(doc, null);
  return counts;
}

describe('static SVG', () => {
  const input = sampleInput();
  const charts = buildCharts(input);
  const { replay } = input;

  test('every chart renders server-side to parseable SVG with its data marks', async () => {
    const marks: Record<string, Record<string, number>> = {};
    for (const c of charts) {
      const svg = await renderSvg(c.spec);
      expect(svg.startsWith('<svg')).toBe(true);
      marks[c.id] = countMarks(svg);
    }
    const nVariants = replay.variants.length;
    // One bar per (variant, path) with faults.
    const bars = replay.variants.reduce((s, v) => s + Object.values(v.totals.faults).filter((n) => n > 0).length, 0);
    expect(marks.faults_by_path.rect).toBe(bars);
    // Total line per variant, plus one per (busiest process, variant): the sample has 4 processes, all shown.
    expect(marks.pgtables_over_time.line).toBe(nVariants + 4 * nVariants);
    // Whole-system page tables: a bar and a label per (variant, measure); a line per variant, a point per process count.
    expect(marks.pgtables_per_system.rect).toBe(3 * nVariants);
    expect(marks.pgtables_per_system.text).toBe(3 * nVariants);
    expect(marks.pgtables_per_system.line).toBe(nVariants);
    expect(marks.pgtables_per_system.symbol).toBe(replay.variants.reduce((s, v) => s + systemByProcesses(v).length, 0));
    // anon and file per variant; one rule per fork/exec/exit mark.
    expect(marks.rss_over_time.line).toBe(2 * nVariants);
    expect(marks.rss_over_time.rule).toBe(replay.variants.reduce((s, v) => s + v.marks.length, 0));
    // ECDF per (variant, path) with fault records, and p50 + p99 rules for each (exact or binned).
    const latPaths = new Set(input.faults.latency.map((l) => `${l.variant}/${l.path}`)).size;
    expect(latPaths).toBe(7); // 3 paths x 2 variants, plus cow_pte_break in cow-pte only
    expect(marks.latency_distribution.line).toBe(latPaths);
    expect(marks.latency_distribution.rule).toBe(2 * latPaths);
    // Two stacked bars (copied, shared) per fork, one point per fork for PTEs and one for latency.
    expect(marks.fork_costs.rect).toBe(2 * input.forks.records.length);
    expect(marks.fork_costs.symbol).toBe(2 * input.forks.records.length);
    expect(marks.fault_heatmap.rect).toBe(input.faults.cells.length);
    // The sample's one patch: fork time, fault time and its table-copying faults, a bar and a label each, one zero rule.
    expect(marks.patch_deltas.rect).toBe(3);
    expect(marks.patch_deltas.text).toBe(3);
    expect(marks.patch_deltas.rule).toBe(1);
    // All members plus each member: a bar and a label each.
    const members = Object.values(input.validate!.by_member).filter((m) => m.compared > 0).length;
    expect(marks.fidelity.rect).toBe(1 + members);
    expect(marks.fidelity.text).toBe(1 + members);
  });

  test('a chart with nothing to plot says so in a text mark', async () => {
    const empty = sampleInput();
    empty.forks = { records: [], total: {} };
    for (const v of empty.replay.variants) v.totals.forks = 0;
    const fork = buildCharts(empty).find((c) => c.id === 'fork_costs')!;
    const svg = await renderSvg(fork.spec);
    expect(countMarks(svg).text).toBe(1);
    expect(svg).toContain('no forks in this trace');
    // Forks replayed but not collected (a page made from replay JSON) must not claim there were none.
    const noRecords = sampleInput();
    noRecords.forks = { records: [], total: {} };
    const svg2 = await renderSvg(buildCharts(noRecords).find((c) => c.id === 'fork_costs')!.spec);
    expect(svg2).toContain('6 forks replayed, but no per-fork records were collected');
  });

  test('a replay with nothing in it still gives a chart per id, each saying why it is empty', async () => {
    const empty = sampleInput();
    for (const v of empty.replay.variants) {
      v.processes = [];
      v.series = {};
      v.marks = [];
      v.latency_ns = {};
      v.totals = { ...v.totals, faults: {}, forks: 0 };
    }
    empty.faults = { ...empty.faults, cells: [], vmas: [], processes: [], latency: [], deferred: [] };
    empty.forks = { records: [], total: {} };
    empty.validate = null;
    for (const c of buildCharts(empty)) {
      const m = countMarks(await renderSvg(c.spec));
      expect(m.text, c.id).toBe(1);
    }
  });

  test('without fault records (a page from replay JSON) the latency chart shows the replay percentiles', async () => {
    const fromJson = sampleInput();
    fromJson.faults = { ...fromJson.faults, latency: [] };
    const spec = buildCharts(fromJson).find((c) => c.id === 'latency_distribution')!.spec;
    const n = fromJson.replay.variants.reduce((a, v) => a + Object.values(v.latency_ns).filter((l) => l.count > 0).length, 0);
    expect(countMarks(await renderSvg(spec)).symbol).toBe(2 * n);
  });

  test('PNG via resvg is a PNG of the SVG size times the scale', async () => {
    const svg = await renderSvg(charts.find((c) => c.id === 'faults_by_path')!.spec);
    const w = Number(/width="(\d+(?:\.\d+)?)"/.exec(svg)![1]);
    const png = renderPng(svg, 2);
    expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    // IHDR width is big-endian at byte 16.
    expect(png.readUInt32BE(16)).toBe(Math.round(w * 2));
  });
});
