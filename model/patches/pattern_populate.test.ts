// pattern-populate: expected states derived by hand from David Hildenbrand's reply to refpage v5 (seed 000; model/README.md:
// Reference pages): every fault in a selected VMA, read or write, allocates a pattern-filled page (+1 anon) mapped writable, so
// the write after a read does not fault (the traced 0x7 becomes a fault the variant would not take: 'not_taken').
import { describe, expect, it } from 'vitest';
import { buildVariants } from '../variants.js';
import { BASE, MIB, PAGE, faultsOf, proc, seq } from './event_seq.testlib.js';
import * as F from '../flags.js';

const spec = () => buildVariants({ patch: ['pattern-populate'] })[1]!;

describe('pattern-populate', () => {
  it('read and write faults both allocate; the write after a read finds a writable page', () => {
    const s = seq(spec());
    s.mmap(10, BASE, 4 * MIB);
    for (let i = 0; i < 5; i++) s.read(10, BASE + i * PAGE);
    for (let i = 0; i < 5; i++) s.write(10, BASE + i * PAGE, true);
    s.write(10, BASE + 5 * PAGE);
    const p = proc(s.finish(), 10);
    expect(faultsOf(p)).toEqual({ pattern_fill: 6, not_taken: 5 });
    expect(p.rss_anon_peak_kb).toBe(24);
  });

  it('versus refpage on the same read-first sequence: more RSS, fewer real faults', () => {
    const run = (patch: string) => {
      const s = seq(buildVariants({ patch: [patch] })[1]!);
      s.mmap(10, BASE, 4 * MIB);
      for (let i = 0; i < 16; i++) s.read(10, BASE + i * PAGE);
      for (let i = 0; i < 8; i++) s.write(10, BASE + i * PAGE, true);
      return proc(s.finish(), 10);
    };
    const rp = run('refpage'), pp = run('pattern-populate');
    expect(rp.rss_anon_peak_kb).toBe(8 * 4); // only the 8 written pages
    expect(pp.rss_anon_peak_kb).toBe(16 * 4); // all 16 read pages
    expect(faultsOf(rp)).toEqual({ refpage_read: 16, refpage_copy: 8 });
    expect(faultsOf(pp)).toEqual({ pattern_fill: 16, not_taken: 8 });
  });

  it('a read-only selected VMA (custom --select) gets read-only pattern pages; no THP there', () => {
    const [, v] = buildVariants({ patch: ['pattern-populate+thp=always'], select: 'anon && private' });
    const s = seq(v!);
    s.mmap(10, BASE, 4 * MIB, { prot: F.PROT_READ });
    s.read(10, BASE);
    s.read(10, BASE + 2 * MIB);
    const p = proc(s.finish(), 10);
    expect(faultsOf(p)).toEqual({ pattern_fill: 2 });
    expect(p.rss_anon_peak_kb).toBe(8);
    expect(p.pgtables_peak_kb).toBe(16);
  });
});
