// The proposed patches faultline models, as an explicit list: a new patch is its file plus one entry here.
import type { Patch } from './patch.js';
import { cowPte } from './cow_pte.js';
import { eagerPopulate } from './eager_populate.js';
import { memset } from './memset.js';
import { mthp } from './mthp.js';
import { patternPopulate } from './pattern_populate.js';
import { ptReclaim } from './pt_reclaim.js';
import { refpage } from './refpage.js';
import { refpageFd } from './refpage_fd.js';
import { thpShrinker } from './thp_shrinker.js';

export type { Patch } from './patch.js';

/** Every patch; `as const` keeps each one's path names, so model/fault_paths.ts can make FaultPath their union. */
export const PATCHES = [refpage, refpageFd, patternPopulate, memset, cowPte, eagerPopulate, ptReclaim, thpShrinker, mthp] as const;

/** The patch called name, or undefined. */
export function getPatch(name: string): Patch | undefined {
  return PATCHES.find((p) => p.name === name);
}

/** Every patch, sorted by name. */
export function listPatches(): Patch[] {
  return [...PATCHES].sort((a, b) => a.name.localeCompare(b.name));
}
