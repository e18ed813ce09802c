// Entry point: stream a trace file (plain or .gz) in 1 MiB chunks, detect its format, parse each line,
// merge per CPU into time order, pair syscalls, and push every event to the sink.
import { createReadStream, promises as fsp } from 'node:fs';
import { createGunzip } from 'node:zlib';
import type { EventSink, LostEvent, ReadOptions, ReadResult, SkippedLine, TraceEvent, TraceFormat } from './events.js';
import { inFile, isUserError, userError } from './errors.js';
import { binaryKind, detectFormat } from './detect.js';
import { forEachLine, type LineFn } from './lines.js';
import { createMerger, type MergeOptions } from './merge.js';
import { pairSyscalls } from './syscalls.js';
import type { LineCtx } from './decode.js';
import { formatTitles, READERS, readerFor, TRACE_FORMATS } from './readers.js';
import type { StatCounts, StatName } from './stats.js';

export { detectFormat } from './detect.js';
export { TRACE_FORMATS } from './readers.js';
const CHUNK = 1 << 20;
const HEAD = 64 * 1024;
const MAX_EXAMPLES = 5;

/** Internal knobs (tests use them to exercise the merge window). */
export interface ReadTuning {
  merge?: MergeOptions;
}

async function statOrThrow(path: string): Promise<number> {
  try {
    const st = await fsp.stat(path);
    if (st.isDirectory()) throw userError('is a directory, not a trace file', { file: path });
    return st.size;
  } catch (err) {
    if (isUserError(err)) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw userError('no such file', { file: path });
    if (code === 'EACCES') throw userError('permission denied', { file: path });
    throw userError(`cannot read: ${(err as Error).message}`, { file: path });
  }
}

async function firstBytes(path: string, n: number): Promise<Buffer> {
  const fh = await fsp.open(path, 'r');
  try {
    const buf = Buffer.alloc(n);
    const { bytesRead } = await fh.read(buf, 0, n, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** The decompressed byte stream of `path`, plus a counter of raw bytes read for progress. */
function openChunks(path: string, gz: boolean): { chunks: AsyncIterable<Buffer>; rawBytes: () => number } {
  const raw = createReadStream(path, { highWaterMark: CHUNK });
  if (!gz) return { chunks: raw, rawBytes: () => raw.bytesRead };
  const gunzip = createGunzip({ chunkSize: CHUNK });
  raw.on('error', (e) => gunzip.destroy(e));
  raw.pipe(gunzip);
  return { chunks: gunzip, rawBytes: () => raw.bytesRead };
}

function refuseBinary(path: string, head: Uint8Array): void {
  const kind = binaryKind(head);
  if (kind === 'perf.data') throw userError(`this is a binary perf.data file: run \`perf script -i ${path} > ${path}.txt\` and read the text`, { file: path });
  if (kind === 'trace.dat') throw userError(`this is a binary trace-cmd trace.dat file: run \`trace-cmd report -i ${path} > ${path}.txt\` and read the text`, { file: path });
  if (kind === 'binary') throw userError(`binary data, not a text trace (${formatTitles()})`, { file: path });
}

/** Read a whole trace, pushing each event to `sink` in timestamp order. */
export async function readTrace(path: string, sink: EventSink, opts: ReadOptions & ReadTuning = {}): Promise<ReadResult> {
  const size = await statOrThrow(path);
  if (size === 0) throw userError('empty file', { file: path });
  const magic = await firstBytes(path, 2);
  const gz = magic[0] === 0x1f && magic[1] === 0x8b;
  const { chunks, rawBytes } = openChunks(path, gz);
  const it = chunks[Symbol.asyncIterator]();

  // Prefetch enough of the decompressed text to detect the format, then replay it ahead of the rest.
  const pre: Buffer[] = [];
  let preLen = 0;
  let done = false;
  try {
    while (preLen < HEAD) {
      const r = await it.next();
      if (r.done) {
        done = true;
        break;
      }
      pre.push(r.value);
      preLen += r.value.length;
    }
  } catch (err) {
    throw userError(`cannot read${gz ? ' (corrupt gzip data?)' : ''}: ${(err as Error).message}`, { file: path });
  }
  if (preLen === 0) throw userError(gz ? 'empty trace inside the gzip file' : 'empty file', { file: path });
  const headBuf = pre.length === 1 ? pre[0] : Buffer.concat(pre);
  const binary = opts.format !== undefined ? readerFor(opts.format) : READERS.find((r) => r.sniff.bytes?.(headBuf));
  if (binary !== undefined && 'read' in binary) {
    // A binary format streams the file itself (packets, not lines).
    await it.return?.();
    return binary.read(path, sink, opts);
  }
  refuseBinary(path, headBuf);
  let format: TraceFormat | null = opts.format ?? null;
  if (format === null) {
    format = detectFormat(headBuf.subarray(0, HEAD).toString('utf8'));
    if (format === null) {
      throw userError(
        `cannot tell the trace format from its first lines (expected ${formatTitles()} text); force one with --format`,
        { file: path },
      );
    }
  }

  const reader = readerFor(format);
  if (reader !== undefined && 'read' in reader) throw userError(`this is not a ${reader.title} file (force another format with --format)`, { file: path });
  if (reader === undefined) throw userError(`unknown format "${String(format)}" (one of ${TRACE_FORMATS.join(", ")})`, { file: path });

  const skippedExamples: SkippedLine[] = [];
  const warnings: string[] = [];
  const stats: StatCounts = {};
  const count = (stat: StatName, n: number): void => {
    stats[stat] = (stats[stat] ?? 0) + n;
  };
  let skippedLines = 0;
  let events = 0;
  let lostEvents = 0;

  const paired = pairSyscalls((e: TraceEvent) => {
    if (e.kind !== 'lost') events++;
    sink(e);
  });
  const merger = createMerger(paired, opts.merge);
  let maxTime = -1;
  // A loss is announced before the events that follow it: it takes the time of the next event on its CPU
  // (any CPU for the overwrite header), so it sits in time order.
  const pendingLost = new Map<number, LostEvent[]>();
  let pendingCount = 0;

  function releaseLost(key: number, e: TraceEvent): void {
    const list = pendingLost.get(key);
    if (list === undefined) return;
    pendingLost.delete(key);
    pendingCount -= list.length;
    for (const l of list) {
      l.time = e.time;
      if (l.cpu < 0) l.cpu = e.cpu;
      merger.push(l);
    }
  }

  const ctx: LineCtx = {
    push(e: TraceEvent): void {
      if (pendingCount > 0) {
        releaseLost(e.cpu, e);
        releaseLost(-1, e);
      }
      if (e.time > maxTime) maxTime = e.time;
      merger.push(e);
    },
    skip(line: number, stat: StatName, reason: string): void {
      skippedLines++;
      count(stat, 1);
      if (skippedExamples.length < MAX_EXAMPLES) skippedExamples.push({ file: path, line, stat, reason });
    },
    count,
    lost(n: number, cpu: number, line: number): void {
      // An unknown count still means at least one event is missing.
      lostEvents += n > 0 ? n : 1;
      count('ring_buffer_lost', n > 0 ? n : 1);
      const e: LostEvent = { kind: 'lost', name: 'lost', system: '', time: 0, cpu, pid: -1, tid: -1, comm: '', line, count: n };
      const key = cpu >= 0 ? cpu : -1;
      const list = pendingLost.get(key);
      if (list === undefined) pendingLost.set(key, [e]);
      else list.push(e);
      pendingCount++;
    },
    cpus(n: number): void {
      merger.expectCpus(n);
    },
  };

  const parser = reader.create(ctx);
  const onLine: LineFn = parser.line;

  // Never let a parser bug on one line become a stack trace: report the line and go on.
  const onError = (err: unknown, n: number): void => ctx.skip(n, 'reader_exception', `unreadable line (${(err as Error).message})`);
  const lastLine: LineFn = (s, a, b, n) => {
    const before = skippedLines;
    onLine(s, a, b, n);
    if (skippedLines > before) {
      const ex = skippedExamples.find((x) => x.line === n);
      if (ex) ex.reason = `truncated last line (no newline at end of file): ${ex.reason}`;
    } else if (b > a && reader.lastLineNeedsNewline) {
      count('last_line_unterminated', 1);
      warnings.push(`${path}:${n}: last line has no newline at the end (file cut off?); it was read as it is`);
    }
  };

  const onProgress = opts.onProgress;
  let nextProgress = 0;
  async function* all(): AsyncGenerator<Buffer> {
    for (const c of pre) yield c;
    if (done) return;
    for (;;) {
      let r: IteratorResult<Buffer>;
      try {
        r = await it.next();
      } catch (err) {
        throw userError(`cannot read${gz ? ' (corrupt or truncated gzip data?)' : ''}: ${(err as Error).message}`, { file: path });
      }
      if (r.done) return;
      if (onProgress !== undefined) {
        const b = rawBytes();
        if (b >= nextProgress) {
          onProgress(b, size);
          nextProgress = b + 8 * CHUNK;
        }
      }
      yield r.value;
    }
  }

  let lineStats: Awaited<ReturnType<typeof forEachLine>>;
  try {
    lineStats = await forEachLine(all(), onLine, lastLine, onError);
  } catch (err) {
    if (isUserError(err) && !err.file && err.line > 0) throw inFile(err, path); // lines.ts knows the line, not the file
    throw err;
  }
  // Losses at the very end: no later event to stand before.
  for (const list of pendingLost.values()) {
    for (const l of list) {
      l.time = maxTime >= 0 ? maxTime : 0;
      merger.push(l);
    }
  }
  merger.flush();
  if (onProgress !== undefined) onProgress(size, size);
  const late = merger.late();
  if (late > 0) count('merge_out_of_order', late);
  if (late > 0) warnings.push(`${path}: ${late} events arrived later than the merge window allows and were passed on out of time order`);
  const refusal = parser.end?.() ?? null;
  if (refusal !== null) throw userError(refusal, { file: path });
  const result: ReadResult = {
    file: path,
    format,
    bytes: size,
    lines: lineStats.lines,
    events,
    lostEvents,
    skippedLines,
    skippedExamples,
    stats,
  };
  if (warnings.length > 0) result.warnings = warnings;
  return result;
}
