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
  const tgidOf = new Map<number, number>();
  const tids = new Set<number>();
  /** Threads whose process the trace names (TGID column, pid/tid, atrace marker, CLONE_THREAD newtask). */
  const named = new Set<number>();
  let first = -1;
  let last = -1;
  let usable = false;
  let clockSyncAtZero = 0;
  const folios = createAnonFolioCollector();

  // The last two names' counts at hand (faults and rss_stat alternate): the Map is asked when a new name comes.
  // (finish sorts by count, then name: the Map's order never shows)
  let name0 = '';
  let box0: { n: number } = { n: 0 };
  let name1 = '';
  let box1: { n: number } = { n: 0 };
  const byName = new Map<string, { n: number }>();
  const countName = (name: string): void => {
    if (name === name0) box0.n++;
    else if (name === name1) box1.n++;
    else {
      let b = byName.get(name);
      if (b === undefined) byName.set(name, (b = { n: 0 }));
      b.n++;
      name1 = name0;
      box1 = box0;
      name0 = name;
      box0 = b;
    }
  };
  // The thread the last row event noted: the same tid and pid again change nothing (only sink's newtask writes
  // another thread's entry, and sink forgets this).
  let rowTid = -1;
  let rowPid = -1;

  /** What every event adds: its name's count, the time span, its thread (`clockSync`: a marker left out of the span). */
  const counted = (name: string, time: number, pid: number, tid: number, clockSync: boolean, typed: boolean): void => {
    countName(name);
    if (clockSync) clockSyncAtZero++;
    else {
      if (first < 0 || time < first) first = time;
      if (time > last) last = time;
    }
    if (typed) usable = true;
    // tid 0 is the idle task, not a thread of any process.
    if (tid > 0 && (tid !== rowTid || pid !== rowPid)) {
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
      rowTid = tid;
      rowPid = pid;
    },
    rss(name, _system, time, _cpu, pid, tid, _comm, _line, mmId, curr, member, size) {
      folios.rss(tid, mmId, curr, member, size);
      counted(name, time, pid, tid, false, true);
      rowTid = tid;
      rowPid = pid;
    },
  };

  const sink = (e: TraceEvent): void => {
    if (e.kind === 'lost') return;
    rowTid = -1;
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
      const sorted = [...byName].map(([k, b]): [string, number] => [k, b.n]).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
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
