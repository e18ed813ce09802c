// pt-reclaim: CONFIG_PT_RECLAIM (mainline since 6.14, x86_64 only) as a what-if in both directions: `--patch pt-reclaim`
// turns it on for a trace replayed with older kernel rules, `--patch pt-reclaim=off` turns it off on a 6.14+ one.
// Source: Qi Zheng, "synchronously scan and reclaim empty user PTE pages" (v4, 2024-12; merged for v6.14-rc1:
// "mm: pgtable: reclaim empty PTE page in madvise(MADV_DONTNEED)" and 4817f70c25b6 "x86: select
// ARCH_SUPPORTS_PT_RECLAIM if X86_64"). Its numbers: mmap 50G, loop { touch 2M; madvise(MADV_DONTNEED) 2M }:
// VmPTE 102640 kB before, 240 kB after (traces/workloads/pt_reclaim.c is that loop, scaled).
// Mainline already models the feature for the replayed version (model/kernel_version.ts: ptReclaim), so this patch
// only forces that rule: no new hook, no new path. Kernel functions the rule governs (model/page_table.ts: zapRange):
//   mm/madvise.c: madvise_dontneed_single_vma   zap_details.reclaim_pt = true (MADV_DONTNEED and _LOCKED only)
//   mm/memory.c: zap_pte_range                 an emptied table is freed when reclaim_pt_is_enabled(addr, end)
//   mm/pt_reclaim.c: reclaim_pt_is_enabled     end - start >= PMD_SIZE: the zap covered that whole table
//   mm/pt_reclaim.c: try_get_and_clear_pmd + free_pte   pmd_clear, pte_free_tlb, mm_dec_nr_ptes (VmPTE -4 KiB)
// munmap and exit free tables anyway (free_pgtables), so only MADV_DONTNEED-heavy allocators gain (e.g. jemalloc
// and tcmalloc purging with DONTNEED). A table holding any non-none entry (a guard marker too) is kept.
import { userError } from '../../traces/errors.js';
import type { Patch } from './patch.js';

export const ptReclaim: Patch<never> = {
  name: 'pt-reclaim',
  description: 'CONFIG_PT_RECLAIM on (or =off: off) whatever the --kernel: MADV_DONTNEED of a whole 2 MiB table span frees the emptied PTE table (mainline x86_64 6.14+)',
  // status and reproduces filled from this file's header by the patches-status change; the pt-reclaim owner may refine
  status: { kind: 'mainline', since: '6.14' },
  source: 'Qi Zheng, "[PATCH v4 00/11] synchronously scan and reclaim empty user PTE pages" (2024-12, merged v6.14-rc1; x86 4817f70c25b6): VmPTE 102640 kB -> 240 kB',
  reproduces: 'the cover letter: mmap 50G, loop { touch 2M; MADV_DONTNEED 2M }: VmPTE 102640 kB -> 240 kB, scaled (traces/workloads/pt_reclaim.c)',
  paths: {}, // mainline's zap paths; only the table is freed or kept

  // --patch pt-reclaim (on) or pt-reclaim=off: the variant's KernelRules switch, set before any event
  init(ctx) {
    const v = ctx.spec.patchOptions['pt-reclaim'];
    if (v !== undefined && v !== 'on' && v !== 'off') throw userError(`pt-reclaim option '${v}': expected on or off (pt-reclaim=off replays a 6.14+ trace without CONFIG_PT_RECLAIM)`);
    ctx.rules = { ...ctx.rules, ptReclaim: v !== 'off' };
  },
};
