// printf conversions checked against C printf results worked out by hand (64-bit two's complement for %u/%x).
import { describe, expect, it } from 'vitest';
import { formatInt, formatStr, parseFormat, type FormatSpec } from './format.js';

function fmt(f: string, ...args: (number | string)[]): string {
  let i = 0;
  return parseFormat(f)
    .map((p) => (typeof p === 'string' ? p : typeof args[i] === 'string' ? formatStr(args[i++] as string, p) : formatInt(args[i++] as number, p as FormatSpec)))
    .join('');
}

describe('printf', () => {
  it('integers: widths, flags, signedness, hex of negative values', () => {
    expect(fmt('%d|%5d|%-5d|%05d|%+d', 42, 42, 42, 42, 42)).toBe('42|   42|42   |00042|+42');
    expect(fmt('%d %i %ld %lld', -7, -7, -7, -7)).toBe('-7 -7 -7 -7');
    // without a length modifier the value is an int / unsigned int (32 bits), as bpftrace's printf does
    expect(fmt('%u %lu', -1, -1)).toBe('4294967295 18446744073709551615');
    expect(fmt('%x %d %u %lx', 0x7f636dfe7e06, 0x7ffc9829eff8, 0x7ffc9829eff8, 0x7f636dfe7e06)).toBe('6dfe7e06 -1742082056 2552885240 7f636dfe7e06');
    expect(fmt('%hhd %hd %hx', 0x1ff, 0x18000, -1)).toBe('-1 -32768 ffff');
    expect(fmt('%x %lx %llx %X', 255, -1, 0x7f0000001000, 0xabc)).toBe('ff ffffffffffffffff 7f0000001000 ABC');
    expect(fmt('%#x %#o %o', 255, 8, 8)).toBe('0xff 010 10');
    expect(fmt('%08x|%-8x|', 0x1f, 0x1f)).toBe('0000001f|1f      |');
    expect(fmt('%.3d|%c|%%', 7, 65)).toBe('007|A|%');
    expect(fmt('%-06d|', -3)).toBe('-3    |');
    expect(fmt('%06d|', -3)).toBe('-00003|');
  });

  it('strings: width, left-justify, precision truncates', () => {
    expect(fmt('%s|%-10s|%10s|%.3s', 'bash', 'bash', 'bash', 'bashful')).toBe('bash|bash      |      bash|bas');
  });

  it('rejects conversions bpftrace does not have', () => {
    expect(() => parseFormat('%f')).toThrow(/invalid format conversion '%f'/);
    expect(() => parseFormat('abc %')).toThrow(/incomplete conversion/);
  });
});
