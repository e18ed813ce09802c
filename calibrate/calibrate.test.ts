import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCalibrateOutput, type ForkSample } from './output.js';
import { fitFork, leastSquares, medianForkSamples, quantile, quantileForkSamples, summarise, summariseRuns } from './stats.js';
import { buildProfile, modelMdDisagreements } from './profile.js';
import { compileCalibrate } from './run.js';
import { compareProfiles, formatComparison } from './table.js';
import { STEP_NAMES, validateProfile } from '../model/costs.js';

describe('parseCalibrateOutput', () => {
  it('reads info, samples, forks and checks', () => {
    const out = parseCalibrateOutput(
      ['info kernel 6.18.44', 'sample anon_alloc 1000.5 512', 'sample anon_alloc 1100 512', 'fork 4k 1048576 256 1 0 0 123456', 'check thp_alloc 8 8', 'info done 1', ''].join('\n'),
    );
    expect(out.info.kernel).toBe('6.18.44');
    expect(out.samples.get('anon_alloc')).toEqual([1000.5, 1100]);
    expect(out.forks).toEqual([{ kind: '4k', bytes: 1048576, ptes: 256, tables: 1, pmds: 0, run: 0, ns: 123456 }]);
    expect(out.checks).toEqual([{ name: 'thp_alloc', got: 8, want: 8 }]);
  });
  it('names the line of anything unexpected', () => {
    expect(() => parseCalibrateOutput('info done 1\nsample x notanumber 3\n', 'run')).toThrow(/^run:2: unexpected output: sample x/);
    expect(() => parseCalibrateOutput('bogus line\n')).toThrow(/calibrate:1: unexpected output/);
  });
  it('refuses a truncated run', () => {
    expect(() => parseCalibrateOutput('sample a 1 1\n')).toThrow(/stopped before the end/);
  });
});

describe('runs', () => {
  it('labels each sample with the run announced before it (run 0 before any)', () => {
    const out = parseCalibrateOutput(['sample a 5 1', 'info run 0', 'sample a 1 1', 'info run 1', 'sample a 2 1', 'sample b 3 1', 'info done 1'].join('\n'));
    expect(out.samples.get('a')).toEqual([5, 1, 2]);
    expect(out.sampleRuns.get('a')).toEqual([0, 0, 1]);
    expect(out.sampleRuns.get('b')).toEqual([1]);
  });
  it('a step is the lowest of its per-run medians; p10/p90 stay over all samples', () => {
    // run 0: 10 20 30 (median 20); run 1: 40 50 60 (median 50); run 2: 15 25 35 (median 25)
    const v = [10, 20, 30, 40, 50, 60, 15, 25, 35];
    const r = [0, 0, 0, 1, 1, 1, 2, 2, 2];
    const st = summariseRuns(v, r);
    expect(st.median_ns).toBe(20);
    expect(st.p10_ns).toBe(14); // all 9 sorted: 10 15 20 25 30 35 40 50 60; position 0.8 -> 10 + 0.8*5
    expect(st.p90_ns).toBe(52); // position 7.2 -> 50 + 0.2*10
    expect(st.samples).toBe(9);
  });
  it('runs with fewer than 3 samples get no median of their own; one run is the plain median', () => {
    expect(summariseRuns([1, 100, 100, 100], [0, 1, 1, 1]).median_ns).toBe(100); // run 0 too small: one usable run
    expect(summariseRuns([3, 1, 2], [0, 0, 0]).median_ns).toBe(2);
    expect(summariseRuns([3, 1, 2]).median_ns).toBe(2);
  });
  it('fork fit input: each configuration\'s fastest fork', () => {
    const f = (kind: string, bytes: number, ns: number, run: number): ForkSample => ({ kind, bytes, ptes: bytes / 4096, tables: 1, pmds: 0, run, ns });
    const q = quantileForkSamples([f('empty', 0, 300, 0), f('empty', 0, 250, 1), f('4k', 4096, 900, 0), f('4k', 4096, 700, 1), f('empty', 0, 280, 1)], 0);
    expect(q.map((s) => [s.kind, s.ns])).toEqual([['empty', 250], ['4k', 700]]);
  });
});

describe('statistics', () => {
  it('quantiles interpolate between order statistics', () => {
    const s = [10, 20, 30, 40, 50];
    expect(quantile(s, 0.5)).toBe(30);
    expect(quantile(s, 0.1)).toBe(14); // position 0.4 between 10 and 20
    expect(quantile(s, 0.9)).toBe(46);
    const st = summarise([50, 10, 40, 20, 30]);
    expect(st).toEqual({ median_ns: 30, p10_ns: 14, p90_ns: 46, samples: 5 });
  });
  it('least squares recovers exact coefficients from noise-free data', () => {
    // y = 3 + 2a - 5b
    const xs = [[1, 0, 0], [1, 1, 0], [1, 0, 1], [1, 2, 3], [1, 5, 1]];
    const ys = xs.map(([c, a, b]) => 3 * c + 2 * a - 5 * b);
    const beta = leastSquares(xs, ys) as number[];
    expect(beta[0]).toBeCloseTo(3, 9);
    expect(beta[1]).toBeCloseTo(2, 9);
    expect(beta[2]).toBeCloseTo(-5, 9);
  });
  it('least squares reports a singular design (PTEs proportional to tables)', () => {
    const xs = [[1, 512, 1], [1, 1024, 2], [1, 2048, 4]];
    expect(leastSquares(xs, [1, 2, 3])).toBeNull();
  });
});

// Synthetic forks from known costs: fixed 200 us, 25 ns/PTE, 1500 ns/table, 900 ns/PMD.
function synthForks(noise: (i: number) => number = () => 1): ForkSample[] {
  const cfg: [string, number, number, number][] = [['empty', 0, 0, 0]];
  for (const mib of [32, 64, 128, 256]) cfg.push(['4k', mib * 256, mib / 2, 0]);
  for (const mib of [512, 1024, 2048]) cfg.push(['4k_sparse', mib / 2, mib / 2, 0]);
  for (const mib of [128, 256, 512]) cfg.push(['thp', 0, 0, mib / 2]);
  const out: ForkSample[] = [];
  let i = 0;
  for (let run = 0; run < 5; run++)
    for (const [kind, ptes, tables, pmds] of cfg) {
      const ns = 200_000 + 25 * ptes + 1500 * tables + 900 * pmds;
      out.push({ kind, bytes: ptes * 4096 + pmds * 2097152, ptes, tables, pmds, run, ns: ns * noise(i++) });
    }
  return out;
}

describe('fork fit', () => {
  it('recovers fixed, per-PTE, per-table and per-PMD costs from synthetic forks', () => {
    const f = fitFork(synthForks());
    expect(f).not.toBeNull();
    expect(f!.fixed).toBeCloseTo(200_000, 3);
    expect(f!.perPte).toBeCloseTo(25, 6);
    expect(f!.perTable).toBeCloseTo(1500, 4);
    expect(f!.perPmd).toBeCloseTo(900, 4);
  });
  it('stays within 10% under +-5% multiplicative noise, using per-configuration medians', () => {
    const noise = (i: number) => 1 + 0.05 * Math.sin(i * 12.9898);
    const f = fitFork(medianForkSamples(synthForks(noise)))!;
    expect(Math.abs(f.perPte / 25 - 1)).toBeLessThan(0.1);
    expect(Math.abs(f.perTable / 1500 - 1)).toBeLessThan(0.1);
    expect(Math.abs(f.perPmd / 900 - 1)).toBeLessThan(0.1);
  });
});

function synthOutput(zeroPage: boolean): string {
  const lines = ['info kernel 6.18.44', 'info machine x86_64', 'info runs 3', 'info quick 0', `info zero_page ${zeroPage ? 1 : 0}`, 'info huge_zero_page 0', 'info file_read_pages_per_fault 16.00'];
  const base: Record<string, number> = {
    anon_alloc: 2000, wp_page_copy: 3200, wp_page_reuse: 1000, thp_alloc: 400_000, thp_wp_split: 11_000, thp_reuse: 950,
    file_read_1: 1500, file_read_16: 3000, file_cow: 2500, populate_per_page: 1500, anon_alloc_newtable: 2600,
    page_fill_4k: 300, page_copy_4k: 400, segv: 5000, thp_read_alloc: 400_000,
  };
  base[zeroPage ? 'anon_zero_page' : 'anon_read_alloc'] = zeroPage ? 800 : 2100;
  for (const [k, v] of Object.entries(base)) for (const m of [0.9, 1, 1.1]) lines.push(`sample ${k} ${v * m} 512`);
  for (const s of synthForks()) lines.push(`fork ${s.kind} ${s.bytes} ${s.ptes} ${s.tables} ${s.pmds} ${s.run} ${s.ns}`);
  lines.push('info done 1');
  return lines.join('\n') + '\n';
}

describe('buildProfile', () => {
  const opts = { name: 'synthetic', command: 'faultline calibrate', date: '2026-11-24T00:00:00Z' };
  it('produces a complete, valid profile with measured medians and fitted fork costs', () => {
    const p = buildProfile(parseCalibrateOutput(synthOutput(true)), opts);
    expect(() => validateProfile(p, 'built')).not.toThrow();
    for (const k of STEP_NAMES) expect(p.steps[k]).toBeDefined();
    expect(p.steps.anon_alloc.median_ns).toBe(2000);
    expect(p.steps.anon_alloc.p10_ns).toBe(1840); // quantile 0.1 of [1800, 2000, 2200]
    expect(p.steps.anon_zero_page).toMatchObject({ median_ns: 800, samples: 3 });
    expect(p.steps.fork_per_pte.median_ns).toBeCloseTo(25, 0);
    expect(p.steps.fork_per_table.median_ns).toBeCloseTo(1500, -1);
  });
  it('derives what it cannot measure, with the formula, from hand-computed values', () => {
    const p = buildProfile(parseCalibrateOutput(synthOutput(true)), opts);
    expect(p.steps.table_alloc.median_ns).toBe(600); // 2600 - 2000
    expect(p.steps.file_read.median_ns).toBe(1500);
    expect(p.steps.file_read_per_page.median_ns).toBe(100); // (3000 - 1500) / 15
    expect(p.steps.wp_page_copy_zero.median_ns).toBe(3100); // 3200 - 400 + 300
    expect(p.steps.thp_zero.median_ns).toBe(1400); // 800 + 600
    expect(p.steps.thp_zero_wp.median_ns).toBe(400_000);
    expect(p.steps.cow_pte_table_copy.median_ns).toBeCloseTo(512 * 25, -1);
    expect(p.steps.fork_per_shared_table.median_ns).toBeCloseTo(0.07 * (1500 + 512 * 25), -1);
    for (const k of ['table_alloc', 'thp_zero', 'cow_pte_table_copy', 'fork_per_shared_table', 'spurious']) expect(p.steps[k].derived).toBeTruthy();
  });
  it('without a zero page, prices the zero-page read from the allocating read minus a page clear, and says so', () => {
    const p = buildProfile(parseCalibrateOutput(synthOutput(false)), opts);
    expect(p.steps.anon_zero_page.median_ns).toBe(1800); // 2100 - 300
    expect(p.steps.anon_zero_page.derived).toMatch(/no zero page/);
    expect(p.notes?.join('\n')).toMatch(/useZeroPage=false/);
  });
  it('notes each measured step outside MODEL.md §8 +-50%', () => {
    const notes = modelMdDisagreements({ anon_alloc: { median_ns: 12_000, p10_ns: 11_000, p90_ns: 13_000, samples: 9 }, wp_page_copy: { median_ns: 3200, p10_ns: 3000, p90_ns: 3400, samples: 9 } });
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/anon_alloc median 12000 ns/);
  });
});

// The calibrate program's output with GUP twins, pinning and peer spinners (calibrate.c: timed_pair, gup_call, tlb_flush).
function synthGupOutput(): string {
  const lines = synthOutput(true).split('\n').filter((l) => l !== 'info done 1' && l !== '');
  lines.push('info cpu 1', 'info peer_spinners 1');
  const gup: Record<string, number> = {
    anon_alloc_gup: 1000, wp_page_copy_gup: 5200, wp_page_reuse_gup: 500, thp_alloc_gup: 110_000, thp_wp_split_gup: 26_000,
    gup_call: 1024, tlb_flush: 21_000, gup_first_touch: 3600,
  };
  for (const [k, v] of Object.entries(gup)) for (const m of [0.9, 1, 1.1]) lines.push(`sample ${k} ${v * m} 512`);
  lines.push('info done 1');
  return lines.join('\n') + '\n';
}

describe('GUP twins: kernel-side cost, trap cost and MODEL.md §8', () => {
  const opts = { name: 'synthetic', command: 'faultline calibrate', date: '2026-11-24T00:00:00Z' };
  const p = buildProfile(parseCalibrateOutput(synthGupOutput()), opts);
  it('kernel = GUP twin minus its share of one GUP call (512 pages per call for 4K steps, 1 for THP steps)', () => {
    expect(p.steps.anon_alloc_gup.median_ns).toBe(1000);
    expect(p.steps.anon_alloc_kernel.median_ns).toBe(998); // 1000 - 1024/512
    expect(p.steps.wp_page_copy_kernel.median_ns).toBe(5198); // 5200 - 2
    expect(p.steps.wp_page_reuse_kernel.median_ns).toBe(498);
    expect(p.steps.thp_alloc_kernel.median_ns).toBe(108_976); // 110000 - 1024
    expect(p.steps.thp_wp_split_kernel.median_ns).toBe(24_976);
    expect(p.steps.thp_wp_split_kernel.derived).toMatch(/thp_wp_split_gup - gup_call \/ 1/);
  });
  it('trap = trapped step minus its kernel figure', () => {
    expect(p.steps.anon_alloc_trap.median_ns).toBe(1002); // 2000 - 998
    expect(p.steps.wp_page_copy_trap.median_ns).toBe(0); // 3200 - 5198 < 0: clamped
    expect(p.steps.thp_wp_split_trap.median_ns).toBe(0); // 11000 - 24976 < 0: clamped
    expect(p.steps.thp_alloc_trap.median_ns).toBe(400_000 - 108_976);
    expect(p.notes?.join('\n')).toMatch(/trap \+ return per fault \(trapped - kernel, ns\): anon_alloc 1002, wp_page_copy 0, wp_page_reuse 502, thp_alloc 291024, thp_wp_split 0/);
  });
  it('compares the kernel figures, not the trapped ones, with §8 +-50% and says why one is outside', () => {
    const notes = p.notes ?? [];
    const line = (k: string) => notes.find((n) => n.startsWith(`MODEL.md §8 kernel side (no trap): ${k} `)) ?? '';
    // §8 kernel ranges = its trapped ranges less its own trap (0.3-0.45 us: zero-fill fault 1.8-2.0 vs MAP_POPULATE 1.35-1.7)
    expect(line('anon_alloc_kernel')).toMatch(/median 998 ns agrees with 1350-1700 ns/); // 675 <= 998 <= 2550
    expect(line('wp_page_reuse_kernel')).toMatch(/median 498 ns agrees with 450-1000 ns/); // 225 <= 498 <= 1500
    // 5198 > 3200 * 1.5 = 4800: outside, and the reason quotes the measured flush
    expect(line('wp_page_copy_kernel')).toMatch(/median 5198 ns is outside 2550-3200 ns \+-50%: ptep_clear_flush's TLB flush is a hypercall .*tlb_flush = 21\.0 us/);
    // 108976 < 349550 * 0.5: outside; the reason quotes 512 x page_fill_4k = 512 x 300 ns
    expect(line('thp_alloc_kernel')).toMatch(/median 108976 ns is outside 349550-489700 ns \+-50%: this host clears memory faster: 512 x page_fill_4k .* = 153\.6 us per 2 MiB/);
    // 24976 > 12700 * 1.5 = 19050; table_alloc = 2600 - 2000
    expect(line('thp_wp_split_kernel')).toMatch(/median 24976 ns is outside 9550-12700 ns \+-50%: .*table_alloc = 0\.6 us, tlb_flush = 21\.0 us/);
    expect(line('populate_per_page')).toMatch(/median 1500 ns agrees with 1350-1700/);
    // a kernel zero-fill below §8's range: the reason is the clear, 350000/512 = 683.6 ns per 4 KiB in §8
    const fast = buildProfile(parseCalibrateOutput(synthGupOutput().replace(/^sample anon_alloc_gup (\S+) 512$/gm, (_, v: string) => `sample anon_alloc_gup ${Number(v) / 2} 512`)), opts);
    expect(fast.steps.anon_alloc_kernel.median_ns).toBe(498); // 500 - 2
    expect((fast.notes ?? []).find((n) => n.includes('anon_alloc_kernel'))).toMatch(/median 498 ns is outside 1350-1700 ns \+-50%: a 4 KiB clear costs about page_fill_4k = 0\.3 us here, where §8's own THP row implies 0\.7-1\.0 us per 4 KiB/);
  });
  it('records the pinned CPU and the peer spinners', () => {
    expect(p.measured?.pinned_cpu).toBe(1);
    expect(p.measured?.peer_spinners).toBe(1);
    expect(p.measured?.statistic).toMatch(/median of each run, lowest over the runs/);
    expect(p.notes?.join('\n')).toMatch(/pinned to CPU 1 with a SCHED_IDLE spinner on each of the other 1 CPU/);
    expect(p.steps.tlb_flush.median_ns).toBe(21_000);
    expect(p.steps.gup_first_touch.median_ns).toBe(3600);
  });
  it('output without GUP twins (an older --raw file) still builds, without the kernel steps', () => {
    const q = buildProfile(parseCalibrateOutput(synthOutput(true)), opts);
    expect(q.steps.anon_alloc_kernel).toBeUndefined();
    expect(q.notes?.some((n) => n.startsWith('MODEL.md §8 kernel side'))).toBe(false);
  });
});

describe('--compare', () => {
  const opts = { name: 'synthetic', command: 'faultline calibrate', date: '2026-11-24T00:00:00Z' };
  it('prints both medians and the ratio for every common step, flags those past 20% and names the worst', () => {
    const a = buildProfile(parseCalibrateOutput(synthGupOutput()), opts);
    const b = structuredClone(a);
    b.steps.wp_page_copy.median_ns = 3200 * 1.25;
    b.steps.tlb_flush.median_ns = 21_000 * 0.9;
    const rows = compareProfiles(a, b);
    expect(rows.map((r) => r.step)).toContain('tlb_flush'); // extras too, not only the priced steps
    b.steps.gup_first_touch.median_ns = 3600 * 1.5;
    const cmp = formatComparison(rows);
    expect(cmp.worstStep).toBe('wp_page_copy'); // priced steps only decide the verdict
    expect(cmp.worst).toBeCloseTo(0.25, 9);
    const line = (k: string) => cmp.text.split('\n').find((l) => l.startsWith(`${k} `)) ?? '';
    expect(line('wp_page_copy')).toMatch(/\s3200\s+4000\s+1\.25\s+\(>20%\)$/);
    expect(line('tlb_flush')).toMatch(/\s21000\s+18900\s+0\.90$/);
    const cmp2 = formatComparison(compareProfiles(a, b));
    expect(cmp2.worstStep).toBe('wp_page_copy'); // gup_first_touch is 50% off but a diagnostic
    expect(cmp2.diagnosticsOver).toEqual(['gup_first_touch']);
    expect(cmp2.text).toMatch(/gup_first_touch .*1\.50  \(>20%, diagnostic\)/);
  });
});

describe('the calibrate program', () => {
  it('compiles with cc and a --quick smoke run yields parseable samples for every measured step', () => {
    if (spawnSync('cc', ['--version']).error) return; // no compiler on this machine: covered by the error test below
    const dir = mkdtempSync(join(tmpdir(), 'fl-cal-test-'));
    try {
      const bin = compileCalibrate(dir);
      // -s 0: no idle spinners on the other CPUs during a test run (CI shares the machine)
      const r = spawnSync(bin, ['-q', '-r', '1', '-s', '0', '-d', dir], { encoding: 'utf8', timeout: 20_000 });
      expect(r.status).toBe(0);
      const out = parseCalibrateOutput(r.stdout);
      expect(out.info.peer_spinners).toBe('0');
      expect(Number(out.info.cpu)).toBeGreaterThanOrEqual(0);
      for (const k of ['anon_alloc', 'wp_page_copy', 'wp_page_reuse', 'file_cow', 'file_read_1', 'file_read_16', 'segv', 'page_fill_4k', 'anon_alloc_gup', 'wp_page_copy_gup', 'wp_page_reuse_gup', 'thp_alloc_gup', 'thp_wp_split_gup', 'gup_call', 'tlb_flush', 'gup_first_touch'])
        expect(out.samples.get(k)?.length ?? 0).toBeGreaterThan(0);
      expect(out.forks.some((f) => f.kind === 'empty')).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('says to install gcc when there is no compiler', () => {
    expect(() => compileCalibrate(tmpdir(), 'faultline-no-such-cc')).toThrow(/no C compiler "faultline-no-such-cc" found: install one \(apt-get install gcc\)/);
  });
});
