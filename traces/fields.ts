// Number and field scanning over a line held inside a larger chunk string: no substrings on the hot path,
// exact 64-bit handling (values above 2^53 become bigint or -1, never a rounded double).

/** End offset of the last scan (module-level so the hot path returns plain numbers without allocating). */
export let scanEnd = 0;

const TWO53 = 9007199254740992;

/**
 * A copy of `s` that does not keep the chunk it was cut from alive: V8 keeps a substring of 13+ characters as a slice
 * of its parent (a 1 MiB chunk), so a comm held per thread would hold every chunk it came from. For strings kept
 * beyond their line (comms, event names, field text cached per thread or per event name), not for the hot path.
 */
export function own(s: string): string {
  // the concatenation is flattened into a new string before the slice, which then points into that copy
  return (' ' + s).slice(1);
}

/** True for an ASCII decimal digit (char code). */
export function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * Unsigned number at `pos`: `0x` hex, or decimal. Returns NaN when there is no digit, and NaN when the
 * value does not fit in 2^53 (callers that need exactness then call `bigAt`). Sets scanEnd.
 */
export function numAt(s: string, pos: number, end: number): number {
  let i = pos;
  if (i + 1 < end && s.charCodeAt(i) === 48 && (s.charCodeAt(i + 1) | 32) === 120) return hexAt(s, pos, end);
  const start = i;
  let v = 0;
  while (i < end) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) break;
    v = v * 10 + (c - 48);
    i++;
  }
  scanEnd = i;
  if (i === start) return NaN;
  return v < TWO53 ? v : NaN;
}

/** Like numAt with an optional leading '-' (decimal only after the sign). */
export function signedAt(s: string, pos: number, end: number): number {
  if (pos < end && s.charCodeAt(pos) === 45) {
    const v = numAt(s, pos + 1, end);
    return v === v ? -v : NaN;
  }
  return numAt(s, pos, end);
}

/** Exact unsigned value at `pos` as a bigint (hex or decimal), or null. Sets scanEnd. */
export function bigAt(s: string, pos: number, end: number): bigint | null {
  let i = pos;
  let hex = false;
  if (i + 1 < end && s.charCodeAt(i) === 48 && (s.charCodeAt(i + 1) | 32) === 120) {
    hex = true;
    i += 2;
  }
  const start = i;
  while (i < end && (hex ? hexDigit(s.charCodeAt(i)) >= 0 : s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57)) i++;
  scanEnd = i;
  if (i === start) return null;
  return BigInt((hex ? '0x' : '') + s.slice(start, i));
}

/**
 * A syscall return or argument printed as an unsigned 64-bit word, read as a C `long`:
 * 0xfffffffffffffff4 is -12. Values that fit neither way (|v| >= 2^53) give NaN.
 */
export function longAt(s: string, pos: number, end: number): number {
  if (pos < end && s.charCodeAt(pos) === 45) return signedAt(s, pos, end);
  const v = numAt(s, pos, end);
  if (v === v) return v;
  const b = bigAt(s, pos, end);
  if (b === null || b >= 1n << 64n) return NaN;
  const signed = BigInt.asIntN(64, b);
  return signed > -BigInt(TWO53) && signed < BigInt(TWO53) ? Number(signed) : NaN;
}

/**
 * Trace time `SECONDS[.FRACTION]` at `pos` as integer nanoseconds, split on the dot so that
 * 7636.643459 is exactly 7636643459000. Returns -1 if there is no number. Sets scanEnd.
 */
export function timeAt(s: string, pos: number, end: number): number {
  let i = pos;
  let sec = 0;
  const start = i;
  while (i < end) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) break;
    sec = sec * 10 + (c - 48);
    i++;
  }
  if (i === start) {
    scanEnd = i;
    return -1;
  }
  let ns = 0;
  if (i < end && s.charCodeAt(i) === 46) {
    i++;
    let digits = 0;
    while (i < end) {
      const c = s.charCodeAt(i);
      if (c < 48 || c > 57) break;
      if (digits < 9) ns = ns * 10 + (c - 48);
      digits++;
      i++;
    }
    if (digits === 0) {
      scanEnd = i;
      return -1;
    }
    for (let d = digits; d < 9; d++) ns *= 10;
    scanEnd = i;
    return sec * 1e9 + ns;
  }
  // A bare counter (trace_clock=counter or x86-tsc) has no fraction: take it as is.
  scanEnd = i;
  return sec;
}

/** Index of `key=` where it starts a field (at `from` or after a space), or -1. */
export function findKey(s: string, key: string, from: number, end: number): number {
  let i = indexIn(s, key, from, end);
  while (i >= 0) {
    if (i === from || s.charCodeAt(i - 1) === 32) return i + key.length;
    i = indexIn(s, key, i + 1, end);
  }
  return -1;
}

/** Parse one field value: number (decimal, signed, hex), bigint when hex exceeds 2^53, else the string. */
export function parseValue(v: string): string | number | bigint {
  if (v.length === 0) return v;
  const c = v.charCodeAt(0);
  if ((c >= 48 && c <= 57) || (c === 45 && v.length > 1)) {
    const n = signedAt(v, 0, v.length);
    if (scanEnd === v.length) {
      if (n === n) return n;
      if (c !== 45) {
        const b = bigAt(v, 0, v.length);
        if (b !== null && scanEnd === v.length) return b;
      }
    }
  }
  return v;
}

function isKeyChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 46 || c === 91 || c === 93;
}

/**
 * Generic `k=v k=v` fields; a value runs to the next ` key=` so values may hold spaces (`comm=Web Content`).
 * Also reads the `k: v, k: v` form syscall tracepoints print. Text with neither form is kept as `msg`.
 */
export function parseFields(s: string, start: number, end: number): Record<string, string | number | bigint> {
  const out: Record<string, string | number | bigint> = {};
  // Find key starts: an identifier run preceded by start/space, immediately followed by '='.
  const keys: number[] = [];
  const eqs: number[] = [];
  let i = start;
  while (i < end) {
    const eq = charIn(s, 61, i, end);
    if (eq < 0) break;
    let k = eq;
    while (k > start && isKeyChar(s.charCodeAt(k - 1))) k--;
    if (k < eq && (k === start || s.charCodeAt(k - 1) === 32) && (keys.length === 0 || k > eqs[eqs.length - 1])) {
      keys.push(k);
      eqs.push(eq);
    }
    i = eq + 1;
  }
  if (keys.length > 0) {
    if (keys[0] > start) {
      const pre = s.slice(start, keys[0]).trim();
      if (pre) out.msg = pre;
    }
    for (let j = 0; j < keys.length; j++) {
      const vEnd = j + 1 < keys.length ? keys[j + 1] : end;
      const v = parseValue(s.slice(eqs[j] + 1, vEnd).trim());
      // query may keep a string value as a map key: a copy, so it does not keep the chunk alive
      out[s.slice(keys[j], eqs[j])] = typeof v === 'string' ? own(v) : v;
    }
    return out;
  }
  const text = s.slice(start, end).trim();
  if (text.includes(': ')) {
    let ok = false;
    for (const part of text.split(', ')) {
      const c = part.indexOf(': ');
      if (c <= 0) continue;
      const key = part.slice(0, c);
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) continue;
      out[key] = parseValue(part.slice(c + 2).trim());
      ok = true;
    }
    if (ok) return out;
  }
  if (text) out.msg = text;
  return out;
}

/** Hex digits at `pos` with or without `0x` (perf prints sample addresses bare). NaN if none or >= 2^53. */
export function hexAt(s: string, pos: number, end: number): number {
  let i = pos;
  if (i + 1 < end && s.charCodeAt(i) === 48 && (s.charCodeAt(i + 1) | 32) === 120) i += 2;
  const start = i;
  let v = 0;
  while (i < end) {
    const d = hexDigit(s.charCodeAt(i));
    if (d < 0) break;
    v = v * 16 + d;
    i++;
  }
  scanEnd = i;
  if (i === start) return NaN;
  return v < TWO53 ? v : NaN;
}

/** `s.indexOf(needle, from)` that never looks at or past `end` (a miss must not scan the rest of the chunk). */
export function indexIn(s: string, needle: string, from: number, end: number): number {
  const c0 = needle.charCodeAt(0);
  const last = end - needle.length;
  for (let i = from; i <= last; i++) {
    if (s.charCodeAt(i) === c0 && (needle.length === 1 || s.startsWith(needle, i))) return i;
  }
  return -1;
}

/** Index of char code `c` in [from, end), or -1. */
export function charIn(s: string, c: number, from: number, end: number): number {
  for (let i = from; i < end; i++) if (s.charCodeAt(i) === c) return i;
  return -1;
}

/** Last index of char code `c` in [from, before], or -1. */
export function lastCharIn(s: string, c: number, from: number, before: number): number {
  for (let i = before; i >= from; i--) if (s.charCodeAt(i) === c) return i;
  return -1;
}
