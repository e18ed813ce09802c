// The kernel's deferred split of underused THPs (6.12+) followed from the rss_stat decreases it leaves: no traced event
// announces the shrinker (any reclaim: mm/vmscan.c shrink_slab -> mm/huge_memory.c deferred_split_scan), but each
// zero-filled subpage it remaps is one dec_mm_counter (mm/migrate.c: try_to_map_unused_to_zeropage), so a run of -1
// MM_ANONPAGES events with nothing in flight, on an mm holding whole THPs, is where the model splits them.
// ASSUMPTIONS (the trace holds no page contents and no folio addresses):
//   - which THPs: the mm's own whole exclusive THPs in the order 6.12's deferred_split_scan takes them (queued at fault,
//     list_add_tail in deferred_split_folio; up to nr_to_scan = SHRINK_BATCH 128 list_move'd onto a local list, so the
//     newest of each batch first); other mms' THPs on the same memcg queue are not known;
//   - how many subpages each: a folio's remaps come as one burst (remove_migration_ptes under its PTE lock); between
//     bursts the kernel scans and splits the next folio, so the run is cut at its longest pauses: the fewest cuts that
//     leave no burst above 512 (a folio's subpages), every pause at least as long as the shortest cut being a cut too.
//     A run of several folios whose zero-filled subpages total at most 512 reads as one folio;
//   - which subpages: the lowest (512 - burst) keep their data (a writer from the start of each 2 MiB, as the
//     recording thp_shrinker's workload); the rest map the zero page.
import { MM_ANONPAGES } from '../traces/events.js';
import type { EngineState } from './engine_state.js';
import * as F from './flags.js';
import { splitUnderusedThp } from './huge_memory.js';
import { addMmCounter } from './rss.js';
import type { BufferedRss } from './rss_stat.js';
import { PMD_THP, type Mm, type PmdSlot } from './state.js';

/** mm/shrinker.c: SHRINK_BATCH, the deferred split shrinker's nr_to_scan per call (it sets no batch of its own). */
const SHRINK_BATCH = 128;

interface Run {
  mm: Mm;
  /** Event times of the run's remaps, in order. */
  times: number[];
  /** Subpages the mm's whole THPs can give (512 each). */
  capacity: number;
}

interface SplitState {
  runs: Map<Mm, Run>;
  /** The engine's test that nothing traced is in flight for mm at an rss_stat event (model/engine.ts: quiet). */
  quiet: (line: number, tid: number, mm: Mm) => boolean;
  /** THPs split so far. */
  splits: number;
}
const states = new WeakMap<EngineState, SplitState>();
let pending = 0; // runs open in any engine of this thread: the per-event check costs nothing while there are none

/** The engine's quiet test, given once when it starts. */
export function followDeferredSplit(st: EngineState, quiet: SplitState['quiet']): void {
  states.set(st, { runs: new Map(), quiet, splits: 0 });
}

/** THPs the model split to follow the kernel's deferred split. */
export function deferredSplits(st: EngineState): number {
  return states.get(st)?.splits ?? 0;
}

/** mm's THPs deferred_split_scan could split here: whole, PMD-mapped by this mm only, not mlocked (VM_LOCKED: try_to_map_unused_to_zeropage refuses). */
function candidates(st: EngineState, mm: Mm): PmdSlot[] {
  const out: PmdSlot[] = [];
  for (const [b, slot] of mm.pmds) {
    if (slot.kind !== PMD_THP || st.ctx.pages.refcount[slot.folio] !== 1) continue;
    const vma = mm.vmas.find((v) => v.start <= b * F.PMD_SIZE && v.end > b * F.PMD_SIZE);
    if (vma && vma.flags & F.VM_LOCKED) continue;
    out.push(slot);
  }
  return out;
}

/**
 * The rss_stat event b (kernel's previous value of its counter: prev bytes) is one subpage the kernel's deferred split
 * remapped to the zero page: it fell by one page from a value the model agreed with, and nothing traced is in flight.
 * Then the model counts it at once (its THPs are split when the run ends) and true is returned; otherwise any run of
 * mm's is over.
 */
export function remapSeen(st: EngineState, b: BufferedRss, mm: Mm, prev: number | undefined): boolean {
  const one = b.member === MM_ANONPAGES && !b.throttled && prev !== undefined && b.size === prev - F.PAGE_SIZE;
  if (!one && pending === 0) return false; // (most events: nothing more to look up)
  const s = states.get(st);
  if (!s) return false;
  const { ctx } = st;
  const run = s.runs.get(mm);
  const fits =
    one && ctx.rules.rssStatExact && ctx.geo === ctx.traceGeo && mm.rss[MM_ANONPAGES]! * F.PAGE_SIZE === prev &&
    !mm.dead && (mm.users <= 1 || !b.curr) && s.quiet(b.line, b.tid, mm);
  if (!fits) {
    if (run) endRun(st, s, run);
    return false;
  }
  let r = run;
  if (!r) {
    const capacity = candidates(st, mm).length * F.PTRS;
    if (capacity === 0) return false;
    s.runs.set(mm, (r = { mm, times: [], capacity }));
    pending++;
  }
  if (r.times.length >= r.capacity) {
    endRun(st, s, r);
    return false;
  }
  r.times.push(b.time);
  addMmCounter(ctx, mm, MM_ANONPAGES, -1); // try_to_map_unused_to_zeropage: dec_mm_counter
  return true;
}

/** An event of task tid other than rss_stat (a fault, call, fork, exit: its mm's run is over), or the trace's end (tid null: every run). */
export function endDeferredSplitRuns(st: EngineState, tid: number | null): void {
  if (pending === 0) return;
  const s = states.get(st);
  if (!s || s.runs.size === 0) return;
  const mm = tid === null ? null : st.tasks.get(tid)?.mm;
  for (const r of [...s.runs.values()]) if (tid === null || r.mm === mm) endRun(st, s, r);
}

/** Split the THPs the run's bursts stand for, in deferred_split_scan's order, each with its burst's subpages remapped. */
function endRun(st: EngineState, s: SplitState, r: Run): void {
  s.runs.delete(r.mm);
  pending--;
  if (r.mm.dead) return;
  const order = scanOrder(candidates(st, r.mm));
  const lens = bursts(r.times, F.PTRS);
  for (let k = 0; k < lens.length && k < order.length; k++) {
    const keep = F.PTRS - lens[k]!;
    // (the counter already fell with each event: the split only moves the subpages)
    splitUnderusedThp(st.ctx, r.mm, order[k]!, (i) => i >= keep);
    s.splits++;
  }
}

/** mm/huge_memory.c (6.12): deferred_split_scan: the queue's oldest SHRINK_BATCH folios list_move'd (so reversed), batch by batch. */
export function scanOrder<T>(queued: readonly T[]): T[] {
  const out: T[] = [];
  for (let i = 0; i < queued.length; i += SHRINK_BATCH) out.push(...queued.slice(i, i + SHRINK_BATCH).reverse());
  return out;
}

/**
 * Burst lengths of a run of remap events at `times`: cut at every pause of at least g, for the longest g that leaves
 * no burst above max (one folio's subpages). A run of at most max events is one burst.
 */
export function bursts(times: readonly number[], max: number): number[] {
  const n = times.length;
  if (n <= max) return n ? [n] : [];
  const gaps: number[] = [];
  for (let i = 1; i < n; i++) gaps.push(times[i]! - times[i - 1]!);
  const cuts = (g: number): number[] => {
    const out: number[] = [];
    let len = 1;
    for (let i = 0; i < gaps.length; i++) {
      if (gaps[i]! >= g) (out.push(len), (len = 1));
      else len++;
    }
    out.push(len);
    return out;
  };
  const fitsMax = (g: number): boolean => cuts(g).every((l) => l <= max);
  const desc = [...new Set(gaps)].sort((a, b) => b - a);
  // fitsMax is monotone: a shorter g cuts more; the shortest gap cuts everything (bursts of 1)
  let lo = 0, hi = desc.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (fitsMax(desc[mid]!)) hi = mid;
    else lo = mid + 1;
  }
  return cuts(desc[lo]!);
}
