// Kernel rules on hand-written event sequences, expected values derived from the cited kernel code.
import { describe, expect, it } from 'vitest';
import type { TraceEvent } from '../traces/events.js';
import { createReplay, defaultVariant } from './replay.js';
import type { ReplayResult, VariantSpec } from './types.js';

const PID = 100;
let line = 0;
const hdr = (name: string, time: number, tid = PID, pid = PID) => ({ name, system: '', time, cpu: 0, pid, tid, comm: 'w', line: ++line });
const A = 0x7f0000000000; // 2 MiB aligned (and 1 GiB aligned)
const MB = 1024 * 1024;

function mmap(t: number, addr: number, len: number, flags = 0x22, prot = 3): TraceEvent[] {
  const enter = { ...hdr('sys_enter_mmap', t), kind: 'sys_enter' as const, call: 'mmap', args: { addr: 0, len, prot, flags, fd: -1, off: 0 } };
  return [enter, { ...hdr('sys_exit_mmap', t + 1), kind: 'sys_exit' as const, call: 'mmap', ret: addr, enter }];
}
function sys(t: number, call: string, args: Record<string, number>, ret = 0): TraceEvent[] {
  const enter = { ...hdr('sys_enter_' + call, t), kind: 'sys_enter' as const, call, args };
  return [enter, { ...hdr('sys_exit_' + call, t + 1), kind: 'sys_exit' as const, call, ret, enter }];
}
const fault = (t: number, address: number, errorCode: number, tid = PID, pid = PID): TraceEvent => ({ ...hdr('page_fault_user', t, tid, pid), kind: 'fault', user: true, address, ip: 0, errorCode });
const touch = (t0: number, base: number, pages: number, ec: number, tid = PID, pid = PID): TraceEvent[] => Array.from({ length: pages }, (_, i) => fault(t0 + i, base + i * 4096, ec, tid, pid));

function run(evs: TraceEvent[], spec: Partial<VariantSpec> = {}): ReplayResult {
  const rp = createReplay([defaultVariant(spec)]);
  for (const e of evs) rp.sink(e);
  return rp.finish({ file: 't', format: 'perf-script', bytes: 0, lines: 0, events: evs.length, lostEvents: 0, skippedLines: 0, skippedExamples: [] });
}
const proc = (r: ReplayResult, pid = PID) => r.variants[0]!.processes.find((p) => p.pid === pid)!;

describe('fault paths (mm/memory.c)', () => {
  it('do_anonymous_page write: +1 anon per page; PUD+PMD+PTE tables for the first page, +1 PTE table per 2 MiB', () => {
    // 1000 pages span one 2 MiB block (512 pages) and a second: 2 PTE tables + PMD table + PUD table = 16 KiB
    const r = run([...mmap(0, A, 8 * MB), ...touch(10, A, 1000, 0x6)]);
    const p = proc(r);
    expect(p.rss_anon_final_kb).toBe(4000);
    expect(p.pgtables_final_kb).toBe(16);
    expect(p.faults.anon_alloc).toBe(1000);
  });

  it('do_anonymous_page read maps the zero page (no RSS); a later write is wp_page_copy from the zero pfn (+1) and a second write nothing', () => {
    const r = run([...mmap(0, A, 2 * MB), ...touch(10, A, 10, 0x4), ...touch(100, A, 10, 0x7)]);
    const p = proc(r);
    expect(p.faults.anon_zero_page).toBe(10);
    // mm/memory.c: wp_page_copy: is_zero_pfn(pte_pfn(vmf->orig_pte)) -> a zeroed folio, no __wp_page_copy_user
    expect(p.faults.wp_page_copy_zero).toBe(10);
    expect(p.faults.wp_page_copy).toBeUndefined();
    expect(p.rss_anon_final_kb).toBe(40);
  });

  it('without the zero page (pvm_no_zero_page=1 here) a read fault allocates', () => {
    const r = run([...mmap(0, A, 2 * MB), ...touch(10, A, 10, 0x4)], { useZeroPage: false });
    expect(proc(r).rss_anon_final_kb).toBe(40);
  });

  it('a fault where the trace unmapped memory, or a NULL dereference, is segv; nothing changes', () => {
    const r = run([...mmap(0, A, 2 * MB), ...touch(10, A, 4, 0x6), ...sys(20, 'munmap', { addr: A, len: 2 * MB }), fault(30, A + 4096, 0x6), fault(31, 0x10, 0x4)]);
    const p = proc(r);
    expect(p.faults.segv).toBe(2);
    expect(p.inferred_vmas).toBe(0);
    expect(p.rss_anon_final_kb).toBe(0);
  });
  it('a fault with no VMA in a traced mm is inferred, never fatal; a write to a PROT_READ VMA is segv', () => {
    const r = run([...mmap(0, A, 2 * MB, 0x22, 1), fault(10, A, 0x6), fault(11, A + 64 * MB, 0x6)]);
    const p = proc(r);
    expect(p.faults.segv).toBe(1);
    expect(p.inferred_vmas).toBe(1);
  });
});

describe('THP (mm/huge_memory.c)', () => {
  const madv = (t: number, len: number, adv: number) => sys(t, 'madvise', { start: A, len_in: len, behavior: adv });
  it('MADV_HUGEPAGE write: one fault per 2 MiB, +2048 KiB and a deposited table each', () => {
    const r = run([...mmap(0, A, 8 * MB), ...madv(2, 8 * MB, 14), ...[0, 1, 2, 3].map((i) => fault(10 + i, A + i * 2 * MB, 0x6))]);
    const p = proc(r);
    expect(p.faults.thp_alloc).toBe(4);
    expect(p.rss_anon_final_kb).toBe(4 * 2048);
    expect(p.pgtables_final_kb).toBe(4 * 4 + 8); // 4 deposits + PMD + PUD tables
  });
  it('huge zero then write: 6.18 allocates a THP (do_huge_zero_wp_pmd); 6.12 splits and copies 4 KiB', () => {
    const evs = [...mmap(0, A, 2 * MB), ...madv(2, 2 * MB, 14), fault(10, A, 0x4), fault(11, A, 0x7)];
    expect(proc(run(evs)).rss_anon_final_kb).toBe(2048);
    expect(proc(run(evs, { kernel: '6.12' })).rss_anon_final_kb).toBe(4);
  });
  it('thp=never falls back to 4K faults', () => {
    const r = run([...mmap(0, A, 2 * MB), ...madv(2, 2 * MB, 14), fault(10, A, 0x6)], { thp: 'never' });
    expect(proc(r).faults.anon_alloc).toBe(1);
  });
});

describe('fork (kernel/fork.c: dup_mmap, mm/memory.c: copy_page_range)', () => {
  const newtask = (t: number, child: number, flags: number): TraceEvent => ({ ...hdr('task_newtask', t), kind: 'newtask', newPid: child, newComm: 'w', cloneFlags: flags });
  it('child copies written pages and tables; child write copies (no RSS change), parent write then reuses', () => {
    const r = run([...mmap(0, A, 4 * MB), ...touch(10, A, 600, 0x6), newtask(1000, 200, 0x11), ...touch(2000, A, 600, 0x7, 200, 200), ...touch(5000, A, 600, 0x7)]);
    const parent = proc(r), child = proc(r, 200);
    expect(child.rss_anon_final_kb).toBe(2400);
    expect(child.pgtables_final_kb).toBe(parent.pgtables_final_kb); // 2 PTE + PMD + PUD: 16 KiB each
    expect(child.pgtables_final_kb).toBe(16);
    expect(child.faults.wp_page_copy).toBe(600);
    expect(parent.faults.wp_page_reuse).toBe(600);
    expect(parent.rss_anon_final_kb).toBe(2400);
  });
  it('a VMA that was only read (no anon_vma) is not copied: the child re-faults it', () => {
    const r = run([...mmap(0, A, 2 * MB), ...touch(10, A, 10, 0x4), newtask(100, 200, 0x11), fault(200, A, 0x6, 200, 200)]);
    const child = proc(r, 200);
    expect(child.faults.anon_alloc).toBe(1);
    expect(child.pgtables_final_kb).toBe(12); // only the child's own fault built PUD+PMD+PTE
  });
  it('group_dead on the last thread tears the mm down even when another thread\'s exit was not traced', () => {
    const exit: TraceEvent = { ...hdr('sched_process_exit', 500), kind: 'exit', exitPid: PID, groupDead: true };
    let rssAfter = -1;
    const rp = createReplay([defaultVariant()], { rss: (r) => { if (r.member === 1) rssAfter = r.value; } });
    for (const e of [...mmap(0, A, 2 * MB), newtask(5, 101, 0x10100), ...touch(10, A, 5, 0x6), exit]) rp.sink(e);
    const r = rp.finish({ file: 't', format: 'perf-script', bytes: 0, lines: 0, events: 0, lostEvents: 0, skippedLines: 0, skippedExamples: [] });
    expect(rssAfter).toBe(0); // the teardown's zap brought MM_ANONPAGES to 0
    expect(proc(r).rss_anon_final_kb).toBe(20); // final = just before it
    expect(proc(r).exits).toBe(1);
  });
  it('threads (CLONE_VM|CLONE_THREAD) share one mm', () => {
    const r = run([...mmap(0, A, 2 * MB), newtask(5, 101, 0x10100), ...touch(10, A, 5, 0x6), ...touch(20, A + 5 * 4096, 5, 0x6, 101, PID)]);
    expect(proc(r).rss_anon_final_kb).toBe(40);
  });
});

describe('munmap / madvise (mm/vma.c, mm/madvise.c, mm/memory.c: free_pgtables)', () => {
  it('MADV_DONTNEED of whole 2 MiB blocks frees the pages and (PT_RECLAIM) the tables; munmap frees the rest', () => {
    const base = [...mmap(0, A, 4 * MB), ...touch(10, A, 1024, 0x6)];
    const dn = sys(5000, 'madvise', { start: A, len_in: 2 * MB, behavior: 4 });
    const p1 = proc(run([...base, ...dn]));
    expect(p1.rss_anon_final_kb).toBe(2048);
    expect(p1.pgtables_final_kb).toBe(12); // one PTE table reclaimed
    const p2 = proc(run([...base, ...sys(6000, 'munmap', { addr: A, len: 4 * MB })]));
    expect(p2.rss_anon_final_kb).toBe(0);
    expect(p2.pgtables_final_kb).toBe(0); // no neighbour VMA: PTE, PMD and PUD tables all go
  });
  it('MAP_POPULATE populates at mmap time with no fault events; minflt counts the GUP faults', () => {
    const p = proc(run([...mmap(0, A, 2 * MB, 0x8022)]));
    expect(p.rss_anon_final_kb).toBe(2048);
    expect(p.minflt).toBe(512);
  });
});

describe('inference and hints (model/engine.ts)', () => {
  it('faults with no error code (arm64, perf page-fault samples) are classified from model state and counted', () => {
    // first touch of a none PTE: a read (zero page); the same page faulting again must be a write to a read-only PTE
    const r = run([...mmap(0, A, 2 * MB), fault(10, A, -1), fault(11, A, -1)]);
    const p = proc(r);
    expect(r.variants[0]!.inferred_faults).toBe(2);
    expect(p.faults.anon_zero_page).toBe(1);
    expect(p.faults.wp_page_copy_zero).toBe(1);
  });
  it('with rss_stat in the trace, an error-code-less fault followed by MM_ANONPAGES +1 was a write', () => {
    const rs = (t: number, pages: number): TraceEvent => ({ ...hdr('rss_stat', t), kind: 'rss_stat', mmId: 5, curr: true, member: 1, size: pages * 4096, throttled: false });
    // first event of the mm sets its baseline (0 pages before + this fault); the second fault is a plain read
    const p = proc(run([...mmap(0, A, 2 * MB), fault(10, A, -1), rs(11, 1), fault(12, A + 4096, -1), rs(13, 2), fault(14, A + 8192, -1), fault(16, A + 8192 + 4096, -1)]));
    expect(p.faults.anon_alloc).toBe(2);
    expect(p.faults.anon_zero_page).toBe(2);
  });
  it("a file read fault maps as many pages as the kernel's own MM_FILEPAGES rss_stat says (fault-around)", () => {
    const enter = { ...hdr('sys_enter_mmap', 0), kind: 'sys_enter' as const, call: 'mmap', args: { addr: 0, len: 2 * MB, prot: 1, flags: 2, fd: 3, off: 0 } };
    const ev: TraceEvent[] = [enter, { ...hdr('sys_exit_mmap', 1), kind: 'sys_exit', call: 'mmap', ret: A, enter }];
    const rssStat = (t: number, pages: number): TraceEvent => ({ ...hdr('rss_stat', t), kind: 'rss_stat', mmId: 9, curr: true, member: 0, size: pages * 4096, throttled: false });
    // the kernel's counter goes 0 -> 5 -> 21: fault-around found 5 pages, then a full 16-page window
    const p = proc(run([...ev, fault(10, A, 0x4), rssStat(11, 5), fault(12, A + 64 * 4096, 0x4), rssStat(13, 21)]));
    expect(p.faults.file_read).toBe(2);
    expect(p.rss_file_final_kb).toBe(21 * 4);
  });
  it("no page_fault_kernel: an anon rise after a read fault's own file update is a kernel-mode fault (read() into fresh bss); a rise of the member the fault moved is the fault's", () => {
    const enter = { ...hdr('sys_enter_mmap', 0), kind: 'sys_enter' as const, call: 'mmap', args: { addr: 0, len: 2 * MB, prot: 1, flags: 2, fd: 3, off: 0 } };
    const B = A + 4 * MB;
    const rs = (t: number, member: number, pages: number): TraceEvent => ({ ...hdr('rss_stat', t), kind: 'rss_stat', mmId: 7, curr: true, member, size: pages * 4096, throttled: false });
    const r = run([enter, { ...hdr('sys_exit_mmap', 1), kind: 'sys_exit', call: 'mmap', ret: A, enter }, ...mmap(2, B, 2 * MB),
      fault(10, B, 0x6), rs(11, 1, 1), // anon write: +1 (the mm's first anon event, its baseline)
      fault(12, A, 0x4), rs(13, 0, 1), // file read: its own MM_FILEPAGES update (mm/memory.c: do_read_fault)
      rs(14, 1, 2), rs(15, 1, 3), // copy_to_user faults the trace did not record: two anon pages, taken from the kernel
      fault(16, B + 4096, 0x6), rs(17, 1, 5)]); // an anon write the kernel counts +2: its own member, left to the fault (+1)
    expect(proc(r).rss_anon_final_kb).toBe(4 * 4);
  });
  it('exec replaces the mm; exit reports final figures from just before the teardown', () => {
    const exec: TraceEvent = { ...hdr('sched_process_exec', 100), kind: 'exec', filename: '/bin/x', execPid: PID, oldPid: PID };
    const exit: TraceEvent = { ...hdr('sched_process_exit', 300), kind: 'exit', exitPid: PID, groupDead: true };
    const enterExec: TraceEvent = { ...hdr('sys_enter_execve', 99), kind: 'sys_enter', call: 'execve', args: {} };
    const r = run([...mmap(0, A, 2 * MB), ...touch(10, A, 8, 0x6), enterExec, exec, ...mmap(150, A, 2 * MB), ...touch(200, A, 3, 0x6), exit]);
    const p = proc(r);
    expect(p.rss_anon_peak_kb).toBe(32); // the old mm's 8 pages
    expect(p.rss_anon_final_kb).toBe(12); // the new mm's 3 pages, just before exit
    expect(p.exits).toBe(1);
    expect(r.variants[0]!.marks.map((m) => m.kind)).toEqual(['exec', 'exit']);
  });
});

describe('madvise fork flags, mlock, mprotect (mm/madvise.c, mm/mlock.c, mm/mprotect.c)', () => {
  const newtask = (t: number, child: number): TraceEvent => ({ ...hdr('task_newtask', t), kind: 'newtask', newPid: child, newComm: 'w', cloneFlags: 0x11 });
  const madv = (t: number, start: number, len: number, adv: number) => sys(t, 'madvise', { start, len_in: len, behavior: adv });
  it('MADV_DONTFORK: the VMA is absent in the child, with no pages and no tables', () => {
    const r = run([...mmap(0, A, 2 * MB), ...touch(10, A, 8, 0x6), ...madv(20, A, 2 * MB, 10), newtask(30, 200)]);
    expect(proc(r, 200).rss_anon_final_kb).toBe(0);
    expect(proc(r, 200).pgtables_final_kb).toBe(0); // nothing copied: no tables either
  });
  it('MADV_WIPEONFORK: the child gets the VMA empty and faults afresh', () => {
    const r = run([...mmap(0, A, 2 * MB), ...touch(10, A, 8, 0x6), ...madv(20, A, 2 * MB, 18), newtask(30, 200), fault(40, A, 0x6, 200, 200)]);
    const c = proc(r, 200);
    expect(c.faults.anon_alloc).toBe(1);
    expect(c.rss_anon_final_kb).toBe(4);
  });
  it('mlock populates (GUP, minflt, no fault events); the child does not inherit VM_LOCKED', () => {
    // MADV_DONTNEED fails on a VM_LOCKED VMA (mm/madvise.c: madvise_dontneed_free_valid_vma): it works only in the child
    const dn = (t: number, tid: number) => {
      const enter = { ...hdr('sys_enter_madvise', t, tid, tid), kind: 'sys_enter' as const, call: 'madvise', args: { start: A, len_in: 64 * 4096, behavior: 4 } };
      return [enter, { ...hdr('sys_exit_madvise', t + 1, tid, tid), kind: 'sys_exit' as const, call: 'madvise', ret: 0, enter }];
    };
    const r = run([...mmap(0, A, 64 * 4096), ...sys(5, 'mlock', { start: A, len: 64 * 4096 }), newtask(30, 200), ...dn(40, PID), ...dn(50, 200)]);
    const p = proc(r);
    expect(p.rss_anon_final_kb).toBe(256);
    expect(p.minflt).toBe(64);
    expect(p.faults.populate).toBe(1);
    expect(proc(r, 200).rss_anon_final_kb).toBe(0);
  });
  it('mprotect(PROT_READ) then a write is segv; PROT_READ|PROT_WRITE again makes exclusive pages writable without a fault', () => {
    const base = [...mmap(0, A, 2 * MB), ...touch(10, A, 4, 0x6), ...sys(20, 'mprotect', { start: A, len: 2 * MB, prot: 1 })];
    expect(proc(run([...base, fault(30, A, 0x7)])).faults.segv).toBe(1);
    const back = [...base, ...sys(40, 'mprotect', { start: A, len: 2 * MB, prot: 3 }), fault(50, A, 0x7)];
    expect(proc(run(back)).faults.spurious).toBe(1); // mm/mprotect.c: can_change_pte_writable (anon exclusive)
  });
  it('MADV_DONTNEED of less than 2 MiB keeps the emptied table (PT_RECLAIM needs a >= PMD_SIZE zap)', () => {
    const p = proc(run([...mmap(0, A, 2 * MB), ...touch(10, A, 4, 0x6), ...madv(20, A, 16 * 4096, 4)]));
    expect(p.rss_anon_final_kb).toBe(0);
    expect(p.pgtables_final_kb).toBe(12);
  });
});


describe('rules checked against the kernel source (mm/memory.c, mm/pt_reclaim.c)', () => {
  const newtask = (t: number, child: number): TraceEvent => ({ ...hdr('task_newtask', t), kind: 'newtask', newPid: child, newComm: 'w', cloneFlags: 0x11 });
  const madvise = (t: number, start: number, len: number, adv: number) => sys(t, 'madvise', { start, len_in: len, behavior: adv });

  it('PT_RECLAIM decides per table on the span zapped in it: MADV_DONTNEED of [A+1M, A+4M) keeps the first table', () => {
    // mm/memory.c: zap_pmd_range calls zap_pte_range(addr, next = pmd_addr_end(addr, end)) once per table, and
    // zap_pte_range frees the table only if reclaim_pt_is_enabled(addr, end): end - start >= PMD_SIZE (mm/pt_reclaim.c)
    const base = [...mmap(0, A, 4 * MB), ...touch(10, A + MB, 768, 0x6)]; // both tables hold pages: 16 KiB of tables
    const dn = madvise(5000, A + MB, 3 * MB, 4);
    const p = proc(run([...base, ...dn]));
    expect(p.rss_anon_final_kb).toBe(0);
    expect(p.pgtables_final_kb).toBe(12); // PUD + PMD + the first table: emptied, but only [A+1M, A+2M) of it zapped
    expect(proc(run([...base, ...dn], { kernel: '6.13' })).pgtables_final_kb).toBe(16); // no PT_RECLAIM before 6.14
  });

  it('6.15+ large-folio COW reuse: not when the folio has a single mapping left (folio_large_mapcount <= 1)', () => {
    // a THP shared by fork, the child gone: the parent's write-protected PMD is split by a partial DONTNEED, leaving
    // `left` PTEs of the folio, all this mm's. mm/memory.c: __wp_can_reuse_large_anon_folio: `if
    // (folio_large_mapcount(folio) <= 1) return false;` else reuse when mapped exclusively by this mm
    const exit: TraceEvent = { ...hdr('sched_process_exit', 300, 200, 200), kind: 'exit', exitPid: 200, groupDead: true };
    const evs = (left: number): TraceEvent[] => [
      ...mmap(0, A, 2 * MB), ...madvise(2, A, 2 * MB, 14), fault(10, A, 0x6), newtask(100, 200), exit,
      ...madvise(400, A + left * 4096, 2 * MB - left * 4096, 4), fault(500, A, 0x7),
    ];
    const one = proc(run(evs(1)));
    expect(one.faults.thp_alloc).toBe(1);
    expect(one.faults.wp_page_copy).toBe(1);
    expect(one.faults.wp_page_reuse).toBeUndefined();
    expect(one.rss_anon_final_kb).toBe(4);
    const two = proc(run(evs(2)));
    expect(two.faults.wp_page_reuse).toBe(1);
    expect(two.faults.wp_page_copy).toBeUndefined();
    // before 6.15 (no CONFIG_MM_ID reuse) a page of a large folio is always copied
    expect(proc(run(evs(2), { kernel: '6.14' })).faults.wp_page_copy).toBe(1);
  });

  it('vma_needs_copy: a VM_PFNMAP VMA ([vvar]-style) is copied at fork, though it has no anon_vma', () => {
    // mm/memory.c: vma_needs_copy: `if (src_vma->vm_flags & (VM_PFNMAP | VM_MIXEDMAP)) return true;` before the
    // anon_vma test. A read the kernel counted nowhere (next event not its rss_stat) in a VMA the trace never showed
    // is such a pfn mapping (path 'pfnmap'); the child gets a PUD, a PMD and a PTE table for it: 12 KiB
    const V = 0x7ffd00000000;
    const rs: TraceEvent = { ...hdr('rss_stat', 1), kind: 'rss_stat', mmId: 5, curr: true, member: 1, size: 0, throttled: false };
    let ptes = -1;
    const rp = createReplay([defaultVariant()], { fork: (f) => (ptes = f.ptesCopied) });
    for (const e of [rs, fault(10, V, 0x4), newtask(100, 200)]) rp.sink(e);
    const r = rp.finish({ file: 't', format: 'perf-script', bytes: 0, lines: 0, events: 0, lostEvents: 0, skippedLines: 0, skippedExamples: [] });
    expect(proc(r).faults.pfnmap).toBe(1);
    expect(ptes).toBe(1);
    expect(proc(r, 200).pgtables_final_kb).toBe(12);
  });
});
