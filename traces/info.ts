// `faultline info`: one pass over a trace counting events per name, processes, threads, time span and losses.
import type { EventSink, ReadOptions, ReadResult, RowSink, SkippedLine, TraceEvent, TraceFormat } from './events.js';
import { CLONE_THREAD } from './events.js';
import { readTrace } from './read.js';
import { statRows, type StatRow } from './stats.js';
import { createAnonFolioCollector, type AnonFolios } from './anon_folios.js';

export interface TraceInfo {
  file: string;
  format: TraceFormat;
  bytes: number;
  lines: number;
  /** Events per tracepoint name without subsystem (lost markers are not events). */
  events: Record<string, number>;
  totalEvents: number;
  lostEvents: number;
  skippedLines: number;
  skippedExamples: SkippedLine[];
  processes: number;
  threads: number;
  firstNs: number;
  lastNs: number;
  spanNs: number;
  /** true when the trace holds page faults, rss_stat, mm syscalls or fork/exec/exit: what replay needs. */
  usable: boolean;
  warnings: string[];
  /** The non-zero counted warnings (traces/stats.ts), in catalogue order. */
  stats: StatRow[];
  /** Large anonymous folios the faults' own rss_stat show (traces/anon_folios.ts); absent when none. */
  anonFolios?: AnonFolios;
}

export interface InfoCollector {
  sink: EventSink;
  /** sink for faults and rss_stat, by their parts (ReadOptions.rows). */
  rows: RowSink;
  finish(r: ReadResult): TraceInfo;
}

/** systrace's `trace_event_clock_sync: parent_ts=...` marker (a trace_marker write, not workload activity). */
function isClockSync(e: TraceEvent): boolean {
  if (e.kind !== 'other') return false;
  const m = e.fields.msg;
  return typeof m === 'string' && m.includes('trace_event_clock_sync:');
}

/** A sink that aggregates what `info` prints; finish() combines it with the reader's result. */
export function createInfoCollector(): InfoCollector {
  const events = new Map<string, number>();
  const tgidOf = new Map<number, number>();
  const tids = new Set<number>();
  /** Threads whose process the trace names (TGID column, pid/tid, atrace marker, CLONE_THREAD newtask). */
  const named = new Set<number>();
  let first = -1;
  let last = -1;
  let usable = false;
  let clockSyncAtZero = 0;
  const folios = createAnonFolioCollector();

  /** What every event adds: its name's count, the time span, its thread (`clockSync`: a marker left out of the span). */
  const counted = (name: string, time: number, pid: number, tid: number, clockSync: boolean, typed: boolean): void => {
    events.set(name, (events.get(name) ?? 0) + 1);
    if (clockSync) clockSyncAtZero++;
    else {
      if (first < 0 || time < first) first = time;
      if (time > last) last = time;
    }
    if (typed) usable = true;
    // tid 0 is the idle task, not a thread of any process.
    if (tid > 0) {
      tids.add(tid);
      if (pid > 0) {
        tgidOf.set(tid, pid);
        named.add(tid);
      } else if (!tgidOf.has(tid)) tgidOf.set(tid, tid);
    }
  };
  // faults and rss_stat by their parts (the reader builds no object for them): sink's work for the two
  const rows: RowSink = {
    fault(name, _system, time, _cpu, pid, tid) {
      folios.fault(tid);
      counted(name, time, pid, tid, false, true);
    },
    rss(name, _system, time, _cpu, pid, tid, _comm, _line, mmId, curr, member, size) {
      folios.rss(tid, mmId, curr, member, size);
      counted(name, time, pid, tid, false, true);
    },
  };

  const sink = (e: TraceEvent): void => {
    if (e.kind === 'lost') return;
    folios.sink(e);
    counted(e.name, e.time, e.pid, e.tid, e.time === 0 && isClockSync(e), e.kind !== 'other');
    if (e.kind === 'newtask' && e.newPid > 0) {
      // kernel/fork.c: copy_process: a CLONE_THREAD child joins the creator's thread group
      const creator = e.pid > 0 ? e.pid : (tgidOf.get(e.tid) ?? e.tid);
      tgidOf.set(e.newPid, e.cloneFlags & CLONE_THREAD ? creator : e.newPid);
      tids.add(e.newPid);
      named.add(e.newPid);
    }
  };

  return {
    sink,
    rows,
    finish(r: ReadResult): TraceInfo {
      const processes = new Set<number>();
      let unnamed = 0;
      const dump = r.threadGroups;
      for (const t of tids) {
        const fromDump = named.has(t) ? undefined : dump?.get(t);
        processes.add(fromDump ?? tgidOf.get(t) ?? t);
        if (!named.has(t) && fromDump === undefined) unnamed++;
      }
      const sorted = [...events.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
      let total = 0;
      for (const [, n] of sorted) total += n;
      const anonFolios = folios.finish();
      return {
        ...(Object.keys(anonFolios.faultsByKib).length ? { anonFolios } : {}),
        file: r.file,
        format: r.format,
        bytes: r.bytes,
        lines: r.lines,
        events: Object.fromEntries(sorted),
        totalEvents: total,
        lostEvents: r.lostEvents,
        skippedLines: r.skippedLines,
        skippedExamples: r.skippedExamples,
        processes: processes.size,
        threads: tids.size,
        firstNs: first < 0 ? 0 : first,
        lastNs: last < 0 ? 0 : last,
        spanNs: first < 0 ? 0 : last - first,
        usable,
        warnings: r.warnings ?? [],
        stats: statRows({ ...r.stats, thread_tgid_unknown: unnamed, clock_sync_at_zero: clockSyncAtZero }),
      };
    },
  };
}

/** Read `path` once and aggregate it. */
export async function traceInfo(path: string, opts: ReadOptions = {}): Promise<TraceInfo> {
  const c = createInfoCollector();
  const r = await readTrace(path, c.sink, { ...opts, rows: c.rows });
  return c.finish(r);
}
