// The model's boundary types: what a replay is asked to do, what it reports per event (probes) and at the end.
import type { MachineFacts } from './machine.js';
// analyze/ and reports/ read only these; nothing outside model/ touches model state.

/** mm/huge_memory.c: the values of /sys/kernel/mm/transparent_hugepage/enabled. */
export const THP_POLICIES = ['always', 'madvise', 'never'] as const;
export type ThpPolicy = (typeof THP_POLICIES)[number];

/** Fault paths: the closed catalogue in model/fault_paths.ts (mainline's and each patch's). */
export type { FaultPath } from './fault_paths.js';
import type { PageSizeName } from './page_geometry.js';
import type { FaultPath } from './fault_paths.js';
import type { MthpSettings } from './thpsize.js';

/** One variant of a replay: mainline rules plus zero or more patches. */
export interface VariantSpec {
  /** Shown in tables and probes: 'mainline', 'refpage', 'cow-pte', 'thp=never', ... */
  name: string;
  patches: string[];
  thp: ThpPolicy;
  /**
   * thp is only the default: the variant replays with the machine's THP policy as the trace's own counters show it
   * (model/machine.ts: thpPolicyOf; mainline and its patch variants unless --base-thp / --thp gave one).
   */
  thpFromTrace?: boolean;
  /** Per-size THP settings (hugepages-<size>kB/enabled, 6.8+); absent: unknown, learnt from the trace's rss_stat (else all never but PMD inherit). */
  mthp?: MthpSettings;
  useZeroPage: boolean;
  /** Kernel rules version, e.g. '6.18'; picks version-dependent rules by name (see model/kernel_version.ts). */
  kernel: string;
  /** VMA selector expression for pattern-init patches (see model/select.ts), '' for the default. */
  select: string;
  /** Patch options, e.g. { 'cow-pte': 'v3' }. */
  patchOptions: Record<string, string>;
  /**
   * The traced machine's base page size (--machine-page-size; absent: 4k): the geometry the trace's addresses and
   * rss_stat sizes are in. Every variant of a replay has the same one; validation compares in it.
   */
  machinePageSize?: PageSizeName;
  /** A what-if page size (--page-size; absent: the machine's): this variant replays the trace in that geometry. */
  pageSize?: PageSizeName;
}

/** Passed to model:fault probes. The object is reused between calls: copy what you keep. */
export interface FaultRecord {
  variant: string;
  time: number;
  cpu: number;
  pid: number;
  tid: number;
  comm: string;
  address: number;
  errorCode: number;
  path: FaultPath;
  vmaStart: number;
  vmaEnd: number;
  vmaFlags: number;
  pagesAllocated: number;
  tablesAllocated: number;
  /** COW PTE tables this fault copied before its own work (mm/memory.c: break_cow_pte); absent or 0 on mainline. */
  tablesCopied?: number;
  /** Modelled cost in ns from the variant's cost profile (0 when no profile is loaded). */
  latencyNs: number;
  /** True when the trace had no error code and the model inferred read/write. */
  inferred: boolean;
}

/** Passed to model:fork probes (reused between calls). */
export interface ForkRecord {
  variant: string;
  time: number;
  pid: number;
  comm: string;
  childPid: number;
  ptesCopied: number;
  tablesCopied: number;
  tablesShared: number;
  pmdsCopied: number;
  /** Of ptesCopied, the PTEs of large folios copied in batches (6.9+ copy_present_ptes), and how many batches; absent when none. */
  ptesBatched?: number;
  folioBatches?: number;
  latencyNs: number;
}

/** Passed to model:exit probes (reused between calls). */
export interface ExitRecord {
  variant: string;
  time: number;
  pid: number;
  comm: string;
  rssAnonKb: number;
  rssFileKb: number;
  pgtablesKb: number;
}

/** Passed to model:rss probes on every per-mm counter update (reused between calls). */
export interface RssRecord {
  variant: string;
  time: number;
  pid: number;
  comm: string;
  /** MM_FILEPAGES, MM_ANONPAGES, MM_SWAPENTS, MM_SHMEMPAGES (traces/events.ts: 0-3), or -1 for pgtables_bytes. */
  member: number;
  /** Counter after the update: pages for members 0-3, bytes for pgtables. */
  value: number;
  delta: number;
}

/** Passed to model:cow_pte_break probes (cow-pte patch only). */
export interface CowPteBreakRecord {
  variant: string;
  time: number;
  pid: number;
  comm: string;
  address: number;
  /** 'copy' when the table was copied, 'reuse' when this mm was the last owner. */
  how: 'copy' | 'reuse';
  /** What broke it: 'fault', 'munmap', 'mprotect', 'madvise', 'exit', ... */
  cause: string;
}

/** Probe callbacks a replay calls; all optional. */
export interface ReplayProbes {
  fault?: (r: FaultRecord) => void;
  fork?: (r: ForkRecord) => void;
  exit?: (r: ExitRecord) => void;
  rss?: (r: RssRecord) => void;
  cowPteBreak?: (r: CowPteBreakRecord) => void;
}

/** Percentiles of modelled latency for one path. */
export interface LatencySummary {
  count: number;
  total_ns: number;
  p50_ns: number;
  p90_ns: number;
  p99_ns: number;
}

/** One process in the replay output (`replay --json`). "final" = just before exit, or at trace end. */
export interface ProcessResult {
  pid: number;
  comm: string;
  mm_id: number | null;
  rss_anon_peak_kb: number;
  rss_anon_final_kb: number;
  rss_file_peak_kb: number;
  rss_file_final_kb: number;
  rss_shmem_peak_kb: number;
  rss_shmem_final_kb: number;
  pgtables_peak_kb: number;
  pgtables_final_kb: number;
  faults: Record<string, number>;
  minflt: number;
  forks: number;
  exits: number;
  /** Modelled latency per fault path (and 'fork'), ns. */
  latency_ns: Record<string, LatencySummary>;
  /** VMAs inferred from faults because the process predates the trace. */
  inferred_vmas: number;
}

/** One time-series point: per process, after a change, thinned to a bounded number of points. */
export interface SeriesPoint {
  t: number;
  rss_anon_kb: number;
  rss_file_kb: number;
  pgtables_kb: number;
}

export interface VariantResult {
  name: string;
  spec: VariantSpec;
  processes: ProcessResult[];
  totals: {
    faults: Record<string, number>;
    /** Peak over time of the sum over live processes (not the largest process): model/results.ts SumAcc. */
    rss_anon_peak_kb: number;
    pgtables_peak_kb: number;
    /** Page-table memory of the whole system: the peak over time of pgtables_bytes summed over every process, KiB. */
    system_pgtables_peak_kb: number;
    /** The same sum at the end of the trace (processes still alive), KiB. */
    system_pgtables_final_kb: number;
    fault_latency_ns: number;
    fork_latency_ns: number;
    forks: number;
  };
  latency_ns: Record<string, LatencySummary>;
  /** Per process (pid as string) series of points, time-ordered. */
  series: Record<string, SeriesPoint[]>;
  /** Process lifecycle marks for charts. */
  marks: { t: number; pid: number; kind: 'fork' | 'exec' | 'exit'; comm: string }[];
  inferred_faults: number;
  /**
   * Present when the trace had rss_stat but no page-fault events (arm64 has no fault tracepoint): RssAnon / RssFile
   * are the kernel's own counters, set from this many rss_stat events (inferred, not modelled); no fault path is
   * modelled, and page tables only where a syscall populates (no fault addresses).
   */
  rss_from_counters?: number;
  /**
   * Present when the variant followed the kernel's deferred split of underused THPs (model/thp_deferred_split.ts):
   * THPs split where untraced rss_stat decreases were the shrinker's zero-page remaps (RssAnon follows the kernel).
   */
  thp_splits_followed?: number;
}

export interface ReplayResult {
  trace: string;
  format: string;
  lost_events: number;
  skipped_lines: number;
  span_ns: number;
  variants: VariantResult[];
  /** The trace's rss_stat sizes disagree with the machine page size the replay assumed (model/replay.ts: pageSizeNote). */
  page_size_note?: string;
  /** The traced machine's zero page and THP as the trace showed them (or as --machine-no-zero-page gave them). */
  machine: MachineFacts;
}
