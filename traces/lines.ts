// Chunked line splitting: hands each line to the parser as (chunk, start, end) so the hot path never
// builds a substring per line. Chunks are cut at their last newline on the bytes (a newline byte is never
// inside a UTF-8 sequence), so no line straddles two strings; pure-ASCII chunks decode as latin1 (same text, faster).
import { isAscii } from 'node:buffer';

/** Called once per line; `end` excludes the newline (and a trailing '\r'). */
export type LineFn = (buf: string, start: number, end: number, lineNo: number) => void;

/** Called when onLine throws: the line is reported and the scan goes on with the next one. */
export type LineErrorFn = (err: unknown, lineNo: number) => void;

export interface LineStats {
  lines: number;
  /** true when the last line had no newline after it (a cut-off trace). */
  truncatedLast: boolean;
}

function decode(b: Buffer): string {
  return isAscii(b) ? b.toString('latin1') : b.toString('utf8');
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
  let lineNo = 0;
  for await (const chunk of stream) {
    let buf: Buffer = chunk;
    if (carry !== null) {
      // Finish the line cut by the previous chunk on its own, so the big chunk is never copied.
      const first = chunk.indexOf(10);
      if (first < 0) {
        carry = Buffer.concat([carry, chunk]);
        continue;
      }
      const head = decode(Buffer.concat([carry, chunk.subarray(0, first)]));
      carry = null;
      let end = head.length;
      if (end > 0 && head.charCodeAt(end - 1) === 13) end--;
      ++lineNo;
      try {
        onLine(head, 0, end, lineNo);
      } catch (err) {
        if (onError === undefined) throw err;
        onError(err, lineNo);
      }
      buf = chunk.subarray(first + 1);
    }
    const last = buf.lastIndexOf(10);
    if (last < 0) {
      carry = buf; // a line longer than the chunk: keep accumulating
      continue;
    }
    if (last + 1 < buf.length) carry = buf.subarray(last + 1);
    buf = buf.subarray(0, last + 1);
    const s = decode(buf);
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
          onLine(s, pos, end, lineNo);
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
  let truncatedLast = false;
  if (carry !== null && carry.length > 0) {
    truncatedLast = true;
    const s = decode(carry);
    let end = s.length;
    if (end > 0 && s.charCodeAt(end - 1) === 13) end--;
    ++lineNo;
    try {
      (onLast ?? onLine)(s, 0, end, lineNo);
    } catch (err) {
      if (onError === undefined) throw err;
      onError(err, lineNo);
    }
  }
  return { lines: lineNo, truncatedLast };
}
