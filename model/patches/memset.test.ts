// memset: the allocator writes each selected mapping in full when it is mapped (the memset row of the refpage v3
// Pixel 4 table, seed 002). Expected states by hand: every page of the VMA anon at mmap time (or a THP per 2 MiB
// block where THP applies), tables for the whole span, and later traced faults in it are faults memset would not take.
import { describe, expect, it } from 'vitest';
import { buildVariants } from '../variants.js';
import { BASE, MIB, PAGE, faultsOf, proc, seq } from './event_seq.testlib.js';
import * as F from '../flags.js';

describe('memset', () => {
  it('writes a selected mapping in full at mmap time; later first touches do not fault', () => {
    const s = seq(buildVariants({ patch: ['memset'] })[1]!);
    s.mmap(10, BASE, 4 * MIB);
    s.write(10, BASE);
    s.read(10, BASE + PAGE);
    const p = proc(s.finish(), 10);
    expect(p.rss_anon_peak_kb).toBe(4096);
    expect(p.pgtables_peak_kb).toBe(16); // PUD + PMD + 2 PTE tables
    // the memset's own faults land at mmap time: 1024 trapped user write faults (do_anonymous_page), one memset_fill
    // record for the stores; the traced touches are not taken
    expect(faultsOf(p)).toEqual({ anon_alloc: 1024, memset_fill: 1, not_taken: 2 });
    expect(p.minflt).toBe(1024);
  });

  it('a THP-eligible mapping (thp=always) is written as two 2 MiB THPs', () => {
    const s = seq(buildVariants({ patch: ['memset+thp=always'] })[1]!);
    s.mmap(10, BASE, 4 * MIB);
    const p = proc(s.finish(), 10);
    expect(p.rss_anon_peak_kb).toBe(4096);
    expect(p.pgtables_peak_kb).toBe(16); // PUD + PMD + 2 deposited tables
    // the user memset's first store in each 2 MiB block is a THP fault; the rest of the block needs none
    expect(faultsOf(p)).toEqual({ thp_alloc: 2, memset_fill: 1 });
    expect(p.minflt).toBe(2);
  });

  it('prices each page as a trapped user fault plus its 4 KiB fill, not as a kernel populate', () => {
    const steps = { anon_alloc: 12_000, page_fill_4k: 300, populate_per_page: 1_000, table_alloc: 2_000 };
    const profile = { name: 't', source: 't', steps };
    const s = seq(buildVariants({ patch: ['memset'] })[1]!, 'work', profile);
    s.mmap(10, BASE, 2 * MIB);
    const v = s.finish();
    // 512 faults x anon_alloc, one fault allocates the PTE table (PUD + PMD + PTE: 3 tables), 512 x page_fill_4k
    expect(v.totals.fault_latency_ns).toBe(512 * 12_000 + 3 * 2_000 + 512 * 300);
  });

  it('skips mappings the selector leaves out (read-only, shared) and pattern-fills brk growth', () => {
    const s = seq(buildVariants({ patch: ['memset'] })[1]!);
    s.mmap(10, BASE, 2 * MIB, { prot: F.PROT_READ });
    s.mmap(10, BASE + 2 * MIB, 2 * MIB, { flags: F.MAP_SHARED | F.MAP_ANONYMOUS });
    s.brk(10, 0x5555_5560_0000); // brk(0): the current break
    s.brk(10, 0x5555_5560_0000 + 256 * 1024);
    const p = proc(s.finish(), 10);
    expect(p.rss_anon_peak_kb).toBe(256);
    expect(p.rss_shmem_peak_kb).toBe(0);
  });
});
