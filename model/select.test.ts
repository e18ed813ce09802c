import { describe, expect, it } from 'vitest';
import { compileSelect, DEFAULT_SELECT } from './select.js';
import { newVma } from './mm.js';
import * as F from './flags.js';

const anonRw = newVma(0x1000000, 0x1100000, F.VM_READ | F.VM_WRITE | F.VM_MAYWRITE, F.KIND_ANON, 0, -1);
const stack = newVma(0x7ff000000000, 0x7ff000800000, F.VM_READ | F.VM_WRITE | F.VM_GROWSDOWN, F.KIND_ANON | F.KIND_STACK, 0, -1);
const fileRo = newVma(0x2000000, 0x2010000, F.VM_READ, F.KIND_FILE, 0, 3);
const sharedAnon = newVma(0x3000000, 0x3010000, F.VM_READ | F.VM_WRITE | F.VM_SHARED, F.KIND_SHMEM, 0, -1);

describe('--select expressions (model/select.ts)', () => {
  it('default: private anonymous read-write mappings that are not stacks', () => {
    const s = compileSelect('');
    expect(DEFAULT_SELECT).toContain('!stack');
    expect([anonRw, stack, fileRo, sharedAnon].map((v) => s(v, 'x'))).toEqual([true, false, false, false]);
  });
  it('sizes with suffixes, bit tests, comm strings, parentheses', () => {
    expect(compileSelect('size >= 1m')(anonRw, 'x')).toBe(true); // 0x100000 = 1 MiB
    expect(compileSelect('size > 1m')(anonRw, 'x')).toBe(false);
    expect(compileSelect('flags & VM_WRITE')(fileRo, 'x')).toBe(false);
    expect(compileSelect("comm == 'scudo' && (anon || file)")(anonRw, 'scudo')).toBe(true);
    expect(compileSelect("comm == 'scudo'")(anonRw, 'other')).toBe(false);
    expect(compileSelect('prot == 3')(anonRw, 'x')).toBe(true);
  });
  it('bad expressions are one-line errors naming the column', () => {
    expect(() => compileSelect('size >= ')).toThrow(/expression ends early/);
    expect(() => compileSelect('bogus == 1')).toThrow(/unknown name 'bogus'.*column 1 /);
    expect(() => compileSelect('anon && (write')).toThrow(/missing '\)'/);
    expect(() => compileSelect('anon $ write')).toThrow(/column 6/);
  });
});
