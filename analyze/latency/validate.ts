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

type JoinOptions = { onPair?: Parameters<typeof createLatencyJoin>[0]; onForkPair?: Parameters<typeof createLatencyJoin>[2] };

/**
 * The modelled-vs-measured join with `profile`: probes for the model's engine, a sink for the trace's measurements
 * (after the model at each event: a fault's modelled record is out by the time its measurement ends), the result.
 */
function profileJoin(profile: CostProfile, opts: JoinOptions): { probes: { fault: (r: FaultRecord) => void; fork: ReturnType<typeof createLatencyJoin>['onModelFork'] }; sink: EventSink; finish(): LatencyCheck & { profile: string } } {
  const join = createLatencyJoin(opts.onPair, (path) => trapShareNs(profile, path), opts.onForkPair, (r) => forkReturnNs(profile, r));
  const measured = createMeasuredCollector({ keepFaults: false, onFault: join.onMeasuredFault });
  return {
    probes: { fault: join.onModelFault, fork: join.onModelFork },
    sink: measured.sink,
    finish: () => ({ profile: profile.name, ...join.finish(measured.result().forks) }),
  };
}

/** Validate one variant (normally mainline) against the trace's rss_stat stream; with a profile, latency too. */
export function createLatencyValidator(spec: VariantSpec, profile: CostProfile | null = null, opts: JoinOptions & { blind?: boolean } = {}): { sink: EventSink; finish(read: ReadResult): LatencyValidateResult } {
  const pj = profile ? profileJoin(profile, opts) : null;
  const v = createValidator(spec, profile, pj, { blind: opts.blind });
  return {
    sink: v.sink,
    finish(read) {
      const r = v.finish(read);
      return { ...r, latency: pj ? pj.finish() : null };
    },
  };
}

/**
 * The latency half of createLatencyValidator alone: `spec` replayed with `profile`, each modelled fault and fork joined
 * with the trace's own measurement, and no rss_stat lockstep (the profile fit needs the joins, not the counters' check).
 * onModelFault: a caller's own look at each modelled fault, on the same engine.
 */
export function createLatencyCheck(spec: VariantSpec, profile: CostProfile, opts: JoinOptions & { onModelFault?: (r: FaultRecord) => void } = {}): { sink: EventSink; finish(read: ReadResult): LatencyCheck & { profile: string } } {
  const pj = profileJoin(profile, opts);
  const also = opts.onModelFault, joinFault = pj.probes.fault;
  const rep = createReplay([spec], { fault: also ? (r: FaultRecord): void => (joinFault(r), also(r)) : joinFault, fork: pj.probes.fork }, { profile });
  return {
    sink: (e) => (rep.sink(e), pj.sink(e)), // the model first, as createValidator runs its observer
    finish(read) {
      rep.finish(read);
      return pj.finish();
    },
  };
}
