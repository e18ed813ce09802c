// Events crossing from the parse worker to the consumer's thread: the hot kinds (fault, rss_stat) as rows of
// struct-of-arrays columns in one of a few SharedArrayBuffers, reused in turn (a slot number crosses, not the bytes:
// transferring a fresh ArrayBuffer per batch cost the consumer's GC ~0.4 s per 300k events); any other event as a
// structured-clone object in its place in the row order. Names and comms go once into a string table both sides grow in step.
import type { EventSink, TraceEvent } from './events.js';

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

interface Columns {
  time: Float64Array;
  line: Float64Array;
  a: Float64Array;
  b: Float64Array;
  c: Float64Array;
  tag: Int32Array;
  name: Int32Array;
  system: Int32Array;
  comm: Int32Array;
  cpu: Int32Array;
  pid: Int32Array;
  tid: Int32Array;
  bits: Int32Array;
}

function columns(buf: ArrayBufferLike): Columns {
  const f = (i: number): Float64Array => new Float64Array(buf, i * BATCH_ROWS * 8, BATCH_ROWS);
  const base = F64_COLS * BATCH_ROWS * 8;
  const n = (i: number): Int32Array => new Int32Array(buf, base + i * BATCH_ROWS * 4, BATCH_ROWS);
  return { time: f(0), line: f(1), a: f(2), b: f(3), c: f(4), tag: n(0), name: n(1), system: n(2), comm: n(3), cpu: n(4), pid: n(5), tid: n(6), bits: n(7) };
}

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
const i32 = (v: number): boolean => (v | 0) === v && (v !== 0 || 1 / v > 0);

export interface Encoder {
  sink: EventSink;
  /** Post what is held (end of input). */
  flush(): void;
}

/** Worker side: events in, `post(batch)` each time BATCH_ROWS are held; `slot()` gives a free slot (waiting if none is). */
export function createEncoder(post: (b: Batch) => void, slot: () => number): Encoder {
  const ids = new Map<string, number>();
  const bufs: SharedArrayBuffer[] = [];
  const cols: Columns[] = [];
  let strings: string[] = [];
  let rare: TraceEvent[] = [];
  let fresh = false;
  let cur = 0;
  let col: Columns;
  let rows = 0;
  function take(): void {
    cur = slot();
    fresh = bufs[cur] === undefined;
    if (fresh) {
      bufs[cur] = new SharedArrayBuffer(BATCH_BYTES);
      cols[cur] = columns(bufs[cur]);
    }
    col = cols[cur];
  }
  take();
  // The last strings seen and their ids: consecutive events mostly share them (same object, compared by pointer).
  let lastName = '';
  let lastNameId = -1;
  let lastSystem = '';
  let lastSystemId = -1;
  let lastComm = '';
  let lastCommId = -1;

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

  function header(e: TraceEvent, r: number, tag: number): void {
    col.tag[r] = tag;
    col.time[r] = e.time;
    col.line[r] = e.line;
    col.cpu[r] = e.cpu;
    col.pid[r] = e.pid;
    col.tid[r] = e.tid;
    if (e.name !== lastName || lastNameId < 0) {
      lastName = e.name;
      lastNameId = id(e.name);
    }
    col.name[r] = lastNameId;
    if (e.system !== lastSystem || lastSystemId < 0) {
      lastSystem = e.system;
      lastSystemId = id(e.system);
    }
    col.system[r] = lastSystemId;
    if (e.comm !== lastComm || lastCommId < 0) {
      lastComm = e.comm;
      lastCommId = id(e.comm);
    }
    col.comm[r] = lastCommId;
  }

  function sink(e: TraceEvent): void {
    const r = rows;
    if ((e.kind === 'fault' || e.kind === 'rss_stat') && i32(e.cpu) && i32(e.pid) && i32(e.tid)) {
      if (e.kind === 'fault') {
        header(e, r, TAG_FAULT);
        col.a[r] = e.address;
        col.b[r] = e.ip;
        col.c[r] = e.errorCode;
        col.bits[r] = e.user ? 1 : 0;
      } else {
        header(e, r, TAG_RSS);
        col.a[r] = e.mmId;
        col.b[r] = e.size;
        col.c[r] = e.member;
        col.bits[r] = (e.curr ? 1 : 0) | (e.throttled ? 2 : 0);
      }
    } else {
      col.tag[r] = TAG_RARE;
      rare.push(e);
    }
    if (++rows === BATCH_ROWS) flush();
  }

  return { sink, flush };
}

/** Consumer side: each batch's events, rebuilt with the readers' own field order, go to `sink` in row order. */
export function createBatchDecoder(sink: EventSink): (b: Batch) => void {
  const table: string[] = [];
  const cols: Columns[] = [];
  return (b: Batch): void => {
    for (const s of b.strings) table.push(s);
    if (b.buf !== null) cols[b.slot] = columns(b.buf);
    const c = cols[b.slot];
    let k = 0;
    for (let r = 0; r < b.rows; r++) {
      const tag = c.tag[r];
      if (tag === TAG_RARE) {
        sink(b.rare[k++]);
        continue;
      }
      // The key order is decode.ts's (perf_script.ts's software faults use the same): output that lists keys stays the same.
      if (tag === TAG_FAULT) {
        sink({
          kind: 'fault', name: table[c.name[r]], system: table[c.system[r]], time: c.time[r], cpu: c.cpu[r], pid: c.pid[r], tid: c.tid[r],
          comm: table[c.comm[r]], line: c.line[r], user: c.bits[r] === 1, address: c.a[r], ip: c.b[r], errorCode: c.c[r],
        });
      } else {
        const bits = c.bits[r];
        sink({
          kind: 'rss_stat', name: table[c.name[r]], system: table[c.system[r]], time: c.time[r], cpu: c.cpu[r], pid: c.pid[r], tid: c.tid[r],
          comm: table[c.comm[r]], line: c.line[r], mmId: c.a[r], curr: (bits & 1) !== 0, member: c.c[r], size: c.b[r], throttled: (bits & 2) !== 0,
        });
      }
    }
  };
}
