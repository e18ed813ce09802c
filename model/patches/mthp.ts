// mthp: multi-size THP (mainline since 6.8) under a patch name, so `faultline patches` lists it with its sources and
// `--patch mthp` (64 KiB always) or `--patch mthp=16k:always/64k:inherit` combines it with other patches; `--mthp
// 64k=always,16k=inherit` is the same what-if as a variant option. The rules are mainline's (model/memory.ts:
// alloc_anon_folio, model/huge_memory.ts: thp_vma_allowable_orders, model/fork.ts + page_table.ts: 6.9 batching);
// this only sets the variant's per-size settings before any event. No hook, no new path.
// Sources: Ryan Roberts, "[PATCH v9 00/10] Multi-size THP for anonymous memory" (2023-12, merged v6.8: 19eaf44954df);
// David Hildenbrand, "mm/memory: optimize fork() with PTE-mapped THP" (2024-01, merged v6.9): fork of 1 GiB of
// PTE-mapped folios on a Xeon 4210R, 4K 14.3 ms, 16K 12.0, 64K 10.4, >= 512K 9.8 (model/mthp_shapes.test.ts).
import type { Patch } from './patch.js';
import { mthpMasks, parseMthp } from '../thpsize.js';

export const mthp: Patch<never> = {
  name: 'mthp',
  description: 'multi-size THP (mainline 6.8+): anonymous faults allocate the largest enabled folio that fits, one rss_stat of +nr; fork batches them (6.9). Default 64k:always; =16k:always/64k:inherit for others (or --mthp 64k=always,16k=inherit)',
  // status and reproduces filled from the source line by the patches-status change; the mthp owner may refine
  status: { kind: 'mainline', since: '6.8' },
  reproduces: "David Hildenbrand's fork table as the source line gives it (1 GiB: 4K 14.3 ms, 16K 12.0, 64K 10.4, >=512K 9.8), as a shape",
  source: 'Ryan Roberts, "[PATCH v9 00/10] Multi-size THP for anonymous memory" (2023-12, merged v6.8: 19eaf44954df); David Hildenbrand, "mm/memory: optimize fork() with PTE-mapped THP" (merged v6.9): fork of 1 GiB, 4K 14.3 ms, 16K 12.0, 64K 10.4, >=512K 9.8',
  paths: {}, // mainline's mthp_alloc

  // the variant's per-size settings (over its --base-mthp ones), set before any event: no longer learnt from the trace
  init(ctx) {
    const opt = (ctx.spec.patchOptions['mthp'] ?? '64k:always').replace(/:/g, '=').replace(/\//g, ',');
    const masks = mthpMasks({ ...ctx.spec.mthp, ...parseMthp(opt, '--patch mthp') });
    ctx.mthp = { ...masks, learn: false };
  },
};
