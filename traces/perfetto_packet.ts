// TracePacket decode: a packet's fields dispatched (ftrace bundles, process tree and descriptors, ftrace stats, cpu
// info, deflate-compressed packets; system info is read before a replay by perfetto_system_info.ts), bundles' events pushed to the merge, and what was not read counted per trace.
// Unknown packets, packet fields and ftrace event kinds are counted (one warning each at the end), never fatal.
import { inflateSync } from 'node:zlib';
import pb from 'protobufjs/minimal.js';
import type { LostEvent, SkippedLine, TraceEvent } from './events.js';
import type { Merger } from './merge.js';
import type { StatCounts, StatName } from './stats.js';
import { exact, u64, varintAt, type Reader } from './perfetto_wire.js';
import { descriptor, processTree } from './perfetto_tasks.js';
import { typed, type Decoder } from './perfetto_ftrace.js';
import { compactSched } from './perfetto_compact_sched.js';
import * as P from './perfetto_proto.js';

const MAX_EXAMPLES = 5;

/** One trace's decode state: where events go, and the counts its warnings and stats are made from. */
export interface PacketState {
  readonly file: string;
  readonly d: Decoder;
  readonly merger: Merger;
  readonly stats: StatCounts;
  skipped: number;
  readonly skippedExamples: SkippedLine[];
  /** Bundles flagged lost_events. */
  lostMarkers: number;
  /** TracePacket field number (negative: a top-level Trace field) → count. */
  readonly unknownPacketFields: Map<number, number>;
  /** FtraceEvent field number → count. */
  readonly unknownEventKinds: Map<number, number>;
  unreadCompressed: number;
  /** Per CPU: the ring buffer's overrun count at the start and the end of tracing (FtraceStats). */
  readonly overrunAt: Map<number, { start: number; end: number }>;
  /** One bundle's event spans, reused from bundle to bundle. */
  readonly evStarts: number[];
  readonly evEnds: number[];
}

export function createPacketState(file: string, d: Decoder, merger: Merger): PacketState {
  return {
    file, d, merger, stats: {}, skipped: 0, skippedExamples: [], lostMarkers: 0, unknownPacketFields: new Map(),
    unknownEventKinds: new Map(), unreadCompressed: 0, overrunAt: new Map(), evStarts: [], evEnds: [],
  };
}

export const stat = (st: PacketState, name: StatName, n: number): void => void (st.stats[name] = (st.stats[name] ?? 0) + n);

export const count = (m: Map<number, number>, k: number): void => void m.set(k, (m.get(k) ?? 0) + 1);

/** One unreadable packet (or event in it): counted, and named by its packet number among the first examples. */
export function skip(st: PacketState, pkt: number, reason: string): void {
  st.skipped++;
  stat(st, 'perfetto_packet_unreadable', 1);
  if (st.skippedExamples.length < MAX_EXAMPLES) st.skippedExamples.push({ file: st.file, line: pkt, stat: 'perfetto_packet_unreadable', reason });
}

function ftraceStats(st: PacketState, r: Reader, end: number): void {
  let phase = 0;
  const cpus: [number, number][] = [];
  while (r.pos < end) {
    const t = r.uint32();
    if (t >>> 3 === P.FtraceStats.phase) phase = r.int32();
    else if (t >>> 3 === P.FtraceStats.cpu_stats && (t & 7) === P.LEN) {
      const e = r.uint32() + r.pos;
      let cpu = -1;
      let overrun = 0;
      while (r.pos < e) {
        const u = r.uint32();
        if (u >>> 3 === P.FtraceCpuStats.cpu) cpu = exact(u64(r)) ?? -1;
        else if (u >>> 3 === P.FtraceCpuStats.overrun) overrun = exact(u64(r)) ?? 0;
        else r.skipType(u & 7);
      }
      cpus.push([cpu, overrun]);
    } else r.skipType(t & 7);
  }
  // Every CPU has a cpu_stats entry: the merge waits for each from the start.
  if (cpus.length > 0 && cpus.length <= 4096) st.merger.expectCpus(cpus.length);
  for (const [cpu, overrun] of cpus) {
    const o = st.overrunAt.get(cpu) ?? { start: -1, end: -1 };
    if (phase === P.PHASE_START) o.start = overrun;
    else if (phase === P.PHASE_END) o.end = overrun;
    st.overrunAt.set(cpu, o);
  }
}

function ftraceEvent(st: PacketState, r: Reader, end: number, cpu: number, pkt: number, out: TraceEvent[]): void {
  let time = -1;
  let tid = -1;
  let f = 0;
  let fs = 0;
  let fe = 0;
  while (r.pos < end) {
    const t = r.uint32();
    const g = t >>> 3;
    if (g === P.Event.timestamp) time = exact(u64(r)) ?? -1;
    else if (g === P.Event.pid) tid = r.uint32();
    else if ((t & 7) === P.LEN && g !== P.Event.common_flags) {
      const len = r.uint32();
      f = g;
      fs = r.pos;
      fe = fs + len;
      r.pos = fe;
    } else r.skipType(t & 7);
  }
  if (f === 0) return void skip(st, pkt, 'ftrace event with no event body');
  if (time < 0) return void skip(st, pkt, 'ftrace event without a timestamp');
  r.pos = fs;
  const e = typed(st.d, f, r, fe, time, cpu, tid);
  r.pos = end;
  if (e === null) count(st.unknownEventKinds, f);
  else if (typeof e === 'string') skip(st, pkt, e);
  else out.push(e);
}

function bundle(st: PacketState, r: Reader, end: number, pkt: number): void {
  let cpu = -1;
  let lost = false;
  let cs = -1;
  let ce = -1;
  st.evStarts.length = 0;
  st.evEnds.length = 0;
  while (r.pos < end) {
    const t = r.uint32();
    const g = t >>> 3;
    if (g === P.Bundle.cpu) cpu = r.uint32();
    else if (g === P.Bundle.lost_events) lost = r.bool();
    else if (g === P.Bundle.event && (t & 7) === P.LEN) {
      const len = r.uint32();
      st.evStarts.push(r.pos);
      st.evEnds.push(r.pos + len);
      r.pos += len;
    } else if (g === P.Bundle.compact_sched && (t & 7) === P.LEN) {
      const len = r.uint32();
      cs = r.pos;
      ce = cs + len;
      r.pos = ce;
    } else r.skipType(t & 7);
  }
  const out: TraceEvent[] = [];
  // Compact switches first: they set the running task that same-bundle events do not depend on.
  if (cs >= 0) {
    r.pos = cs;
    compactSched(st.d, r, ce, cpu, out);
  }
  for (let i = 0; i < st.evStarts.length; i++) {
    r.pos = st.evStarts[i];
    ftraceEvent(st, r, st.evEnds[i], cpu, pkt, out);
  }
  r.pos = end;
  // A CPU's events are in time order; compact columns interleave with them by timestamp (stable).
  if (cs >= 0) out.sort((a, b) => a.time - b.time);
  if (lost && out.length > 0) {
    st.lostMarkers++;
    const l: LostEvent = { kind: 'lost', name: 'lost', system: '', time: out[0].time, cpu, pid: -1, tid: -1, comm: '', line: pkt, count: -1 };
    st.merger.push(l);
  }
  for (const e of out) st.merger.push(e);
}

export function packet(st: PacketState, bytes: Uint8Array, pkt: number): void {
  const r = pb.Reader.create(bytes);
  while (r.pos < r.len) {
    const tag = r.uint32();
    const f = tag >>> 3;
    const wt = tag & 7;
    if (wt === P.LEN && f === P.Packet.cpu_info) {
      const end = r.uint32() + r.pos;
      let n = 0;
      while (r.pos < end) {
        const t = r.uint32();
        if (t >>> 3 === P.CpuInfo.cpus) n++;
        r.skipType(t & 7);
      }
      if (n > 0 && n <= 4096) st.merger.expectCpus(n);
    } else if (wt === P.LEN && (f === P.Packet.ftrace_events || f === P.Packet.process_tree || f === P.Packet.ftrace_stats || f === P.Packet.process_descriptor || f === P.Packet.thread_descriptor)) {
      const end = r.uint32() + r.pos;
      if (end > r.len) throw new RangeError('field runs past the packet');
      if (f === P.Packet.ftrace_events) bundle(st, r, end, pkt);
      else if (f === P.Packet.process_tree) processTree(st.d.tasks, r, end);
      else if (f === P.Packet.ftrace_stats) ftraceStats(st, r, end);
      else descriptor(st.d.tasks, r, end, f === P.Packet.thread_descriptor);
      r.pos = end;
    } else if (wt === P.LEN && f === P.Packet.compressed_packets) {
      // trace_packet.proto: deflate-compressed TracePackets framed as a Trace
      const inner = inflateSync(r.bytes());
      let q = 0;
      while (q < inner.length) {
        const t = varintAt(inner, q);
        const l = t === null ? null : varintAt(inner, t.next);
        if (t === null || l === null || t.value !== 10 || l.next + l.value > inner.length) throw new RangeError('bad framing inside compressed_packets');
        packet(st, inner.subarray(l.next, l.next + l.value), pkt);
        q = l.next + l.value;
      }
    } else if (wt === P.LEN && f === P.Packet.system_info) {
      r.skipType(wt); // read before the replay, for the machine's page size (traces/perfetto_system_info.ts)
    } else {
      if (f === P.Packet.zstd_compressed_packets) st.unreadCompressed++;
      else count(st.unknownPacketFields, f);
      r.skipType(wt);
    }
  }
}
