// The floors reached on the user-style corpus (traces/fixtures/corpus, issue 12): per recording, the share of rss_stat
// events compared and matched, the model against /proc checkpoints and /usr/bin/time -v; five runs of one program agree.
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { corpusFigures, type CorpusFigures } from './corpus_figures.js';

const DIR = join(import.meta.dirname, '..', 'traces', 'fixtures', 'corpus');

/** [compared %, matched % of all compared, matched % of MM_ANONPAGES], as printed by tools/corpus_figures.mjs, less 0.1. */
const FLOORS: Record<string, [number, number, number]> = {
  bpftrace_churn: [99.2, 99.8, 99.8],
  bpftrace_fork: [98.6, 99.8, 99.8],
  bpftrace_python: [98.8, 99.8, 99.8],
  cc: [99.4, 99.7, 99.8],
  ftrace_sw_fork: [96.5, 99.8, 99.8],
  git_log: [99.7, 99.5, 99.9],
  launcher_setarch_threads: [99.5, 99.8, 99.9],
  launcher_shim_fork: [97.3, 99.7, 99.9],
  launcher_shim_python: [99.0, 99.8, 99.9],
  make_j2: [99.4, 99.7, 99.8],
  node_workers_1: [99.8, 99.8, 99.8],
  node_workers_2: [99.8, 99.8, 99.8],
  node_workers_3: [99.8, 99.8, 99.9],
  node_workers_4: [99.8, 99.8, 99.9],
  node_workers_5: [99.8, 99.8, 99.8],
  node_workers_enter: [99.8, 99.7, 99.8],
  perf_a_threads: [97.2, 99.8, 99.8],
  perf_enter_churn: [99.8, 99.9, 99.9],
  perf_enter_dontneed: [99.8, 99.8, 99.9],
  perf_full_churn: [99.8, 99.9, 99.9],
  perf_full_dontneed: [99.8, 99.9, 99.9],
  perf_full_threads: [99.8, 99.9, 99.9],
  perf_min_churn: [99.8, 99.8, 99.8],
  python3: [99.8, 99.9, 99.9],
  sort: [99.7, 99.9, 99.9],
  tar_nosyscalls: [88.5, 98.9, 99.5],
  tracecmd_churn: [99.7, 99.8, 99.8],
  tracecmd_python: [99.3, 99.8, 99.9],
  tracecmd_sw_fork: [99.4, 99.8, 99.8],
  xz_T2: [99.7, 99.8, 99.9],
};

/** Recordings whose checkpoints meet the bar (RssAnon within 0.5%, VmPTE within 4 kB); the rest are known gaps (model/KERNEL_NOTES.md). */
const CHECKPOINTS_EXACT = ['bpftrace_churn', 'bpftrace_fork', 'perf_full_churn', 'perf_full_dontneed', 'perf_enter_dontneed', 'perf_full_threads', 'launcher_setarch_threads', 'launcher_shim_fork', 'ftrace_sw_fork', 'perf_a_threads', 'perf_enter_churn', 'perf_min_churn', 'tracecmd_churn', 'tracecmd_sw_fork'];
/** Real programs whose model peak RSS is within 2% of /usr/bin/time -v's maximum. */
const PEAK_WITHIN_2PCT = ['bpftrace_python', 'cc', 'git_log', 'launcher_shim_python', 'make_j2', 'node_workers_1', 'node_workers_2', 'node_workers_3', 'node_workers_4', 'node_workers_5', 'node_workers_enter', 'python3', 'sort', 'tracecmd_python', 'xz_T2'];

const have = existsSync(DIR);
const figures = new Map<string, Promise<CorpusFigures>>();
const figuresOf = (name: string): Promise<CorpusFigures> => {
  let f = figures.get(name);
  if (!f) figures.set(name, (f = corpusFigures(join(DIR, name))));
  return f;
};

describe.runIf(have)('user-style corpus floors (issue 12)', { timeout: 600_000 }, () => {
  it('every recording in the corpus has floors here (a new recording cannot go unchecked)', () => {
    const recorded = readdirSync(DIR).filter((d) => existsSync(join(DIR, d, 'meta.json'))).sort();
    expect(recorded.filter((d) => !(d in FLOORS))).toEqual([]);
    expect(Object.keys(FLOORS).filter((d) => !recorded.includes(d))).toEqual([]);
  });
  it.each(Object.entries(FLOORS))('%s: compared, matched and MM_ANONPAGES matched at or above the floors', async (name, [c, m, a]) => {
    const f = await figuresOf(name);
    // every rss_stat event is compared or in a named bucket
    expect(f.compared + f.validate.baseline + f.validate.unmapped + f.validate.guessed_vma_pieces + (f.validate.untraced_reclaim?.events ?? 0)).toBe(f.rss_stat_events);
    expect(100 * f.compared_ratio).toBeGreaterThanOrEqual(c);
    expect(100 * f.match_ratio).toBeGreaterThanOrEqual(m);
    expect(100 * f.anon_match_ratio).toBeGreaterThanOrEqual(a);
  });
  it.each(CHECKPOINTS_EXACT)('%s: RssAnon within 0.5% and VmPTE within 4 kB of /proc at every checkpoint', async (name) => {
    const f = await figuresOf(name);
    expect(f.checkpoints.length).toBeGreaterThan(0);
    for (const c of f.checkpoints) {
      expect(c.model_rss_anon_kb, `${c.label}`).not.toBeNull();
      expect(Math.abs(c.model_rss_anon_kb! - c.proc_rss_anon_kb), `${c.label} RssAnon`).toBeLessThanOrEqual(c.proc_rss_anon_kb * 0.005);
      expect(Math.abs(c.model_vm_pte_kb! - c.proc_vm_pte_kb), `${c.label} VmPTE`).toBeLessThanOrEqual(4);
    }
  });
  it.each(PEAK_WITHIN_2PCT)('%s: the model\'s peak RSS within 2% of /usr/bin/time -v', async (name) => {
    const f = await figuresOf(name);
    expect(f.time_v_maxrss_kb).toBeGreaterThan(0);
    expect(Math.abs(f.model_peak_rss_kb! - f.time_v_maxrss_kb!)).toBeLessThanOrEqual(f.time_v_maxrss_kb! * 0.02);
  });
  it('five recordings of one multi-threaded program (node, 4 workers) agree within 0.5 points', async () => {
    const runs = await Promise.all([1, 2, 3, 4, 5].map((i) => figuresOf(`node_workers_${i}`)));
    for (const k of ['match_ratio', 'anon_match_ratio', 'compared_ratio'] as const) {
      const v = runs.map((r) => 100 * r[k]);
      expect(Math.max(...v) - Math.min(...v), k).toBeLessThanOrEqual(0.5);
    }
  });
});
