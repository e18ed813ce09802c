// Events crossing from the parse worker to the consumer's thread: the hot kinds (fault, rss_stat) as rows of
// struct-of-arrays columns in one of a few SharedArrayBuffers, reused in turn (a slot number crosses, not the bytes:
// transferring a fresh ArrayBuffer per batch cost the consumer's GC ~0.4 s per 300k events); any other event as a
// structured-clone object in its place in the row order. Names and comms go once into a string table both sides grow in step.
import type { EventSink, RowSink, TraceEvent } from './events.js';

/** Batch slots at most: the worker waits for the slowest consumer beyond this (bounded memory, BATCH_BYTES each). */
export const MAX_BUFFERS = 6;
/** refs[s] for slot s < MAX_BUFFERS: consumers yet to read the batch in it; refs[RELEASED]: slots freed so far (notified). */
export const RELEASED = MAX_BUFFERS;

/** The slot counts of one parse (a SharedArrayBuffer: the worker and every consumer see the same). */
export const slotRefs = (): Int32Array => new Int32Array(new SharedArrayBuffer((MAX_BUFFERS + 1) * 4));

/** A consumer is done with `slot`: the last of them frees it and wakes the worker. */
export function releaseSlot(refs: Int32Array, slot: number): void {
  if (Atomics.sub(refs, slot, 1) !== 1) return;
  Atomics.add(refs, RELEASED, 1);
  Atomics.notify(refs, RELEASED);
}

/** Rows per batch: ~1 MiB of perf script text holds ~8k events, so a batch is about one read chunk. */
export const BATCH_ROWS = 8192;

const TAG_FAULT = 0;
const TAG_RSS = 1;
/** The row stands for the next object of `rare`. */
const TAG_RARE = 2;

/** Float64 columns: time, line, then per kind a/b/c (fault: address, ip, errorCode; rss_stat: mmId, size, member). */
const F64_COLS = 5;
/** Int32 columns: tag, name id, system id, comm id, cpu, pid, tid, bits (fault: user; rss_stat: curr, throttled). */
const I32_COLS = 8;
export const BATCH_BYTES = BATCH_ROWS * (F64_COLS * 8 + I32_COLS * 4);

// Column k starts at k * BATCH_ROWS in one Float64Array and one Int32Array over the buffer: the hot loops index two
// views instead of loading thirteen.
const TIME = 0;
const LINE = BATCH_ROWS;
const A = 2 * BATCH_ROWS;
const B = 3 * BATCH_ROWS;
const C = 4 * BATCH_ROWS;
const TAG = 0;
const NAME = BATCH_ROWS;
const SYSTEM = 2 * BATCH_ROWS;
const COMM = 3 * BATCH_ROWS;
const CPU = 4 * BATCH_ROWS;
const PID = 5 * BATCH_ROWS;
const TID = 6 * BATCH_ROWS;
const BITS = 7 * BATCH_ROWS;

const f64Of = (buf: ArrayBufferLike): Float64Array<ArrayBufferLike> => new Float64Array(buf, 0, F64_COLS * BATCH_ROWS);
const i32Of = (buf: ArrayBufferLike): Int32Array<ArrayBufferLike> => new Int32Array(buf, F64_COLS * BATCH_ROWS * 8, I32_COLS * BATCH_ROWS);

/** One batch as posted: `rows` rows of slot `slot` (its buffer sent along the first time), the strings first seen in it
 * (appended to the table in order), the rare events. */
export interface Batch {
  slot: number;
  buf: SharedArrayBuffer | null;
  rows: number;
  strings: string[];
  rare: TraceEvent[];
}

/** An int32 that reads back as the same number (pid, tid, cpu are; a malformed huge one takes the object path). */
export const i32ok = (v: number): boolean => (v | 0) === v && (v !== 0 || 1 / v > 0);

export interface Encoder {
  sink: EventSink;
  /** The hot kinds by their parts (traces/read.ts: the byte paths' events where nothing is held), as sink would write them. */
  rows: RowSink;
  /** Post what is held (end of input). */
  flush(): void;
}

/** Worker side: events in, `post(batch)` each time BATCH_ROWS are held; `slot()` gives a free slot (waiting if none is). */
export function createEncoder(post: (b: Batch) => void, slot: () => number): Encoder {
  const ids = new Map<string, number>();
  const bufs: SharedArrayBuffer[] = [];
  let strings: string[] = [];
  let rare: TraceEvent[] = [];
  let fresh = false;
  let cur = 0;
  let f64: Float64Array<ArrayBufferLike> = new Float64Array(0);
  let i32: Int32Array<ArrayBufferLike> = new Int32Array(0);
  let rows = 0;
  function take(): void {
    cur = slot();
    fresh = bufs[cur] === undefined;
    if (fresh) bufs[cur] = new SharedArrayBuffer(BATCH_BYTES);
    f64 = f64Of(bufs[cur]);
    i32 = i32Of(bufs[cur]);
  }
  take();
  // The last two names and systems and the last comm with their ids: faults and rss_stat alternate, and consecutive
  // events share the same string objects (compared by pointer), so the map is rarely asked.
  let name0 = '';
  let name0Id = -1;
  let name1 = '';
  let name1Id = -1;
  let sys0 = '';
  let sys0Id = -1;
  let sys1 = '';
  let sys1Id = -1;
  let comm0 = '';
  let comm0Id = -1;

  function id(s: string): number {
    let v = ids.get(s);
    if (v === undefined) {
      v = ids.size;
      ids.set(s, v);
      strings.push(s);
    }
    return v;
  }

  function flush(): void {
    if (rows === 0 && rare.length === 0) return;
    post({ slot: cur, buf: fresh ? bufs[cur] : null, rows, strings, rare });
    strings = [];
    rare = [];
    rows = 0;
    take();
  }

  function header(r: number, tag: number, name: string, system: string, time: number, cpu: number, pid: number, tid: number, comm: string, line: number): void {
    i32[TAG + r] = tag;
    f64[TIME + r] = time;
    f64[LINE + r] = line;
    i32[CPU + r] = cpu;
    i32[PID + r] = pid;
    i32[TID + r] = tid;
    if (name === name0 && name0Id >= 0) i32[NAME + r] = name0Id;
    else if (name === name1 && name1Id >= 0) i32[NAME + r] = name1Id;
    else {
      name1 = name0;
      name1Id = name0Id;
      name0 = name;
      name0Id = id(name);
      i32[NAME + r] = name0Id;
    }
    if (system === sys0 && sys0Id >= 0) i32[SYSTEM + r] = sys0Id;
    else if (system === sys1 && sys1Id >= 0) i32[SYSTEM + r] = sys1Id;
    else {
      sys1 = sys0;
      sys1Id = sys0Id;
      sys0 = system;
      sys0Id = id(system);
      i32[SYSTEM + r] = sys0Id;
    }
    if (comm !== comm0 || comm0Id < 0) {
      comm0 = comm;
      comm0Id = id(comm);
    }
    i32[COMM + r] = comm0Id;
  }

  function fault(name: string, system: string, time: number, cpu: number, pid: number, tid: number, comm: string, line: number, user: boolean, address: number, ip: number, errorCode: number): void {
    const r = rows;
    header(r, TAG_FAULT, name, system, time, cpu, pid, tid, comm, line);
    f64[A + r] = address;
    f64[B + r] = ip;
    f64[C + r] = errorCode;
    i32[BITS + r] = user ? 1 : 0;
    if (++rows === BATCH_ROWS) flush();
  }

  function rss(name: string, system: string, time: number, cpu: number, pid: number, tid: number, comm: string, line: number, mmId: number, curr: boolean, member: number, size: number, throttled: boolean): void {
    const r = rows;
    header(r, TAG_RSS, name, system, time, cpu, pid, tid, comm, line);
    f64[A + r] = mmId;
    f64[B + r] = size;
    f64[C + r] = member;
    i32[BITS + r] = (curr ? 1 : 0) | (throttled ? 2 : 0);
    if (++rows === BATCH_ROWS) flush();
  }

  function sink(e: TraceEvent): void {
    if (e.kind === 'fault' && i32ok(e.cpu) && i32ok(e.pid) && i32ok(e.tid)) fault(e.name, e.system, e.time, e.cpu, e.pid, e.tid, e.comm, e.line, e.user, e.address, e.ip, e.errorCode);
    else if (e.kind === 'rss_stat' && i32ok(e.cpu) && i32ok(e.pid) && i32ok(e.tid)) rss(e.name, e.system, e.time, e.cpu, e.pid, e.tid, e.comm, e.line, e.mmId, e.curr, e.member, e.size, e.throttled);
    else {
      i32[TAG + rows] = TAG_RARE;
      rare.push(e);
      if (++rows === BATCH_ROWS) flush();
    }
  }

  // (rows: the caller has checked i32ok on cpu, pid and tid, as sink does)
  return { sink, flush, rows: { fault, rss } };
}

/**
 * Consumer side: each batch's events, rebuilt with the readers' own field order, go to `sink` in row order; with
 * `rows`, faults and rss_stat go there by their parts instead (no object).
 */
export function createBatchDecoder(sink: EventSink, rows?: RowSink): (b: Batch) => void {
  const table: string[] = [];
  const views: { f64: Float64Array<ArrayBufferLike>; i32: Int32Array<ArrayBufferLike> }[] = [];
  return (b: Batch): void => {
    for (const s of b.strings) table.push(s);
    if (b.buf !== null) views[b.slot] = { f64: f64Of(b.buf), i32: i32Of(b.buf) };
    const { f64, i32 } = views[b.slot];
    let k = 0;
    for (let r = 0; r < b.rows; r++) {
      const tag = i32[TAG + r];
      if (tag === TAG_RARE) {
        sink(b.rare[k++]);
        continue;
      }
      if (rows !== undefined) {
        if (tag === TAG_FAULT) {
          rows.fault(table[i32[NAME + r]], table[i32[SYSTEM + r]], f64[TIME + r], i32[CPU + r], i32[PID + r], i32[TID + r], table[i32[COMM + r]], f64[LINE + r], i32[BITS + r] === 1, f64[A + r], f64[B + r], f64[C + r]);
        } else {
          const bits = i32[BITS + r];
          rows.rss(table[i32[NAME + r]], table[i32[SYSTEM + r]], f64[TIME + r], i32[CPU + r], i32[PID + r], i32[TID + r], table[i32[COMM + r]], f64[LINE + r], f64[A + r], (bits & 1) !== 0, f64[C + r], f64[B + r], (bits & 2) !== 0);
        }
        continue;
      }
      // The key order is decode.ts's (perf_script.ts's software faults use the same): output that lists keys stays the same.
      if (tag === TAG_FAULT) {
        sink({
          kind: 'fault', name: table[i32[NAME + r]], system: table[i32[SYSTEM + r]], time: f64[TIME + r], cpu: i32[CPU + r], pid: i32[PID + r], tid: i32[TID + r],
          comm: table[i32[COMM + r]], line: f64[LINE + r], user: i32[BITS + r] === 1, address: f64[A + r], ip: f64[B + r], errorCode: f64[C + r],
        });
      } else {
        const bits = i32[BITS + r];
        sink({
          kind: 'rss_stat', name: table[i32[NAME + r]], system: table[i32[SYSTEM + r]], time: f64[TIME + r], cpu: i32[CPU + r], pid: i32[PID + r], tid: i32[TID + r],
          comm: table[i32[COMM + r]], line: f64[LINE + r], mmId: f64[A + r], curr: (bits & 1) !== 0, member: f64[C + r], size: f64[B + r], throttled: (bits & 2) !== 0,
        });
      }
    }
  };
}
