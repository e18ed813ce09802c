// Validation with latency: the model's rss_stat check (model/validate.ts) plus, with a cost profile, modelled vs
// measured latency per fault path (function_graph / kprobe durations, fault entry -> its rss_stat) and per fork; or
// the latency joins alone (the profile fit).
import type { EventSink, ReadResult } from '../../traces/events.js';
import { forkReturnNs, trapShareNs, type CostProfile } from '../../model/costs.js';
import type { FaultRecord, VariantSpec } from '../../model/types.js';
import { createValidator, type ValidateResult } from '../../model/validate.js';
import { createReplay } from '../../model/replay.js';
import { createLatencyJoin, type LatencyCheck } from './join.js';
import { createMeasuredCollector } from './measured.js';

export interface LatencyValidateResult extends ValidateResult {
  /**
   * Modelled vs measured latency where the trace carries timing (issue 5): per fault path for each measurement
   * (function_graph / kprobe durations, and fault entry -> its rss_stat), and per fork (clone enter -> exit).
   * null without a cost profile.
   */
  latency: (LatencyCheck & { profile: string }) | null;
}

/** Validate one variant (normally mainline) against the trace's rss_stat stream; with a profile, latency too. */
export function createLatencyValidator(spec: VariantSpec, profile: CostProfile | null = null, opts: { blind?: boolean; onPair?: Parameters<typeof createLatencyJoin>[0]; onForkPair?: Parameters<typeof createLatencyJoin>[2] } = {}): { sink: EventSink; finish(read: ReadResult): LatencyValidateResult } {
  const join = profile ? createLatencyJoin(opts.onPair, (path) => trapShareNs(profile, path), opts.onForkPair, (r) => forkReturnNs(profile, r)) : null;
  const measured = join ? createMeasuredCollector({ keepFaults: false, onFault: join.onMeasuredFault }) : null;
  const v = createValidator(spec, profile, join ? { probes: { fault: join.onModelFault, fork: join.onModelFork }, sink: measured!.sink } : null, { blind: opts.blind });
  return {
    sink: v.sink,
    finish(read) {
      const r = v.finish(read);
      return { ...r, latency: join && profile ? { profile: profile.name, ...join.finish(measured!.result().forks) } : null };
    },
  };
}

/**
 * The latency half of createLatencyValidator alone: `spec` replayed with `profile`, each modelled fault and fork joined
 * with the trace's own measurement, and no rss_stat lockstep (the profile fit needs the joins, not the counters' check).
 * onModelFault: a caller's own look at each modelled fault, on the same engine.
 */
export function createLatencyCheck(
  spec: VariantSpec, profile: CostProfile,
  opts: { onPair?: Parameters<typeof createLatencyJoin>[0]; onForkPair?: Parameters<typeof createLatencyJoin>[2]; onModelFault?: (r: FaultRecord) => void } = {},
): { sink: EventSink; finish(read: ReadResult): LatencyCheck & { profile: string } } {
  const join = createLatencyJoin(opts.onPair, (path) => trapShareNs(profile, path), opts.onForkPair, (r) => forkReturnNs(profile, r));
  const measured = createMeasuredCollector({ keepFaults: false, onFault: join.onMeasuredFault });
  const also = opts.onModelFault;
  const rep = createReplay([spec], { fault: also ? (r: FaultRecord): void => (join.onModelFault(r), also(r)) : join.onModelFault, fork: join.onModelFork }, { profile });
  return {
    // the model first: a fault's modelled record is out by the time its measurement ends (as in createValidator)
    sink: (e) => (rep.sink(e), measured.sink(e)),
    finish(read) {
      rep.finish(read);
      return { profile: profile.name, ...join.finish(measured.result().forks) };
    },
  };
}
