// Placeholder for the latency issue: the cost model maps a modelled fault/fork to nanoseconds.
// The signatures below are the contract the replay calls; the latency work fills in the profile data.
import type { FaultRecord, ForkRecord } from './types.js';

export interface CostProfile {
  name: string;
  /** Where the numbers came from (calibrate run, published figures with citations). */
  source: string;
  /** ns per modelled step, keyed by step name. */
  steps: Record<string, number>;
}

/** Modelled cost of one fault, from its path and what it allocated. */
export function faultCostNs(profile: CostProfile | null, rec: FaultRecord): number {
  if (!profile) return 0;
  return profile.steps[rec.path] ?? 0;
}

/** Modelled cost of one fork from what dup_mmap copied or shared. */
export function forkCostNs(profile: CostProfile | null, rec: ForkRecord): number {
  if (!profile) return 0;
  return (profile.steps.fork_fixed ?? 0) + rec.ptesCopied * (profile.steps.fork_per_pte ?? 0);
}
