// Shared by fidelity.test.ts (ftrace) and fidelity_perf.test.ts (perf). Fidelity against real recordings: the model's RssAnon / VmPTE at each workload checkpoint vs the workload's own
// /proc figures (traces/fixtures/workloads/*/truth.*.json), and `validate` against the kernel's rss_stat stream.
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { readTrace } from '../traces/read.js';
import type { Truth } from '../record/fixtures.js';
import { createReplay, defaultVariant } from './replay.js';
import { createValidator } from './validate.js';
import { rssTimeline } from './corpus_figures.js';
import type { FaultRecord, VariantSpec } from './types.js';
import { mthpFromSysfs } from './thpsize.js';
import { describeThp, thpOverrideContradictions } from './machine.js';

const DIR = join(import.meta.dirname, '..', 'traces', 'fixtures', 'workloads');


const SET = ['write_touch', 'read_then_write', 'fork_child_half', 'fork_child_all', 'fork_thp', 'fork_1g', 'sparse_1g', 'thp_read_first', 'thp_write_first', 'dontneed_munmap', 'populate', 'file_private', 'pattern_init', 'threads', 'pt_reclaim', 'guard_regions', 'mthp_64k', 'mthp_4k', 'zygote', 'zygote_libs', 'thp_shrinker_4k', 'thp_shrinker'];
// thp_shrinker: its reclaim's 16128 remaps have no traced cause (untraced reclaim, not compared); the model splits the
// THPs they show (model/thp_deferred_split.ts), so the munmap's per-table pieces and the checkpoints after it compare
// fork children: the model copies the tables of VMAs it had to infer (exec-loaded, never mmapped in the trace)
// more eagerly than the kernel (see model/KERNEL_NOTES.md); their VmPTE is checked with that allowance
const CHILD_PTE_SLACK_KB = 4;
function spec(t: Truth) {
  // the recording's own per-size THP settings (hugepages-<size>kB/enabled in its truth file)
  // and the top-level enabled (always for thp_shrinker; madvise, the default, for the rest)
  const enabled = /\[(always|madvise|never)\]/.exec(t.thp.enabled ?? '')?.[1] as VariantSpec['thp'] | undefined;
  return defaultVariant({ useZeroPage: !t.kernel_cmdline_mm.includes('pvm_no_zero_page=1'), mthp: mthpFromSysfs(t.thp), ...(enabled ? { thp: enabled } : {}) });
}

/** One describe per fixture recorded with this backend (one backend per test file keeps each file fast). */
export function fidelitySuite(BACKEND: 'perf' | 'ftrace'): void {
const fixtures = existsSync(DIR) ? readdirSync(DIR).filter((d) => SET.includes(d) && existsSync(join(DIR, d, `truth.${BACKEND}.json`))) : [];
describe.each(fixtures.map((f) => [f, BACKEND] as const))('%s (%s)', (fixture, backend) => {
  const truth = JSON.parse(readFileSync(join(DIR, fixture, `truth.${backend}.json`), 'utf8')) as Truth;
  const trace = join(DIR, fixture, `${backend}.txt.gz`);

  it('validate matches rss_stat; RssAnon and VmPTE at every checkpoint match /proc', async () => {
    const { tl, probe } = rssTimeline();
    // minor faults: one per trap, plus one per page GUP faulted in (MAP_POPULATE, mlock, MADV_POPULATE_*)
    const faults: number[] = [];
    const onFault = (r: FaultRecord): void => {
      // a fault that ends in SIGSEGV is not counted (mm/memory.c: mm_account_fault returns on VM_FAULT_ERROR; bad_area
      // never reaches it): a guard-region marker's fault, for one
      faults.push(r.time, r.pid, r.path === 'populate' ? r.pagesAllocated : r.path === 'segv' ? 0 : 1);
    };
    const rp = createReplay([spec(truth)], { rss: probe, fault: onFault });
    const v = createValidator(spec(truth));
    const read = await readTrace(trace, (e) => {
      rp.sink(e);
      v.sink(e);
    });
    const forks = rp.finish(read).variants[0]!.totals.forks;
    const r = v.finish(read);
    // validate: every rss_stat event is compared, a baseline, unmapped, or a teardown piece boundary inside a run of
    // inferred VMAs (not compared: a handful per fork and exit)
    // (or untraced reclaim: the THP shrinker's remaps in thp_shrinker, each followed by the model)
    expect(r.compared + r.baseline + r.unmapped + r.guessed_vma_pieces + (r.untraced_reclaim?.events ?? 0)).toBe(r.rss_stat_events);
    // up to 18, or about 5 per forked child (zygote's 8 children give 40: their fork's and exit's inferred runs);
    // mthp_4k's ftrace has 18: its parent's and child's stack page, written before the trace showed the stack
    // (fault_entry.ts mapUnseenAnon), is a page of an inferred VMA, so each teardown has a boundary inside it
    expect(r.guessed_vma_pieces).toBeLessThanOrEqual(Math.max(18, 6 * forks));
    expect(r.compared).toBeGreaterThan(100);
    // the recording's own THP setting (given from its truth file) agrees with what the trace's faults show (machine.ts)
    expect(thpOverrideContradictions(r.machine), describeThp(r.machine)).toBe(0);
    // the bar: every MM_ANONPAGES event matches, and at least 99.9% of all compared events (all do today)
    // need_resched splits of a zap/copy piece count as matches (the rest of the piece must still land): few per trace
    const anon = r.by_member.MM_ANONPAGES!;
    const first = JSON.stringify(r.first_mismatches.slice(0, 3));
    expect(anon.matched, `ANON mismatches: ${first}`).toBe(anon.compared);
    expect(r.match_ratio, first).toBeGreaterThanOrEqual(0.999);
    expect(r.resched_splits).toBeLessThanOrEqual(Math.ceil(r.compared * 0.001));
    const leader = truth.checkpoints[0]!.pid;
    // getrusage minflt between consecutive checkpoints of one process = the model's faults in that interval
    const cps = truth.checkpoints;
    for (let i = 1; i < cps.length; i++) {
      const a = cps[i - 1]!, c = cps[i]!;
      // ftrace stamps are microseconds and its first phase straddles the workload's own start-up faults: perf only
      if (a.pid !== c.pid || backend !== 'perf' || c.label === 'mapped') continue;
      let n = 0;
      for (let k = 0; k < faults.length; k += 3) if (faults[k + 1] === c.pid && faults[k]! > a.t_mono_ns && faults[k]! <= c.t_mono_ns) n += faults[k + 2]!;
      // +-2: the workload's own checkpoint printing may fault a page on either side of the timestamp
      expect(Math.abs(n - (c.minflt - a.minflt)), `${c.label}: model ${n} faults vs getrusage ${c.minflt - a.minflt}`).toBeLessThanOrEqual(2);
    }
    for (const c of truth.checkpoints) {
      if (c.label === 'start' || c.label === 'end') continue; // before/after the workload's mm activity
      const s = tl.get(c.pid);
      expect(s, `${c.label}: no model figures for pid ${c.pid}`).toBeDefined();
      let i = s!.t.length - 1;
      while (i >= 0 && s!.t[i]! > c.t_mono_ns) i--;
      const anonKb = i >= 0 ? s!.anon[i]! * 4 : 0;
      const ptKb = i >= 0 ? s!.pt[i]! / 1024 : 0;
      // the bar: within 0.5% of /proc at every checkpoint (no absolute slack)
      expect(Math.abs(anonKb - c.rss_anon_kb), `${c.label} RssAnon model ${anonKb} vs /proc ${c.rss_anon_kb}`).toBeLessThanOrEqual(c.rss_anon_kb * 0.005);
      const slack = c.pid === leader ? 4 : CHILD_PTE_SLACK_KB;
      expect(Math.abs(ptKb - c.vm_pte_kb), `${c.label} VmPTE model ${ptKb} vs /proc ${c.vm_pte_kb}`).toBeLessThanOrEqual(slack);
    }
  });
});
}
