// mm counters (include/linux/mm.h: add_mm_counter -> mm_trace_rss_stat) and pgtables_bytes, with probes and peaks.
import { TABLE_BYTES } from './page_geometry.js';
import type { Mm, ModelCtx } from './state.js';

/** include/linux/mm.h: add_mm_counter: one kmem:rss_stat per call (6.2+), size = the whole counter after it. */
export function addMmCounter(ctx: ModelCtx, mm: Mm, member: number, delta: number): void {
  if (delta === 0) return;
  const v = (mm.rss[member] = mm.rss[member]! + delta);
  noteRss(ctx, mm, member, v, delta);
}

/**
 * k calls of addMmCounter(ctx, mm, member, 1) in a row (a run of pages a populate or a memset maps one by one: one
 * rss_stat each): the same counters, peaks and series points, in one step when nothing watches each update (no
 * validation log, no model:rss probe).
 */
export function addMmCounterPages(ctx: ModelCtx, mm: Mm, member: number, k: number): void {
  if (ctx.rssLogs !== null || ctx.probes.rss || ctx.onRssRun === null) {
    for (let j = 0; j < k; j++) addMmCounter(ctx, mm, member, 1);
    return;
  }
  mm.rss[member] = mm.rss[member]! + k;
  ctx.onRssRun(mm, member, k);
}

/** Counter updates made outside a PTE walk's batch. */
export const RSS_WALK_NONE = 0;
/** mm/memory.c: zap_pte_range: breaks before any present PTE when need_resched(), flushing its batch early. */
export const RSS_WALK_ZAP = 1;
/** mm/memory.c: copy_pte_range: breaks when progress >= 32 and need_resched(), flushing its batch early. */
export const RSS_WALK_COPY = 2;

/**
 * mm/memory.c: add_mm_rss_vec: one update per member with a non-zero batch, in member order (FILE, ANON, SWAP, SHMEM).
 * walk names the PTE walk flushing the batch, so validation knows the kernel may have split it on need_resched.
 */
export function addMmRssVec(ctx: ModelCtx, mm: Mm, vec: Float64Array, walk = RSS_WALK_NONE): void {
  ctx.rssWalk = walk;
  for (let m = 0; m < 4; m++) {
    if (vec[m] !== 0) addMmCounter(ctx, mm, m, vec[m]!);
    vec[m] = 0;
  }
  ctx.rssWalk = RSS_WALK_NONE;
}

/** include/linux/mm.h: mm_inc_nr_ptes/pmds/puds and the dec side: pgtables_bytes in page-sized tables (TABLE_BYTES). */
export function addPgtables(ctx: ModelCtx, mm: Mm, tables: number): void {
  if (tables === 0) return;
  mm.pgtablesBytes += tables * TABLE_BYTES;
  const sys = ctx.system; // the sum over processes: what a per-device figure such as Android's counts
  sys.pgtablesBytes += tables * TABLE_BYTES;
  if (sys.pgtablesBytes > sys.pgtablesPeakBytes) sys.pgtablesPeakBytes = sys.pgtablesBytes;
  noteRss(ctx, mm, -1, mm.pgtablesBytes, tables * TABLE_BYTES);
}

/** Tell the validator (onRss) and the model:rss probe about one counter update; member -1 is pgtables_bytes. */
function noteRss(ctx: ModelCtx, mm: Mm, member: number, value: number, delta: number): void {
  if (ctx.onRss) ctx.onRss(mm, member, value, delta);
  const probe = ctx.probes.rss;
  if (!probe) return;
  const r = ctx.rssRec; // reused record: probes copy what they keep
  r.time = ctx.now;
  r.pid = mm.ownerPid;
  r.comm = ctx.curComm;
  r.member = member;
  r.value = value;
  r.delta = delta;
  probe(r);
}
