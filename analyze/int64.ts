// 64-bit integer operators over exact doubles: bitwise ops and shifts leave the 32-bit fast path only when needed.

/** The closure for one binary integer operator (bpftrace's 64-bit semantics, BPF division rules). */
export function binaryInt(op: string): (a: number, b: number) => number {
  switch (op) {
    case '+': return (a, b) => a + b;
    case '-': return (a, b) => a - b;
    case '*': return (a, b) => a * b;
    case '/': return (a, b) => (b === 0 ? 0 : Math.trunc(a / b)); // BPF: division by zero yields 0
    case '%': return (a, b) => (b === 0 ? a : a % b); // BPF: modulo by zero leaves the dividend
    case '<': return (a, b) => (a < b ? 1 : 0);
    case '<=': return (a, b) => (a <= b ? 1 : 0);
    case '>': return (a, b) => (a > b ? 1 : 0);
    case '>=': return (a, b) => (a >= b ? 1 : 0);
    case '&': return and64;
    case '|': return or64;
    case '^': return xor64;
    case '<<': return shl64;
    case '>>': return shr64;
  }
  throw new Error(`binaryInt: ${op}`);
}

const I32 = (v: number) => (v | 0) === v;
const big = (f: (x: bigint, y: bigint) => bigint) => (a: number, b: number) => Number(BigInt.asIntN(64, f(BigInt(a), BigInt(b))));
const andBig = big((x, y) => x & y);
const orBig = big((x, y) => x | y);
const xorBig = big((x, y) => x ^ y);

export function and64(a: number, b: number): number {
  // ToInt32 takes the low 32 bits of any exact integer, so a mask in [0, 2^31) needs no BigInt.
  if ((b >= 0 && b <= 0x7fffffff && (b | 0) === b) || (a >= 0 && a <= 0x7fffffff && (a | 0) === a)) return a & b;
  return I32(a) && I32(b) ? a & b : andBig(a, b);
}
export function or64(a: number, b: number): number {
  return I32(a) && I32(b) ? a | b : orBig(a, b);
}
export function xor64(a: number, b: number): number {
  return I32(a) && I32(b) ? a ^ b : xorBig(a, b);
}
export function shl64(a: number, b: number): number {
  const s = ((b % 64) + 64) % 64;
  if (a >= 0 && a < 2 ** 31 && s < 22) return a * 2 ** s;
  return Number(BigInt.asIntN(64, BigInt(a) << BigInt(s)));
}
export function shr64(a: number, b: number): number {
  const s = ((b % 64) + 64) % 64;
  if (a >= 0) return Math.floor(a / 2 ** s);
  return Number(BigInt.asIntN(64, BigInt(a) >> BigInt(s)));
}
