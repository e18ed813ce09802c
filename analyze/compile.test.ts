// 64-bit integer operators over exact doubles, against BigInt arithmetic as the oracle.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { and64, or64, shl64, shr64, xor64 } from './int64.js';

const safe = fc.oneof(
  fc.integer(),
  fc.integer({ min: 0, max: 0xff }),
  fc.bigInt({ min: -(2n ** 52n), max: 2n ** 52n }).map(Number),
  fc.bigInt({ min: 0n, max: 2n ** 47n }).map(Number),
);
const ref = (f: (x: bigint, y: bigint) => bigint) => (a: number, b: number) => Number(BigInt.asIntN(64, f(BigInt(a), BigInt(b))));

describe('64-bit bitwise operators', () => {
  it('&, |, ^ equal BigInt results for exact integers of any sign and size', () => {
    fc.assert(
      fc.property(safe, safe, (a, b) => {
        const x = BigInt.asIntN(64, BigInt(a) | BigInt(b));
        // only compare when the exact result is representable (|x| < 2^53), as the engine promises
        if (x > 2n ** 53n || x < -(2n ** 53n)) return;
        expect(and64(a, b)).toBe(ref((p, q) => p & q)(a, b));
        expect(or64(a, b)).toBe(ref((p, q) => p | q)(a, b));
        expect(xor64(a, b)).toBe(ref((p, q) => p ^ q)(a, b));
      }),
      { numRuns: 3000 },
    );
  });

  it('hand cases: kernel-style masks on user addresses and a sign-extended -1', () => {
    expect(and64(0x7f0000003fff, 0xfff)).toBe(0xfff);
    expect(and64(0x7f0000003fff, -4096)).toBe(0x7f0000003000); // addr & ~0xfff
    expect(and64(-1, 0xff)).toBe(0xff);
    expect(or64(0x100000000, 1)).toBe(0x100000001);
    expect(shr64(0x7f0000003000, 12)).toBe(0x7f0000003);
    expect(shl64(1, 40)).toBe(2 ** 40);
    expect(shr64(-8, 1)).toBe(-4);
  });
});
