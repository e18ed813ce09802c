// Perfetto trace tokenizer: a byte stream cut into TracePackets (Trace = repeated TracePacket packet = 1), the job of
// trace_processor's ProtoTraceTokenizer; and the sniff that recognises the framing in a file's first bytes.
import { userError } from './errors.js';
import { varintAt } from './perfetto_wire.js';
import * as P from './perfetto_proto.js';

const MAX_PACKET = 256 << 20;

/** A Trace is `repeated TracePacket packet = 1`: the first packets' tags, lengths and fields must all parse. */
export function isPerfettoTrace(head: Uint8Array): boolean {
  let binary = false;
  for (let i = 0; i < Math.min(head.length, 4096); i++) if (head[i] < 9 || (head[i] > 13 && head[i] < 32)) binary = true;
  if (!binary || head.length < 4 || head[0] !== 0x0a) return false;
  let p = 0;
  let packets = 0;
  while (p < head.length && packets < 4) {
    if (head[p] !== 0x0a) return packets > 0;
    const len = varintAt(head, p + 1);
    if (len === null || len.value === 0 || len.value > MAX_PACKET) return false;
    const end = len.next + len.value;
    let q = len.next;
    while (q < Math.min(end, head.length)) {
      const tag = varintAt(head, q);
      if (tag === null) return packets > 0;
      const wt = tag.value % 8;
      if (tag.value < 8) return false;
      q = tag.next;
      if (wt === 0) {
        const v = varintAt(head, q);
        if (v === null) return packets > 0;
        q = v.next;
      } else if (wt === 1) q += 8;
      else if (wt === 5) q += 4;
      else if (wt === 2) {
        const l = varintAt(head, q);
        if (l === null) return packets > 0;
        q = l.next + l.value;
      } else return false;
    }
    if (q > end && end <= head.length) return false;
    packets++;
    p = end;
  }
  return packets > 0;
}

/** Where the tokenizer hands what it cuts. */
export interface PacketSink {
  /** One whole TracePacket's bytes and its 1-based number in the file. */
  packet(bytes: Uint8Array, n: number): void;
  /** A top-level Trace field that is not a packet (counted by the caller as field -n). */
  unknownField(field: number): void;
  /** Called before each chunk is cut (progress display). */
  chunk?(): void;
}

export interface Tokenized {
  packets: number;
  /** The byte offset where the data ends inside a packet (file cut off), or null when the last packet is whole. */
  cutAt: number | null;
}

/** Cut `chunks` into packets; a packet split across chunks is held until its last byte arrives. */
export async function tokenize(chunks: AsyncIterable<Buffer>, file: string, sink: PacketSink): Promise<Tokenized> {
  let buf: Buffer = Buffer.alloc(0);
  let pos = 0;
  let waiting: Buffer[] | null = null;
  let waitHave = 0;
  let waitNeed = 0;
  let offset = 0; // file offset of buf[0], for messages
  let packets = 0;
  for await (const chunk of chunks) {
    sink.chunk?.();
    if (waiting !== null) {
      waiting.push(chunk);
      waitHave += chunk.length;
      if (waitHave < waitNeed) continue;
      offset += pos;
      buf = Buffer.concat(waiting);
      pos = 0;
      waiting = null;
    } else {
      offset += pos;
      buf = pos < buf.length ? Buffer.concat([buf.subarray(pos), chunk]) : chunk;
      pos = 0;
    }
    for (;;) {
      const tag = varintAt(buf, pos);
      if (tag === null) break;
      const wt = tag.value % 8;
      const field = Math.floor(tag.value / 8);
      let bodyEnd: number;
      let bodyStart = tag.next;
      if (wt === P.LEN) {
        const len = varintAt(buf, tag.next);
        if (len === null) break;
        if (len.value > MAX_PACKET) throw userError(`packet ${packets + 1} at byte ${offset + pos} claims ${len.value} bytes: not a Perfetto trace, or corrupt`, { file });
        bodyStart = len.next;
        bodyEnd = len.next + len.value;
      } else if (wt === P.VARINT) {
        const v = varintAt(buf, tag.next);
        if (v === null) break;
        bodyEnd = v.next;
      } else if (wt === 1 || wt === 5) bodyEnd = tag.next + (wt === 1 ? 8 : 4);
      else throw userError(`byte ${offset + pos}: wire type ${wt} where a TracePacket should start: not a Perfetto trace, or corrupt`, { file });
      if (bodyEnd > buf.length) {
        waiting = [buf.subarray(pos)];
        waitHave = buf.length - pos;
        waitNeed = bodyEnd - pos;
        break;
      }
      if (field === P.TRACE_PACKET && wt === P.LEN) sink.packet(buf.subarray(bodyStart, bodyEnd), ++packets);
      else sink.unknownField(field);
      pos = bodyEnd;
    }
  }
  return { packets, cutAt: waiting !== null || pos < buf.length ? offset + buf.length : null };
}
