// eager-populate: OSv's early eager population (seed 003, model/README.md: Eager population) as MAP_POPULATE on every private anonymous
// mmap and brk growth. Expected by hand from mm/gup.c populate_vma_page_range: writable VMAs get real pages for the
// whole span (a 1 MiB thread stack costs 1 MiB even if 10 KiB is used), read-only ones zero pages (no RSS, but
// tables), shared anonymous memory is left alone, and first touches afterwards do not fault.
import { describe, expect, it } from 'vitest';
import { buildVariants } from '../variants.js';
import { BASE, MIB, PAGE, faultsOf, proc, seq } from './event_seq.testlib.js';
import * as F from '../flags.js';

const spec = () => buildVariants({ patch: ['eager-populate'] })[1]!;

describe('eager-populate', () => {
  it("a thread stack of 1 MiB is populated in full though the trace touches 3 pages (OSv's example)", () => {
    const s = seq(spec());
    s.mmap(10, BASE, MIB, { flags: F.MAP_PRIVATE | F.MAP_ANONYMOUS | F.MAP_STACK });
    for (let i = 1; i <= 3; i++) s.write(10, BASE + MIB - i * PAGE);
    const p = proc(s.finish(), 10);
    expect(p.rss_anon_peak_kb).toBe(1024);
    expect(p.pgtables_peak_kb).toBe(12);
    // mm/gup.c: populate_vma_page_range: the mmap populates as GUP faults (one record, 256 pages of minflt, no trap);
    // the three traced touches then find their PTEs present: not taken under this patch
    expect(faultsOf(p)).toEqual({ populate: 1, not_taken: 3 });
    expect(p.minflt).toBe(256);

    const m = seq(buildVariants()[0]!); // mainline: 3 faults, 12 KiB
    m.mmap(10, BASE, MIB, { flags: F.MAP_PRIVATE | F.MAP_ANONYMOUS | F.MAP_STACK });
    for (let i = 1; i <= 3; i++) m.write(10, BASE + MIB - i * PAGE);
    const q = proc(m.finish(), 10);
    expect(q.rss_anon_peak_kb).toBe(12);
    expect(faultsOf(q)).toEqual({ anon_alloc: 3 });
  });

  it('read-only private mappings get zero pages (tables, no RSS); shared anonymous ones nothing; brk growth is populated', () => {
    const s = seq(spec());
    s.mmap(10, BASE, 2 * MIB, { prot: F.PROT_READ });
    s.mmap(10, BASE + 2 * MIB, 2 * MIB, { flags: F.MAP_SHARED | F.MAP_ANONYMOUS });
    s.brk(10, 0x5555_5560_0000);
    s.brk(10, 0x5555_5560_0000 + 128 * 1024);
    const p = proc(s.finish(), 10);
    expect(p.rss_anon_peak_kb).toBe(128);
    expect(p.rss_shmem_peak_kb).toBe(0);
    // BASE: PUD + PMD + 1 PTE table (zero pages); the heap: its own PUD + PMD + 1 PTE table
    expect(p.pgtables_peak_kb).toBe(24);
  });

  it('fork then copies every populated writable page', () => {
    const s = seq(spec());
    s.mmap(10, BASE, 2 * MIB);
    s.fork(10, 11);
    const r = s.finish();
    expect(s.forks[0]!.ptesCopied).toBe(512);
    expect(proc(r, 11).rss_anon_peak_kb).toBe(2048);
  });

  it('PROT_NONE mappings are not populated (populate_vma_page_range skips them), as a pthread stack starts', () => {
    const s = seq(spec());
    s.mmap(10, BASE, 8 * MIB + PAGE, { prot: 0, flags: F.MAP_PRIVATE | F.MAP_ANONYMOUS | F.MAP_STACK });
    const p = proc(s.finish(), 10);
    expect(p.rss_anon_peak_kb).toBe(0);
    expect(p.pgtables_peak_kb).toBe(0);
  });
});
