// What a replaying command (replay, query, report, batch) runs, from its parsed options (src/options.ts): the
// what-if variants and the cost profile. Its own module because it loads every patch and the profile fit, which
// `faultline info` and `--version` never need.
import { userError } from '../traces/errors.js';
import type { TraceFormat } from '../traces/events.js';
import { STDIN } from '../traces/read.js';
import { buildVariants, type VariantOptions } from '../model/variants.js';
import { loadProfile, DEFAULT_PROFILE, type CostProfile } from '../model/costs.js';
import { THP_POLICIES, type ThpPolicy, type VariantSpec } from '../model/types.js';
import { parseMthp } from '../model/thpsize.js';
import { fitProfileToTrace } from '../analyze/latency/fit.js';
import { profileFor, TRACE_PROFILE, type VariantCliOptions } from './options.js';

/**
 * The cost profile for every command that prices faults (replay, report, query, validate, batch). By default (and with --profile trace) it is fitted to the trace's own
 * timing in a first pass (analyze/latency/fit.ts): costs priced on another machine mislead (issue 14). Where the
 * trace times nothing usable (or comes on stdin, which cannot be read twice) the shipped profile prices the faults
 * and stderr says so; the derivation is printed either way (to `note`: batch keeps it out of stderr, one per trace
 * would drown the summary). A named profile or 'none' is used as given.
 */
export async function resolveProfile(
  name: string | undefined,
  trace: string,
  mainline: VariantSpec,
  format?: TraceFormat,
  note: (line: string) => void = (l) => process.stderr.write(`faultline: profile: ${l}\n`),
): Promise<CostProfile | null> {
  if (name !== undefined && name !== TRACE_PROFILE) return profileFor(name);
  const base = loadProfile(DEFAULT_PROFILE);
  const fallback = `the shipped profile ${base.name} (measured on another machine) prices the faults; modelled times are that machine's: calibrate on the recording machine and pass --profile FILE`;
  if (trace === STDIN) {
    if (name === TRACE_PROFILE) throw userError(`--profile ${TRACE_PROFILE} reads the trace twice: give a file, not stdin`);
    note(`a trace on stdin cannot be read twice to fit its own costs: ${fallback}`);
    return base;
  }
  const fit = await fitProfileToTrace(trace, mainline, base, format);
  for (const d of fit.derivation) note(d);
  if (!fit.fitted) note(fallback);
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
    mthp: o.mthp ?? [],
    zeroPage: o.zeroPage,
    select: o.select,
    patchOption: o.patchOption ?? [],
    kernel: o.kernel,
    pageSize: o.pageSize ?? [],
    machinePageSize: o.machinePageSize,
  };
  if (o.baseThp !== undefined) {
    if (!(THP_POLICIES as readonly string[]).includes(o.baseThp)) throw userError(`--base-thp '${o.baseThp}': expected one of ${THP_POLICIES.join(', ')}`);
    vo.baseThp = o.baseThp as ThpPolicy;
  }
  if (o.baseMthp !== undefined) vo.baseMthp = parseMthp(o.baseMthp, '--base-mthp');
  const vs = buildVariants(vo);
  if (o.machineNoZeroPage) for (const v of vs) v.useZeroPage = false;
  return vs;
}
