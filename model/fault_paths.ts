// Fault-path names that are not a trap the variant takes, and the count of those it does take: one definition for the
// replay's compare table, the report's summary and the patch tests.
import type { FaultPath } from './types.js';

/** A traced fault a patched variant would not take (model/engine.ts recordFault): no trap, no cost, no minflt. */
export const NOT_TAKEN: FaultPath = 'not_taken';
/** One record per populating syscall (MAP_POPULATE, mlock, MADV_POPULATE_*): its pages are GUP faults, not traps. */
export const GUP_PATH: FaultPath = 'populate';

/** Traps the variant takes: every path's count but not-taken faults and populate records. */
export function faultsTaken(faults: Readonly<Record<string, number>>): number {
  let n = 0;
  for (const [k, c] of Object.entries(faults)) if (k !== NOT_TAKEN && k !== GUP_PATH) n += c;
  return n;
}
