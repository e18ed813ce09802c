// The Perfetto reader's whole-file pass (see traces/perfetto.ts for the parts), loaded only when a Perfetto trace is
// read: it pulls protobufjs, which `faultline info` on a text trace should not pay for at start-up.
import { createReadStream, promises as fsp } from 'node:fs';
import { createGunzip } from 'node:zlib';
import type { EventSink, ReadOptions, ReadResult, TraceEvent } from './events.js';
import { userError, isUserError } from './errors.js';
import { createMerger, type MergeOptions } from './merge.js';
import { pairSyscalls } from './syscalls.js';
import { tokenize } from './perfetto_tokenizer.js';
import { createTasks } from './perfetto_tasks.js';
import { createDecoder } from './perfetto_ftrace.js';
import { count, createPacketState, packet, skip, stat } from './perfetto_packet.js';

const CHUNK = 1 << 20;
/** Perfetto's probes write one bundle per CPU per drain period (100 ms by default), so CPUs interleave by whole bundles. */
const PERFETTO_WINDOW_NS = 10_000_000_000;

/** Read the whole trace, pushing events to `sink` in time order (per-CPU bundles merged). */
export async function readPerfetto(path: string, sink: EventSink, opts: ReadOptions & { merge?: MergeOptions } = {}): Promise<ReadResult> {
  let size: number;
  try {
    size = (await fsp.stat(path)).size;
  } catch (err) {
    throw userError(`cannot read: ${(err as Error).message}`, { file: path });
  }
  const fh = await fsp.open(path, 'r');
  const magic = Buffer.alloc(2);
  await fh.read(magic, 0, 2, 0);
  await fh.close();
  const gz = magic[0] === 0x1f && magic[1] === 0x8b;
  const raw = createReadStream(path, { highWaterMark: CHUNK });
  let chunks: AsyncIterable<Buffer> = raw;
  if (gz) {
    const gunzip = createGunzip({ chunkSize: CHUNK });
    raw.on('error', (e) => gunzip.destroy(e));
    raw.pipe(gunzip);
    chunks = gunzip;
  }

  const warnings: string[] = [];
  let events = 0;
  const paired = pairSyscalls((e: TraceEvent) => {
    if (e.kind !== 'lost') events++;
    sink(e);
  });
  const merger = createMerger(paired, { windowNs: PERFETTO_WINDOW_NS, ...opts.merge });
  const st = createPacketState(path, createDecoder(createTasks()), merger);

  const onProgress = opts.onProgress;
  let nextProgress = 0;
  let packets: number;
  let cutAt: number | null;
  try {
    ({ packets, cutAt } = await tokenize(chunks, path, {
      chunk() {
        if (onProgress !== undefined && raw.bytesRead >= nextProgress) {
          onProgress(raw.bytesRead, size);
          nextProgress = raw.bytesRead + 8 * CHUNK;
        }
      },
      packet(bytes, n) {
        try {
          packet(st, bytes, n);
        } catch (err) {
          if (isUserError(err)) throw err;
          skip(st, n, `unreadable packet (${(err as Error).message})`);
        }
      },
      unknownField: (field) => count(st.unknownPacketFields, -field),
    }));
  } catch (err) {
    if (isUserError(err)) throw err;
    throw userError(`cannot read${gz ? ' (corrupt or truncated gzip data?)' : ''}: ${(err as Error).message}`, { file: path });
  }
  if (cutAt !== null) {
    stat(st, 'perfetto_packet_cut', 1);
    warnings.push(`${path}: the last packet is cut off at byte ${cutAt} (file truncated?); it was not read`);
  }
  if (packets === 0) throw userError('no trace packets: not a Perfetto trace', { file: path });

  let lostEvents = 0;
  for (const [cpu, o] of st.overrunAt) {
    if (o.start >= 0 && o.end > o.start) {
      lostEvents += o.end - o.start;
      merger.push({ kind: 'lost', name: 'lost', system: '', time: 0, cpu, pid: -1, tid: -1, comm: '', line: packets, count: o.end - o.start });
    }
  }
  // Bundles flagged lost_events without a counted overrun still lost at least one event each.
  lostEvents = Math.max(lostEvents, st.lostMarkers);
  if (lostEvents > 0) stat(st, 'ring_buffer_lost', lostEvents);
  merger.flush();
  if (onProgress !== undefined) onProgress(size, size);
  const late = merger.late();
  if (late > 0) stat(st, 'merge_out_of_order', late);
  if (late > 0) warnings.push(`${path}: ${late} events arrived later than the merge window allows and were passed on out of time order`);
  const list = (m: Map<number, number>): string =>
    [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([k, v]) => `${k < 0 ? `Trace field ${-k}` : k} (${v})`).join(', ');
  for (const v of st.unknownPacketFields.values()) stat(st, 'perfetto_unknown_packet_field', v);
  for (const v of st.unknownEventKinds.values()) stat(st, 'perfetto_unknown_ftrace_event', v);
  if (st.unreadCompressed > 0) stat(st, 'perfetto_zstd_packets', st.unreadCompressed);
  if (st.unknownPacketFields.size > 0) warnings.push(`${path}: TracePacket fields faultline does not read, skipped: ${list(st.unknownPacketFields)}`);
  if (st.unknownEventKinds.size > 0) {
    let n = 0;
    for (const v of st.unknownEventKinds.values()) n += v;
    warnings.push(`${path}: ${n} ftrace events of kinds faultline does not read (FtraceEvent field: count): ${list(st.unknownEventKinds)}`);
  }
  if (st.unreadCompressed > 0) warnings.push(`${path}: ${st.unreadCompressed} zstd_compressed_packets not read (decompress with \`traceconv decompress_packets\`)`);
  const result: ReadResult = { file: path, format: 'perfetto', bytes: size, lines: packets, events, lostEvents, skippedLines: st.skipped, skippedExamples: st.skippedExamples, stats: st.stats };
  if (warnings.length > 0) result.warnings = warnings;
  return result;
}

