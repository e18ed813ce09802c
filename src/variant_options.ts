// The what-if options every replaying command takes (replay, query, report): --patch, --thp, --no-zero-page,
// --select, --patch-option, --base-thp. One definition, so the variants and their names agree across commands.
import type { Command } from 'commander';
import { buildVariants, PATCH_SELECT_DEFAULT, THP_POLICIES, type VariantOptions } from '../model/variants.js';
import type { ThpPolicy, VariantSpec } from '../model/types.js';
import { userError } from '../traces/errors.js';

/** Commander's parsed values for the options addVariantOptions adds. */
export interface VariantCliOptions {
  patch: string[];
  thp: string[];
  zeroPage: boolean;
  select?: string;
  patchOption: string[];
  baseThp?: string;
  kernel?: string;
  /** --machine-no-zero-page, which each replaying command declares itself: the traced machine had no zero page. */
  machineNoZeroPage?: boolean;
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];

/** Add the what-if options to a command (which may already define --kernel; it is read if present). */
export function addVariantOptions(cmd: Command): Command {
  return cmd
    .option('--patch <names>', 'also replay with these patches (repeatable or comma-separated; "a+b" combines, "refpage+thp=always" varies THP too; see faultline patches)', collect, [])
    .option('--thp <policy>', `also replay mainline with this THP policy (${THP_POLICIES.join(', ')}; repeatable): variant "thp=POLICY"`, collect, [])
    .option('--no-zero-page', 'also replay mainline without the shared zero page (read faults allocate): variant "no-zero-page"')
    .option('--select <expr>', `VMAs the pattern-init patches apply to (default: "${PATCH_SELECT_DEFAULT}"; see faultline patches --help)`)
    .option('--patch-option <k=v>', 'patch option, e.g. cow-pte=v3 (per-page accounting in fork, v3+); repeatable', collect, [])
    .option('--base-thp <policy>', 'THP policy of mainline itself and of every patch variant (default madvise, this machine\'s setting)');
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
