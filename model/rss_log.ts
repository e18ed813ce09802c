// Validation's bookkeeping beside each model mm (not in it): every counter update since the kernel's last event, the
// PTE walk that made it, teardown pages the trace never showed, and piece boundaries the model could only guess.
import * as F from './flags.js';
import type { Mm, ModelCtx, Vma } from './state.js';

/** What model/validate.ts compares a kernel rss_stat event against, per member (MM_FILEPAGES..MM_SHMEMPAGES). */
export interface MmLog {
  /** Per member, counter values after each update since the last kernel event agreed (pages), bounded. */
  log: number[][];
  /** Per log entry, the PTE walk that made the update (RSS_WALK_*): walks that may break on need_resched. */
  walk: number[][];
  /** Pages the kernel counted before the trace showed them, as they were when the mm was torn down (unknowable). */
  phantomAtExit: Float64Array;
  /** Of MM_ANONPAGES at exit, the exec's argument pages the model placed at the stack's top (mm.ts: exitMmap). */
  argPagesAtExit: number;
  /**
   * Per member, [before, after] counter values around each run of inferred VMAs in a fork copy or teardown: the kernel
   * flushes rss once per (VMA x table) piece, and how an inferred run splits into VMAs is not in the trace.
   */
  guessedSpans: number[][][];
  /**
   * A fork child's: per member, the kernel's values after each piece of its copy (kernel/fork.c: dup_mmap ->
   * mm/memory.c: copy_pte_range, add_mm_rss_vec per VMA x table), in order; the teardown mirrors them (validate_lockstep.ts).
   */
  copied: number[][];
  /** The model's counters when the copy's events had all come, and when exit_mmap began (NaN: not yet). */
  rssAtCopy: Float64Array;
  rssAtTeardown: Float64Array;
  /** The kernel's last value per member (validation's, NaN before the first event). */
  kernelLast: Float64Array;
  /** Per member, the next copy piece the teardown must undo (-1: not decided yet, -2: no mirror). */
  mirrorAt: number[];
}

/** Logs of one validated variant, by mm (absent from a replay-only variant: ModelCtx.rssLogs is null). */
export type RssLogs = WeakMap<Mm, MmLog>;

/** The mm's log, created as it starts: every counter at 0. */
export function logOf(logs: RssLogs, mm: Mm): MmLog {
  let l = logs.get(mm);
  if (!l) {
    l = {
      log: [[0], [0], [0], [0]], walk: [[0], [0], [0], [0]], phantomAtExit: new Float64Array(4), argPagesAtExit: 0, guessedSpans: [[], [], [], []],
      copied: [[], [], [], []], rssAtCopy: new Float64Array(4).fill(NaN), rssAtTeardown: new Float64Array(4).fill(NaN),
      kernelLast: new Float64Array(4).fill(NaN), mirrorAt: [-1, -1, -1, -1],
    };
    logs.set(mm, l);
  }
  return l;
}

/** Append the mm's counters that changed since its last entry, tagged with the walk making the update (ctx.rssWalk). */
export function logUpdate(ctx: ModelCtx, mm: Mm): void {
  if (!ctx.rssLogs) return;
  const { log, walk } = logOf(ctx.rssLogs, mm);
  for (let m = 0; m < 4; m++) {
    const l = log[m]!, w = walk[m]!;
    if (l.length === 0 || l[l.length - 1] !== mm.rss[m]) {
      if (l.length > 1 << 22) (l.splice(0, l.length >> 1), w.splice(0, w.length >> 1)); // bounded: validation consumes it as events arrive
      l.push(mm.rss[m]!);
      w.push(ctx.rssWalk);
    }
  }
}

/** mm/mmap.c: exit_mmap begins: pages counted before the trace showed them leave in teardown events nobody can place. */
export function noteTeardown(ctx: ModelCtx, mm: Mm, argPages: number): void {
  if (!ctx.rssLogs) return;
  const l = logOf(ctx.rssLogs, mm);
  l.phantomAtExit.set(mm.phantom);
  l.argPagesAtExit = argPages;
  l.rssAtTeardown.set(mm.rss);
}

/** One kernel piece of a fork's copy into the child mm (a curr=0 event given to the child at task_newtask). */
export function noteCopyPiece(ctx: ModelCtx, mm: Mm, member: number, pages: number): void {
  if (ctx.rssLogs && member < 4) logOf(ctx.rssLogs, mm).copied[member]!.push(pages);
}

/** The fork's copy events have all come: the child's counters as the model has them now. */
export function noteCopyEnd(ctx: ModelCtx, mm: Mm): void {
  if (ctx.rssLogs) logOf(ctx.rssLogs, mm).rssAtCopy.set(mm.rss);
}

/** A baseline first learnt from the mm's own teardown events: all of it unknowable. */
export function notePhantomAtExit(ctx: ModelCtx, mm: Mm, member: number, pages: number): void {
  if (ctx.rssLogs) logOf(ctx.rssLogs, mm).phantomAtExit[member]! += pages;
}

/**
 * fn over each VMA in order; around each run of inferred VMAs, counted's counters before and after the run go to its
 * log's guessedSpans (the kernel flushes rss per VMA piece, and how the run splits into VMAs is the model's guess).
 */
export function eachVmaNotingInferredRuns(ctx: ModelCtx, vmas: readonly Vma[], counted: Mm, fn: (v: Vma) => void): void {
  let runFrom: number[] | null = null;
  for (let k = 0; k < vmas.length; k++) {
    const v = vmas[k]!;
    if (v.kind & F.KIND_INFERRED && !runFrom) runFrom = [...counted.rss];
    fn(v);
    const next = vmas[k + 1];
    if (runFrom && !(next && next.kind & F.KIND_INFERRED)) {
      if (ctx.rssLogs) {
        const spans = logOf(ctx.rssLogs, counted).guessedSpans;
        for (let m = 0; m < 4; m++) if (runFrom[m] !== counted.rss[m]) spans[m]!.push([runFrom[m]!, counted.rss[m]!]);
      }
      runFrom = null;
    }
  }
}
