// Per-CPU k-way merge into timestamp order with bounded memory: each CPU's events queue up until every
// CPU seen so far has one (the classic merge), or the oldest is older than the window, or the queues are full.
import type { EventSink, TraceEvent } from './events.js';

export interface MergeOptions {
  /** An event this far (ns) behind the newest seen is released even if some CPU has nothing queued. */
  windowNs?: number;
  /** Total events held across all CPUs before the oldest is released regardless. */
  maxQueued?: number;
  /**
   * Release only by the window (or maxQueued), never because every CPU seen so far has an event: for a format that
   * writes one CPU's batch after another and cannot say how many CPUs there are (bpftrace's output).
   */
  windowOnly?: boolean;
  /**
   * The writer sorts the whole file by time (perf script: tools/perf/util/ordered-events.c): pass events on as they
   * come while they are in order, holding none; from the first one earlier than an event already passed on (counted
   * late) the window and queues above take over for the rest of the file.
   */
  inOrder?: boolean;
}

export interface Merger {
  push(e: TraceEvent): void;
  /**
   * Whether an event at `time` would be passed on at once, nothing held (an in-order file still in order): true takes
   * it as passed on (the caller sends it to the sink itself); false changes nothing and the caller pushes it.
   */
  direct(time: number): boolean;
  /** Release everything still queued (end of input). */
  flush(): void;
  /** Declare CPUs 0..n-1 up front so the merge waits for each from the start. */
  expectCpus(n: number): void;
  /** Events that arrived after a later event had already been released (the window was too small). */
  readonly late: () => number;
}

interface Queue {
  items: TraceEvent[];
  head: number;
}

export const DEFAULT_WINDOW_NS = 50_000_000;
export const DEFAULT_MAX_QUEUED = 65_536;

/** One merge's state; the functions below are module-level and take it, so V8 compiles them once per thread rather
 *  than once per trace (batch reads hundreds of traces in one thread). */
interface MergeState {
  readonly sink: EventSink;
  readonly windowNs: number;
  readonly maxQueued: number;
  readonly classic: boolean;
  inOrder: boolean;
  // Index cpu+1 so that cpu -1 (format does not say) has a slot; grown on demand.
  readonly queues: Queue[];
  readonly active: Queue[];
  queued: number;
  nonEmpty: number;
  maxSeen: number;
  lastOut: number;
  late: number;
}

function queueFor(st: MergeState, cpu: number): Queue {
  const idx = cpu + 1 >= 0 ? cpu + 1 : 0;
  let q = st.queues[idx];
  if (q === undefined) {
    q = { items: [], head: 0 };
    st.queues[idx] = q;
    st.active.push(q);
  }
  return q;
}

function popMin(st: MergeState): void {
  const active = st.active;
  let best: Queue | null = null;
  let bestTime = Infinity;
  let bestLine = Infinity;
  for (let i = 0; i < active.length; i++) {
    const q = active[i];
    if (q.head >= q.items.length) continue;
    const e = q.items[q.head];
    // Ties keep file order: the earlier line wins.
    if (e.time < bestTime || (e.time === bestTime && e.line < bestLine)) {
      best = q;
      bestTime = e.time;
      bestLine = e.line;
    }
  }
  if (best === null) return;
  const e = best.items[best.head];
  best.items[best.head] = undefined as unknown as TraceEvent;
  best.head++;
  if (best.head === best.items.length) {
    best.items.length = 0;
    best.head = 0;
    st.nonEmpty--;
  } else if (best.head >= 4096 && best.head * 2 >= best.items.length) {
    best.items.splice(0, best.head);
    best.head = 0;
  }
  st.queued--;
  if (e.time < st.lastOut) st.late++;
  else st.lastOut = e.time;
  const sink = st.sink;
  sink(e);
}

function minHeadTime(st: MergeState): number {
  const active = st.active;
  let t = Infinity;
  for (let i = 0; i < active.length; i++) {
    const q = active[i];
    if (q.head < q.items.length && q.items[q.head].time < t) t = q.items[q.head].time;
  }
  return t;
}

/** An in-order file still in order at `time`: the event is taken as passed on (true), nothing held. */
function passesInOrder(st: MergeState, time: number): boolean {
  // In a sorted file the merge would release every event in file order (ties: the earlier line): skip it.
  if (!st.inOrder || time < st.lastOut) return false;
  if (time > st.maxSeen) st.maxSeen = time;
  st.lastOut = time;
  return true;
}

function mergePush(st: MergeState, e: TraceEvent): void {
  const sink = st.sink;
  if (st.inOrder) {
    if (passesInOrder(st, e.time)) {
      sink(e);
      return;
    }
    st.inOrder = false;
  }
  const q = queueFor(st, e.cpu);
  if (st.classic && st.queued === 0 && st.active.length === 1) {
    // One CPU and nothing held: the event would be queued and released at once.
    if (e.time > st.maxSeen) st.maxSeen = e.time;
    if (e.time < st.lastOut) st.late++;
    else st.lastOut = e.time;
    sink(e);
    return;
  }
  const items = q.items;
  if (q.head === items.length) st.nonEmpty++;
  const n = items.length;
  if (n === q.head || items[n - 1].time <= e.time) items.push(e);
  else {
    // A CPU's own events are normally in order; if not, insert after the last one not later (stable).
    let k = n - 1;
    while (k >= q.head && items[k].time > e.time) k--;
    items.splice(k + 1, 0, e);
  }
  st.queued++;
  if (e.time > st.maxSeen) st.maxSeen = e.time;
  // Release while every CPU seen has something queued, or the oldest is outside the window, or too much is held.
  for (;;) {
    if (st.queued === 0) break;
    if ((st.classic && st.nonEmpty === st.active.length) || st.queued > st.maxQueued) {
      popMin(st);
      continue;
    }
    if (minHeadTime(st) + st.windowNs < st.maxSeen) {
      popMin(st);
      continue;
    }
    break;
  }
}

export function createMerger(sink: EventSink, opts: MergeOptions = {}): Merger {
  const st: MergeState = {
    sink,
    windowNs: opts.windowNs ?? DEFAULT_WINDOW_NS,
    maxQueued: opts.maxQueued ?? DEFAULT_MAX_QUEUED,
    classic: opts.windowOnly !== true,
    inOrder: opts.inOrder === true,
    queues: [],
    active: [],
    queued: 0,
    nonEmpty: 0,
    maxSeen: -Infinity,
    lastOut: -Infinity,
    late: 0,
  };
  return {
    push: (e) => mergePush(st, e),
    direct: (time) => passesInOrder(st, time),
    flush(): void {
      while (st.queued > 0) popMin(st);
    },
    expectCpus(n: number): void {
      for (let c = 0; c < n; c++) queueFor(st, c);
    },
    late: () => st.late,
  };
}
