// The worker's batches: every event comes back equal, with its keys in the same order, in the same place.
import { describe, expect, it } from 'vitest';
import { BATCH_ROWS, createBatchDecoder, createEncoder, type Batch } from './batch.js';
import type { RowSink, TraceEvent } from './events.js';

/** A consumer that takes faults and rss_stat by their parts: rebuilt here as decode.ts would build them. */
const rowsInto = (out: TraceEvent[]): RowSink => ({
  fault: (name, system, time, cpu, pid, tid, comm, line, user, address, ip, errorCode) => out.push({ kind: 'fault', name, system, time, cpu, pid, tid, comm, line, user, address, ip, errorCode }),
  rss: (name, system, time, cpu, pid, tid, comm, line, mmId, curr, member, size, throttled) => out.push({ kind: 'rss_stat', name, system, time, cpu, pid, tid, comm, line, mmId, curr, member, size, throttled }),
});

function roundTrip(events: TraceEvent[], byParts = false): { out: TraceEvent[]; batches: Batch[] } {
  const out: TraceEvent[] = [];
  const batches: Batch[] = [];
  const decode = createBatchDecoder((e) => out.push(e), byParts ? rowsInto(out) : undefined);
  let slots = 0;
  const enc = createEncoder(
    (b) => {
      batches.push(b);
      // a structured clone, as postMessage makes (a SharedArrayBuffer is shared, not copied)
      decode({ ...structuredClone({ ...b, buf: null }), buf: b.buf });
    },
    () => slots++ % 2,
  );
  for (const e of events) enc.sink(e);
  enc.flush();
  return { out, batches };
}

const fault = (i: number, over: Partial<TraceEvent> = {}): TraceEvent =>
  ({ kind: 'fault', name: 'page_fault_user', system: 'exceptions', time: 1_000_000_000_000 + i, cpu: i % 2, pid: 100, tid: 101 + (i % 3), comm: i % 5 === 0 ? 'a b' : 'worker', line: i + 1, user: true, address: 0x7f0000000000 + i * 4096, ip: 0x401000, errorCode: 6, ...over }) as TraceEvent;
const rss = (i: number): TraceEvent =>
  ({ kind: 'rss_stat', name: 'rss_stat', system: 'kmem', time: 2e12 + i, cpu: 1, pid: -1, tid: 7, comm: 'x', line: i + 1, mmId: 4294967295, curr: i % 2 === 0, member: 1, size: -4096 * i, throttled: i % 3 === 0 }) as TraceEvent;

describe('parse worker batches', () => {
  it('faults, rss_stat and rare events come back equal, in order, with the same key order', () => {
    const events: TraceEvent[] = [
      fault(0),
      rss(1),
      { kind: 'sys_enter', name: 'sys_enter_mmap', system: 'syscalls', time: 5, cpu: 0, pid: 1, tid: 1, comm: 'c', line: 3, call: 'mmap', args: { len: 4096, addr: 0 } },
      { kind: 'other', name: 'x', system: '', time: 6, cpu: -1, pid: -1, tid: 0, comm: '', line: 4, fields: { big: 0xffffffffffffffffn, s: 'v' } },
      fault(4, { user: false, name: 'page_fault_kernel', ip: -1, errorCode: -1 }),
      { kind: 'lost', name: 'lost', system: '', time: 9, cpu: 1, pid: -1, tid: -1, comm: '', line: 6, count: -1 },
      rss(6),
    ];
    const { out } = roundTrip(events);
    expect(out).toEqual(events);
    // the same, in the same place, to a consumer that takes the hot kinds by their parts
    expect(roundTrip(events, true).out).toEqual(events);
    expect(out.map((e) => JSON.stringify(e, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)))).toEqual(
      events.map((e) => JSON.stringify(e, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))),
    );
  });

  it('a pid that is not an int32 takes the object path and stays exact', () => {
    const e = fault(1, { pid: 2 ** 40 + 1 });
    const { out, batches } = roundTrip([e]);
    expect(out[0].pid).toBe(1099511627777);
    expect(batches[0].rare).toHaveLength(1);
  });

  it('more rows than a batch holds: several batches, strings sent once, order kept', () => {
    const n = BATCH_ROWS * 2 + 17;
    const events = Array.from({ length: n }, (_, i) => (i % 7 === 0 ? rss(i) : fault(i)));
    const { out, batches } = roundTrip(events);
    expect(batches.map((b) => b.rows)).toEqual([BATCH_ROWS, BATCH_ROWS, 17]);
    // two slots reused in turn: the buffer crosses with a slot's first batch only
    expect(batches.map((b) => [b.slot, b.buf !== null])).toEqual([[0, true], [1, true], [0, false]]);
    expect(batches.flatMap((b) => b.strings).filter((s) => s === 'worker')).toHaveLength(1);
    expect(out).toEqual(events);
  });
});
