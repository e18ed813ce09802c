// Entry point: stream a trace file (plain or .gz) in 1 MiB chunks, detect its format, parse each line,
// merge per CPU into time order, pair syscalls, and push every event to the sink.
import { createReadStream, promises as fsp } from 'node:fs';
import { Readable } from 'node:stream';
import { isMainThread } from 'node:worker_threads';
import { createGunzip, createInflate } from 'node:zlib';
import { MM_SHMEMPAGES, type EventSink, type RowSink, type LostEvent, type ReadOptions, type ReadResult, type SkippedLine, type TraceEvent, type TraceFormat } from './events.js';
import { inFile, isUserError, userError } from './errors.js';
import { binaryKind, detectFormat } from './detect.js';
import { forEachLine, type LineFn } from './lines.js';
import { createMerger, type MergeOptions } from './merge.js';
import { pairSyscalls } from './syscalls.js';
import type { LineCtx } from './decode.js';
import { i32ok } from './batch.js';
import { formatTitles, READERS, readerFor, TRACE_FORMATS } from './readers.js';
import type { StatCounts, StatName } from './stats.js';
import type { ParseShare } from './read_parallel.js';

export { detectFormat } from './detect.js';
export { TRACE_FORMATS } from './readers.js';
const CHUNK = 1 << 20;
const HEAD = 64 * 1024;
const MAX_EXAMPLES = 5;

/** Internal knobs (tests use them to exercise the merge window). */
export interface ReadTuning {
  merge?: MergeOptions;
}

/** How the parse worker calls the one-thread reader: text formats only, syscalls paired by the consumer. */
export interface ReadHere {
  /** Leave sys_exit.enter null: the consumer's thread pairs them (an object reference cannot cross threads). */
  unpaired?: boolean;
  /** Refuse a binary format (throw NOT_TEXT) instead of reading it: the consumer's thread reads it itself. */
  textOnly?: boolean;
  /** `sink`'s hot kinds by their parts (the parse worker's encoder, which keeps no event): the byte paths skip the object. */
  rows?: RowSink;
}

/** Thrown by readHere with textOnly on a binary trace. */
export const NOT_TEXT = 'faultline: not a text trace';

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

/** How the text is stored: plain, gzip, or `atrace -z` (text lines up to `TRACE:`, then one zlib stream of the trace). */
type Container = { kind: 'plain' } | { kind: 'gzip' } | { kind: 'zlib'; offset: number };

/** atrace -z (frameworks/native/cmds/atrace/atrace.cpp: compressed mode) prints `TRACE:\n` and deflates the rest. */
export function containerOf(head: Uint8Array): Container {
  if (head[0] === 0x1f && head[1] === 0x8b) return { kind: 'gzip' };
  const text = Buffer.from(head.buffer, head.byteOffset, Math.min(head.length, 4096)).toString('latin1');
  const m = /(?:^|\n)TRACE:\r?\n/.exec(text);
  if (m !== null) {
    const at = m.index + m[0].length;
    // zlib header: CMF 0x78 and (CMF*256 + FLG) % 31 == 0 (RFC 1950)
    if (head[at] === 0x78 && ((head[at] << 8) | head[at + 1]) % 31 === 0) return { kind: 'zlib', offset: at };
  }
  return { kind: 'plain' };
}

/** The decompressed byte stream of `path`, plus a counter of raw bytes read for progress (bench/parse.ts times it alone). */
export function openChunks(path: string, c: Container): { chunks: AsyncIterable<Buffer>; rawBytes: () => number } {
  if (c.kind === 'plain') return plainChunks(path);
  const raw = createReadStream(path, { highWaterMark: CHUNK, start: c.kind === 'zlib' ? c.offset : 0 });
  const inflate = c.kind === 'gzip' ? createGunzip({ chunkSize: CHUNK }) : createInflate({ chunkSize: CHUNK });
  raw.on('error', (e) => inflate.destroy(e));
  raw.pipe(inflate);
  return { chunks: inflate, rawBytes: () => raw.bytesRead };
}

/** Chunks read into a ring of a few buffers reused in turn (a new 1 MiB buffer per chunk costs its page faults and
 * zeroing again: ~6x the CPU of the read itself). The next chunk is read while the consumer parses this one, so a
 * yielded chunk stays valid until RING - 2 more are yielded: forEachLine keeps only the previous chunk's cut line (and
 * copies the pieces of a line longer than a chunk). */
const RING = 3;

function plainChunks(path: string): { chunks: AsyncIterable<Buffer>; rawBytes: () => number } {
  let read = 0;
  async function* chunks(): AsyncGenerator<Buffer> {
    const fh = await fsp.open(path, 'r');
    const ring: Buffer[] = [Buffer.allocUnsafe(CHUNK)];
    // One read in flight at a time (position null: each continues where the last ended). Awaiting each read only
    // when its chunk was wanted left the parsing thread idle ~0.4 s per 400 MB (its profile's idle, on one thread).
    let ahead: Promise<{ bytesRead: number }> | null = fh.read(ring[0]!, 0, CHUNK, null);
    try {
      for (let i = 0; ; ) {
        const { bytesRead } = await ahead!;
        ahead = null;
        if (bytesRead === 0) return;
        read += bytesRead;
        const buf = ring[i]!;
        i = (i + 1) % RING;
        ahead = fh.read((ring[i] ??= Buffer.allocUnsafe(CHUNK)), 0, CHUNK, null);
        // (handled now, thrown where it is awaited: a read failing while its chunk waits is not an unhandled rejection)
        ahead.catch(() => undefined);
        yield buf.subarray(0, bytesRead);
      }
    } finally {
      // (a read still in flight when the consumer stops, or one that failed unseen: settled before the close)
      if (ahead !== null) await ahead.catch(() => undefined);
      await fh.close();
    }
  }
  return { chunks: chunks(), rawBytes: () => read };
}

function refuseBinary(path: string, head: Uint8Array): void {
  const kind = binaryKind(head);
  if (kind === 'perf.data') throw userError(`this is a binary perf.data file: run \`perf script -i ${path} > ${path}.txt\` and read the text`, { file: path });
  if (kind === 'trace.dat') throw userError(`this is a binary trace-cmd trace.dat file: run \`trace-cmd report -i ${path} > ${path}.txt\` and read the text`, { file: path });
  if (kind === 'binary') throw userError(`binary data, not a text trace (${formatTitles()})`, { file: path });
}

/** `faultline info -`: the trace on standard input (perf script | faultline info -), named so in messages. */
export const STDIN = '-';
const STDIN_NAME = '<stdin>';

interface Source {
  /** Bytes on disk (0 when unknown: stdin). */
  size: number;
  container: Container;
  chunks: AsyncIterable<Buffer>;
  rawBytes: () => number;
}

async function openFile(path: string): Promise<Source> {
  const size = await statOrThrow(path);
  if (size === 0) throw userError('empty file', { file: path });
  const container = containerOf(await firstBytes(path, 4096));
  return { size, container, ...openChunks(path, container) };
}

/** stdin: the first bytes are read to tell plain, gzip and atrace -z apart, then replayed ahead of the rest. */
async function openStdin(input: NodeJS.ReadableStream): Promise<Source> {
  const it = (input as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let headLen = 0;
  let ended = false;
  while (headLen < 4096) {
    const r = await it.next();
    if (r.done) {
      ended = true;
      break;
    }
    const b = typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
    head.push(b);
    headLen += b.length;
  }
  if (headLen === 0) throw userError('empty input', { file: STDIN_NAME });
  const first = Buffer.concat(head);
  const container = containerOf(first);
  let raw = 0;
  async function* bytes(): AsyncGenerator<Buffer> {
    const start = container.kind === 'zlib' ? first.subarray(container.offset) : first;
    raw += first.length;
    yield start;
    if (ended) return;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      const b = typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
      raw += b.length;
      yield b;
    }
  }
  const src = Readable.from(bytes());
  if (container.kind === 'plain') return { size: 0, container, chunks: src, rawBytes: () => raw };
  const inflate = container.kind === 'gzip' ? createGunzip({ chunkSize: CHUNK }) : createInflate({ chunkSize: CHUNK });
  src.on('error', (e) => inflate.destroy(e));
  src.pipe(inflate);
  return { size: 0, container, chunks: inflate, rawBytes: () => raw };
}

/**
 * Read a whole trace, pushing each event to `sink` in timestamp order. A large text file is parsed in a worker thread
 * (traces/read_parallel.ts says when) while `sink` runs here; stdin and small files are read on this thread.
 * With `share`, the same parse also feeds the share's taps on other threads (or tells them to read the trace themselves).
 */
export async function readTrace(path: string, sink: EventSink, opts: ReadOptions & ReadTuning = {}, share?: ParseShare): Promise<ReadResult> {
  if (path !== STDIN && (await workerWanted(path, opts.rows !== undefined))) {
    const r = await (await import('./read_parallel.js')).readInWorker(path, sink, opts, share);
    if (r !== null) return r;
  } else if (share) (await import('./read_parallel.js')).unshare(share);
  return readHere(path, sink, opts);
}

/** Whether readTrace would parse `path` in the parse worker (model/replay_threads.ts then shares that parse). */
export async function parsedInWorker(path: string): Promise<boolean> {
  return path !== STDIN && (await workerWanted(path, false)) && (await import('./read_parallel.js')).parseWorkerAvailable();
}

/** FAULTLINE_PARSE_WORKER: 0 never, 1 always (when the worker's module is built), unset: a file of AUTO_BYTES or more
 * unless the consumer takes rows; never from a worker thread. */
// A worker costs ~0.4 s of CPU to start cold (modules, a second isolate's JIT; bench at 300k events / 40 MB: info
// 0.57 s cpu on one thread, 0.91 s with the worker), so only a file whose parse takes well over that gets one.
const AUTO_BYTES = 64 << 20;
/** A gzip file inflates ~10x: the worker pays for itself from a smaller size on disk. */
const AUTO_GZ_BYTES = 8 << 20;

async function workerWanted(path: string, rows: boolean): Promise<boolean> {
  const env = process.env.FAULTLINE_PARSE_WORKER;
  if (env === '0') return false;
  // Already a worker (replay's per-variant threads, model/replay_threads.ts): the cores are taken, no second level.
  if (!isMainThread) return false;
  let size: number;
  try {
    const st = await fsp.stat(path);
    if (!st.isFile()) return false;
    size = st.size;
  } catch {
    return false; // readHere reports it
  }
  if (env === '1') return size > 0;
  // A consumer that takes faults and rss_stat by their parts (info) costs less per event than the hand-off (encode,
  // post, decode): its whole read ran faster here than through the worker on perf, perf -a and ftrace text (stop 31).
  if (rows) return false;
  if (size < AUTO_GZ_BYTES) return false;
  if (size >= AUTO_BYTES) return true;
  return containerOf(await firstBytes(path, 4096)).kind !== 'plain';
}

/** readTrace on this thread; the parse worker calls it with `here` to feed its batches. */
export async function readHere(path: string, sink: EventSink, opts: ReadOptions & ReadTuning = {}, here: ReadHere = {}): Promise<ReadResult> {
  const stdin = path === STDIN;
  if (stdin) path = STDIN_NAME;
  const { size, container, chunks, rawBytes } = stdin ? await openStdin(opts.stdin ?? process.stdin) : await openFile(path);
  const gz = container.kind !== 'plain';
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
    throw userError(`cannot read${gz ? ` (corrupt ${container.kind} data?)` : ''}: ${(err as Error).message}`, { file: path });
  }
  if (preLen === 0) throw userError(gz ? `empty trace inside the ${container.kind === 'gzip' ? 'gzip file' : 'atrace -z zlib stream'}` : 'empty file', { file: path });
  const headBuf = pre.length === 1 ? pre[0] : Buffer.concat(pre);
  const binary = opts.format !== undefined ? readerFor(opts.format) : READERS.find((r) => r.sniff.bytes?.(headBuf));
  if (binary !== undefined && 'read' in binary) {
    // A binary format streams the file itself (packets, not lines).
    await it.return?.();
    if (here.textOnly) throw new Error(NOT_TEXT);
    if (stdin) throw userError(`a ${binary.title} file cannot be read from stdin: save it to a file and pass its path`, { file: path });
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
  const threadGroups = new Map<number, number>();
  const count = (stat: StatName, n: number): void => {
    stats[stat] = (stats[stat] ?? 0) + n;
  };
  let skippedLines = 0;
  let events = 0;
  let lostEvents = 0;

  const counted = (e: TraceEvent): void => {
    if (e.kind !== 'lost') events++;
    sink(e);
  };
  const paired = here.unpaired ? counted : pairSyscalls(counted);
  const merger = createMerger(paired, opts.merge ?? reader.merge);
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
      if (e.kind === 'rss_stat') {
        if (e.size < 0) count('rss_stat_negative', 1);
        if (e.member > MM_SHMEMPAGES) count('rss_stat_member_beyond_shmem', 1);
      }
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
    thread(tid: number, tgid: number): void {
      threadGroups.set(tid, tgid);
    },
  };
  const rows = here.rows ?? opts.rows;
  if (rows !== undefined) {
    // push's path for an event nothing waits on (no loss to place, the merge passing it on): `rows` takes its parts;
    // otherwise the object is built and pushed (sys_exit pairing, which this skips, never looks at these two kinds).
    ctx.fault = (name, system, time, cpu, pid, tid, comm, line, user, address, ip, errorCode) => {
      if (pendingCount === 0 && i32ok(cpu) && i32ok(pid) && i32ok(tid) && merger.direct(time)) {
        if (time > maxTime) maxTime = time;
        events++;
        rows.fault(name, system, time, cpu, pid, tid, comm, line, user, address, ip, errorCode);
      } else ctx.push({ kind: 'fault', name, system, time, cpu, pid, tid, comm, line, user, address, ip, errorCode });
    };
    ctx.rss = (name, system, time, cpu, pid, tid, comm, line, mmId, curr, member, size, throttled) => {
      if (pendingCount === 0 && i32ok(cpu) && i32ok(pid) && i32ok(tid) && merger.direct(time)) {
        if (time > maxTime) maxTime = time;
        if (size < 0) count('rss_stat_negative', 1);
        if (member > MM_SHMEMPAGES) count('rss_stat_member_beyond_shmem', 1);
        events++;
        rows.rss(name, system, time, cpu, pid, tid, comm, line, mmId, curr, member, size, throttled);
      } else ctx.push({ kind: 'rss_stat', name, system, time, cpu, pid, tid, comm, line, mmId, curr, member, size, throttled });
    };
  }

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
        throw userError(`cannot read${gz ? ` (corrupt or truncated ${container.kind} data?)` : ''}: ${(err as Error).message}`, { file: path });
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
  // The reader passes on what it still holds (a stack trace waiting for more frames), or refuses the file.
  const refusal = parser.end?.() ?? null;
  if (refusal !== null) throw userError(refusal, { file: path });
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
  if (threadGroups.size > 0) result.threadGroups = threadGroups;
  if (warnings.length > 0) result.warnings = warnings;
  return result;
}
