// Validate's bookkeeping: figures overall, per member and per mm and member (a divergence is a run of mismatches),
// the first mismatches with the events just before them (a ring of recent events), and the result's by_mm rows.
import type { TraceEvent } from '../traces/events.js';
import { RSS_MEMBER_NAMES } from '../traces/events.js';
import * as F from './flags.js';
import type { BufferedRss } from './rss_stat.js';
import type { Mm } from './state.js';
import type { EventSummary, MemberFigures, Mismatch, MmFigures, ProcessFigures } from './validate_result.js';

const MAX_MISMATCHES = 20;
const MAX_BY_MM = 20;
const RING = 256;
const AROUND = 6;

/** One mm and member's figures, and whether its last compared event was a mismatch. */
export interface MmTally {
  mm: Mm;
  member: number;
  compared: number;
  matched: number;
  divergences: number;
  diverged: boolean;
}

export interface Tally {
  readonly by: Record<string, MemberFigures>;
  /** Keyed by mm idx * 4 + member. */
  readonly perMm: Map<number, MmTally>;
  readonly mismatches: Mismatch[];
  readonly ring: EventSummary[];
  ringAt: number;
  events: number;
  compared: number;
  matched: number;
  baseline: number;
  unmapped: number;
  guessed: number;
  splits: number;
  divergences: number;
  throttled: number;
  inBucket: number;
  /** Decreases nothing traced explains (validate_lockstep.ts): untraced reclaim, not compared. */
  reclaim: number;
  /** Runs of matches with the model an update ahead (validate_lockstep.ts closeAhead), the events in them, and the first run. */
  aheadRuns: number;
  aheadEvents: number;
  aheadFirst: { line: number; mm_id: number; member: string; events: number } | null;
}

export const newMember = (): MemberFigures => ({ compared: 0, matched: 0, divergences: 0, hinted: 0, hinted_matched: 0 });

export function createTally(): Tally {
  const by: Record<string, MemberFigures> = {};
  for (const n of RSS_MEMBER_NAMES) by[n] = newMember();
  return {
    by, perMm: new Map(), mismatches: [], ring: Array.from({ length: RING }, () => ({ line: 0, time: 0, tid: 0, kind: '', name: '' })), ringAt: 0,
    events: 0, compared: 0, matched: 0, baseline: 0, unmapped: 0, guessed: 0, splits: 0, divergences: 0, throttled: 0, inBucket: 0, reclaim: 0,
    aheadRuns: 0, aheadEvents: 0, aheadFirst: null,
  };
}

export function mmFig(t: Tally, mm: Mm, member: number): MmTally {
  const key = mm.idx * 4 + member;
  let st = t.perMm.get(key);
  if (!st) t.perMm.set(key, (st = { mm, member, compared: 0, matched: 0, divergences: 0, diverged: false }));
  return st;
}

/** One kernel event compared: counted in the total, its member's and its mm's figures. */
export function countCompared(t: Tally, mm: Mm, member: number, name: string): void {
  t.compared++;
  (t.by[name] ?? (t.by[name] = newMember())).compared++;
  mmFig(t, mm, member).compared++;
}

export function hit(t: Tally, mm: Mm, member: number, name: string, hinted: boolean): void {
  t.matched++;
  t.by[name]!.matched++;
  if (hinted) t.by[name]!.hinted_matched++;
  const st = mmFig(t, mm, member);
  st.matched++;
  st.diverged = false;
}

export function mismatch(t: Tally, b: BufferedRss, mm: Mm, name: string, modelPages: number): void {
  const st = mmFig(t, mm, b.member);
  if (!st.diverged) {
    st.diverged = true;
    st.divergences++;
    t.divergences++;
    t.by[name]!.divergences++;
  }
  if (t.mismatches.length < MAX_MISMATCHES) {
    // the events just before this one still in the ring (a held event is compared after the syscall's exit)
    const around: EventSummary[] = [];
    for (let k = 0; k < RING; k++) {
      const s = t.ring[(t.ringAt + k) % RING]!;
      if (s.kind && s.line < b.line) around.push({ ...s });
    }
    around.splice(0, Math.max(0, around.length - AROUND));
    t.mismatches.push({ line: b.line, time: b.time, tid: b.tid, mm_id: b.mmId, member: name, kernel_pages: b.size / F.PAGE_SIZE, model_pages: modelPages, around });
  }
}

/** Every event passes through the ring, so a mismatch can show what came just before it. */
export function remember(t: Tally, e: TraceEvent): void {
  const s = t.ring[t.ringAt]!;
  s.line = e.line;
  s.time = e.time;
  s.tid = e.tid;
  s.kind = e.kind;
  s.name = e.name;
  t.ringAt = (t.ringAt + 1) % RING;
}

/** Per mm and member with at least one mismatch, most mismatches first (at most 20). */
export function byMm(t: Tally): MmFigures[] {
  return [...t.perMm.values()].filter((s) => s.matched < s.compared)
    .sort((a, b) => b.compared - b.matched - (a.compared - a.matched) || a.mm.idx - b.mm.idx).slice(0, MAX_BY_MM)
    .map((s) => ({ mm_id: s.mm.mmId, pid: s.mm.ownerPid, member: RSS_MEMBER_NAMES[s.member] ?? String(s.member), compared: s.compared, matched: s.matched, divergences: s.divergences }));
}

/** Every mm's figures summed per owning process (by_mm keeps only the worst 20): for tables with a row per process. */
export function byProcess(t: Tally): Map<number, ProcessFigures> {
  const out = new Map<number, ProcessFigures>();
  for (const m of t.perMm.values()) {
    const f = out.get(m.mm.ownerPid) ?? { compared: 0, matched: 0, divergences: 0 };
    f.compared += m.compared;
    f.matched += m.matched;
    f.divergences += m.divergences;
    out.set(m.mm.ownerPid, f);
  }
  return out;
}
