// Perfetto's SystemInfo packet: the traced machine's page size, architecture and kernel release, read from a trace's
// first packets before a replay, so the machine geometry follows the trace (issue 15). traced writes SystemInfo among
// the initial packets of a session (tracing_service_impl.cc: EmitSystemInfo); trace_processor takes the page size from
// it and assumes 4096 when absent (src/trace_processor/importers/proto/system_probes_parser.cc: ParseSystemInfo).
// Field numbers: traces/perfetto_proto.ts (Packet.system_info, SystemInfo, Utsname).
import { createReadStream } from 'node:fs';
import { inflateSync } from 'node:zlib';
import { createGunzip } from 'node:zlib';
import { varintAt } from './perfetto_wire.js';
import { isPerfettoTrace, tokenize } from './perfetto_tokenizer.js';
import * as P from './perfetto_proto.js';

export interface PerfettoSystemInfo {
  /** SystemInfo.page_size, bytes (absent in traces from before the field, or from a writer that leaves it out). */
  pageSize?: number;
  /** Utsname.machine: 'aarch64', 'x86_64', ... */
  machine?: string;
  /** Utsname.release: the kernel version string. */
  release?: string;
}

/** Packets read before giving up: SystemInfo is among a session's first packets. */
const MAX_PACKETS = 4096;

/** Calls `each(field, wireType, value or [start, end) of a LEN field)` for every field of a message; false if malformed. */
function fields(b: Uint8Array, each: (f: number, wt: number, v: number, start: number, end: number) => void): boolean {
  let p = 0;
  while (p < b.length) {
    const tag = varintAt(b, p);
    if (tag === null) return false;
    const f = Math.floor(tag.value / 8);
    const wt = tag.value % 8;
    p = tag.next;
    if (wt === P.VARINT) {
      const v = varintAt(b, p);
      if (v === null) return false;
      each(f, wt, v.value, p, v.next);
      p = v.next;
    } else if (wt === P.LEN) {
      const l = varintAt(b, p);
      if (l === null || l.next + l.value > b.length) return false;
      each(f, wt, l.value, l.next, l.next + l.value);
      p = l.next + l.value;
    } else if (wt === 1 || wt === 5) p += wt === 1 ? 8 : 4;
    else return false;
  }
  return p === b.length;
}

const text = (b: Uint8Array, s: number, e: number): string => Buffer.from(b.subarray(s, e)).toString('utf8');

/** protos/perfetto/common/system_info.proto: SystemInfo { Utsname utsname = 1; uint32 page_size = 6; ... }. */
export function decodeSystemInfo(b: Uint8Array): PerfettoSystemInfo {
  const out: PerfettoSystemInfo = {};
  fields(b, (f, wt, v, s, e) => {
    if (f === P.SystemInfo.page_size && wt === P.VARINT) out.pageSize = v;
    else if (f === P.SystemInfo.utsname && wt === P.LEN)
      fields(b.subarray(s, e), (g, wt2, _v, s2, e2) => {
        if (wt2 !== P.LEN) return;
        if (g === P.Utsname.machine) out.machine = text(b, s + s2, s + e2);
        else if (g === P.Utsname.release) out.release = text(b, s + s2, s + e2);
      });
  });
  return out;
}

/** The SystemInfo of one TracePacket (looking inside deflate-compressed packets too), or null. */
export function systemInfoOfPacket(b: Uint8Array): PerfettoSystemInfo | null {
  let found: PerfettoSystemInfo | null = null;
  fields(b, (f, wt, _v, s, e) => {
    if (found !== null || wt !== P.LEN) return;
    if (f === P.Packet.system_info) found = decodeSystemInfo(b.subarray(s, e));
    else if (f === P.Packet.compressed_packets) {
      let inner: Uint8Array;
      try {
        inner = inflateSync(b.subarray(s, e));
      } catch {
        return; // the reader reports a bad compressed packet; here it only holds no SystemInfo
      }
      fields(inner, (g, wt2, _v2, s2, e2) => {
        if (found === null && g === P.TRACE_PACKET && wt2 === P.LEN) found = systemInfoOfPacket(inner.subarray(s2, e2));
      });
    }
  });
  return found;
}

/** Thrown inside the tokenizer's sink to stop reading once SystemInfo is found (or enough packets were seen). */
const STOP = new Error('stop');

/**
 * The SystemInfo of a Perfetto trace file (plain or .gz) from its first packets; null when the file is not a Perfetto
 * trace or has no SystemInfo there. Reads only the start of the file.
 */
export async function perfettoSystemInfo(path: string): Promise<PerfettoSystemInfo | null> {
  const raw = createReadStream(path, { highWaterMark: 1 << 16 });
  // an unreadable file is no Perfetto trace here: the reader proper names the error
  const head = await new Promise<Buffer | null>((res) => {
    raw.once('readable', () => res((raw.read(2) as Buffer | null) ?? Buffer.alloc(0)));
    raw.once('error', () => res(null));
  });
  if (head === null) return null;
  raw.on('error', () => {});
  const gz = head.length === 2 && head[0] === 0x1f && head[1] === 0x8b;
  raw.unshift(head);
  let chunks: NodeJS.ReadableStream = raw;
  if (gz) {
    const g = createGunzip();
    raw.on('error', (e) => g.destroy(e));
    chunks = raw.pipe(g);
  }
  let found: PerfettoSystemInfo | null = null;
  let first = true;
  async function* sniffed(): AsyncIterable<Buffer> {
    for await (const c of chunks as AsyncIterable<Buffer>) {
      if (first && !isPerfettoTrace(c)) return;
      first = false;
      yield c;
    }
  }
  try {
    await tokenize(sniffed(), path, {
      packet(bytes, n) {
        found = systemInfoOfPacket(bytes);
        if (found !== null || n >= MAX_PACKETS) throw STOP;
      },
      unknownField() {},
    });
  } catch (err) {
    if (err !== STOP) {
      raw.destroy();
      return null; // not readable as Perfetto here: the reader proper says why
    }
  }
  raw.destroy();
  return found;
}
