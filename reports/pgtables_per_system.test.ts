import { describe, expect, test } from 'vitest';
import type { SeriesPoint, VariantResult } from '../model/types.js';
import { showPgtablesPerSystem, systemBars, systemByProcesses } from './pgtables_per_system.js';
import { sampleInput } from './sample_input.testlib.js';

const pt = (t: number, kb: number): SeriesPoint => ({ t, rss_anon_kb: 0, rss_file_kb: 0, pgtables_kb: kb });

describe('page tables of the whole system', () => {
  test('shown for several processes or a shared-table variant, not for one process under mainline', () => {
    const several = sampleInput();
    expect(showPgtablesPerSystem(several.replay)).toBe(true);
    const one = sampleInput();
    for (const v of one.replay.variants) v.processes = v.processes.slice(0, 1);
    expect(showPgtablesPerSystem(one.replay)).toBe(false);
    one.replay.variants[1].spec.patches = ['mshare-transparent'];
    expect(showPgtablesPerSystem(one.replay)).toBe(true);
  });

  test("bars are the replay's whole-system totals, with the change against the first variant", () => {
    // sample: server 48 KiB + 3 workers x 24 KiB (mainline) or x 12 KiB (cow-pte), all alive at once; 48 at the end
    const bars = systemBars(sampleInput().replay);
    const get = (v: string, m: string) => bars.find((b) => b.variant === v && b.measure === m)!;
    expect(get('mainline', 'peak of the sum').kb).toBe(120);
    expect(get('cow-pte', 'peak of the sum').kb).toBe(84);
    expect(get('cow-pte', 'peak of the sum').delta_kb).toBe(-36);
    expect(get('cow-pte', 'peak of the sum').label).toBe('84 KiB (−36 KiB, −30.0%)');
    expect(get('mainline', 'peak of the sum').label).toBe('120 KiB');
    expect(get('cow-pte', 'at the end').label).toBe('48 KiB (±0 KiB, ±0.0%)');
    expect(get('mainline', 'sum of per-process peaks').kb).toBe(120);
    expect(bars.length).toBe(6);
  });

  test('a replay JSON without the whole-system totals falls back to its processes', () => {
    const r = sampleInput().replay;
    for (const v of r.variants) {
      delete (v.totals as Partial<VariantResult['totals']>).system_pgtables_peak_kb;
      delete (v.totals as Partial<VariantResult['totals']>).system_pgtables_final_kb;
    }
    const bars = systemBars(r);
    expect(bars.find((b) => b.variant === 'cow-pte' && b.measure === 'peak of the sum')!.kb).toBe(84); // totals.pgtables_peak_kb
    // every sample process has exited
    expect(bars.find((b) => b.variant === 'cow-pte' && b.measure === 'at the end')!.kb).toBe(0);
  });

  test('per number of processes alive, the highest sum; an exit takes a process out', () => {
    const v = {
      series: { '1': [pt(0, 8), pt(10, 16), pt(40, 20)], '2': [pt(5, 12), pt(20, 4)], '3': [pt(30, 100)] },
      marks: [{ t: 25, pid: 2, kind: 'exit', comm: 'c' }],
    } as unknown as VariantResult;
    // t0: {1:8} n=1 8; t5: {8,12} n=2 20; t10: {16,12} 28; t20: {16,4} 20; t25: {16} n=1 16; t30: {16,100} n=2 116; t40: {20,100} 120
    expect(systemByProcesses(v)).toEqual([
      { processes: 1, kb: 16 },
      { processes: 2, kb: 120 },
    ]);
  });
});
