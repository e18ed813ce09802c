import { describe, expect, test } from 'vitest';
import { compactNs, patchDeltas, patchDeltasSpec, patchHeadlineHtml, signedPct } from './patch_deltas.js';
import { sampleInput, TABLE_BREAKS, TABLE_COPY_NS } from './sample_input.testlib.js';
import { emptyFaultBins } from './aggregate.js';

describe('patch deltas', () => {
  test('the sample: fork time, fault time and the table-copying faults against mainline, derived by hand', () => {
    const input = sampleInput();
    const d = patchDeltas(input);
    expect(d.map((x) => x.metric)).toEqual(['fork', 'fault', 'deferred']);
    const [fork, fault, deferred] = d;
    // Forks: 3 x 90 µs on mainline, 3 x 30 µs with cow-pte.
    expect([fork.baseNs, fork.valueNs, fork.count]).toEqual([270_000, 90_000, 3]);
    expect(fork.pct).toBeCloseTo(-200 / 3, 9);
    // Faults: anon_alloc 108 x 1000 + wp_page_copy 46 x 1500 + file_read 30 x 800 = 201 000 ns; cow-pte adds 3 workers x 2 copies x 2 µs.
    expect([fault.baseNs, fault.valueNs]).toEqual([201_000, 201_000 + 3 * TABLE_BREAKS * TABLE_COPY_NS]);
    expect(fault.totalDeltaNs).toBe(12_000);
    // Each worker's first two wp_page_copy (1500 x 1 and 1500 x 1.5 ns on mainline) copy a table under cow-pte (+2000 ns each).
    expect(deferred.count).toBe(6);
    expect(deferred.baseNs).toBe((1500 + 2250) / 2);
    expect(deferred.valueNs).toBe((3500 + 4250) / 2);
    expect(deferred.pct).toBeCloseTo((2000 / 1875) * 100, 9);
    expect(deferred.totalDeltaNs).toBe(12_000);
  });

  test('a profile the trace contradicts: the fault-time change is not headlined, and its bar is marked doubted', () => {
    const input = sampleInput();
    input.sanity = { variant: 'mainline', threads: 4, pairs: 100, pairs_over: 90, threads_over: [{ tid: 101, comm: 'worker', faults: 9, modelled_ns: 2_000_000, span_ns: 1_000_000 }], threads_over_count: 1 };
    const html = patchHeadlineHtml(input);
    expect(html).toContain('fault time not headlined [⚠2 profile exceeds span]'); // ⚠1 is the sample's skipped lines
    expect(html).not.toContain('fault time +6.0%');
    expect(html).toContain('fork time −66.7%'); // fork costs are not what the check doubts
    const spec = patchDeltasSpec(input) as unknown as { data: { values: { row: string; sign: string }[] } };
    expect(spec.data.values.find((r) => r.row.includes('fault time'))!.sign).toBe('doubted');
    expect(spec.data.values.find((r) => r.row.includes('fork time'))!.sign).toBe('lower');
  });

  test('the headline says by how much, with the sign a reader expects', () => {
    const html = patchHeadlineHtml(sampleInput());
    expect(html).toContain('cow-pte vs mainline: fork time −66.7% (270 µs → 90.0 µs)');
    expect(html).toContain('fault time +6.0% (+12.0 µs)');
    expect(html).toContain('6 faults that copy a shared PTE table +106.7% each (1.88 µs → 3.88 µs; +12.0 µs in all)');
    expect(Number(/data-fork-pct="([^"]+)"/.exec(html)![1])).toBeCloseTo(-200 / 3, 9);
    expect(html).toContain('data-deferred-count="6"');
  });

  test('a variant name from the trace is escaped in the headline', () => {
    const html = patchHeadlineHtml(sampleInput({ variantName: '<b>x</b>' }));
    expect(html).not.toContain('<b>');
    expect(html).toContain('&lt;b&gt;x&lt;/b&gt; vs mainline');
  });

  test('one variant: no headline, and a placeholder chart that says why', () => {
    const input = sampleInput();
    input.replay.variants = input.replay.variants.slice(0, 1);
    expect(patchHeadlineHtml(input)).toBe('');
    expect(JSON.stringify(patchDeltasSpec(input))).toContain('no patch variants');
  });

  test('no fork: no fork row; from replay JSON: no per-fault row, and the headline says why', () => {
    const input = sampleInput();
    for (const v of input.replay.variants) v.totals = { ...v.totals, forks: 0, fork_latency_ns: 0 };
    input.faults = emptyFaultBins();
    expect(patchDeltas(input).map((x) => x.metric)).toEqual(['fault']);
    expect(patchHeadlineHtml(input)).toContain('per-fault table-copy costs need a trace');
  });

  test('no cost profile: every latency 0, placeholder instead of division by zero', () => {
    const input = sampleInput();
    for (const v of input.replay.variants) v.totals = { ...v.totals, fork_latency_ns: 0, fault_latency_ns: 0 };
    input.faults = { ...input.faults, deferred: [] };
    expect(patchDeltas(input)).toEqual([]);
    expect(JSON.stringify(patchDeltasSpec(input))).toContain('--profile none');
  });

  test('formatting: three significant digits, a real minus sign', () => {
    expect([compactNs(59_452_000), compactNs(4_602_000), compactNs(157_000), compactNs(812), compactNs(1_234_000_000)]).toEqual(['59.5 ms', '4.60 ms', '157 µs', '812 ns', '1.23 s']);
    expect([signedPct(-92.26), signedPct(2.3), signedPct(0), signedPct(0.04)]).toEqual(['−92.3%', '+2.3%', '±0%', '+0.04%']);
  });
});
