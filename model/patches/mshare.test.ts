// mshare / mshare-transparent: expected states derived by hand from the sharing rule (model/patches/mshare.ts): one
// PTE table per block layout for the whole system, charged to its first user; a traced fault on an entry another
// sharer mapped is not taken; modifiers take one mm out of the group. Table counts: a process's first fault costs
// a PUD and a PMD table (8 KiB) plus 4 KiB per PTE table; file read faults map the 64 KiB fault-around window.
import { describe, expect, it } from 'vitest';
import * as F from '../flags.js';
import { MM_FILEPAGES } from '../../traces/events.js';
import { buildVariants } from '../variants.js';
import { BASE, MIB, PAGE, faultsOf, proc, seq } from './event_seq.testlib.js';

const spec = (p: string, select?: string) => buildVariants({ patch: [p], ...(select !== undefined ? { select } : {}) })[1]!;
const main = () => buildVariants({})[0]!;
const RO = { prot: F.PROT_READ | F.PROT_EXEC, flags: F.MAP_PRIVATE, fd: 3 };
const SHARED = { prot: F.PROT_READ | F.PROT_WRITE, flags: F.MAP_SHARED, fd: 3 };

/** Zygote-style: the parent maps a 4 MiB read-only file, reads two blocks, forks; the child reads. */
function zygote(s: ReturnType<typeof seq>): void {
  s.mmap(10, BASE, 4 * MIB, RO);
  s.read(10, BASE); // file_read, fault-around maps BASE .. BASE + 64 KiB
  s.read(10, BASE + 2 * MIB); // second block
  s.fork(10, 11); // a file VMA without anon_vma is not copied (vma_needs_copy): the child has no tables
  s.read(11, BASE + PAGE); // mainline: file_read; shared: the parent's fault-around entry is there
  s.read(11, BASE + MIB); // nobody mapped it yet: file_read in both
  s.read(10, BASE + MIB + PAGE); // mainline: file_read; shared: the child's fault-around entry is there
}

describe('mshare-transparent: a fork-inherited read-only file mapping', () => {
  it('mainline: the child refaults and builds its own table', () => {
    const s = seq(main());
    zygote(s);
    const r = s.finish();
    expect(faultsOf(proc(r, 10))).toEqual({ file_read: 3 });
    expect(faultsOf(proc(r, 11))).toEqual({ file_read: 2 });
    expect(proc(r, 10).pgtables_peak_kb).toBe(16); // PUD + PMD + 2 PTE tables
    expect(proc(r, 11).pgtables_peak_kb).toBe(12); // PUD + PMD + 1 PTE table
    expect(r.totals.system_pgtables_peak_kb).toBe(28);
    expect(r.totals.system_pgtables_final_kb).toBe(28);
  });

  it('the child uses the parent table: its fault on the parent entry is not taken, and the parent on the child entry', () => {
    const s = seq(spec('mshare-transparent'));
    zygote(s);
    const r = s.finish();
    expect(faultsOf(proc(r, 10))).toEqual({ file_read: 2, not_taken: 1 });
    expect(faultsOf(proc(r, 11))).toEqual({ file_read: 1, not_taken: 1 });
    expect(proc(r, 10).minflt).toBe(2);
    expect(proc(r, 11).minflt).toBe(1);
    expect(proc(r, 10).pgtables_peak_kb).toBe(16); // the owner of both shared tables
    expect(proc(r, 11).pgtables_peak_kb).toBe(8); // PUD + PMD only: block 0's table is the parent's
    expect(r.totals.system_pgtables_peak_kb).toBe(24);
    // each sharer's RSS is what its view maps: the parent's 16 + 16 + 16 pages (the child's window synced in)
    expect(proc(r, 10).rss_file_final_kb).toBe(3 * 64);
    // the child: the parent's first window (synced at its first fault) and its own window
    expect(proc(r, 11).rss_file_final_kb).toBe(2 * 64);
  });

  it("with the kernel's own-table counts from the trace (+16 per fault): a shared entry takes no fault and adds no RSS", () => {
    // the trace's rss_stat after each fault, as a real recording has it: the kernel mapped 16 file pages each time
    const h16 = { member: MM_FILEPAGES, delta: 16, mmId: -1 };
    const s = seq(spec('mshare-transparent'));
    s.mmap(10, BASE, 4 * MIB, RO);
    s.read(10, BASE, h16);
    s.read(10, BASE + 16 * PAGE, { ...h16, delta: 4 }); // a window the kernel mapped 4 pages of (the rest not cached)
    s.fork(10, 11);
    s.read(11, BASE + PAGE, h16); // the parent mapped it: no fault with a shared table
    s.read(11, BASE + 24 * PAGE, h16); // none, in a window with the parent's 4: 12 more, not 16
    const r = s.finish();
    expect(faultsOf(proc(r, 11))).toEqual({ file_read: 1, not_taken: 1 });
    // the parent's 16 + 4 synced at its first fault, then 12 of its own: 32 pages
    expect(proc(r, 11).rss_file_final_kb).toBe(32 * 4);
    expect(proc(r, 10).rss_file_final_kb).toBe(20 * 4); // its own 16 + 4: it does not fault there again to sync the child's 12
  });

  it('a private writable file mapping (relocated .data) or private anon is never shared', () => {
    const s = seq(spec('mshare-transparent'));
    s.mmap(10, BASE, 2 * MIB, { prot: F.PROT_READ | F.PROT_WRITE, flags: F.MAP_PRIVATE, fd: 3 });
    s.mmap(10, BASE + 2 * MIB, 2 * MIB);
    s.read(10, BASE);
    s.write(10, BASE + 2 * MIB);
    s.fork(10, 11);
    s.read(11, BASE + PAGE);
    const r = s.finish();
    expect(faultsOf(proc(r, 11))).toEqual({ file_read: 1 });
    expect(r.totals.system_pgtables_peak_kb).toBe(proc(r, 10).pgtables_peak_kb + proc(r, 11).pgtables_peak_kb);
  });

  it('--select narrows the mappings: a selector that excludes exec mappings shares nothing', () => {
    const s = seq(spec('mshare-transparent', 'file && !write && !exec'));
    zygote(s);
    const r = s.finish();
    expect(faultsOf(proc(r, 11))).toEqual({ file_read: 2 });
    expect(r.totals.system_pgtables_peak_kb).toBe(28);
  });

  it('the owner unmapping hands the charge to the other sharer: one table stays charged in the system', () => {
    const s = seq(spec('mshare-transparent'));
    s.mmap(10, BASE, 2 * MIB, RO);
    s.read(10, BASE);
    s.fork(10, 11);
    s.read(11, BASE + 64 * 1024); // joins the parent table (a new window: file_read)
    s.munmap(10, BASE, 2 * MIB);
    const r = s.finish();
    expect(proc(r, 10).pgtables_final_kb).toBe(0); // its only VMA went: free_pgd_range frees PTE, PMD and PUD tables
    expect(proc(r, 11).pgtables_final_kb).toBe(12); // charged for the shared table now
    expect(proc(r, 11).pgtables_peak_kb).toBe(12);
    expect(r.totals.system_pgtables_final_kb).toBe(12);
    expect(r.totals.system_pgtables_peak_kb).toBe(20); // 12 + 8: never two PTE tables for the block
  });

  it('a non-owner unmapping or exiting drops its view without a table charge; its RSS goes with it', () => {
    const s = seq(spec('mshare-transparent'));
    s.mmap(10, BASE, 2 * MIB, RO);
    s.read(10, BASE);
    s.fork(10, 11);
    s.read(11, BASE + PAGE); // not taken: joins, 16 pages in its view
    s.munmap(11, BASE, 2 * MIB);
    const r = s.finish();
    expect(faultsOf(proc(r, 11))).toEqual({ not_taken: 1 });
    expect(proc(r, 11).rss_file_peak_kb).toBe(64);
    expect(proc(r, 11).rss_file_final_kb).toBe(0);
    expect(proc(r, 11).pgtables_peak_kb).toBe(8);
    expect(proc(r, 11).pgtables_final_kb).toBe(0); // no VMA left: the PMD and PUD tables go, and no PTE table was its
    expect(proc(r, 10).pgtables_final_kb).toBe(12);
    expect(r.totals.system_pgtables_final_kb).toBe(12);
  });

  it('a changed layout in one mm (an anon mmap into the block) gives that mm a private copy at its next fault there', () => {
    const s = seq(spec('mshare-transparent'));
    s.mmap(10, BASE, MIB, RO);
    s.read(10, BASE);
    s.fork(10, 11);
    s.read(11, BASE + PAGE); // shares the parent's table
    s.mmap(11, BASE + MIB, 64 * 1024); // private anon in the same block: its table can no longer be the shared one
    s.write(11, BASE + MIB);
    const r = s.finish();
    expect(faultsOf(proc(r, 11))).toEqual({ not_taken: 1, anon_alloc: 1 });
    expect(proc(r, 11).pgtables_final_kb).toBe(12); // the private copy is charged now
    expect(r.totals.system_pgtables_final_kb).toBe(24);
  });
});

describe('mshare: MAP_SHARED regions at one address', () => {
  /** Two unrelated processes map the same 2 MiB MAP_SHARED file at addr10 and addr20 and read it. */
  function twoProcs(p: string, addr20: number) {
    const s = seq(spec(p));
    s.mmap(10, BASE, 2 * MIB, SHARED);
    s.mmap(20, addr20, 2 * MIB, SHARED);
    s.read(10, BASE);
    s.read(20, addr20 + PAGE);
    return s.finish();
  }

  it('the same object at the same address: the second process uses the first one table', () => {
    const r = twoProcs('mshare', BASE);
    expect(faultsOf(proc(r, 20))).toEqual({ not_taken: 1 });
    expect(proc(r, 20).pgtables_peak_kb).toBe(8);
    expect(r.totals.system_pgtables_peak_kb).toBe(12 + 8);
  });

  it('at another address mshare shares nothing (a region sits at one address); mshare-transparent shares by alignment', () => {
    const a = twoProcs('mshare', BASE + 4 * MIB);
    expect(faultsOf(proc(a, 20))).toEqual({ file_read: 1 });
    expect(a.totals.system_pgtables_peak_kb).toBe(24);
    const b = twoProcs('mshare-transparent', BASE + 4 * MIB);
    expect(faultsOf(proc(b, 20))).toEqual({ not_taken: 1 });
    expect(b.totals.system_pgtables_peak_kb).toBe(20);
  });

  it('a write through the shared table is seen by the other sharer: its write fault is not taken', () => {
    const s = seq(spec('mshare'));
    s.mmap(10, BASE, 2 * MIB, SHARED);
    s.mmap(20, BASE, 2 * MIB, SHARED);
    s.write(10, BASE);
    s.write(20, BASE);
    const r = s.finish();
    expect(faultsOf(proc(r, 20))).toEqual({ not_taken: 1 });
  });

  it('mshare and mshare-transparent cannot be one variant', () => {
    expect(() => seq(spec('mshare+mshare-transparent'))).toThrow(/cannot be combined/);
  });
});
