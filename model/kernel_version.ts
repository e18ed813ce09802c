// Version-dependent kernel rules, each a named switch picked from the variant's kernel version (no scattered ifs).
import { userError } from '../traces/errors.js';

export interface KernelRules {
  version: string;
  /** mm/huge_memory.c: do_huge_zero_wp_pmd (6.13+, 1ced09e0331f): a write to the huge zero PMD allocates a THP; before, split + 4K. */
  hugeZeroWpAllocsThp: boolean;
  /** mm/memory.c: zap_pte_range -> pte_table_reclaim_possible (CONFIG_PT_RECLAIM, ~6.14): MADV_DONTNEED frees emptied whole tables. */
  ptReclaim: boolean;
  /** mm/memory.c: alloc_anon_folio (6.8+, 19eaf44954df "mm: thp: support allocation of anonymous multi-size THP"): per-size hugepages-<size>kB/enabled. */
  mthp: boolean;
  /** mm/memory.c: copy_present_ptes / zap_present_ptes batch the PTEs of a large folio (folio_pte_batch; 6.9, David Hildenbrand's fork and zap series). */
  largeFolioPteBatch: boolean;
  /** mm/memory.c: __wp_can_reuse_large_anon_folio (CONFIG_MM_ID, ~6.15): reuse a PTE-mapped large folio mapped only by this mm. */
  largeFolioReuse: boolean;
  /** mm/madvise.c: madvise_guard_install / madvise_guard_remove (6.13+, 662df3e5c376): guard-region PTE markers; -EINVAL before. */
  guardRegions: boolean;
  /** mm/madvise.c: is_valid_guard_vma drops the anonymous + VM_MAYWRITE test (6.15+: guard regions in file-backed and read-only mappings). */
  guardRegionsAnyVma: boolean;
  /** include/trace/events/kmem.h: rss_stat fires on every update (6.2+) or only on 128-page crossings (5.5-6.1). */
  rssStatExact: boolean;
  /** mm/huge_memory.c: do_huge_pmd_wp_page split + 4K COW (5.8+, 3917c80280c9) instead of a 2 MiB copy. */
  thpCowSplits: boolean;
}

function parse(v: string): [number, number] | null {
  const m = /^(\d+)\.(\d+)/.exec(v.trim());
  return m ? [Number(m[1]), Number(m[2])] : null;
}

function atLeast(v: [number, number], [major, minor]: [number, number]): boolean {
  return v[0] > major || (v[0] === major && v[1] >= minor);
}

/** The versions the rules were written for: every release from the oldest to the newest modelled one. */
export const OLDEST_KERNEL = '5.0';
export const NEWEST_KERNEL = '6.18';
export const DEFAULT_KERNEL = NEWEST_KERNEL;
/** The release each version-dependent rule starts at (the fields of KernelRules above cite the commits). */
const SINCE: Record<Exclude<keyof KernelRules, 'version'>, string> = {
  thpCowSplits: '5.8',
  rssStatExact: '6.2',
  mthp: '6.8',
  largeFolioPteBatch: '6.9',
  hugeZeroWpAllocsThp: '6.13',
  guardRegions: '6.13',
  guardRegionsAnyVma: '6.15',
  ptReclaim: '6.14',
  largeFolioReuse: '6.15',
};
const KNOWN = `known: ${OLDEST_KERNEL} to ${NEWEST_KERNEL} (rules change at ${[...new Set(Object.values(SINCE))].sort((a, b) => (atLeast(parse(a)!, parse(b)!) ? 1 : 0) - (atLeast(parse(b)!, parse(a)!) ? 1 : 0)).join(', ')})`;

/** The rule set for a kernel version like '6.18' or '6.12.117'; throws a user error for a version the model does not know. */
export function kernelRules(version: string): KernelRules {
  const v = parse(version);
  if (!v) throw userError(`--kernel: '${version}' is not a kernel version like 6.18 or 5.15`, { hint: KNOWN });
  if (!atLeast(v, parse(OLDEST_KERNEL)!)) throw userError(`--kernel: ${version} is older than the oldest modelled kernel (${OLDEST_KERNEL})`, { hint: KNOWN });
  const newest = parse(NEWEST_KERNEL)!;
  if (atLeast(v, newest) && (v[0] !== newest[0] || v[1] !== newest[1]))
    throw userError(`--kernel: ${version} is newer than the newest modelled kernel (${NEWEST_KERNEL}): its mm rules are not known`, { hint: KNOWN });
  const since = (k: keyof typeof SINCE): boolean => atLeast(v, parse(SINCE[k])!);
  return {
    version,
    hugeZeroWpAllocsThp: since('hugeZeroWpAllocsThp'),
    ptReclaim: since('ptReclaim'),
    guardRegions: since('guardRegions'),
    guardRegionsAnyVma: since('guardRegionsAnyVma'),
    mthp: since('mthp'),
    largeFolioPteBatch: since('largeFolioPteBatch'),
    largeFolioReuse: since('largeFolioReuse'),
    rssStatExact: since('rssStatExact'),
    thpCowSplits: since('thpCowSplits'),
  };
}
