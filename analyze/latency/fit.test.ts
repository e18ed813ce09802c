// The trace-fitted profile: the fit from hand-made measurements, and on pattern_init the signs of the what-ifs'
// fault-time deltas under it, as under the shipped and the published profiles (model/patches/fixtures_pattern.test.ts).
import { describe, expect, it } from 'vitest';
import { fitFaultAround, fitForks, fitProfileToTrace, fitSteps } from './fit.js';
import { loadProfile, type CostProfile } from '../../model/costs.js';
import { createReplay } from '../../model/replay.js';
import { buildVariants } from '../../model/variants.js';
import { readTrace } from '../../traces/read.js';
import { fixtureFiles } from '../../record/fixtures.js';
import { createFaultTimeSanity, sanityText } from './sanity.js';

const base: CostProfile = { name: 'base', source: 'test', steps: { anon_alloc: 10_000, file_read: 20_000, page_fill_4k: 400, fork_fixed: 100_000, table_alloc: 4_000 } };
const many = (n: number, v: number): number[] => Array.from({ length: n }, () => v);

describe('fitSteps', () => {
  it('kernel part + trap per measured path; the rest scaled by the fitted anon_alloc; forks by the measured ratio', () => {
    // anon_alloc: kernel 1 µs, densest intervals 1.5 µs -> trap 0.5 µs; file_read: kernel 3 µs, intervals 3.5 µs -> 0.5 µs
    const kernel = new Map([['anon_alloc', { count: 100, ns: 1_000 }], ['file_read', { count: 50, ns: 3_000 }]]);
    const intervals = new Map([['anon_alloc', [...many(20, 1_500), ...many(80, 9_000)]], ['file_read', many(50, 3_500)]]);
    const f = fitSteps(base, kernel, intervals, 0.5);
    expect(f.fitted).toBe(true);
    expect(f.profile.steps.anon_alloc).toBe(1_500);
    expect(f.profile.steps.file_read).toBe(3_500);
    expect(f.profile.steps.page_fill_4k).toBeCloseTo(400 * 0.15, 9); // 1 500 / 10 000
    expect(f.profile.steps.table_alloc).toBeCloseTo(4_000 * 0.15, 9);
    expect(f.profile.steps.fork_fixed).toBe(50_000);
    expect(f.derivation[0]).toMatch(/^trap .* = 0\.50 µs/);
  });
  it("the return after fork: fitted to the trace's own return where a parent showed one (a scale of the base's shape for one fork size), else the base's kept and said so", () => {
    const shadow: CostProfile = { ...base, steps: { ...base.steps, fork_return_per_table: 6_000, fork_return_per_pte: 50 } };
    const kernel = new Map([['anon_alloc', { count: 100, ns: 1_000 }]]);
    const iv = new Map([['anon_alloc', many(100, 1_500)]]);
    const unseen = fitSteps(shadow, kernel, iv, [{ measuredNs: 1e6, modelledNs: 2e6 }]);
    expect([unseen.profile.steps.fork_return_per_table, unseen.profile.steps.fork_return_per_pte]).toEqual([6_000, 50]);
    expect(unseen.derivation.find((d) => d.startsWith('fork return'))).toMatch(/^fork return: not fitted \(no fork's parent showed a user fault or syscall after sys_exit_clone\): base's 6\.00 µs per table copied \+ 50\.0 ns per PTE copied/);
    // 2 tables and 1000 PTEs: the base's shape is 2 x 6 000 + 1000 x 50 = 62 000 ns; the return 200 µs, of which 76 µs
    // proven off-CPU (other tasks' events on its CPU), leaves 124 000 ns: twice the shape
    const timed = [{ measuredNs: 1e6, modelledNs: 2e6, returnNs: 200_000, returnOffCpuNs: 76_000, returnOffCpuFrom: 'same_cpu' as const, tables: 2, ptes: 1000 }];
    const f = fitSteps(shadow, kernel, iv, timed);
    expect([f.profile.steps.fork_return_fixed, f.profile.steps.fork_return_per_table, f.profile.steps.fork_return_per_pte]).toEqual([0, 12_000, 100]);
    const d = f.derivation.find((x) => x.startsWith('fork return'))!;
    expect(d).toMatch(/x 2\.000 \(the median over 1 fork of on-CPU return/);
    expect(d).toMatch(/1 with other tasks' events on the parent's CPU/);
    expect(d).toMatch(/no leave-one-out \(one fork: the figure is in-sample only\)/);
    for (const [p, t] of [[base, [{ measuredNs: 1e6, modelledNs: 2e6 }]], [shadow, []]] as const) expect(fitSteps(p, kernel, iv, t).derivation.some((x) => x.startsWith('fork return'))).toBe(false);
  });
  it('table_alloc from the faults that allocated a table: their kernel part less the table-free p50, per table; not from too few', () => {
    const kernel = new Map([['anon_alloc', { count: 100, ns: 1_000 }]]);
    const iv = new Map([['anon_alloc', many(100, 1_500)]]);
    // 1 µs table-free, 16 µs with one table, 31 µs with two (a PMD and a PTE table): 15 µs per table
    const tf = [...Array.from({ length: 9 }, () => ({ path: 'anon_alloc', tables: 1, ns: 16_000 })), ...Array.from({ length: 3 }, () => ({ path: 'anon_alloc', tables: 2, ns: 31_000 }))];
    const f = fitSteps(base, kernel, iv, 0.5, { tableFaults: tf });
    expect(f.profile.steps.table_alloc).toBe(15_000);
    expect(f.profile.steps.anon_alloc).toBe(1_500); // the table-free faults' figure, untouched by the others
    expect(f.derivation.find((d) => d.startsWith('table_alloc'))).toMatch(/^table_alloc = 15\.00 µs .* median over 12 anon_alloc faults that allocated a page table/);
    // 9 faults are too few: the base's 4 µs scaled by anon_alloc's 1 500 / 10 000, as every unexercised step
    expect(fitSteps(base, kernel, iv, 0.5, { tableFaults: tf.slice(0, 9) }).profile.steps.table_alloc).toBeCloseTo(600, 9);
    // sparse touches: 12 table-free faults of 30 are enough for the path and the tables; 9 of 30 are not
    // (the trap from file_read's dense runs: 3.5 - 3 µs)
    const sparse = (n: number) => fitSteps(base, new Map([['anon_alloc', { count: n, all: 30, ns: 1_000 }], ['file_read', { count: 50, ns: 3_000 }]]), new Map([['file_read', many(50, 3_500)]]), 0.5, { tableFaults: tf });
    expect([sparse(12).profile.steps.anon_alloc, sparse(12).profile.steps.table_alloc]).toEqual([1_500, 15_000]);
    expect(sparse(9).profile.steps.anon_alloc).toBe(10_000); // the base's: not fitted, so nothing to scale by
    // only anon_alloc's table faults price a table (a file fault's first touch reads ahead too)
    expect(fitSteps(base, kernel, iv, 0.5, { tableFaults: tf.map((x) => ({ ...x, path: 'file_read' })) }).profile.steps.table_alloc).toBeCloseTo(600, 9);
  });
  it('without dense runs the base profile stays, and says so', () => {
    const f = fitSteps(base, new Map([['anon_alloc', { count: 100, ns: 1_000 }]]), new Map(), null);
    expect(f.fitted).toBe(false);
    expect(f.profile).toBe(base);
  });
});

describe('fitSteps: what validate compares and what fault-around costs', () => {
  const withTrap: CostProfile = { ...base, steps: { ...base.steps, wp_page_copy: 50_000, wp_page_copy_trap: 45_000, file_cow: 14_000, anon_alloc_trap: 9_000, tlb_flush: 20_000, file_read_per_page: 700 } };
  const kernel = new Map([['anon_alloc', { count: 100, ns: 1_000 }]]);
  const intervals = new Map([['anon_alloc', many(100, 1_500)]]);
  it("trap shares: the measured trap on a fitted step, the base's proportion on a scaled one; the base's other extras dropped", () => {
    const f = fitSteps(withTrap, kernel, intervals, null);
    expect(f.profile.steps.anon_alloc_trap).toBe(500); // 1 500 - 1 000
    expect(f.profile.steps.wp_page_copy).toBeCloseTo(50_000 * 0.15, 6);
    expect(f.profile.steps.wp_page_copy_trap).toBeCloseTo(50_000 * 0.15 * 0.9, 6); // 45 000 / 50 000 of the scaled figure
    expect(f.profile.steps.file_cow_trap).toBe(500); // no share in the base: the measured trap
    expect(f.profile.steps.tlb_flush).toBeUndefined();
  });
  it('file_read: the one-page kernel part + trap and a per-page slope, not the whole fault-around span + trap', () => {
    // kernel part = 800 + 100 x (pages - 1): 40 faults mapping 16 pages, 30 mapping 1, 10 mapping 8; plus one 1 ms I/O
    const byPages = new Map([[16, [...many(39, 2_300), 1_000_000]], [1, many(30, 800)], [8, many(10, 1_500)]]);
    const k = new Map([...kernel, ['file_read', { count: 80, ns: 2_300 }]]);
    const f = fitSteps(withTrap, k, new Map([...intervals, ['file_read', many(80, 2_800)]]), null, { faultAround: byPages });
    expect(f.profile.steps.file_read).toBeCloseTo(800 + 500, 0);
    expect(f.profile.steps.file_read_per_page).toBeCloseTo(100, 0);
    // the one-page part's mean keeps the 1 ms read: (79 x 800 + 998 500) / 80 + 500
    expect(f.derivation.join('\n')).toMatch(/file_read = 1\.30 µs \(mean 13\.77 µs over 64 strata\) \+ file_read_per_page 0\.10 µs per further page mapped/);
  });
  it("a fitted step's spread is its measured strata + trap, so the faults' draws keep the measured mean; file_read's the one-page part's", () => {
    // kernel parts skewed: p50 1 000, mean 1 750 (strata.ts makes these from the trace's histogram)
    const k = new Map([['anon_alloc', { count: 100, ns: 1_000, p10: 900, p90: 4_000, strata: [900, 1_000, 1_100, 4_000] }]]);
    const f = fitSteps(base, k, intervals, null);
    expect(f.profile.stats!.anon_alloc!.strata_ns).toEqual([1_400, 1_500, 1_600, 4_500]);
    expect(f.derivation.join('\n')).toMatch(/anon_alloc = 1\.50 µs \(p10 1\.40 µs, p90 4\.50 µs, mean 2\.25 µs over 4 strata\)/);
    // file_read: 800 + 100 x (pages - 1) for every fault but one of 8 pages at 2 500 (one-page part 1 800): 20 faults
    // in 16 strata of 1.25 each, the last 0.25 x 800 + 1 800 over 1.25 = 1 600; mean 850, + trap 500
    const byPages = new Map([[1, many(10, 800)], [8, [...many(9, 1_500), 2_500]]]);
    const fr = fitSteps(base, new Map([...k, ['file_read', { count: 20, ns: 1_000 }]]), intervals, null, { faultAround: byPages });
    expect(fr.profile.stats!.file_read!.strata_ns).toEqual([...many(15, 1_300), 2_100]);
    expect(fr.derivation.join('\n')).toMatch(/file_read = 1\.30 µs \(mean 1\.35 µs over 16 strata\) \+ file_read_per_page 0\.10 µs/);
  });
  it('fitFaultAround: no slope below zero, no intercept below zero, nothing from one page count', () => {
    expect(fitFaultAround(new Map([[1, many(5, 2_000)], [16, many(5, 1_500)]]))).toMatchObject({ a: 1_750, b: 0 });
    expect(fitFaultAround(new Map([[2, many(5, 100)], [16, many(5, 3_000)]]))!.a).toBe(0);
    expect(fitFaultAround(new Map([[16, many(50, 3_000)]]))).toBeNull();
  });
  it('a coarsely stamped trace says its figures are means over windows', () => {
    const f = fitSteps(base, kernel, intervals, null, { window: 16 });
    expect(f.derivation[0]).toMatch(/^stamps are whole microseconds: .* mean over 16 consecutive faults/);
  });
});

describe('fitForks: clone enter -> exit = fixed + k x the base copy work', () => {
  // base: fixed 400 µs; small forks copy 50 µs of base work, big ones 1 000 µs. The machine: fixed 900 µs, k 0.6.
  const small = { modelledNs: 450_000, measuredNs: 900_000 + 0.6 * 50_000 };
  const big = { modelledNs: 1_400_000, measuredNs: 900_000 + 0.6 * 1_000_000 };
  it('recovers fixed and k from forks of two sizes; a preempted fork moves it little; its named wait not at all', () => {
    const forks = [...Array.from({ length: 8 }, () => small), { ...small, measuredNs: 30e6 }, big, big];
    const f = fitForks(forks, 400_000)!;
    expect(f.fixed).toBeCloseTo(930_000 - 0.6 * 50_000, -2);
    expect(f.k).toBeCloseTo(0.6, 3);
    // one big fork, with a 22 ms wait inside its copy: without the wait the line is the machine's, with it k is not
    const waited = [...Array.from({ length: 8 }, () => small), { ...big, measuredNs: big.measuredNs + 22e6, waitNs: 22e6 }];
    expect(fitForks(waited, 400_000)!.k).toBeCloseTo(0.6, 3);
    expect(fitForks(waited.map((x) => ({ ...x, waitNs: 0 })), 400_000)!.k).toBeGreaterThan(10);
  });
  it('nothing to fit from one fork, or forks of one size: the caller keeps one ratio', () => {
    expect(fitForks([big], 400_000)).toBeNull();
    expect(fitForks([small, small, { ...small, measuredNs: 2e6 }], 400_000)).toBeNull();
  });
});

describe('pattern_init under the trace-fitted profile', async () => {
  const mainline = buildVariants({ baseZeroPage: false })[0]!;
  const fit = await fitProfileToTrace(fixtureFiles('pattern_init', 'perf').trace, mainline, loadProfile());
  const sanity = createFaultTimeSanity('mainline');
  const rep = createReplay(buildVariants({ patch: ['refpage', 'pattern-populate', 'memset'], baseZeroPage: false }), { fault: sanity.onFault }, { profile: fit.profile });
  const res = rep.finish(await readTrace(fixtureFiles('pattern_init', 'perf').trace, rep.sink));
  const ns = (v: string) => res.variants.find((x) => x.name === v)!.totals.fault_latency_ns;
  it('fits from the trace, and no thread is modelled longer than its span', () => {
    expect(fit.fitted).toBe(true);
    expect(sanityText(sanity.finish())).toBe('');
  });
  it("memset's runs of new pages recorded in one step (no model:fault probe) cost what they cost one by one, each its own draw", async () => {
    const memset = buildVariants({ patch: ['memset'], baseZeroPage: false });
    const run = async (probes: { fault?: () => void }) => {
      const r = createReplay(memset, probes, { profile: fit.profile });
      return r.finish(await readTrace(fixtureFiles('pattern_init', 'perf').trace, r.sink)).variants[1]!;
    };
    const [batched, single] = [await run({}), await run({ fault: () => {} })];
    expect(batched.totals.fault_latency_ns).toBe(single.totals.fault_latency_ns);
    expect(batched.latency_ns.anon_alloc).toEqual(single.latency_ns.anon_alloc);
    expect(batched.latency_ns.anon_alloc!.p90_ns).toBeGreaterThan(batched.latency_ns.anon_alloc!.p50_ns);
  });
  it('refpage, pattern-populate and memset all above mainline, memset above pattern-populate: the signs of the other profiles', () => {
    for (const v of ['refpage', 'pattern-populate', 'memset']) expect(ns(v), v).toBeGreaterThan(ns('mainline'));
    expect(ns('memset')).toBeGreaterThan(ns('pattern-populate'));
  });
});
