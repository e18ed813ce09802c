// The compare table: figures and deltas worked out by hand from a small hand-made ReplayResult.
import { describe, expect, it } from 'vitest';
import { compareRow, delta, formatCompareTable } from './compare_table.js';
import type { ProcessResult, ReplayResult, VariantResult } from '../model/types.js';
import { buildVariants } from '../model/variants.js';

function proc(pid: number, minflt: number, filePeak: number): ProcessResult {
  return {
    pid, comm: 'w', mm_id: null, rss_anon_peak_kb: 0, rss_anon_final_kb: 0, rss_file_peak_kb: filePeak, rss_file_final_kb: 0,
    rss_shmem_peak_kb: 0, rss_shmem_final_kb: 0, pgtables_peak_kb: 0, pgtables_final_kb: 0, faults: {}, minflt, forks: 0,
    exits: 0, latency_ns: {}, inferred_vmas: 0,
  };
}

function variant(name: string, faults: Record<string, number>, anon: number, pt: number, minflt: number, faultNs = 0): VariantResult {
  const spec = buildVariants({ patch: name === 'mainline' ? [] : [name] }).at(-1)!;
  return {
    name, spec, processes: [proc(1, minflt, 40)],
    // the whole system's peak: here three times the largest process's (other processes' tables at that moment)
    totals: { faults, rss_anon_peak_kb: anon, pgtables_peak_kb: pt, fault_latency_ns: faultNs, fork_latency_ns: 0, forks: 0, system_pgtables_peak_kb: 3 * pt, system_pgtables_final_kb: 0 },
    latency_ns: {}, series: {}, marks: [], inferred_faults: 0,
  };
}

const result = (variants: VariantResult[]): ReplayResult => ({ trace: 't.txt', format: 'perf-script', lost_events: 0, skipped_lines: 0, span_ns: 2.5e9, variants });

describe('compare table', () => {
  it('counts taken faults, not-taken ones and GUP pages from minflt', () => {
    // 100 traps (90 + 10 not taken) and one populate record for 64 GUP pages: minflt = 100 + 64
    const r = compareRow(variant('memset', { anon_alloc: 90, not_taken: 10, populate: 1 }, 400, 12, 164));
    expect(r).toMatchObject({ faults: 90, notTaken: 10, gupFaults: 64, peakAnonKb: 400, peakFileKb: 40, peakPgtablesKb: 12 });
    expect(r.byPath).toEqual({ anon_alloc: 90, not_taken: 10 });
  });

  it('formats deltas with sign and percentage, "=" for no change', () => {
    expect(delta(150, 100)).toBe('+50 (+50.0%)');
    expect(delta(75, 100)).toBe('-25 (-25.0%)');
    expect(delta(5, 0)).toBe('+5');
    expect(delta(1234567, 1234567)).toBe('=');
    expect(delta(2_500_000, 1_000_000, (n) => (n / 1e6).toFixed(3))).toBe('+1.500 (+150.0%)');
  });

  it('lays out mainline first with empty deltas and each variant against it', () => {
    const text = formatCompareTable(result([
      variant('mainline', { anon_alloc: 1000, anon_zero_page: 24 }, 4000, 20, 1024),
      variant('refpage', { refpage_fill: 1000, refpage_read: 24 }, 4000, 20, 1024),
      variant('memset', { anon_alloc: 10, not_taken: 1014, populate: 2 }, 8000, 24, 1024 + 2000),
    ]));
    const lines = text.split('\n');
    expect(lines[0]).toBe('t.txt (perf-script): 3 variants, span 2.500 s');
    const cells = (l: string) => l.trim().split(/\s{2,}/);
    expect(cells(lines[2]!)).toEqual(['variant', 'faults', 'Δ', 'not taken', 'Δ', 'GUP faults', 'Δ', 'peak anon KiB (peak of Σ processes)', 'Δ', 'peak file KiB (largest process)', 'Δ', 'peak PT KiB (peak of Σ processes)', 'Δ']);
    expect(cells(lines[3]!)).toEqual(['mainline', '1,024', '0', '0', '4,000', '40', '20']);
    expect(cells(lines[4]!)).toEqual(['refpage', '1,024', '=', '0', '=', '0', '=', '4,000', '=', '40', '=', '20', '=']);
    expect(cells(lines[5]!)).toEqual(['memset', '10', '-1,014', '1,014', '+1,014', '2,000', '+2,000', '8,000', '+4,000 (+100.0%)', '40', '=', '24', '+4 (+20.0%)']);
    expect(text).toContain('(no modelled times: no cost profile loaded; see faultline calibrate)');
    const byPath = lines.slice(lines.indexOf('faults by path:') + 1).filter(Boolean).map(cells);
    expect(byPath[0]).toEqual(['variant', 'not_taken', 'anon_alloc', 'refpage_fill', 'anon_zero_page', 'refpage_read']);
    expect(byPath[3]).toEqual(['memset', '1,014', '10', '0', '0', '0']);
  });

  it('adds fault and fork time columns once a profile priced anything', () => {
    const text = formatCompareTable(result([variant('mainline', { anon_alloc: 1 }, 4, 12, 1, 2_000_000), variant('refpage', { refpage_fill: 1 }, 4, 12, 1, 3_000_000)]));
    expect(text).toMatch(/fault ms\s+Δ\s+fork ms\s+Δ/);
    expect(text).toMatch(/refpage .* 3\.000\s+\+1\.000 \(\+50\.0%\)\s+0\.000\s+=/);
  });

  it('warns that a variant refusing THP sees only one traced access per 2 MiB block', () => {
    const text = formatCompareTable(result([variant('mainline', { thp_alloc: 32 }, 65536, 20, 32), variant('refpage', { refpage_fill: 32 }, 128, 140, 32)]));
    expect(text).toContain('note: refpage takes 32 fewer THP faults than mainline; the trace holds one access per 2 MiB');
    const same = formatCompareTable(result([variant('mainline', { thp_alloc: 32 }, 65536, 20, 32), variant('cow-pte', { thp_alloc: 32 }, 65536, 20, 32)]));
    expect(same).not.toContain('note:');
  });
});
