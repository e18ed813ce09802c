// Chunked line splitting: hands each line to the parser as (chunk, start, end) so the hot path never
// builds a substring per line; only a line that straddles two chunks is joined.
import { StringDecoder } from 'node:string_decoder';

/** Called once per line; `end` excludes the newline (and a trailing '\r'). */
export type LineFn = (buf: string, start: number, end: number, lineNo: number) => void;

export interface LineStats {
  lines: number;
  /** true when the last line had no newline after it (a cut-off trace). */
  truncatedLast: boolean;
}

/**
 * Feed every line of `stream` to `onLine`. The last line, if it lacks a newline, is passed to
 * `onLast` instead (so the caller can treat it as truncated) when given, else to onLine.
 */
export async function forEachLine(
  stream: AsyncIterable<Buffer | string>,
  onLine: LineFn,
  onLast?: LineFn,
): Promise<LineStats> {
  const decoder = new StringDecoder('utf8');
  let carry = '';
  let lineNo = 0;
  for await (const chunk of stream) {
    let s = typeof chunk === 'string' ? chunk : decoder.write(chunk);
    if (carry.length > 0) {
      s = carry + s;
      carry = '';
    }
    let pos = 0;
    const len = s.length;
    for (;;) {
      const nl = s.indexOf('\n', pos);
      if (nl < 0) break;
      let end = nl;
      if (end > pos && s.charCodeAt(end - 1) === 13) end--;
      onLine(s, pos, end, ++lineNo);
      pos = nl + 1;
    }
    // Copy the remainder so the carry does not pin the whole chunk.
    if (pos < len) carry = pos === 0 ? s : s.slice(pos);
  }
  carry += decoder.end();
  let truncatedLast = false;
  if (carry.length > 0) {
    truncatedLast = true;
    let end = carry.length;
    if (carry.charCodeAt(end - 1) === 13) end--;
    (onLast ?? onLine)(carry, 0, end, ++lineNo);
  }
  return { lines: lineNo, truncatedLast };
}
