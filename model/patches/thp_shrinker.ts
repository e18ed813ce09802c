// thp-shrinker: the deferred-split shrinker's split of underused THPs (mainline since 6.12, dafff3f4c850 "mm: split
// underused THPs", Usama Arif, with Yu Zhao's "remap unused subpages to shared zeropage when splitting isolated thp"),
// as a what-if for a trace replayed with --thp always (`--patch thp-shrinker+thp=always`). Source: "[PATCH v5 0/6] mm:
// split underused THPs" (2024-08-30, lore 20240830100438.3623486-1-usamaarif642@gmail.com); Meta's production
// figures as issue 16 quotes them: THP=always costs +7.7% memory over madvise, +2.4% with the shrinker.
// Kernel functions:
//   mm/huge_memory.c: deferred_split_scan   walks the deferred queue (every THP faulted in) under memory reclaim
//   mm/huge_memory.c: thp_underused         zero-filled subpages > khugepaged/max_ptes_none (511, the default, never)
//   mm/huge_memory.c: split_huge_page + remap_page -> mm/migrate.c: try_to_map_unused_to_zeropage: a zero-filled
//                     subpage becomes a zero-page PTE and is freed (RssAnon -4 KiB, one rss_stat each); only mlock and
//                     mm_forbids_zeropage (s390 KVM, not modelled) prevent it, not the read-fault zero page: recorded
//                     on this machine booted with pvm_no_zero_page=1 (traces/fixtures/workloads/thp_shrinker)
// ASSUMPTIONS, since a trace holds no memory pressure and no page contents:
//   - reclaim trigger: the shrinker scans every live THP of the mms this variant has seen once per PERIOD of trace
//     time (default 1s), at the first fault after the period ends, as steady kswapd pressure would;
//   - a subpage counts as non-zero once the trace shows a write fault at it (a 4 KiB recording shows every first
//     write; a recording made under THP shows only the first touch per 2 MiB, so use a 4 KiB trace); reads leave it zero;
//   - only folios mapped by one mm are split (a split of a shared folio remaps nothing here).
// Option: --patch thp-shrinker=N or =N@PERIOD (e.g. thp-shrinker=409@100ms): max_ptes_none N (default 511, as sysfs
// khugepaged/max_ptes_none on this machine) and the scan period (ms or s).
import { MM_ANONPAGES } from '../../traces/events.js';
import { userError } from '../../traces/errors.js';
import * as F from '../flags.js';
import { splitUnderusedThp } from '../huge_memory.js';
import { addMmCounter } from '../rss.js';
import { PMD_THP, type Mm, type ModelCtx } from '../state.js';
import type { Patch } from './patch.js';

interface ShrinkerState {
  maxPtesNone: number;
  periodNs: number;
  nextScan: number;
  /** Per mm: the 4 KiB page numbers a traced write fault touched. */
  written: Map<Mm, Set<number>>;
}
const states = new WeakMap<ModelCtx, ShrinkerState>();

/** Parse 'N' or 'N@PERIOD' (PERIOD like 100ms or 2s). */
function parseOption(v: string | undefined): { maxPtesNone: number; periodNs: number } {
  if (v === undefined) return { maxPtesNone: 511, periodNs: 1e9 };
  const m = /^(\d+)?(?:@(\d+)(ms|s))?$/.exec(v);
  if (!m || (m[1] === undefined && m[2] === undefined) || (m[1] !== undefined && Number(m[1]) > 511))
    throw userError(`thp-shrinker option '${v}': expected MAX_PTES_NONE (0-511) and/or @PERIOD, e.g. 409@100ms`);
  return { maxPtesNone: m[1] !== undefined ? Number(m[1]) : 511, periodNs: m[2] !== undefined ? Number(m[2]) * (m[3] === 's' ? 1e9 : 1e6) : 1e9 };
}

/** mm/huge_memory.c: thp_underused + split + remap for one PMD-mapped THP of mm at block b; returns pages freed. */
function splitIfUnderused(ctx: ModelCtx, st: ShrinkerState, mm: Mm, b: number): number {
  const slot = mm.pmds.get(b)!;
  if (ctx.pages.refcount[slot.folio]! !== 1) return 0; // mapped by another mm too (fork): not modelled
  const written = st.written.get(mm);
  const first = (b * F.PMD_SIZE) / F.PAGE_SIZE;
  let used = 0;
  if (written) for (let i = 0; i < F.PTRS; i++) if (written.has(first + i)) used++;
  // thp_underused: "if (khugepaged_max_ptes_none == HPAGE_PMD_NR - 1) return false;" then num_zero_pages > max_ptes_none
  if (st.maxPtesNone === F.PTRS - 1 || F.PTRS - used <= st.maxPtesNone) return 0;
  // try_to_map_unused_to_zeropage asks only mlock and mm_forbids_zeropage (s390 KVM), not the read-fault zero-page
  // setting: this machine (pvm_no_zero_page=1, reads allocate) remapped 504 subpages per THP (fixture thp_shrinker)
  const freed = splitUnderusedThp(ctx, mm, slot, (i) => !(written && written.has(first + i)));
  if (freed) addMmCounter(ctx, mm, MM_ANONPAGES, -freed);
  return freed;
}

export const thpShrinker: Patch<never> = {
  name: 'thp-shrinker',
  description: 'split underused THPs under reclaim (deferred_split_scan, thp_underused: zero-filled subpages > max_ptes_none) and map their zero-filled subpages to the zero page; use with thp=always (mainline 6.12+)',
  // status and reproduces filled from the source line by the patches-status change; the thp-shrinker owner may refine
  status: { kind: 'mainline', since: '6.12' },
  reproduces: "Meta's table as the source line gives it: THP=always +7.7% memory against madvise, +2.4% with the shrinker",
  source: 'Usama Arif, "[PATCH v5 0/6] mm: split underused THPs" (2024-08-30, merged v6.12: dafff3f4c850): Meta, THP=always +7.7% memory vs madvise, +2.4% with the shrinker',
  paths: {},

  init(ctx) {
    const o = parseOption(ctx.spec.patchOptions['thp-shrinker']);
    states.set(ctx, { ...o, nextScan: -1, written: new Map() });
  },

  // mm/memory.c: handle_mm_fault: first the pending scan (the reclaim this patch assumes), then note a write
  handle_mm_fault(ctx, f) {
    const st = states.get(ctx)!;
    if (st.nextScan < 0) st.nextScan = ctx.now + st.periodNs;
    else if (ctx.now >= st.nextScan) {
      st.nextScan = ctx.now + st.periodNs;
      for (const [mm] of st.written) {
        if (mm.dead) {
          st.written.delete(mm);
          continue;
        }
        for (const [b, slot] of [...mm.pmds]) if (slot.kind === PMD_THP) splitIfUnderused(ctx, st, mm, b);
      }
    }
    let w = st.written.get(f.mm);
    if (!w) st.written.set(f.mm, (w = new Set()));
    if (f.write) w.add(Math.floor(f.address / F.PAGE_SIZE));
  },
};
