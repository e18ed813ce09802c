// Turns parsed calibrate output into a cost profile: measured steps, the fork fit, derived steps marked with their
// formulas, the no-trap (GUP) side, and notes where this machine disagrees with MODEL.md §8.
import { cpus, hostname } from 'node:os';
import { PROFILE_SCHEMA, STEP_NAMES, type ProfileFile, type StepStats } from '../model/costs.js';
import { calibrateFailed } from './error.js';
import type { CalibrateOutput } from './output.js';
import { fitFork, quantile, quantileForkSamples, round, summariseRuns, type ForkFit } from './stats.js';

/** Quantile of each fork configuration's forks the fork fit uses. */
export const FORK_QUANTILE = 0.25;

/** How a profile's figures are computed from the samples (stored in `measured.statistic`). */
export const STATISTIC =
  'per-fault steps: median of each run, lowest over the runs (other users only add time); fork_fixed: the same over rounds of 4 empty forks; fork slopes: least squares over each configuration\'s p25 fork; p10/p90 over all samples';

/** MODEL.md §8's per-fault ranges measured on its reference KVM machine (ns); calibrate notes where this machine disagrees. */
export const MODEL_MD_RANGES: Readonly<Record<string, readonly [number, number]>> = {
  anon_alloc: [1800, 2000],
  anon_zero_page: [750, 900],
  wp_page_copy: [3000, 3500],
  wp_page_reuse: [900, 1300],
  thp_alloc: [350_000, 490_000],
  thp_wp_split: [10_000, 13_000],
  populate_per_page: [1350, 1700],
};

/**
 * Trapped steps with a no-trap twin driven by MADV_POPULATE_WRITE (calibrate.c timed_pair), and how many pages each
 * GUP call faulted in: a one-page call carries a whole syscall (gup_call), a 512-page call 1/512 of one.
 */
export const GUP_TWINS: Readonly<Record<string, { gup: string; pagesPerCall: number }>> = {
  anon_alloc: { gup: 'anon_alloc_gup', pagesPerCall: 512 },
  wp_page_copy: { gup: 'wp_page_copy_gup', pagesPerCall: 512 },
  wp_page_reuse: { gup: 'wp_page_reuse_gup', pagesPerCall: 512 },
  thp_alloc: { gup: 'thp_alloc_gup', pagesPerCall: 1 },
  thp_wp_split: { gup: 'thp_wp_split_gup', pagesPerCall: 1 },
};

/**
 * MODEL.md §8's trap on its reference KVM guest: its 4K zero-fill fault (1.8-2.0 us) less its MAP_POPULATE per page
 * (1.35-1.7 us, the same do_anonymous_page via GUP) is 0.3-0.45 us.
 */
export const MODEL_MD_TRAP_NS: readonly [number, number] = [300, 450];

/**
 * MODEL.md §8's ranges for the kernel side of a fault: each trapped range less §8's own trap (lo - 450, hi - 300),
 * comparable with the no-trap `<step>_kernel` figures measured here; populate_per_page is GUP in §8 too.
 */
export const MODEL_MD_KERNEL_RANGES: Readonly<Record<string, readonly [number, number]>> = {
  ...Object.fromEntries(
    Object.keys(GUP_TWINS).map((k) => [`${k}_kernel`, [MODEL_MD_RANGES[k][0] - MODEL_MD_TRAP_NS[1], MODEL_MD_RANGES[k][1] - MODEL_MD_TRAP_NS[0]] as const]),
  ),
  populate_per_page: MODEL_MD_RANGES.populate_per_page,
};

/** Why a kernel-side figure can differ from §8 on this machine, from the profile's own measurements ('' if none applies). */
function kernelDisagreementReason(step: string, st: Record<string, StepStats>): string {
  const m = (k: string): number => st[k]?.median_ns ?? NaN;
  const us = (ns: number): string => `${(ns / 1000).toFixed(1)} us`;
  if (step === 'thp_alloc_kernel' && Number.isFinite(m('page_fill_4k')))
    return `this host clears memory faster: 512 x page_fill_4k (a user memset of 4 KiB) = ${us(512 * m('page_fill_4k'))} per 2 MiB, so clear_huge_page is most of the ${us(m(step))}`;
  if (step === 'wp_page_copy_kernel' && Number.isFinite(m('tlb_flush')))
    return `ptep_clear_flush's TLB flush is a hypercall in this PVM guest (tlb_flush = ${us(m('tlb_flush'))} with the other vCPU running)`;
  if (step === 'thp_wp_split_kernel' && Number.isFinite(m('table_alloc')))
    return `the split turns the deposited table into a live PTE table and flushes the PMD (pmdp_invalidate), both work for the PVM host here (table_alloc = ${us(m('table_alloc'))}, tlb_flush = ${us(m('tlb_flush'))})`;
  if ((step === 'anon_alloc_kernel' || step === 'populate_per_page') && Number.isFinite(m('page_fill_4k')) && m(step) < MODEL_MD_KERNEL_RANGES[step][0] * 0.5)
    return `a 4 KiB clear costs about page_fill_4k = ${us(m('page_fill_4k'))} here, where §8's own THP row implies ${(MODEL_MD_RANGES.thp_alloc[0] / 512 / 1000).toFixed(1)}-${us(MODEL_MD_RANGES.thp_alloc[1] / 512)} per 4 KiB on its machine`;
  if (step === 'populate_per_page') return 'the figure includes a PTE table allocation per 2 MiB and the GUP walk';
  return '';
}

/** One note per kernel-side (no-trap) figure: whether it lies within MODEL.md §8's range +-50%, and why not. */
export function modelMdKernelComparison(steps: Record<string, StepStats>): string[] {
  const notes: string[] = [];
  for (const [k, [lo, hi]] of Object.entries(MODEL_MD_KERNEL_RANGES)) {
    const s = steps[k];
    if (!s) continue;
    const ok = s.median_ns >= lo * 0.5 && s.median_ns <= hi * 1.5;
    const why = ok ? '' : kernelDisagreementReason(k, steps);
    notes.push(`MODEL.md §8 kernel side (no trap): ${k} median ${s.median_ns} ns ${ok ? 'agrees with' : 'is outside'} ${lo}-${hi} ns +-50%${why ? `: ${why}` : ''}`);
  }
  return notes;
}

/** One note per measured step whose median falls outside MODEL.md §8's range widened by +-50%. */
export function modelMdDisagreements(steps: Record<string, StepStats>): string[] {
  const notes: string[] = [];
  for (const [k, [lo, hi]] of Object.entries(MODEL_MD_RANGES)) {
    const s = steps[k];
    if (!s || s.derived) continue;
    if (s.median_ns < lo * 0.5 || s.median_ns > hi * 1.5)
      notes.push(`disagrees with MODEL.md §8: ${k} median ${s.median_ns} ns is outside ${lo}-${hi} ns +-50% (the kernel wins: measured here)`);
  }
  return notes;
}

/** Published ratio used to price a shared table: COW PTE RFC v2 cover letter, fork -93% vs mainline at 512 MB (MODEL.md §7). */
export const COW_PTE_SHARED_RATIO = 0.07;

/**
 * David Hildenbrand, "mm/memory: optimize fork() with PTE-mapped THP" (v1 cover letter, Dec 2023; merged 6.9):
 * fork() of 1 GiB of PTE-mapped folios on a Xeon 4210R, ms by folio size (>= 512K all read 9.8).
 */
export const FORK_BATCH_TABLE: readonly { folioKb: number; ms: number }[] = [
  { folioKb: 4, ms: 14.3 },
  { folioKb: 16, ms: 12.0 },
  { folioKb: 64, ms: 10.4 },
  { folioKb: 512, ms: 9.8 },
];

/**
 * The table as ratios to its 4K per-PTE cost: ns/PTE = perPte + perBatch * (batches per PTE), least squares over the
 * large-folio rows (1 GiB = 262144 PTEs); 4K folios take the unbatched path (fork_per_pte).
 */
export function forkBatchRatios(): { perPte: number; perBatch: number } {
  const ptes = 262144;
  const c4 = (FORK_BATCH_TABLE[0]!.ms * 1e6) / ptes;
  const rows = FORK_BATCH_TABLE.slice(1).map((r) => ({ x: 4 / r.folioKb, y: (r.ms * 1e6) / ptes }));
  const mx = rows.reduce((a, r) => a + r.x, 0) / rows.length, my = rows.reduce((a, r) => a + r.y, 0) / rows.length;
  const b = rows.reduce((a, r) => a + (r.x - mx) * (r.y - my), 0) / rows.reduce((a, r) => a + (r.x - mx) ** 2, 0);
  return { perPte: (my - b * mx) / c4, perBatch: b / c4 };
}

export interface BuildOptions {
  name: string;
  command: string;
  date: string;
  conditions?: string;
}

type Stats = Record<string, StepStats>;

function derived(formula: string, f: (s: (k: string) => number) => number, stats: Stats): StepStats {
  const pick = (field: 'median_ns' | 'p10_ns' | 'p90_ns') => (k: string) => stats[k]?.[field] ?? NaN;
  const vals = [f(pick('p10_ns')), f(pick('median_ns')), f(pick('p90_ns'))].map((v) => Math.max(0, round(v)));
  const [lo, hi] = [Math.min(...vals), Math.max(...vals)];
  return { median_ns: vals[1], p10_ns: lo, p90_ns: hi, samples: 0, derived: formula };
}

/** Turn parsed calibrate output into a profile file: measured steps, fork fit, derived steps (marked with formulas). */
export function buildProfile(out: CalibrateOutput, opts: BuildOptions): ProfileFile {
  const st: Stats = {};
  for (const [k, v] of out.samples) st[k] = summariseRuns(v, out.sampleRuns.get(k));
  const notes: string[] = [];
  const need = (k: string): void => {
    if (!st[k]) throw calibrateFailed(`calibrate output has no samples for "${k}"`);
  };
  for (const k of ['anon_alloc', 'wp_page_copy', 'wp_page_reuse', 'thp_alloc', 'thp_wp_split', 'thp_reuse', 'file_read_1', 'file_read_16', 'file_cow', 'populate_per_page', 'anon_alloc_newtable', 'page_fill_4k', 'page_copy_4k', 'segv'])
    need(k);
  const steps: Stats = {};
  for (const k of ['anon_alloc', 'wp_page_copy', 'wp_page_reuse', 'thp_alloc', 'thp_wp_split', 'thp_reuse', 'file_cow', 'populate_per_page', 'page_fill_4k', 'page_copy_4k', 'segv'])
    steps[k] = st[k];
  steps.file_read = { ...st.file_read_1 };
  // pages a fault-around read mapped (RssFile / faults); 16 = fault_around_bytes 64 KiB (mm/memory.c: do_fault_around)
  const fa = Math.max(2, Number(out.info.file_read_pages_per_fault ?? 16) || 16);
  steps.file_read_per_page = derived(`max(0, (file_read_16 - file_read_1) / (${fa} - 1)): the two differ only in the ${fa} pages fault-around mapped per fault`, (s) => (s('file_read_16') - s('file_read_1')) / (fa - 1), st);
  // table_alloc: a first write in a fresh 2 MiB block minus an ordinary zero-fill write
  const ta = st.anon_alloc_newtable.median_ns - st.anon_alloc.median_ns;
  steps.table_alloc = {
    median_ns: Math.max(0, round(ta)),
    p10_ns: Math.max(0, round(st.anon_alloc_newtable.p10_ns - st.anon_alloc.median_ns)),
    p90_ns: Math.max(0, round(st.anon_alloc_newtable.p90_ns - st.anon_alloc.median_ns)),
    samples: st.anon_alloc_newtable.samples,
    derived: 'anon_alloc_newtable - anon_alloc (measured: first write in each fresh 2 MiB block allocates a PTE table)',
  };
  if (st.anon_zero_page) steps.anon_zero_page = st.anon_zero_page;
  else {
    steps.anon_zero_page = derived('anon_read_alloc - page_fill_4k: this kernel maps no zero page, so the read fault is priced without its allocation and clear', (s) => s('anon_read_alloc') - s('page_fill_4k'), st);
    notes.push(`read faults allocate here (no zero page; anon_read_alloc median ${st.anon_read_alloc?.median_ns} ns): replay this machine's traces with useZeroPage=false`);
  }
  steps.wp_page_copy_zero = st.wp_page_copy_zero ?? derived('wp_page_copy - page_copy_4k + page_fill_4k: a zeroed allocation instead of a copy', (s) => s('wp_page_copy') - s('page_copy_4k') + s('page_fill_4k'), st);
  const st2: Stats = { ...st, ...steps };
  steps.thp_zero = st.thp_zero ?? derived('anon_zero_page + table_alloc: set_huge_zero_folio is a trap, a deposited table and a PMD (no huge zero page on this kernel)', (s) => s('anon_zero_page') + s('table_alloc'), st2);
  steps.thp_zero_wp = st.thp_zero_wp ?? derived('thp_alloc: 6.13+ do_huge_zero_wp_pmd allocates and clears a fresh THP (no huge zero page on this kernel)', (s) => s('thp_alloc'), st2);
  if (!st.thp_zero) notes.push(`THP read faults allocate a THP here (thp_read_alloc median ${st.thp_read_alloc?.median_ns} ns)`);
  steps.spurious = derived('wp_page_reuse: a trap plus a walk that changes only PTE bits; reuse is the cheapest measured such fault (upper bound)', (s) => s('wp_page_reuse'), st2);
  for (const c of out.checks)
    if (c.got < c.want) notes.push(`THP check ${c.name}: ${c.got} of ${c.want} 2 MiB faults got a THP (fragmentation?): THP figures are low-confidence`);

  // fork: fixed = the empty forks' lowest per-round median (as the per-fault steps' least disturbed run); the slopes
  // from each configuration's p25 (its 2nd-3rd fastest of 8: THP forks have a rare fast mode a minimum would pick)
  const empties = out.forks.filter((s) => s.kind === 'empty');
  const fixedNs = empties.length > 0 ? summariseRuns(empties.map((s) => s.ns), empties.map((s) => s.run)).median_ns : undefined;
  const headline = fitFork(quantileForkSamples(out.forks.filter((s) => s.kind !== 'empty'), FORK_QUANTILE), fixedNs);
  if (!headline) throw calibrateFailed('calibrate: fork samples do not determine fixed/per-PTE/per-table/per-PMD costs');
  const runs = [...new Set(out.forks.map((s) => s.run))];
  const perRun = runs.map((r) => fitFork(out.forks.filter((s) => s.run === r))).filter((f): f is ForkFit => f !== null);
  const forkStat = (key: keyof ForkFit): StepStats => {
    const vals = perRun.map((f) => f[key]).sort((a, b) => a - b);
    const med = Math.max(0, round(headline[key]));
    return {
      median_ns: med,
      p10_ns: Math.min(med, Math.max(0, round(quantile(vals, 0.1)))),
      p90_ns: Math.max(med, round(quantile(vals, 0.9))),
      samples: out.forks.length,
      derived: `fork() CPU time: fixed = the lowest per-round median of the empty forks; the rest by least squares over each 4K dense, 4K sparse (1 PTE per table) and THP region's p${FORK_QUANTILE * 100} fork: ns - fixed = per_pte*ptes + per_table*tables + per_pmd*pmds`,
    };
  };
  steps.fork_fixed = forkStat('fixed');
  steps.fork_per_pte = forkStat('perPte');
  steps.fork_per_table = forkStat('perTable');
  steps.fork_per_pmd = forkStat('perPmd');
  const st3: Stats = { ...st, ...steps };
  steps.fork_per_shared_table = derived(`${COW_PTE_SHARED_RATIO} * (fork_per_table + 512 * fork_per_pte): COW PTE RFC v2 fork was -93% vs mainline at 512 MB (MODEL.md §7), so a shared table costs 7% of a copied full one`, (s) => COW_PTE_SHARED_RATIO * (s('fork_per_table') + 512 * s('fork_per_pte')), st3);
  const fb = forkBatchRatios();
  const fbWhy = `least squares over David Hildenbrand's fork table (1 GiB of PTE-mapped folios, Xeon 4210R: 4K 14.3 ms, 16K 12.0, 64K 10.4, >=512K 9.8; 6.9 "optimize fork() with PTE-mapped THP")`;
  steps.fork_per_pte_batched = derived(`${fb.perPte.toFixed(3)} * fork_per_pte: per PTE of a copied large-folio batch, ${fbWhy}`, (s) => fb.perPte * s('fork_per_pte'), st3);
  steps.fork_per_folio_batch = derived(`${fb.perBatch.toFixed(3)} * fork_per_pte: per large-folio batch, ${fbWhy}`, (s) => fb.perBatch * s('fork_per_pte'), st3);
  steps.cow_pte_table_copy = derived('512 * fork_per_pte: break_cow_pte copies a full table the way copy_pte_range does at fork (allocation priced by table_alloc)', (s) => 512 * s('fork_per_pte'), st3);

  notes.push(...modelMdDisagreements(steps));
  const ordered: Stats = {};
  for (const k of STEP_NAMES) ordered[k] = steps[k];
  const extra: Stats = {};
  for (const k of ['anon_read_alloc', 'thp_read_alloc', 'anon_alloc_newtable', 'file_read_1', 'file_read_16']) if (st[k]) extra[k] = st[k];
  Object.assign(extra, gupSteps({ ...st, ...steps }, notes)); // with the derived steps: the notes quote table_alloc
  Object.assign(ordered, extra);
  const spinners = Number(out.info.peer_spinners ?? 0);
  if (out.info.peer_spinners !== undefined)
    notes.push(
      spinners > 0
        ? `measured pinned to CPU ${out.info.cpu} with a SCHED_IDLE spinner on each of the other ${spinners} CPU(s): TLB-flushing faults (wp_page_copy, thp_wp_split, table allocation, fork) are priced with the other vCPUs running, as while a trace is recorded; with them halted a flush costs ~5x less here (calibrate --idle-peers)`
        : `measured pinned to CPU ${out.info.cpu} without peer spinners (--idle-peers): TLB-flushing faults cost what other users' load on the other vCPUs made them cost during the run`,
    );
  const cpu = cpus()[0]?.model ?? 'unknown';
  return {
    schema: PROFILE_SCHEMA,
    name: opts.name,
    arch: out.info.machine ?? process.arch,
    source: `faultline calibrate on ${hostname()} (${cpu}, ${cpus().length} CPUs), Linux ${out.info.kernel ?? '?'}, ${opts.date}: \`${opts.command}\``,
    measured: {
      kernel: out.info.kernel ?? '',
      machine: out.info.machine ?? '',
      cpu,
      cpus: cpus().length,
      date: opts.date,
      command: opts.command,
      runs: Number(out.info.runs ?? 0),
      quick: out.info.quick === '1',
      zero_page: out.info.zero_page === '1',
      huge_zero_page: out.info.huge_zero_page === '1',
      ...(out.info.cpu !== undefined ? { pinned_cpu: Number(out.info.cpu) } : {}),
      ...(out.info.peer_spinners !== undefined ? { peer_spinners: Number(out.info.peer_spinners) } : {}),
      statistic: STATISTIC,
      conditions: opts.conditions ?? '',
    },
    notes,
    steps: ordered,
  };
}

/**
 * The no-trap side: each trapped step's GUP twin as measured (`<step>_gup`), its kernel work (`<step>_kernel`: the
 * twin minus its share of a GUP call's syscall and walk), and what the user-visible fault adds on top (`<step>_trap`:
 * trapped - kernel: the trap, and in a shadow-paging guest the host's mapping of the page on the retried access).
 * Adds the notes comparing the kernel figures with MODEL.md §8. Empty when the output has no GUP twins (older runs).
 */
export function gupSteps(st: Record<string, StepStats>, notes: string[]): Record<string, StepStats> {
  const out: Record<string, StepStats> = {};
  const call = st.gup_call;
  if (!call) return out;
  out.gup_call = call;
  for (const k of ['tlb_flush', 'gup_first_touch']) if (st[k]) out[k] = st[k];
  for (const [step, { gup, pagesPerCall }] of Object.entries(GUP_TWINS)) {
    if (!st[gup] || !st[step]) continue;
    out[gup] = st[gup];
    const kernel = derived(
      `${gup} - gup_call / ${pagesPerCall}: the fault path driven by MADV_POPULATE_WRITE (mm/gup.c: faultin_page -> handle_mm_fault), no trap, less the call's own syscall and walk`,
      (s) => s(gup) - s('gup_call') / pagesPerCall,
      st,
    );
    kernel.samples = st[gup].samples;
    out[`${step}_kernel`] = kernel;
    const withKernel: Stats = { ...st, [`${step}_kernel`]: kernel };
    out[`${step}_trap`] = derived(
      `${step} - ${step}_kernel: what the user-visible fault adds to the kernel's work (the trap and return, and the hypervisor mapping the page for the retried access)`,
      (s) => s(step) - s(`${step}_kernel`),
      withKernel,
    );
  }
  const traps = Object.keys(GUP_TWINS).filter((k) => out[`${k}_trap`]).map((k) => `${k} ${out[`${k}_trap`].median_ns}`);
  if (traps.length > 0) notes.push(`trap + return per fault (trapped - kernel, ns): ${traps.join(', ')}; the replay prices the trapped figures, as trace faults are user faults`);
  notes.push(...modelMdKernelComparison({ ...st, ...out }));
  return out;
}
