// Every option more than one command takes, declared once (flag, help, default) with its parsing; a command adds
// its own by name. Options only one command takes (report's --svg, record's --backend...) stay in that command.
import { Option, type Command } from 'commander';
import { userError } from '../traces/errors.js';
import { TRACE_OPTIONS } from './trace_options.js';
import { DEFAULT_KERNEL, NEWEST_KERNEL, OLDEST_KERNEL } from '../model/kernel_version.js';
import { DEFAULT_PROFILE, loadProfile, type CostProfile } from '../model/costs.js';
import { PATCH_SELECT_DEFAULT } from '../model/select.js';
import { THP_POLICIES } from '../model/types.js';
import { PAGE_SIZE_NAMES } from '../model/page_geometry.js';

const collect = (v: string, prev: string[]): string[] => [...prev, v];

/** The shared options: the catalogue a command picks from. */
const OPTIONS = {
  ...TRACE_OPTIONS,
  kernel: () => new Option('--kernel <version>', `kernel rules to apply, ${OLDEST_KERNEL} to ${NEWEST_KERNEL} (e.g. 6.12: a write to the huge zero page splits, no PT_RECLAIM; 5.5-6.1 rss_stat only on 128-page crossings)`).default(DEFAULT_KERNEL),
  machineNoZeroPage: () => new Option('--machine-no-zero-page', 'override: the traced machine had no zero page (e.g. pvm_no_zero_page=1), read faults allocate in every variant (without it, detected from the trace\'s rss_stat and printed)'),
  machinePageSize: () => new Option('--machine-page-size <size>', `the traced machine's base page size (${PAGE_SIZE_NAMES.join(', ')}; default 4k): its addresses and rss_stat sizes are in these pages, every variant and validate use it (arm64 16K/64K kernels)`),
  profile: () => new Option('--profile <name|file>', `cost profile for modelled latency: a shipped name, a JSON file, 'trace' (the default: fitted to the trace's own timing, ${DEFAULT_PROFILE} where the trace times nothing or comes on stdin) or 'none' (latency 0). 'trace' reads the trace twice, once to fit: a named profile or 'none' reads it once`),
  // The what-if variants (replay, query, report): mainline first, then one per --patch / --thp / --no-zero-page.
  patch: () => new Option('--patch <names>', 'also replay with these patches (repeatable or comma-separated; "a+b" combines, "refpage+thp=always" varies THP too; see faultline patches)').argParser(collect).default([]),
  thp: () => new Option('--thp <policy>', `also replay mainline with this THP policy (${THP_POLICIES.join(', ')}; repeatable): variant "thp=POLICY"`).argParser(collect).default([]),
  mthp: () => new Option('--mthp <sizes>', "also replay mainline with these per-size THP settings, e.g. 64k=always,16k=inherit (hugepages-<size>kB/enabled: always, inherit, madvise, never; 6.8+; repeatable): variant \"mthp:64k=always,16k=inherit\"").argParser(collect).default([]),
  zeroPage: () => new Option('--no-zero-page', 'also replay mainline without the shared zero page (read faults allocate): variant "no-zero-page"'),
  select: () => new Option('--select <expr>', `VMAs the pattern-init patches apply to (default: "${PATCH_SELECT_DEFAULT}"; see faultline patches --help)`),
  patchOption: () => new Option('--patch-option <k=v>', 'patch option, e.g. cow-pte=v3 (per-page accounting in fork, v3+); repeatable').argParser(collect).default([]),
  pageSize: () => new Option('--page-size <size>', `also replay mainline with this base page size as a what-if (${PAGE_SIZE_NAMES.join(', ')}; repeatable): variant "page-size=SIZE" (docs/page_size.md says what a 4 KiB trace cannot tell)`).argParser(collect).default([]),
  baseThp: () => new Option('--base-thp <policy>', "override: THP policy of mainline itself and of every patch variant (default: detected from the trace's rss_stat, madvise until a fault shows it, and printed)"),
  lowMemory: () => new Option('--low-memory', "run node under V8's --optimize-for-size (restarted with it): on the bench's traces peak RSS a fifth to a quarter lower than the default's, the replay up to ~15% slower (npm run bench prints both); output unchanged"),
  baseMthp: () => new Option('--base-mthp <sizes>', "per-size THP settings of mainline itself and of every variant, as --mthp (default: learnt from the trace's rss_stat, a fault's +nr anon pages showing its mTHP size; a trace without rss_stat replays every size below 2M as never)"),
} as const satisfies Record<string, () => Option>;

export type OptionName = keyof typeof OPTIONS;

/** The what-if options, in the order their help lists them. */
export const VARIANT_OPTIONS: readonly OptionName[] = ['patch', 'thp', 'mthp', 'zeroPage', 'pageSize', 'select', 'patchOption', 'baseThp', 'baseMthp'];

/** Add shared options to a command; `help` replaces an option's help line where the command says more (--json's shape). */
export function addOptions(cmd: Command, names: readonly OptionName[], help: Partial<Record<OptionName, string>> = {}): Command {
  for (const n of names) {
    const o = OPTIONS[n]();
    if (help[n] !== undefined) o.description = help[n]!;
    cmd.addOption(o);
  }
  return cmd;
}

/** Commander's parsed values of the shared options. */
export interface SharedCliOptions {
  json?: boolean;
  format?: string;
  kernel?: string;
  machineNoZeroPage?: boolean;
  machinePageSize?: string;
  allowLost?: boolean;
  profile?: string;
  patch: string[];
  thp: string[];
  mthp: string[];
  zeroPage: boolean;
  pageSize: string[];
  select?: string;
  patchOption: string[];
  baseThp?: string;
  baseMthp?: string;
  lowMemory?: boolean;
}

/** The parsed values addOptions(cmd, VARIANT_OPTIONS) gives, plus --kernel and --machine-no-zero-page. */
export type VariantCliOptions = Pick<SharedCliOptions, 'patch' | 'thp' | 'mthp' | 'zeroPage' | 'pageSize' | 'select' | 'patchOption' | 'baseThp' | 'baseMthp' | 'kernel' | 'machineNoZeroPage' | 'machinePageSize'>;

export { traceFormat } from './trace_options.js';

/** The cost profile a --profile value names: 'none' for no modelled latency, default the shipped DEFAULT_PROFILE. */
export function profileFor(name: string | undefined): CostProfile | null {
  if (name === 'none') return null;
  if (name === TRACE_PROFILE) throw userError(`--profile ${TRACE_PROFILE} needs the trace: it fits the profile in a first pass over it (src/variants.ts resolveProfile)`);
  return loadProfile(name ?? DEFAULT_PROFILE);
}

/** --profile trace: fit the profile to the trace's own timing (analyze/latency/fit.ts) over the shipped default. */
export const TRACE_PROFILE = 'trace';
