// The proposed patches faultline models, as an explicit list: a new patch is its file plus one entry here.
import type { Patch, PatchEntry } from './patch.js';
import { cowPte } from './cow_pte.js';
import { eagerPopulate } from './eager_populate.js';
import { memset } from './memset.js';
import { mthp } from './mthp.js';
import { mshare, mshareTransparent } from './mshare.js';
import { patternPopulate } from './pattern_populate.js';
import { ptReclaim } from './pt_reclaim.js';
import { refpage } from './refpage.js';
import { refpageFd } from './refpage_fd.js';
import { thpShrinker } from './thp_shrinker.js';

export type { Patch, PatchEntry, PatchStatus } from './patch.js';

/** Every patch; `as const` keeps each one's path names, so model/fault_paths.ts can make FaultPath their union. */
export const PATCHES = [refpage, refpageFd, patternPopulate, memset, cowPte, eagerPopulate, ptReclaim, thpShrinker, mthp, mshare, mshareTransparent] as const;

/** The patch called name, or undefined. */
export function getPatch(name: string): Patch | undefined {
  return PATCHES.find((p) => p.name === name);
}

/** Every patch, sorted by name. */
export function listPatches(): Patch[] {
  return [...PATCHES].sort((a, b) => a.name.localeCompare(b.name));
}

/** A feature picked by a variant option rather than --patch (e.g. --mthp): its `faultline patches` entry. */
export interface OptionEntry extends PatchEntry {
  /** How to pick it, as typed: '--mthp 64k=always'. */
  option: string;
}

/** Features replayed through a variant option, each with its status and source like a patch (one entry per feature). */
export const OPTION_ENTRIES: readonly OptionEntry[] = [
  // 16 KiB pages: a variant option, not a patch (no hooks: the whole model runs in another geometry, model/page_geometry.ts);
  // arm64 has built with 16 KiB pages for years (CONFIG_ARM64_16K_PAGES): what is proposed is Android devices running them
  {
    name: 'page-size=16k',
    option: '--page-size 16k',
    description: '16 KiB base pages on a 4 KiB trace (--page-size 16k): each fault maps 16 KiB, tables of 2048 entries span 32 MiB, PMD THP 32 MiB',
    status: { kind: 'proposed', latest: 'Android 16 KB page size (arm64 CONFIG_ARM64_16K_PAGES; Android 15 devices)', year: 2024 },
    source: 'Android Developers Blog, "Adding 16 KB Page Size to Android" (2024-08): ~9% more memory for 5-10% performance; developer.android.com/guide/practices/page-sizes',
    reproduces: 'direction of Android\'s shape (more memory, fewer faults): model/page_size_fixtures.test.ts (python3 +2.2% peak anon, 10049 -> 2709 faults); the ~9% memory figure is not reproduced by a 4 KiB trace',
  },
];

/** What `faultline patches` lists: every patch (picked by --patch NAME), then every option feature, each by name. */
export function listEntries(): OptionEntry[] {
  const ps = listPatches().map((p): OptionEntry => ({ name: p.name, option: `--patch ${p.name}`, description: p.description, status: p.status, source: p.source, reproduces: p.reproduces }));
  return [...ps, ...[...OPTION_ENTRIES].sort((a, b) => a.name.localeCompare(b.name))];
}
