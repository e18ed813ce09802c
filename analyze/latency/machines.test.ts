// Issue 14's "done when" on fixtures from two machines, under the trace-fitted profile (no profile calibrated on
// either): traces/fixtures/workloads/ (the guest the shipped profile came from) and traces/fixtures/workloads_m2/
// (recorded 2026-12-02 on a loaded 2-vCPU guest without a zero page; its calibrate run is workloads_m2/calibrated.json).
// The references are the trace's own clock, computed here without the model: clone enter -> exit, the workload's
// clock_gettime around fork(), and the fault-to-fault interval of touch loops (consecutive faults one page apart).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fitProfileToTrace } from './fit.js';
import { createFaultTimeSanity } from './sanity.js';
import { createLatencyValidator } from './validate.js';
import { loadProfile, type CostProfile } from '../../model/costs.js';
import { createReplay } from '../../model/replay.js';
import { buildVariants } from '../../model/variants.js';
import type { FaultRecord } from '../../model/types.js';
import { quantile } from '../../model/quantiles.js';
import { readTrace } from '../../traces/read.js';
import { repoRoot } from '../../record/workloads.js';

const MACHINES = ['workloads', 'workloads_m2'] as const;
const trace = (m: string, name: string): string => join(repoRoot(), 'traces', 'fixtures', m, name, 'perf.txt.gz');
const truth = (m: string, name: string): { checkpoints: { label: string; fork_ns?: number }[] } =>
  JSON.parse(readFileSync(join(repoRoot(), 'traces', 'fixtures', m, name, 'truth.perf.json'), 'utf8'));
// both machines booted without a zero page (truth.kernel_cmdline_mm: pvm_no_zero_page=1)
const mainline = buildVariants({ baseZeroPage: false })[0]!;
const within = (a: number, b: number, f: number): boolean => a <= b * f && b <= a * f;

/** Touch loops without the model's costs: per thread, consecutive faults of one path one page apart, and their intervals. */
function denseIntervals(): { onFault(r: FaultRecord): void; check(lat: Record<string, { p50_ns: number }>): number } {
  const dense = new Map<string, number[]>();
  const last = new Map<number, { time: number; address: number; path: string }>();
  return {
    onFault(r) {
      if (r.errorCode < 0) return;
      const l = last.get(r.tid);
      const page = Math.floor(r.address / 4096);
      if (l && l.path === r.path && page === l.address + 1) {
        let a = dense.get(r.path);
        if (!a) dense.set(r.path, (a = []));
        a.push(r.time - l.time);
      }
      last.set(r.tid, { time: r.time, address: page, path: r.path });
    },
    /** Asserts each path with 100+ intervals; returns how many were checked. */
    check(lat) {
      let checked = 0;
      for (const [path, iv] of dense) {
        if (iv.length < 100) continue;
        const measured = quantile(iv, 0.5);
        expect(within(lat[path]!.p50_ns, measured, 2), `${path}: modelled p50 ${lat[path]!.p50_ns} ns, touch-loop interval p50 ${measured} ns`).toBe(true);
        checked++;
      }
      return checked;
    },
  };
}

/** The two checks every machine's replay gets: no thread's modelled fault time above its span, and per-path p50 within
 * 2x of the touch loops' fault-to-fault interval. */
function spanAndDenseChecks(sanity: ReturnType<typeof createFaultTimeSanity>, dense: ReturnType<typeof denseIntervals>, lat: Record<string, { p50_ns: number }>): void {
  it('no thread\'s modelled fault time exceeds its span', () => {
    const s = sanity.finish();
    expect(s.threads).toBeGreaterThan(0);
    expect(s.threads_over).toEqual([]);
  });
  it('per-path modelled p50 within 2x of the fault-to-fault interval in touch loops', () => {
    expect(dense.check(lat)).toBeGreaterThan(0);
  });
}

describe.each(MACHINES)('%s, trace-fitted', (m) => {
  describe.each(['fork_1g', 'fork_child_all', 'pattern_init'])('%s', async (name) => {
    const file = trace(m, name);
    const fit = await fitProfileToTrace(file, mainline, loadProfile());
    const profile: CostProfile = fit.profile;
    // one replay: the sanity check and, per thread, the touch loops' fault-to-fault intervals by path
    const sanity = createFaultTimeSanity('mainline');
    const dense = denseIntervals();
    const onFault = (r: FaultRecord): void => (sanity.onFault(r), dense.onFault(r));
    const rep = createReplay([mainline], { fault: onFault }, { profile });
    const res = rep.finish(await readTrace(file, rep.sink));
    const lat = res.variants[0]!.latency_ns;

    it('the profile is fitted to the trace, with a spread per fitted path (p50 < p90)', () => {
      expect(fit.fitted).toBe(true);
      const aa = lat.anon_alloc!;
      expect(aa.count).toBeGreaterThan(500);
      expect(aa.p90_ns).toBeGreaterThan(aa.p50_ns);
    });

    spanAndDenseChecks(sanity, dense, lat);

    it.runIf(name.startsWith('fork'))('modelled fork within 1.5x of clone enter -> exit less its wait inside the copy, and not above the workload\'s own clock around fork()', async () => {
      const v = createLatencyValidator(mainline, profile);
      const r = v.finish(await readTrace(file, v.sink));
      const forks = r.latency!.forks!;
      const pair = forks.pairs.find((p) => p.measured_ns > 1e6)!; // the workload's fork (the recorder's own are not in a perf trace)
      // the model prices the copy: one span inside it with no traced event, longer than all the rest of the fork, is a
      // wait (workloads_m2/fork_child_all, recorded loaded: 12.2 ms of its 16.8 ms clone), left out of both sides
      const busy = pair.measured_ns - pair.wait_ns;
      expect(within(pair.modelled_ns, busy, 1.5), `modelled ${pair.modelled_ns} ns, clone enter -> exit ${pair.measured_ns} ns less ${pair.wait_ns} ns of wait`).toBe(true);
      // the workload's clock also holds the wait until parent and child run again (the scheduler, not fork's work):
      // the modelled fork must not exceed the shorter of the two sides' fork_ns
      const clocks = truth(m, name).checkpoints.filter((c) => c.fork_ns !== undefined).map((c) => c.fork_ns!);
      expect(clocks.length).toBe(2);
      expect(pair.modelled_ns).toBeLessThanOrEqual(Math.min(...clocks) * 1.5);
    });
  });
});

// A third boot with traps ~10x cheaper: traces/fixtures/corpus/ (a KVM guest with a zero page, no pvm_no_zero_page):
// its touch loops fault one page every ~2 µs (p50) where workloads/ and _m2 take 15.8 and 12.9 µs. perf script's
// stamps here are whole microseconds, so the fit takes means over 16 faults (one span is off by up to 1 µs; the
// median of single spans sat on one quantum: anon_alloc 0.99 µs, trap 0.01 µs, 2.02x under the 2.00 µs interval).
// Forks are not asserted here (one ratio for every fork prices launcher_shim_fork's small forks like its 16 MiB one).
describe.each(['perf_full_churn', 'perf_full_threads'])('corpus (cheap traps) %s, trace-fitted', async (name) => {
  const file = join(repoRoot(), 'traces', 'fixtures', 'corpus', name, 'trace.txt.gz');
  const withZeroPage = buildVariants({})[0]!;
  const fit = await fitProfileToTrace(file, withZeroPage, loadProfile());
  const sanity = createFaultTimeSanity('mainline');
  const dense = denseIntervals();
  const rep = createReplay([withZeroPage], { fault: (r: FaultRecord): void => (sanity.onFault(r), dense.onFault(r)) }, { profile: fit.profile });
  const lat = rep.finish(await readTrace(file, rep.sink)).variants[0]!.latency_ns;

  it('fitted with a trap far below the ~12 µs of the other two boots', () => {
    expect(fit.fitted).toBe(true);
    expect(fit.derivation[0]).toMatch(/^stamps are whole microseconds/);
    expect(lat.anon_alloc!.p50_ns).toBeLessThan(5000);
  });
  spanAndDenseChecks(sanity, dense, lat);
});

// Forks on the cheap-trap boot: launcher_shim_fork forks 11 times with ~70 PTEs and once with 16 MiB of them. The
// fit is fixed + k x the base's copy work over its own forks (one ratio priced the small forks at 6.7 ms against
// ~0.95 ms measured). Four clones hold one span with no traced event longer than the rest of the fork (19.8, 36.3,
// 2.0 and, in the 16 MiB fork, 22.5 ms, each right after the first copied VMA): waits, not copy work.
describe('corpus launcher_shim_fork: forks fitted as fixed + per-PTE work', async () => {
  const file = join(repoRoot(), 'traces', 'fixtures', 'corpus', 'launcher_shim_fork', 'trace.txt.gz');
  const withZeroPage = buildVariants({})[0]!;
  const fit = await fitProfileToTrace(file, withZeroPage, loadProfile());
  const v = createLatencyValidator(withZeroPage, fit.profile);
  const forks = v.finish(await readTrace(file, v.sink)).latency!.forks!;
  it('every fork within 1.5x of its clone enter -> exit less its wait; the forks off without it are the ones that waited', () => {
    expect(fit.derivation.join('\n')).toMatch(/fork_fixed = .* least absolute deviations of the trace's 12 timed forks/);
    expect(forks.pairs.length).toBe(12);
    for (const p of forks.pairs) {
      expect(within(p.modelled_ns, p.measured_ns - p.wait_ns, 1.5), `fork ${p.child_pid}: modelled ${p.modelled_ns}, clone ${p.measured_ns} less ${p.wait_ns}`).toBe(true);
      if (!within(p.modelled_ns, p.measured_ns, 1.5)) expect(p.wait_ns).toBeGreaterThan(p.measured_ns / 2);
    }
    // the 16 MiB fork costs more than the small ones, by its copy (4124 PTEs), not by its wait
    const big = forks.pairs.reduce((a, b) => (b.modelled_ns > a.modelled_ns ? b : a));
    expect(big.modelled_ns).toBeLessThan(3e6);
    expect(big.wait_ns).toBeGreaterThan(20e6);
  });
});

// The what-if conclusion must not hang on whose machine priced it: on pattern_init from both machines, the sign of
// refpage's, pattern-populate's and memset's fault-time delta against mainline is the same under the trace-fitted
// profile and under a profile calibrated on that machine (the shipped one for workloads/, calibrated.json for _m2).
describe.each(MACHINES)('%s pattern_init: fault-time delta signs, trace-fitted vs calibrated', async (m) => {
  const file = trace(m, 'pattern_init');
  const calibrated = m === 'workloads' ? loadProfile() : loadProfile(join(repoRoot(), 'traces', 'fixtures', m, 'calibrated.json'));
  const variants = buildVariants({ patch: ['refpage', 'pattern-populate', 'memset'], baseZeroPage: false });
  const signs = async (profile: CostProfile): Promise<Record<string, number>> => {
    const rep = createReplay(variants, {}, { profile });
    const res = rep.finish(await readTrace(file, rep.sink));
    const ns = (v: string): number => res.variants.find((x) => x.name === v)!.totals.fault_latency_ns;
    return Object.fromEntries(['refpage', 'pattern-populate', 'memset'].map((v) => [v, Math.sign(ns(v) - ns('mainline'))]));
  };
  const fitted = await signs((await fitProfileToTrace(file, mainline, loadProfile())).profile);
  const cal = await signs(calibrated);
  it('same sign for each what-if, and none is zero', () => {
    expect(fitted).toEqual(cal);
    for (const s of Object.values(fitted)) expect(s).not.toBe(0);
  });
});

// The comparison above can fail: where the trap's share of a fault decides a what-if (xz_T2, recorded on the corpus
// boot with ~1 µs traps), its trace-fitted profile and the ~11 µs-trap guest's calibrated one give pattern-populate
// and memset opposite signs (+5.7% / +59.1% against -35.2% / -4.2%). On pattern_init both agree on any machine's
// profile: refpage and pattern-populate add a kernel fill per page, memset a second user fault per page.
describe('corpus xz_T2: the sign comparison tells machines apart', async () => {
  const file = join(repoRoot(), 'traces', 'fixtures', 'corpus', 'xz_T2', 'trace.txt.gz');
  const withZeroPage = buildVariants({})[0]!;
  const variants = buildVariants({ patch: ['pattern-populate', 'memset'] });
  const signs = async (profile: CostProfile): Promise<number[]> => {
    const rep = createReplay(variants, {}, { profile });
    const res = rep.finish(await readTrace(file, rep.sink));
    const ns = (v: string): number => res.variants.find((x) => x.name === v)!.totals.fault_latency_ns;
    return ['pattern-populate', 'memset'].map((v) => Math.sign(ns(v) - ns('mainline')));
  };
  const own = await signs((await fitProfileToTrace(file, withZeroPage, loadProfile())).profile);
  const other = await signs(loadProfile(join(repoRoot(), 'traces', 'fixtures', 'workloads_m2', 'calibrated.json')));
  it("this boot's profile: both above mainline; the other guest's: both below", () => {
    expect(own).toEqual([1, 1]);
    expect(other).toEqual([-1, -1]);
  });
});
