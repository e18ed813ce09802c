// Scanning the bytes of an ASCII line (the readers' fast paths): literals, numbers and `SECONDS.FRACTION:` stamps read
// from the chunk's Buffer, where a charCodeAt per character cost 2-2.5x a byte load (Node 20 on an EPYC guest: 3.3 ns a
// character against 1.3-1.6 ns a byte). Each function reads what its fields.ts namesake reads, to the same value.

/** End offset of the last numAt / signedAt (module-level: the hot path returns plain numbers without allocating). */
export let byteEnd = 0;
/** Nanoseconds of the last stampAt. */
export let stampNs = 0;

const TWO53 = 9007199254740992;

/** A literal to look for: its bytes, and its whole 4-byte words as little-endian int32s. */
export interface Lit {
  readonly b: Uint8Array;
  readonly w: Int32Array;
}

/** An ASCII string as a Lit; an empty one when it holds anything else (a fast path then never matches it). */
export function asciiLit(s: string): Lit {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 127) return NO_LIT;
    b[i] = c;
  }
  const d = new DataView(b.buffer);
  const w = new Int32Array(b.length >> 2);
  for (let k = 0; k < w.length; k++) w[k] = d.getInt32(4 * k, true);
  return { b, w };
}

export const NO_LIT: Lit = { b: new Uint8Array(0), w: new Int32Array(0) };

/**
 * Whether `l` is at `p` of u (and ends before `end`); `v` views u's bytes. Four bytes a load where it can: a 36-byte
 * header compared in 23 ns against 58 ns a byte at a time (the same guest).
 */
export function litAt(v: DataView, u: Uint8Array, p: number, end: number, l: Lit): boolean {
  const b = l.b;
  const n = b.length;
  if (p + n > end) return false;
  const w = l.w;
  let i = 0;
  for (let k = 0; k < w.length; k++, i += 4) if (v.getInt32(p + i, true) !== w[k]) return false;
  for (; i < n; i++) if (u[p + i] !== b[i]) return false;
  return true;
}

/** Whether two Lits hold the same bytes. */
export function sameLit(a: Lit, b: Lit): boolean {
  if (a.b.length !== b.b.length) return false;
  for (let i = 0; i < a.b.length; i++) if (a.b[i] !== b.b[i]) return false;
  return true;
}

/** A DataView over all of u (litAt's `v`). */
export const viewOf = (u: Uint8Array): DataView => new DataView(u.buffer, u.byteOffset, u.byteLength);

/** fields.ts numAt over bytes: `0x` hex (either case), else decimal; NaN when no digit or >= 2^53. Sets byteEnd. */
export function numAt(u: Uint8Array, pos: number, end: number): number {
  let i = pos;
  let v = 0;
  if (i + 1 < end && u[i] === 48 && (u[i + 1]! | 32) === 120) {
    i += 2;
    const start = i;
    for (; i < end; i++) {
      const c = u[i]!;
      const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
      if (d < 0) break;
      v = v * 16 + d;
    }
    byteEnd = i;
    return i === start || v >= TWO53 ? NaN : v;
  }
  for (; i < end; i++) {
    const c = u[i]!;
    if (c < 48 || c > 57) break;
    v = v * 10 + (c - 48);
  }
  byteEnd = i;
  return i === pos || v >= TWO53 ? NaN : v;
}

/** numAt just after the literal l at p (v views u); NaN when l is not there. */
export function numAfter(v: DataView, u: Uint8Array, p: number, end: number, l: Lit): number {
  return litAt(v, u, p, end, l) ? numAt(u, p + l.b.length, end) : NaN;
}

/** fields.ts signedAt over bytes: numAt with an optional leading '-'. */
export function signedAt(u: Uint8Array, pos: number, end: number): number {
  if (pos < end && u[pos] === 45) {
    const v = numAt(u, pos + 1, end);
    return v === v ? -v : NaN;
  }
  return numAt(u, pos, end);
}

/**
 * A `SECONDS.FRACTION:` stamp at `pos` (what perf_script.ts timestampEnd accepts): the index of its ':' or -1, and
 * stampNs set to fields.ts timeAt's value for it (the fraction's first 9 digits, exact integer nanoseconds).
 */
export function stampAt(u: Uint8Array, pos: number, end: number): number {
  let i = pos;
  let sec = 0;
  for (; i < end; i++) {
    const c = u[i]!;
    if (c < 48 || c > 57) break;
    sec = sec * 10 + (c - 48);
  }
  if (i === pos || i >= end || u[i] !== 46) return -1;
  const f0 = ++i;
  let ns = 0;
  for (; i < end; i++) {
    const c = u[i]!;
    if (c < 48 || c > 57) break;
    if (i - f0 < 9) ns = ns * 10 + (c - 48);
  }
  if (i === f0 || i >= end || u[i] !== 58) return -1;
  for (let d = i - f0; d < 9; d++) ns *= 10;
  stampNs = sec * 1e9 + ns;
  return i;
}
