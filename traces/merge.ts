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

export function createMerger(sink: EventSink, opts: MergeOptions = {}): Merger {
  const windowNs = opts.windowNs ?? DEFAULT_WINDOW_NS;
  const maxQueued = opts.maxQueued ?? DEFAULT_MAX_QUEUED;
  const classic = opts.windowOnly !== true;
  let inOrder = opts.inOrder === true;
  // Index cpu+1 so that cpu -1 (format does not say) has a slot; grown on demand.
  const queues: Queue[] = [];
  const active: Queue[] = [];
  let queued = 0;
  let nonEmpty = 0;
  let maxSeen = -Infinity;
  let lastOut = -Infinity;
  let late = 0;

  function queueFor(cpu: number): Queue {
    const idx = cpu + 1 >= 0 ? cpu + 1 : 0;
    let q = queues[idx];
    if (q === undefined) {
      q = { items: [], head: 0 };
      queues[idx] = q;
      active.push(q);
    }
    return q;
  }

  function popMin(): void {
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
      nonEmpty--;
    } else if (best.head >= 4096 && best.head * 2 >= best.items.length) {
      best.items.splice(0, best.head);
      best.head = 0;
    }
    queued--;
    if (e.time < lastOut) late++;
    else lastOut = e.time;
    sink(e);
  }

  function minHeadTime(): number {
    let t = Infinity;
    for (let i = 0; i < active.length; i++) {
      const q = active[i];
      if (q.head < q.items.length && q.items[q.head].time < t) t = q.items[q.head].time;
    }
    return t;
  }

  return {
    push(e: TraceEvent): void {
      if (inOrder) {
        // In a sorted file the merge would release every event in file order (ties: the earlier line): skip it.
        if (e.time >= lastOut) {
          if (e.time > maxSeen) maxSeen = e.time;
          lastOut = e.time;
          sink(e);
          return;
        }
        inOrder = false;
      }
      const q = queueFor(e.cpu);
      if (classic && queued === 0 && active.length === 1) {
        // One CPU and nothing held: the event would be queued and released at once.
        if (e.time > maxSeen) maxSeen = e.time;
        if (e.time < lastOut) late++;
        else lastOut = e.time;
        sink(e);
        return;
      }
      const items = q.items;
      if (q.head === items.length) nonEmpty++;
      const n = items.length;
      if (n === q.head || items[n - 1].time <= e.time) items.push(e);
      else {
        // A CPU's own events are normally in order; if not, insert after the last one not later (stable).
        let k = n - 1;
        while (k >= q.head && items[k].time > e.time) k--;
        items.splice(k + 1, 0, e);
      }
      queued++;
      if (e.time > maxSeen) maxSeen = e.time;
      // Release while every CPU seen has something queued, or the oldest is outside the window, or too much is held.
      for (;;) {
        if (queued === 0) break;
        if ((classic && nonEmpty === active.length) || queued > maxQueued) {
          popMin();
          continue;
        }
        if (minHeadTime() + windowNs < maxSeen) {
          popMin();
          continue;
        }
        break;
      }
    },
    flush(): void {
      while (queued > 0) popMin();
    },
    expectCpus(n: number): void {
      for (let c = 0; c < n; c++) queueFor(c);
    },
    late: () => late,
  };
}
