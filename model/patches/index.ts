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
  // mainline features modelled by the kernel version replayed (model/kernel_version.ts), not patches: listed so a user
  // finds their status and source with the rest (issue 16)
  {
    name: 'guard-regions',
    option: '--kernel 6.13 or later (the default; --kernel 6.12 replays MADV_GUARD_INSTALL/REMOVE as -EINVAL: nothing installed)',
    description: 'madvise(MADV_GUARD_INSTALL/REMOVE): PTE markers that SIGSEGV on access in place of a PROT_NONE VMA per guard; markers need PTE tables (VmPTE) but no RSS, survive MADV_DONTNEED (so PT_RECLAIM keeps their table), go at munmap (model/guard_regions.ts)',
    status: { kind: 'mainline', since: '6.13' },
    source: 'Lorenzo Stoakes, "[PATCH v4 0/5] implement lightweight guard pages" (2024-10, merged v6.13-rc1); "mm: allow guard regions in file-backed and read-only mappings" (v6.15)',
    reproduces: 'no published numbers; this machine\'s recording traces/fixtures/workloads/guard_regions (6.18): guards over a written 2 MiB zap it (RssAnon 8300 -> 6252 kB) and over an untouched 8 MiB cost tables only (VmPTE 64 -> 80 kB), MADV_DONTNEED keeps the marker tables (VmPTE 68 kB): validate and every /proc checkpoint in model/fidelity_perf.test.ts, event by event in model/guard_regions.test.ts',
  },
  {
    name: 'map-droppable',
    option: 'the trace\'s own mmap(MAP_DROPPABLE) (no switch: before 6.11 mm/mmap.c do_mmap refuses the type with -EINVAL)',
    description: 'mmap(MAP_DROPPABLE): private anonymous pages that reclaim may drop instead of swapping (VM_DROPPABLE); faults and RSS as private anon, not copied at fork (VM_WIPEONFORK), never mlocked (mm/mlock.c: mlock_fixup) (model/mmap.ts)',
    status: { kind: 'mainline', since: '6.11' },
    source: 'Jason A. Donenfeld, "mm: add MAP_DROPPABLE for designating always lazily freeable mappings" (vDSO getrandom() series, merged v6.11)',
    reproduces: 'no published numbers; this machine\'s recording traces/fixtures/workloads/guard_regions (6.18): writing a 1 MiB MAP_DROPPABLE mapping adds 1024 kB RssAnon (112 -> 1136 kB), checked with the rest of that recording in model/fidelity_perf.test.ts; fork and mlock event by event in model/guard_regions.test.ts',
  },
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
