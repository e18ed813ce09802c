// refpage-fd: expected states derived by hand from Kirill's suggestion (seed 001; model/README.md: Reference pages): a private mapping of
// a special fd whose ->fault returns one page: do_read_fault maps it (file +1, no ->map_pages so no fault-around),
// do_cow_fault on write-first (anon +1), wp_page_copy after a read (file -1, anon +1), no THP, fork skips the VMA
// until it has an anon_vma.
import { describe, expect, it } from 'vitest';
import { buildVariants } from '../variants.js';
import { BASE, MIB, PAGE, faultsOf, proc, seq } from './event_seq.testlib.js';

const spec = () => buildVariants({ patch: ['refpage-fd'] })[1]!;

describe('refpage-fd', () => {
  it('read -> file page without fault-around, write-first -> do_cow_fault, write after read -> wp_page_copy', () => {
    const s = seq(spec());
    s.mmap(10, BASE, 4 * MIB);
    s.read(10, BASE); // file_read: file 1
    s.read(10, BASE + PAGE); // the neighbour was not mapped by fault-around: another file_read, file 2
    s.write(10, BASE + 2 * PAGE); // file_cow: anon 1
    s.write(10, BASE, true); // wp_page_copy: file 1, anon 2
    const p = proc(s.finish(), 10);
    expect(faultsOf(p)).toEqual({ file_read: 2, file_cow: 1, wp_page_copy: 1 });
    expect(p.rss_file_peak_kb).toBe(8);
    expect(p.rss_file_final_kb).toBe(4);
    expect(p.rss_anon_final_kb).toBe(8);
    expect(p.pgtables_peak_kb).toBe(12);
  });

  it('no THP for the fd mapping even with thp=always', () => {
    const s = seq(buildVariants({ patch: ['refpage-fd+thp=always'] })[1]!);
    s.mmap(10, BASE, 4 * MIB);
    s.write(10, BASE);
    const p = proc(s.finish(), 10);
    expect(faultsOf(p)).toEqual({ file_cow: 1 });
    expect(p.rss_anon_peak_kb).toBe(4);
  });

  it('fork skips a VMA that was only read (no anon_vma) and copies file PTEs once it has one', () => {
    const a = seq(spec());
    a.mmap(10, BASE, 2 * MIB);
    a.read(10, BASE);
    a.fork(10, 11);
    expect(a.forks[0]!.ptesCopied).toBe(0);
    expect(proc(a.finish(), 11).rss_file_peak_kb).toBe(0);

    const b = seq(spec());
    b.mmap(10, BASE, 2 * MIB);
    b.read(10, BASE);
    b.write(10, BASE + PAGE); // do_cow_fault: anon_vma
    b.fork(10, 11);
    const c = proc(b.finish(), 11);
    expect(b.forks[0]!.ptesCopied).toBe(2);
    expect(c.rss_file_peak_kb).toBe(4);
    expect(c.rss_anon_peak_kb).toBe(4);
  });

  it('the fd page survives unmapping (the file holds it): a later mapping reads it again', () => {
    const s = seq(spec());
    s.mmap(10, BASE, 2 * MIB);
    s.read(10, BASE);
    s.munmap(10, BASE, 2 * MIB);
    s.mmap(10, BASE, 2 * MIB);
    s.read(10, BASE);
    const p = proc(s.finish(), 10);
    expect(p.rss_file_final_kb).toBe(4);
    expect(p.faults['file_read']).toBe(2);
  });
});
