// The reports' input: plain data, built by the CLI from a replay, its probes and a validate run.
import type { ForkRecord, ReplayResult } from '../model/types.js';
import type { LatencyCheck } from '../analyze/latency/join.js';
import type { FaultTimeSanity } from '../analyze/latency/sanity.js';

/** One address x time cell of the heatmap: faults of one process in one time bin and one VMA slice. */
export interface HeatCell {
  pid: number;
  /** Bin start, ns since the first fault of the replay. */
  t: number;
  /** Row index in this process's VMA list (sorted by start), then slice within the VMA. */
  vma: number;
  slice: number;
  count: number;
}

/** A VMA row of the heatmap, labelled. */
export interface HeatVma {
  pid: number;
  index: number;
  start: number;
  end: number;
  flags: number;
  faults: number;
}

/** Bounded summary of the fault probe stream: what the latency and heatmap charts plot. */
export interface FaultBins {
  /** Variant whose faults feed the heatmap (the first one: faults land in the same places in every variant). */
  heatVariant: string;
  /** Width of a heatmap time bin, ns. */
  timeBinNs: number;
  /** Address slices per VMA row. */
  slices: number;
  /** Busiest processes, by fault count, most first. */
  processes: { pid: number; comm: string; faults: number }[];
  vmas: HeatVma[];
  cells: HeatCell[];
  /** Log latency histogram: bin b holds latencies in [2^(b/8), 2^((b+1)/8)) ns (aggregate.ts latencyBin); bin 0 also holds 0 ns. */
  latency: { variant: string; path: string; bin: number; count: number }[];
  /** Faults seen per variant (all processes), to say what share the heatmap shows. */
  faultsSeen: Record<string, number>;
  /** The variant others are compared with (the replay's first: mainline); '' when no fault was seen. */
  baseVariant: string;
  /** Per non-baseline variant: the faults that pay for the patch's deferred work (bounded sums, one entry per variant). */
  deferred: DeferredFaults[];
}

/**
 * Faults that pay for work a patch deferred from fork: for cow-pte, the write faults that copy a shared PTE table
 * (probe tablesCopied > 0; mm/memory.c: break_cow_pte). "Matched" ones are compared with the baseline's fault at
 * the same trace event (same time, thread and address), which did no table copy.
 */
export interface DeferredFaults {
  variant: string;
  /** Faults with tablesCopied > 0 in this variant. */
  faults: number;
  /** PTE tables those faults copied. */
  tables: number;
  /** Their modelled cost in this variant, ns. */
  ns: number;
  /** Of those, the ones whose trace event the baseline also replayed as a fault. */
  matched: number;
  /** Modelled cost of the matched faults in this variant, and of the same events' faults in the baseline, ns. */
  matchedNs: number;
  baseNs: number;
  /** The baseline's path for the matched events, with counts (e.g. { wp_page_copy: 512 }). */
  basePaths: Record<string, number>;
}

/** Forks kept for the fork chart (bounded), and how many there were. */
export interface ForkSample {
  records: ForkRecord[];
  total: Record<string, number>;
}

/** `faultline validate`'s summary: how far the replayed rss_stat agrees with the kernel's. */
export interface ValidateSummary {
  rss_stat_events: number;
  compared: number;
  matched: number;
  match_ratio: number;
  by_member: Record<string, { compared: number; matched: number; match_ratio?: number }>;
  /** rss_stat events not compared: baselines of mms the trace did not show from their start, and unknown mms. */
  baseline?: number;
  unmapped?: number;
  /** Modelled vs measured latency (validate with a cost profile); absent or null when not measured. */
  latency?: (LatencyCheck & { profile: string }) | null;
}

export interface Provenance {
  command: string;
  version: string;
  trace: string;
  kernelRules: string;
  costProfile: string;
  /** ISO time the page was made; omitted for reproducible output. */
  generated?: string;
}

export interface ReportInput {
  replay: ReplayResult;
  faults: FaultBins;
  forks: ForkSample;
  validate: ValidateSummary | null;
  /** Mainline's modelled fault time against each thread's span (null: no profile, or a report from replay JSON). */
  sanity?: FaultTimeSanity | null;
  provenance: Provenance;
}
