// Protobuf wire values for the Perfetto reader: varints read for framing, 64-bit fields as exact numbers or bigints.
import pb from 'protobufjs/minimal.js';

export type Reader = pb.Reader;
/** protobufjs's 64-bit value (its Long shape when long.js is absent). */
export type Long = { low: number; high: number; unsigned: boolean };

const TWO32 = 4294967296;

/** A varint at `at` (framing only: up to 2^53), or null when it runs past the buffer. */
export function varintAt(b: Uint8Array, at: number): { value: number; next: number } | null {
  let v = 0;
  let mul = 1;
  for (let i = at; i < b.length && i < at + 8; i++) {
    const c = b[i];
    v += (c & 0x7f) * mul;
    if (c < 0x80) return { value: v, next: i + 1 };
    mul *= 128;
  }
  return null;
}

/** uint64/int64 from protobufjs as a number when exact, else null (kernel addresses, 64-bit flags). */
export function exact(l: Long | number): number | null {
  if (typeof l === 'number') return l;
  const hi = l.high >>> 0;
  if (!l.unsigned && l.high < 0) {
    // negative int64: exact when it is at least -2^53
    const v = l.high * TWO32 + (l.low >>> 0);
    return v >= -Number.MAX_SAFE_INTEGER ? v : null;
  }
  return hi < 0x200000 ? hi * TWO32 + (l.low >>> 0) : null;
}

/** A 64-bit value as a number when exact, else a bigint (signed or not as the field is declared). */
export function big(l: Long | number, signed: boolean): number | bigint {
  const n = exact(l);
  if (n !== null) return n;
  const v = (BigInt((l as Long).high >>> 0) << 32n) | BigInt((l as Long).low >>> 0);
  return signed ? BigInt.asIntN(64, v) : v;
}

export const u64 = (r: Reader): Long => r.uint64() as unknown as Long;
export const i64 = (r: Reader): Long => r.int64() as unknown as Long;
