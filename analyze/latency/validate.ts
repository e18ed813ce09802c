// Validation with latency: the model's rss_stat check (model/validate.ts) plus, with a cost profile, modelled vs
// measured latency per fault path (function_graph / kprobe durations, fault entry -> its rss_stat) and per fork.
import type { EventSink, ReadResult } from '../../traces/events.js';
import { forkReturnNs, trapShareNs, type CostProfile } from '../../model/costs.js';
import type { FaultRecord, VariantSpec } from '../../model/types.js';
import { createValidator, type ValidateResult } from '../../model/validate.js';
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
export function createLatencyValidator(
  spec: VariantSpec, profile: CostProfile | null = null,
  opts: { blind?: boolean; onPair?: Parameters<typeof createLatencyJoin>[0]; onForkPair?: Parameters<typeof createLatencyJoin>[2]; onModelFault?: (r: FaultRecord) => void } = {},
): { sink: EventSink; finish(read: ReadResult): LatencyValidateResult } {
  const join = profile ? createLatencyJoin(opts.onPair, (path) => trapShareNs(profile, path), opts.onForkPair, (r) => forkReturnNs(profile, r)) : null;
  const measured = join ? createMeasuredCollector({ keepFaults: false, onFault: join.onMeasuredFault }) : null;
  // a caller's own look at each modelled fault rides on this engine (the profile fit: one mainline engine, not two)
  const also = opts.onModelFault;
  const fault = join && also ? (r: FaultRecord): void => (join.onModelFault(r), also(r)) : join ? join.onModelFault : also;
  const probes = { ...(fault ? { fault } : {}), ...(join ? { fork: join.onModelFork } : {}) };
  const v = createValidator(spec, profile, fault || join ? { probes, sink: measured ? measured.sink : () => undefined } : null, { blind: opts.blind });
  return {
    sink: v.sink,
    finish(read) {
      const r = v.finish(read);
      return { ...r, latency: join && profile ? { profile: profile.name, ...join.finish(measured!.result().forks) } : null };
    },
  };
}
