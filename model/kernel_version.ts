// Version-dependent kernel rules, each a named switch picked from the variant's kernel version (no scattered ifs).
import { userError } from '../traces/errors.js';

export interface KernelRules {
  version: string;
  /** mm/huge_memory.c: do_huge_zero_wp_pmd (6.13+, 1ced09e0331f): a write to the huge zero PMD allocates a THP; before, split + 4K. */
  hugeZeroWpAllocsThp: boolean;
  /** mm/memory.c: zap_pte_range -> pte_table_reclaim_possible (CONFIG_PT_RECLAIM, ~6.14): MADV_DONTNEED frees emptied whole tables. */
  ptReclaim: boolean;
  /** mm/memory.c: __wp_can_reuse_large_anon_folio (CONFIG_MM_ID, ~6.15): reuse a PTE-mapped large folio mapped only by this mm. */
  largeFolioReuse: boolean;
  /** include/trace/events/kmem.h: rss_stat fires on every update (6.2+) or only on 128-page crossings (5.5-6.1). */
  rssStatExact: boolean;
  /** mm/huge_memory.c: do_huge_pmd_wp_page split + 4K COW (5.8+, 3917c80280c9) instead of a 2 MiB copy. */
  thpCowSplits: boolean;
}

function parse(v: string): [number, number] | null {
  const m = /^(\d+)\.(\d+)/.exec(v.trim());
  return m ? [Number(m[1]), Number(m[2])] : null;
}

function atLeast(v: [number, number], major: number, minor: number): boolean {
  return v[0] > major || (v[0] === major && v[1] >= minor);
}

/** The rule set for a kernel version like '6.18' or '6.12.117'; throws a user error for an unreadable version. */
export function kernelRules(version: string): KernelRules {
  const v = parse(version);
  if (!v) throw userError(`--kernel: '${version}' is not a kernel version like 6.18 or 5.15`);
  if (!atLeast(v, 5, 0)) throw userError(`--kernel: ${version} is older than the oldest modelled kernel (5.0)`);
  return {
    version,
    hugeZeroWpAllocsThp: atLeast(v, 6, 13),
    ptReclaim: atLeast(v, 6, 14),
    largeFolioReuse: atLeast(v, 6, 15),
    rssStatExact: atLeast(v, 6, 2),
    thpCowSplits: atLeast(v, 5, 8),
  };
}

export const DEFAULT_KERNEL = '6.18';
