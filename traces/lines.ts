// Chunked line splitting: hands each line to the parser as (chunk, start, end) so the hot path never
// builds a substring per line. Chunks are cut at their last newline on the bytes (a newline byte is never
// inside a UTF-8 sequence), so no line straddles two strings; pure-ASCII chunks decode as latin1 (same text, faster).
import { isAscii } from 'node:buffer';
import { userError } from './errors.js';

/**
 * Called once per line; `end` excludes the newline (and a trailing '\r'). Where the line's piece is ASCII, `bytes` holds
 * it too: character i of buf is byte base + i (a reader's byte fast path: traces/bytes.ts); null or absent otherwise.
 */
export type LineFn = (buf: string, start: number, end: number, lineNo: number, bytes?: Uint8Array | null, base?: number) => void;

/** Called when onLine throws: the line is reported and the scan goes on with the next one. */
export type LineErrorFn = (err: unknown, lineNo: number) => void;

export interface LineStats {
  lines: number;
  /** true when the last line had no newline after it (a cut-off trace). */
  truncatedLast: boolean;
}

/** Longest line accepted (systrace pages inline megabytes of script on one line; a trace line is ~200 bytes). */
export const MAX_LINE = 256 * 1024 * 1024;

/** Bytes decoded into one string at a time (below V8's 128 KiB large-object size, so it is born in the young generation). */
const PIECE = 32 * 1024;


function decode(b: Buffer): string {
  return isAscii(b) ? b.toString('latin1') : b.toString('utf8');
}

/** One line held in its own buffer (a line cut by a chunk boundary, or the last one): decoded and passed to `fn`. */
function emitBuffer(fn: LineFn, b: Buffer, lineNo: number, onError: LineErrorFn | undefined): void {
  const s = decode(b);
  let end = s.length;
  if (end > 0 && s.charCodeAt(end - 1) === 13) end--;
  try {
    fn(s, 0, end, lineNo);
  } catch (err) {
    if (onError === undefined) throw err;
    onError(err, lineNo);
  }
}

/**
 * Feed every line of `stream` to `onLine`. The last line, if it lacks a newline, is passed to
 * `onLast` instead (so the caller can treat it as truncated) when given, else to onLine.
 */
export async function forEachLine(
  stream: AsyncIterable<Buffer>,
  onLine: LineFn,
  onLast?: LineFn,
  onError?: LineErrorFn,
): Promise<LineStats> {
  let carry: Buffer | null = null;
  // Pieces of one line longer than a chunk, joined once its newline arrives (not copied per chunk).
  let long: Buffer[] = [];
  let longBytes = 0;
  let lineNo = 0;
  let first = true;
  for await (const chunk of stream) {
    let buf: Buffer = chunk;
    if (first) {
      first = false;
      // A UTF-8 byte order mark is not part of the first line.
      if (buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) buf = buf.subarray(3);
    }
    if (carry !== null) {
      // Finish the line cut by the previous chunk on its own, so the big chunk is never copied.
      const cut = buf.indexOf(10);
      if (cut < 0) {
        long.push(Buffer.from(carry)); // a copy: the reader reuses its chunk buffers
        longBytes += carry.length;
        carry = buf;
        if (longBytes + buf.length > MAX_LINE) throw userError(`a line longer than ${MAX_LINE >> 20} MiB: not a text trace?`, { line: lineNo + 1 });
        continue;
      }
      long.push(carry, buf.subarray(0, cut));
      const head = Buffer.concat(long);
      long = [];
      longBytes = 0;
      carry = null;
      emitBuffer(onLine, head, ++lineNo, onError);
      buf = buf.subarray(cut + 1);
    }
    const last = buf.lastIndexOf(10);
    if (last < 0) {
      carry = buf; // a line longer than the chunk: keep accumulating
      continue;
    }
    if (last + 1 < buf.length) carry = buf.subarray(last + 1);
    buf = buf.subarray(0, last + 1);
    // Decoded in pieces of about PIECE bytes cut after a newline: a 1 MiB string is allocated outside V8's young
    // generation (fresh pages each time, ~10x the CPU of 32 KiB pieces, measured), and a kept slice holds less.
    const ascii = isAscii(buf);
    for (let p0 = 0; p0 < buf.length; ) {
      let p1 = p0 + PIECE >= buf.length ? buf.length : buf.indexOf(10, p0 + PIECE - 1) + 1;
      if (p1 <= 0) p1 = buf.length;
      const s = buf.toString(ascii ? 'latin1' : 'utf8', p0, p1);
      const bytes = ascii ? buf : null;
      const base = p0;
      p0 = p1;
      let pos = 0;
      let nl = 0;
      const len = s.length;
      while (pos < len) {
        try {
          for (;;) {
            nl = s.indexOf('\n', pos);
            if (nl < 0) break;
            let end = nl;
            if (end > pos && s.charCodeAt(end - 1) === 13) end--;
            ++lineNo;
            onLine(s, pos, end, lineNo, bytes, base);
            pos = nl + 1;
          }
          break;
        } catch (err) {
          if (onError === undefined) throw err;
          onError(err, lineNo);
          pos = nl + 1;
        }
      }
    }
  }
  let truncatedLast = false;
  if (carry !== null) {
    long.push(carry);
    carry = long.length === 1 ? long[0] : Buffer.concat(long);
  }
  if (carry !== null && carry.length > 0) {
    truncatedLast = true;
    emitBuffer(onLast ?? onLine, carry, ++lineNo, onError);
  }
  return { lines: lineNo, truncatedLast };
}
