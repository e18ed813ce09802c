// The shape of `faultline validate`'s result: overall, per member, per mm and per process figures, and the first
// mismatches with the events around them (model/validate.ts fills it).
import type { MachineFacts } from './machine.js';
import type { EventSink } from '../traces/events.js';
import type { AssumptionKind } from './engine_state.js';
import type { MissingEvent } from '../traces/needed_events.js';
import type { ReplayProbes } from './types.js';

export interface EventSummary {
  line: number;
  time: number;
  tid: number;
  kind: string;
  name: string;
}

export interface Mismatch {
  line: number;
  time: number;
  tid: number;
  mm_id: number;
  member: string;
  kernel_pages: number;
  model_pages: number;
  /** The events just before this one (oldest first). */
  around: EventSummary[];
}

export interface ValidateResult {
  trace: string;
  format: string;
  variant: string;
  rss_stat_events: number;
  compared: number;
  matched: number;
  match_ratio: number;
  by_member: Record<string, MemberFigures>;
  /** Events the model needs that the trace lacks, each with what its absence costs (traces/needed_events.ts). */
  missing_events: MissingEvent[];
  /** What the model assumed where the trace did not say (model/engine_state.ts: AssumptionKind), counted. */
  assumptions: Record<AssumptionKind, number>;
  /** True when the replay read no hint from the trace (`validate --blind`): every figure is a prediction. */
  blind: boolean;
  /** The traced machine's zero page and THP as the trace showed them (model/machine.ts). */
  machine: MachineFacts;
  /**
   * Runs of mismatches: each starts where an event of an mm and member stops matching and ends at its next match
   * (the validator resynchronises after the first, so one wrong page is one divergence, not every later event).
   */
  divergences: number;
  /** Per mm and member with at least one mismatch, most mismatches first (at most 20). */
  by_mm: MmFigures[];
  /**
   * Events that set the baseline of an mm the trace did not show from its start, or move pages it held from before the
   * trace (a fork's copy or teardown of them, a munmap/madvise where the model knows no VMA): not compared. (A fork
   * child's teardown of them is compared when nothing changed it since its copy: it undoes the copy's pieces in order.)
   */
  baseline: number;
  /** Events whose mm the model could not identify (not compared). */
  unmapped: number;
  /**
   * Teardown events inside a run of inferred VMAs (exec-loaded, never mmapped in the trace): the kernel flushes rss
   * per VMA piece and the run's VMA boundaries are the model's guess, so only the run's end value is compared.
   */
  guessed_vma_pieces: number;
  /**
   * Kernel events strictly inside one of the model's zap_pte_range / copy_pte_range pieces: the walk broke on
   * need_resched (a scheduler decision, not an mm rule) and flushed its batch early. Counted as matched; the rest of
   * the piece must still land on the model's value.
   */
  resched_splits: number;
  /**
   * Android's rss_stat_throttled events (present only when the trace has them): the kernel's value at 512 KiB
   * resolution, so one agrees when a model value since the mm's last event lies in the reported bucket.
   */
  rss_stat_throttled?: { compared: number; in_bucket: number; bucket_bytes: number };
  /**
   * Decreases nothing traced explains (present only when there are any): the kernel's counter fell with no model update
   * pending and no call, clone, exec or exit in flight for the mm. Reclaim the trace cannot show (mm/vmscan.c:
   * shrink_folio_list -> try_to_unmap_one for swap-out and page-cache reclaim; the THP shrinker's deferred_split_scan
   * -> try_to_map_unused_to_zeropage), or a call whose events the trace lacks (an unrecorded madvise). Not compared;
   * the model is resynchronised to the kernel's value at each.
   */
  untraced_reclaim?: {
    events: number;
    by_member: Record<string, number>;
    reason: string;
    /** THPs the model split because the decreases were the deferred split's remaps (model/thp_deferred_split.ts), when any. */
    thp_splits?: number;
  };
  /**
   * Runs of matched events (present only when there are any) in a one-thread mm after each of which the model still
   * held an update the kernel had not shown: the lockstep matched the kernel with the model's previous value, so each
   * such event agreed while the model's counter was one update off. Evidence of a model update the kernel never made
   * (a wrong rule), not of the kernel's order; only runs of validate_lockstep.ts AHEAD_RUN events or more count.
   */
  model_ahead?: { runs: number; events: number; first: { line: number; mm_id: number; member: string; events: number }; reason: string };
  /** Set when the trace has rss_stat but no page-fault event: the model builds RSS from faults, so nothing was compared fairly. */
  nothing_to_model?: string;
  /** rss_stat events of counters the model does not have (member 4 and up: Android kernels), per member: not compared. */
  unmodelled_members?: Record<string, number>;
  /** The older-kernel behaviour this comparison assumed (split RSS counters before 6.2, syscall arguments in bare hex). */
  assumed?: string[];
  lost_events: number;
  first_mismatches: Mismatch[];
}

/** Who else watches the validated run: the model's fault/fork records, and each event after the model saw it. */
export interface ValidatorObserver {
  probes: ReplayProbes;
  sink: EventSink;
}

/** One member's figures: `hinted` compared events are ones the replay had read as a fault's hint (told, not predicted). */
export interface MemberFigures {
  compared: number;
  matched: number;
  divergences: number;
  hinted: number;
  hinted_matched: number;
  /** Events of this member in the untraced-reclaim bucket (ValidateResult.untraced_reclaim), when any. */
  untraced_reclaim?: number;
}

/** One mm and member's figures in validate's output. */
export interface MmFigures {
  mm_id: number;
  pid: number;
  member: string;
  compared: number;
  matched: number;
  divergences: number;
}

/** One process's figures over all its mms and members (createValidator's byProcess). */
export interface ProcessFigures {
  compared: number;
  matched: number;
  divergences: number;
}
