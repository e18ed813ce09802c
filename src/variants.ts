// What a replaying command (replay, query, report, batch) runs, from its parsed options (src/options.ts): the
// what-if variants and the cost profile. Its own module because it loads every patch and the profile fit, which
// `faultline info` and `--version` never need.
import { userError } from '../traces/errors.js';
import type { TraceFormat } from '../traces/events.js';
import { buildVariants, type VariantOptions } from '../model/variants.js';
import { loadProfile, DEFAULT_PROFILE, type CostProfile } from '../model/costs.js';
import { THP_POLICIES, type ThpPolicy, type VariantSpec } from '../model/types.js';
import { fitProfileToTrace } from '../analyze/latency/fit.js';
import { profileFor, TRACE_PROFILE, type VariantCliOptions } from './options.js';

/** profileFor, and for 'trace' a first pass fitting it, its derivation printed on stderr. */
export async function resolveProfile(name: string | undefined, trace: string, mainline: VariantSpec, format?: TraceFormat): Promise<CostProfile | null> {
  if (name !== TRACE_PROFILE) return profileFor(name);
  const fit = await fitProfileToTrace(trace, mainline, loadProfile(DEFAULT_PROFILE), format);
  for (const d of fit.derivation) process.stderr.write(`faultline: profile: ${d}\n`);
  return fit.profile;
}

/**
 * The variants to replay from parsed options: mainline first; bad names or expressions are one-line user errors.
 * With --machine-no-zero-page every variant goes without the zero page (the traced machine itself had none).
 */
export function variantsFromCli(o: Partial<VariantCliOptions>): VariantSpec[] {
  const vo: VariantOptions = {
    patch: o.patch ?? [],
    thp: o.thp ?? [],
    zeroPage: o.zeroPage,
    select: o.select,
    patchOption: o.patchOption ?? [],
    kernel: o.kernel,
  };
  if (o.baseThp !== undefined) {
    if (!(THP_POLICIES as readonly string[]).includes(o.baseThp)) throw userError(`--base-thp '${o.baseThp}': expected one of ${THP_POLICIES.join(', ')}`);
    vo.baseThp = o.baseThp as ThpPolicy;
  }
  const vs = buildVariants(vo);
  if (o.machineNoZeroPage) for (const v of vs) v.useZeroPage = false;
  return vs;
}
