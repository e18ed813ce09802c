import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { bigAt, hexAt, longAt, numAt, parseFields, parseValue, timeAt } from './fields.js';

describe('timeAt: seconds.fraction to integer ns without float error', () => {
  it('splits on the dot', () => {
    expect(timeAt('7636.643459', 0, 11)).toBe(7636643459000);
    expect(timeAt('1014.345277933:', 0, 15)).toBe(1014345277933);
    expect(timeAt('0.000001', 0, 8)).toBe(1000);
    // More than 9 fractional digits: the extra ones are below a nanosecond.
    expect(timeAt('1.0000000019', 0, 12)).toBe(1000000001);
    expect(timeAt('x', 0, 1)).toBe(-1);
    expect(timeAt('12.', 0, 3)).toBe(-1);
  });
  it('equals BigInt arithmetic on random times (float parsing would not)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 8_000_000 }), fc.integer({ min: 0, max: 999_999_999 }), (sec, frac) => {
        const s = `${sec}.${String(frac).padStart(9, '0')}`;
        expect(timeAt(s, 0, s.length)).toBe(Number(BigInt(sec) * 1_000_000_000n + BigInt(frac)));
      }),
    );
  });
});

describe('numbers', () => {
  it('hex and decimal, exact up to 2^53, NaN beyond', () => {
    expect(numAt('0x7f0fefd0e000', 0, 14)).toBe(0x7f0fefd0e000);
    expect(numAt('12345', 0, 5)).toBe(12345);
    expect(numAt('0x1fffffffffffff', 0, 16)).toBe(2 ** 53 - 1);
    expect(numAt('0xffffffff81775b9a', 0, 18)).toBeNaN();
    expect(hexAt('56301779e050 x', 0, 14)).toBe(0x56301779e050);
  });
  it('longAt reads unsigned 64-bit words as C long', () => {
    expect(longAt('0xfffffffffffffff4', 0, 18)).toBe(-12);
    expect(longAt('0xffffffffffffffea', 0, 18)).toBe(-22);
    expect(longAt('0xffffffffffffffff', 0, 18)).toBe(-1);
    expect(longAt('-5', 0, 2)).toBe(-5);
    expect(longAt('0x8000000000000000', 0, 18)).toBeNaN();
  });
  it('bigAt and parseValue keep values above 2^53 exact as bigint', () => {
    expect(bigAt('0xffffffff81775b9a', 0, 18)).toBe(0xffffffff81775b9an);
    expect(parseValue('0xffffffff81775b9a')).toBe(0xffffffff81775b9an);
    expect(parseValue('18446744073709551615')).toBe(18446744073709551615n);
    expect(parseValue('-12')).toBe(-12);
    expect(parseValue('0x10')).toBe(16);
    expect(parseValue('elf_load')).toBe('elf_load');
    expect(parseValue('8192B')).toBe('8192B');
  });
  it('round-trips any 64-bit hex exactly', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (v) => {
        const s = '0x' + v.toString(16);
        const p = parseValue(s);
        expect(typeof p === 'bigint' ? p : BigInt(p as number)).toBe(v);
      }),
    );
  });
});

describe('parseFields', () => {
  it('k=v with spaces inside values, and the k: v, form', () => {
    const s = 'comm=Web Content pid=4242 child_comm=Chrome_ChildIOT child_pid=4251';
    expect(parseFields(s, 0, s.length)).toEqual({ comm: 'Web Content', pid: 4242, child_comm: 'Chrome_ChildIOT', child_pid: 4251 });
    const t = 'fd: 0x00000003, buf: 0x7ffe21c0fa08, count: 0x00000340';
    expect(parseFields(t, 0, t.length)).toEqual({ fd: 3, buf: 0x7ffe21c0fa08, count: 0x340 });
    const u = 'faultline_checkpoint: label=start pid=9566';
    expect(parseFields(u, 0, u.length)).toEqual({ msg: 'faultline_checkpoint:', label: 'start', pid: 9566 });
    const w = 'just some text';
    expect(parseFields(w, 0, w.length)).toEqual({ msg: 'just some text' });
  });
});
