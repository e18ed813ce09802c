// The validator on hand-written kmem:rss_stat streams: what counts as a match, a mismatch, a baseline.
import { describe, expect, it } from 'vitest';
import type { RssStatEvent, TraceEvent } from '../traces/events.js';
import { createValidator, type ValidateResult } from './validate.js';
import { defaultVariant } from './replay.js';
import { A, fault, hdr, line, mmap, nextLine, READ, rss, validate } from './validate_stream.suite.js';

describe('validate (model/validate.ts)', () => {
  it('the first event of an mm seen mid-life sets its baseline; later writes match page by page', () => {
    // the mm predates the trace with 10 anon pages: 1 baseline event, then 3 faults each +1
    const r = validate([...mmap(0, 1 << 21), fault(10, 0), rss(11, 11), fault(12, 1), rss(13, 12), fault(14, 2), rss(15, 13), fault(16, 3), rss(17, 14)]);
    expect(r.rss_stat_events).toBe(4);
    expect(r.baseline).toBe(1);
    expect(r.compared).toBe(3);
    expect(r.matched).toBe(3);
    expect(r.by_member.MM_ANONPAGES).toMatchObject({ compared: 3, matched: 3, divergences: 0 });
  });
  it('a kernel count the model cannot explain is a mismatch, reported with its line and both values', () => {
    // a write fault on an empty PTE adds one page (do_anonymous_page), but this kernel said +2: the model cannot explain it
    const r = validate([...mmap(0, 1 << 21), fault(10, 0), rss(11, 1), fault(12, 1), rss(13, 3)]);
    expect(r.compared).toBe(1);
    expect(r.matched).toBe(0);
    expect(r.first_mismatches[0]).toMatchObject({ kernel_pages: 3, model_pages: 2, member: 'MM_ANONPAGES' });
    expect(r.first_mismatches[0]!.line).toBe(line);
  });
  it('events with no task to map them to are counted as unmapped, never compared', () => {
    const r = validate([{ ...rss(1, 5, 1, false, 999) }, { ...hdr('sched_process_exit', 2, 999), kind: 'exit', exitPid: 999, groupDead: true }, rss(3, 4, 1, false, 999)]);
    expect(r.compared).toBe(0);
    expect(r.rss_stat_events).toBe(2);
  });
  it('after lost events the next event of each mm sets a new baseline instead of counting a mismatch', () => {
    const lost: TraceEvent = { ...hdr('lost', 20), kind: 'lost', count: 50 };
    // 40 pages were faulted in the gap: the kernel's next event says 41, the model knows 1
    const r = validate([...mmap(0, 1 << 21), fault(10, 0), rss(11, 1), lost, fault(30, 60), rss(31, 42), fault(32, 61), rss(33, 43)]);
    expect(r.lost_events).toBe(50);
    expect(r.first_mismatches).toHaveLength(0);
    expect(r.matched).toBe(r.compared);
  });
  it('5.5-6.1 kernels (rss_stat on 128-page crossings, per-task batching): values within the batch slack match', () => {
    const v = createValidator(defaultVariant({ kernel: '5.15' }));
    // the kernel reports 128 pages while the model has 130: the counter was synced up to 64 pages late
    for (const e of [...mmap(0, 1 << 21), fault(5, 200), rss(6, 1), ...Array.from({ length: 130 }, (_, i) => fault(10 + i, i))]) v.sink(e);
    v.sink(rss(200, 129)); // model: 131 pages
    v.sink(rss(201, 20)); // far off: a real mismatch
    const r = v.finish(READ);
    expect(r.compared).toBe(2);
    expect(r.matched).toBe(1);
  });
});

describe('validate: batches the kernel flushes at points the trace decides', () => {
  const unmapEnter = { ...hdr('sys_enter_munmap', 40), kind: 'sys_enter' as const, call: 'munmap', args: { addr: A, len: 1 << 20 } }; // half: the mm keeps a VMA
  const munmap = (_t: number, _len: number): TraceEvent[] => [{ ...unmapEnter, line: nextLine() }];
  const munmapExit = (t: number): TraceEvent => ({ ...hdr('sys_exit_munmap', t), kind: 'sys_exit' as const, call: 'munmap', ret: 0, enter: unmapEnter });
  const tenPages = (): TraceEvent[] => [...mmap(0, 1 << 21), ...Array.from({ length: 10 }, (_, i) => [fault(10 + 2 * i, i), rss(11 + 2 * i, 11 + i)]).flat()];

  it('zap_pte_range broken by need_resched: a kernel value inside the model piece is a split, the rest must land', () => {
    // mm/memory.c: zap_pte_range: `if (need_resched()) break;` then add_mm_rss_vec: 20 -> 17 -> 10 instead of 20 -> 10
    const r = validate([...tenPages(), ...munmap(40, 1 << 21), rss(41, 17), rss(42, 10), munmapExit(43)]);
    expect(r.first_mismatches).toEqual([]);
    expect(r.resched_splits).toBe(1);
    expect(r.compared).toBe(11); // 9 faults after the baseline, 2 zap pieces
    expect(r.matched).toBe(11);
  });
  it('a value outside the piece, or a piece that overshoots, is still a mismatch', () => {
    const over = validate([...tenPages(), ...munmap(40, 1 << 21), rss(41, 17), rss(42, 9), munmapExit(43)]);
    // 17 looked like a split, but the piece never landed on 10: both events are mismatches
    expect(over.resched_splits).toBe(0);
    expect(over.first_mismatches.map((m) => [m.kernel_pages, m.model_pages])).toEqual([[17, 10], [9, 10]]);
    const beyond = validate([...tenPages(), ...munmap(40, 1 << 21), rss(41, 22), rss(42, 10), munmapExit(43)]);
    expect(beyond.resched_splits).toBe(0);
    expect(beyond.first_mismatches[0]).toMatchObject({ kernel_pages: 22, model_pages: 10 });
  });
  it('a fault is one update, never split: a value between two faults is a mismatch', () => {
    // two faults (+1 each) reported as one event in between is not a need_resched split: no walk made them
    const r = validate([...mmap(0, 1 << 21), fault(10, 0), rss(11, 11), fault(12, 1), fault(14, 2), rss(15, 12.5)]);
    expect(r.resched_splits).toBe(0);
    expect(r.matched).toBe(0);
  });
  it('execve charges the new mm\'s arg pages to the old mm and gives them back before exec_mmap (fs/exec.c: acct_arg_size)', () => {
    const exec = { ...hdr('sys_enter_execve', 40), kind: 'sys_enter' as const, call: 'execve', args: {} };
    const fresh = (t: number, pages: number): RssStatEvent => ({ ...rss(t, pages, 1, false), mmId: 8 });
    // get_arg_page: GUP writes arg pages into the nascent mm (curr=0), then acct_arg_size(vma_pages) on the old mm;
    // begin_new_exec: acct_arg_size(bprm, 0) -> the old mm drops them again
    const r = validate([...tenPages(), exec, fresh(41, 1), rss(42, 21), fresh(43, 2), rss(44, 22), rss(45, 20)]);
    expect(r.first_mismatches).toEqual([]);
    expect(r.compared).toBe(9 + 3);
    expect(r.matched).toBe(12);
    // without the give-back the kernel's 20 would not be explained: a kernel that kept them charged is a mismatch
    const kept = validate([...tenPages(), exec, fresh(41, 1), rss(42, 21), rss(45, 21)]);
    expect(kept.first_mismatches.map((m) => [m.kernel_pages, m.model_pages])).toEqual([[21, 20]]);
  });
});

describe('validate: a split piece must land', () => {
  it('a zap the kernel split but that never reaches the model value is a mismatch at the end', () => {
    const enter = { ...hdr('sys_enter_munmap', 40), kind: 'sys_enter' as const, call: 'munmap', args: { addr: A, len: 1 << 20 } };
    const exit: TraceEvent = { ...hdr('sys_exit_munmap', 43), kind: 'sys_exit', call: 'munmap', ret: 0, enter };
    const pages = [...mmap(0, 1 << 21), ...Array.from({ length: 10 }, (_, i) => [fault(10 + 2 * i, i), rss(11 + 2 * i, 11 + i)]).flat()];
    // the model zaps 10 pages (20 -> 10); the kernel reports 17 then 11 and the munmap returns: it freed 9, so the
    // piece never landed (found at sys_exit_munmap, since the syscall's pieces are all in by then). zap_pte_range
    // retries after each need_resched break, so 17 and 11 were both splits on credit of that landing: both mismatch
    // (before: only the last split was taken back, 17 stayed a match)
    const r = validate([...pages, { ...enter, line: nextLine() }, rss(41, 17), rss(42, 11), exit]);
    expect(r.resched_splits).toBe(0);
    expect(r.first_mismatches.map((m) => [m.kernel_pages, m.model_pages])).toEqual([[17, 10], [11, 10]]);
    expect(r.matched).toBe(r.compared - 2);
    expect(r.divergences).toBe(1);
  });
});

describe('validate: the exec\'s argument pages leave with the stack (fs/exec.c get_arg_page, setup_arg_pages)', () => {
  // pid 100 execs: get_arg_page writes argv/envp into 2 pages of the nascent mm 8 (curr=0, counted, not placed by any
  // fault), then the new image writes 3 pages at A and 1 on its stack S, and exits: exit_mmap zaps A's piece (6 -> 3),
  // then the stack's, whose top holds the argument pages (3 -> 0). Before: those 2 pages were pages the trace never
  // placed, so the whole teardown went to the before-baseline bucket
  const S = 0x7ffd00000000;
  const fresh = (t: number, pages: number, curr = false): RssStatEvent => ({ ...rss(t, pages, 1, curr), mmId: 8 });
  const run = (teardown: number[]): ValidateResult => validate([...mmap(0, 1 << 21), fault(10, 0), rss(11, 11),
    { ...hdr('sys_enter_execve', 40), kind: 'sys_enter', call: 'execve', args: {} }, fresh(41, 1), rss(42, 12), fresh(43, 2), rss(44, 13), rss(45, 11),
    { ...hdr('sched_process_exec', 46), kind: 'exec', filename: '/bin/x', execPid: 100, oldPid: 100 },
    ...mmap(50, 1 << 21), fault(52, 0), fresh(53, 3, true), fault(54, 1), fresh(55, 4, true), fault(56, 2), fresh(57, 5, true),
    { ...hdr('page_fault_user', 58), kind: 'fault', user: true, address: S + 0x1000, ip: 0, errorCode: 0x6 }, fresh(59, 6, true),
    { ...hdr('sched_process_exit', 60), kind: 'exit', exitPid: 100, groupDead: true }, ...teardown.map((p, i) => fresh(61 + i, p))]);
  it('so the stack\'s piece is compared: the kernel\'s 3 after A\'s piece matches, and a kernel that zapped 2 there does not', () => {
    const base = run([]);
    const r = run([3, 0]);
    expect(r.first_mismatches).toEqual([]);
    expect(r.compared - base.compared).toBe(1);
    expect(r.matched - base.matched).toBe(1);
    const other = run([4, 0]);
    expect(other.compared - base.compared).toBe(1);
    expect(other.first_mismatches.map((m) => [m.kernel_pages, m.model_pages])).toEqual([[4, 3]]);
  });
});

describe('validate: a non-fixed mmap without its sys_exit is placed where the top-down allocator put it (mm/mmap.c vm_unmapped_area)', () => {
  it('right below the lowest mapping above its first fault: ld.so.cache\'s read fault maps the 9 pages up to that VMA\'s end', () => {
    // ENTER-list trace (no sys_exit_mmap): a 2-page MAP_FIXED anon mapping at Q, then ld.so maps ld.so.cache (0x890b
    // bytes, fd 3) with no address; its first read fault is at Q - 9 pages + 8: the gap's top, so the VMA is
    // [Q - 9 pages, Q) and do_fault_around's window ends at Q (mm/memory.c: 9 file pages). Blind: no hint says 9.
    // Before: the mmap was left out (untraced_exit_skipped) and the model counted no file page for the fault
    const Q = A + (64 << 20);
    const fixed = { ...hdr('sys_enter_mmap', 1), kind: 'sys_enter' as const, call: 'mmap', args: { addr: Q, len: 0x2000, prot: 3, flags: 0x32, fd: -1, off: 0 } };
    const cache = { ...hdr('sys_enter_mmap', 5), kind: 'sys_enter' as const, call: 'mmap', args: { addr: 0, len: 0x890b, prot: 1, flags: 2, fd: 3, off: 0 } };
    const at = (t: number, addr: number, ec: number): TraceEvent => ({ ...fault(t, 0, ec), address: addr });
    const v = createValidator(defaultVariant(), null, null, { blind: true });
    for (const e of [rss(0, 50, 0), rss(0.5, 10), fixed, at(2, Q, 0x6), rss(3, 11), cache, at(6, Q - 9 * 4096 + 8, 0x4), rss(7, 59, 0), at(8, Q + 4096, 0x6), rss(9, 12)]) v.sink(e);
    const r = v.finish(READ);
    expect(r.first_mismatches).toEqual([]);
    expect(r.by_member.MM_FILEPAGES).toMatchObject({ compared: 1, matched: 1 });
    expect(r.assumptions).toMatchObject({ untraced_exit: 2, untraced_exit_skipped: 0 });
  });
  it('a library\'s extent mmap is placed from the MAP_FIXED segment ld.so maps next (glibc _dl_map_segments), so its pages leave with its munmap', () => {
    // ENTER list, libc as /usr/bin/time loaded it here: mmap(NULL, 0x40000, fd 3, off 0) then mmap(base + 0x26000, text,
    // MAP_FIXED, fd 3, off 0x26000): base is that address - 0x26000, 8 pages into a 16-page block. A read fault at
    // base + 0x318 maps [base, base + 16 pages) (mm/memory.c do_fault_around: from_pte clamped to the VMA's start), one
    // at base + 18 pages 8 more; munmap of the extent frees all 24. Before: the extent was left out, the first window was
    // the aligned block (8 of its pages below base) and the munmap freed 16 (kernel 1, model 9)
    const base = A + 8 * 4096;
    const ext = { ...hdr('sys_enter_mmap', 1), kind: 'sys_enter' as const, call: 'mmap', args: { addr: 0, len: 0x40000, prot: 1, flags: 0x802, fd: 3, off: 0 } };
    const text = { ...hdr('sys_enter_mmap', 2), kind: 'sys_enter' as const, call: 'mmap', args: { addr: base + 0x26000, len: 0x10000, prot: 5, flags: 0x812, fd: 3, off: 0x26000 } };
    const unmap = { ...hdr('sys_enter_munmap', 7), kind: 'sys_enter' as const, call: 'munmap', args: { addr: base, len: 0x40000 } };
    const at = (t: number, addr: number): TraceEvent => ({ ...fault(t, 0, 0x4), address: addr });
    const exec: TraceEvent = { ...hdr('sched_process_exec', 0), kind: 'exec', filename: '/usr/bin/time', execPid: 100, oldPid: 100 };
    // (the exec'd mm's first file page, the binary's, is its baseline)
    const r = validate([exec, at(0.5, 0x555500001000), rss(0.6, 1, 0), ext, text, at(3, base + 0x318), rss(4, 17, 0), at(5, base + 18 * 4096 + 0x1a4), rss(6, 25, 0),
      { ...unmap, line: nextLine() }, rss(8, 1, 0), { ...hdr('sys_enter_brk', 9), kind: 'sys_enter', call: 'brk', args: { brk: 0 } }]);
    expect(r.first_mismatches).toEqual([]);
    expect(r.by_member.MM_FILEPAGES).toMatchObject({ compared: 3, matched: 3 });
    expect(r.assumptions).toMatchObject({ untraced_exit: 2, untraced_exit_skipped: 0 });
  });
});

describe('validate: teardown of an mm that predates the trace', () => {
  it('is not compared, so a value inside a zap piece there is neither a split nor a mismatch', () => {
    // 10 pages the trace never showed (baseline 11 at the first fault), then 9 more; exit tears down 20 pages
    const pages = [...mmap(0, 1 << 21), ...Array.from({ length: 10 }, (_, i) => [fault(10 + 2 * i, i), rss(11 + 2 * i, 11 + i)]).flat()];
    const exit: TraceEvent = { ...hdr('sched_process_exit', 40), kind: 'exit', exitPid: 100, groupDead: true };
    const r = validate([...pages, exit, rss(41, 17, 1, false), rss(42, 0, 1, false)]);
    expect(r.resched_splits).toBe(0);
    expect(r.first_mismatches).toEqual([]);
    expect(r.compared).toBe(9);
    expect(r.baseline).toBe(3);
  });
});

describe('validate: no cascades (issue 12)', () => {
  const thread = (tid: number) => ({ pid: 100, tid });
  it('one page the model cannot explain is one divergence: later events compare against the kernel\'s new level', () => {
    // the kernel counts a page the trace shows no fault for (12 where the model has 11), then two more faults
    const r = validate([...mmap(0, 1 << 21), fault(10, 0), rss(11, 11), fault(12, 1), rss(13, 13), fault(14, 2), rss(15, 14), fault(16, 3), rss(17, 15)]);
    expect(r.compared).toBe(3);
    expect(r.matched).toBe(2);
    expect(r.divergences).toBe(1);
    expect(r.by_member.MM_ANONPAGES!.divergences).toBe(1);
    expect(r.by_mm).toEqual([{ mm_id: 7, pid: 100, member: 'MM_ANONPAGES', compared: 3, matched: 2, divergences: 1 }]);
  });
  it('one piece of a teardown counted differently is one divergence: the later pieces compare by their own deltas', () => {
    // process 201 (forked in the trace, mm 9) maps 12 MiB and writes 1, 2, ..., 6 pages into its six PTE tables, then
    // exits: mm/mmap.c exit_mmap -> unmap_vmas -> zap_pte_range flushes one piece per table (add_mm_rss_vec), the
    // model's 21 -> 20 -> 18 -> 15 -> 11 -> 6 -> 0
    const C = 201;
    const clone: TraceEvent = { ...hdr('sys_enter_clone', 1, 200), kind: 'sys_enter', call: 'clone', args: { clone_flags: 0x11 } };
    const map = { ...hdr('sys_enter_mmap', 4, C), kind: 'sys_enter' as const, call: 'mmap', args: { addr: 0, len: 12 << 20, prot: 3, flags: 0x22, fd: -1, off: 0 } };
    const r9 = (t: number, pages: number, curr = true): RssStatEvent => ({ ...rss(t, pages, 1, curr, C), mmId: 9 });
    const life: TraceEvent[] = [clone, { ...hdr('task_newtask', 2, 200), kind: 'newtask', newPid: C, newComm: 'w', cloneFlags: 0x11 },
      { ...hdr('sys_exit_clone', 3, 200), kind: 'sys_exit', call: 'clone', ret: C, enter: clone },
      map, { ...hdr('sys_exit_mmap', 5, C), kind: 'sys_exit', call: 'mmap', ret: A, enter: map }];
    let n = 0;
    for (let k = 0; k < 6; k++) {
      for (let j = 0; j <= k; j++) life.push({ ...hdr('page_fault_user', 10 + n, C), kind: 'fault', user: true, address: A + (k * 512 + j) * 4096, ip: 0, errorCode: 0x6 }, r9(10.5 + n, ++n));
    }
    const run = (teardown: number[]): ValidateResult => validate([...life, { ...hdr('sched_process_exit', 100, C), kind: 'exit', exitPid: C, groupDead: true },
      ...teardown.map((p, i) => r9(101 + i, p, false))]);
    expect(run([20, 18, 15, 11, 6, 0])).toMatchObject({ compared: 27, matched: 27, divergences: 0 });
    // the kernel's second table held 3 pages and its last 5 (the model's 2 and 6): 20 -> 17 -> 14 -> 10 -> 5 -> 0.
    // Before: the resync went to the model's value after the whole exit_mmap (0), so 17, 14, 10 and 5 all mismatched
    const wrong = run([20, 17, 14, 10, 5, 0]);
    expect(wrong).toMatchObject({ compared: 27, matched: 26, divergences: 1 });
    expect(wrong.first_mismatches.map((m) => [m.kernel_pages, m.model_pages])).toEqual([[17, 18]]);
    // one page in the third table where the model has it in the fifth: off by one until the kernel is back on 6
    const moved = run([20, 17, 14, 10, 6, 0]);
    expect(moved).toMatchObject({ compared: 27, matched: 26, divergences: 1, resched_splits: 0 });
    expect(moved.first_mismatches.map((m) => [m.kernel_pages, m.model_pages])).toEqual([[17, 18]]);
  });
  it('another thread\'s munmap the model applies only at its exit: the resync is dropped once the model is back on the kernel\'s value', () => {
    const enter = { ...hdr('sys_enter_munmap', 40), kind: 'sys_enter' as const, call: 'munmap', args: { addr: A, len: 1 << 20 } };
    const exit: TraceEvent = { ...hdr('sys_exit_munmap', 45), kind: 'sys_exit', call: 'munmap', ret: 0, enter };
    const other = (t: number, i: number, pages: number): TraceEvent[] => [
      { ...fault(t, i), ...thread(101) }, { ...rss(t + 0.5, pages), ...thread(101) },
    ];
    // tid 100 faults 10 pages in the first MiB, then unmaps it (kernel: 20 -> 10 during the call); tid 101 faults in
    // the second MiB meanwhile and its events already count the zap (11), before tid 100's sys_exit_munmap
    const evs = [...mmap(0, 1 << 21), ...Array.from({ length: 10 }, (_, i) => [fault(10 + 2 * i, i), rss(11 + 2 * i, 11 + i)]).flat(),
      { ...enter, line: nextLine() }, rss(41, 10), ...other(42, 300, 11), exit, ...other(46, 301, 12), ...other(48, 302, 13), ...other(50, 303, 14)];
    const r = validate(evs);
    // before issue 12 the resync offset stayed: every later event of tid 101 was a mismatch (4 of them)
    // the munmap is applied at its first zap piece (its arguments decide it), so tid 101's events see it as the kernel's did
    expect(r.first_mismatches).toEqual([]);
    expect(r.matched).toBe(r.compared);
  });
  it('a munmap without its sys_exit takes effect when the thread\'s next event shows it returned (assumed successful)', () => {
    const enter = { ...hdr('sys_enter_munmap', 40), kind: 'sys_enter' as const, call: 'munmap', args: { addr: A, len: 1 << 20 } };
    // 10 pages, munmap of the first MiB (no sys_exit_munmap recorded: -e 'syscalls:sys_enter_*'), then 3 faults in the second MiB
    const evs = [...mmap(0, 1 << 21), ...Array.from({ length: 10 }, (_, i) => [fault(10 + 2 * i, i), rss(11 + 2 * i, 11 + i)]).flat(),
      { ...enter, line: nextLine() }, rss(41, 10), fault(42, 300), rss(43, 11), fault(44, 301), rss(45, 12), fault(46, 302), rss(47, 13)];
    const r = validate(evs);
    expect(r.first_mismatches).toEqual([]);
    expect(r.compared).toBe(9 + 4);
    expect(r.matched).toBe(r.compared);
    expect(r.assumptions.untraced_exit + r.assumptions.applied_call_failed).toBe(0); // applied at its zap piece, not at return
    // a madvise whose zap the trace does not show (no rss_stat inside the call) is applied at the next fault instead
    const adv = { ...hdr('sys_enter_madvise', 40), kind: 'sys_enter' as const, call: 'madvise', args: { start: A + (1 << 20), len_in: 1 << 20, behavior: 4 } };
    const r2 = validate([...mmap(0, 1 << 21), fault(10, 0), rss(11, 11), { ...adv, line: nextLine() }, fault(42, 300), rss(43, 12)]);
    expect(r2.assumptions.untraced_exit).toBe(1);
    // and validate names what the trace lacks: the exit of a call whose enter it has, kernel faults, exec/exit events
    expect(r2.missing_events.map((m) => m.event)).toEqual(expect.arrayContaining(['sys_exit_madvise', 'page_fault_kernel', 'sched_process_exit']));
    expect(r2.missing_events.map((m) => m.event)).not.toContain('sys_exit_mmap');
    expect(r2.matched).toBe(r2.compared);
  });
  it('a fault whose own rss_stat follows another process\'s fault (perf -a, system-wide ftrace) still counts its page', () => {
    // two processes predating the trace (no mmap seen: their VMAs are inferred from the faults), mm 7 on CPU 0 and mm 8
    // on CPU 1; each fault's rss_stat comes after the other CPU's fault. Before: the other task's fault forced this one with "no counter
    // changed", so an inferred VMA became a special mapping and the page was never counted
    const B = 0x55000000000;
    const f = (t: number, tid: number, addr: number): TraceEvent => ({ ...hdr('page_fault_user', t, tid), cpu: tid === 200 ? 1 : 0, kind: 'fault', user: true, address: addr, ip: 0, errorCode: 0x6 });
    const r8 = (t: number, pages: number): RssStatEvent => ({ ...rss(t, pages, 1, true, 200), cpu: 1, mmId: 8 });
    const evs = [rss(1, 10), r8(2, 20), f(3, 100, A), f(4, 200, B), rss(5, 11), f(6, 100, A + 4096), r8(7, 21), f(8, 200, B + 4096), rss(9, 12), r8(10, 22)];
    const r = validate(evs);
    expect(r.baseline).toBe(2);
    expect(r.compared).toBe(4);
    expect(r.first_mismatches).toEqual([]);
    expect(r.matched).toBe(4);
  });
  it('... also when the other process is the child of a fork the trace shows (another anon_vma root: no anon page shared)', () => {
    // process 100 (mm 7, CPU 0) and 200 (mm 8, CPU 1) predate the trace; 200 forks 201 (task_newtask, no CLONE_VM), whose
    // faults come between 100's faults and their rss_stat. Before: only two predating mms passed each other, so 201's
    // fault forced 100's with "no counter changed" (a special mapping, its page never counted: ftrace_sw_fork's node mm)
    const B = 0x55000000000;
    const f = (t: number, tid: number, addr: number): TraceEvent => ({ ...hdr('page_fault_user', t, tid), cpu: tid === 100 ? 0 : 1, kind: 'fault', user: true, address: addr, ip: 0, errorCode: 0x6 });
    const newtask: TraceEvent = { ...hdr('task_newtask', 4, 200), cpu: 1, kind: 'newtask', newPid: 201, newComm: 'w', cloneFlags: 0x11 };
    const evs = [rss(1, 10), f(2, 200, B), { ...rss(3, 21, 1, true, 200), cpu: 1, mmId: 8 }, newtask, f(5, 100, A), f(6, 201, B + 4096), rss(7, 11), f(8, 100, A + 4096), f(9, 201, B + 8192), rss(10, 12)];
    const r = validate(evs);
    expect(r.baseline).toBe(2);
    expect(r.first_mismatches).toEqual([]);
    expect(r.compared).toBe(2);
    expect(r.matched).toBe(2);
  });
  it("a fork's copy of a member its parent (older than the trace) never reported sets the child's baseline, piece by piece", () => {
    // shell 200 predates the trace and shows no MM_ANONPAGES before it forks 201: the copy's pieces (curr=0, the child's
    // mm 9) count the shell's pages the trace never showed. Before: each piece mismatched (the model copied nothing)
    const B = 0x55000000000;
    const enter: TraceEvent = { ...hdr('sys_enter_clone', 1, 200), kind: 'sys_enter', call: 'clone', args: { clone_flags: 0x11 } };
    const piece = (t: number, pages: number): RssStatEvent => ({ ...rss(t, pages, 1, false, 200), mmId: 9 });
    const newtask: TraceEvent = { ...hdr('task_newtask', 4, 200), kind: 'newtask', newPid: 201, newComm: 'w', cloneFlags: 0x11 };
    const exit: TraceEvent = { ...hdr('sys_exit_clone', 5, 200), kind: 'sys_exit', call: 'clone', ret: 201, enter };
    const child = (t: number, addr: number): TraceEvent => ({ ...hdr('page_fault_user', t, 201), kind: 'fault', user: true, address: addr, ip: 0, errorCode: 0x6 });
    const r = validate([enter, piece(2, 5), piece(3, 12), newtask, exit, child(6, B), { ...rss(7, 13, 1, true, 201), mmId: 9 }]);
    expect(r.baseline).toBe(2);
    expect(r.first_mismatches).toEqual([]);
    expect(r.compared).toBe(1);
    expect(r.matched).toBe(1);
    // a parent that did report the member (its first value a baseline, however it came: Android's throttled events are
    // compared when late) has its copy compared: here the model places none of its 12 pages, so the pieces mismatch
    const shown = validate([{ ...rss(0, 12, 1, true, 200), mmId: 8 }, { ...enter, line: nextLine() }, piece(2, 5), piece(3, 12), { ...newtask, line: nextLine() }, { ...exit, line: nextLine() }, child(6, B)]);
    expect(shown.baseline).toBe(1);
    expect(shown.compared).toBe(2);
  });
  it("a fork child's teardown undoes its copy's pieces in order when nothing changed the member (pages from before the trace)", () => {
    // shell 200 (mm 8) predates the trace with 12 anon pages, 11 of them in places the trace never showed; its fork 201 (mm 9)
    // got them in two copy pieces (5, then 12) and exits: exit_mmap zaps the same VMAs in the same order, so the kernel
    // reports 7, then 0. Before: the whole teardown went to the before-baseline bucket (pages the model cannot place)
    const enter: TraceEvent = { ...hdr('sys_enter_clone', 1, 200), kind: 'sys_enter', call: 'clone', args: { clone_flags: 0x11 } };
    const piece = (t: number, pages: number, tid = 200): RssStatEvent => ({ ...rss(t, pages, 1, false, tid), mmId: 9 });
    const run = (teardown: number[], between: TraceEvent[] = [], copy = [5, 12]): ReturnType<typeof validate> => validate([
      { ...hdr('page_fault_user', 0, 200), kind: 'fault', user: true, address: A, ip: 0, errorCode: 0x6 },
      { ...rss(0, 12, 1, true, 200), mmId: 8 }, { ...enter, line: nextLine() }, ...copy.map((p, i) => piece(2 + i / 10, p)),
      { ...hdr('task_newtask', 4, 200), kind: 'newtask', newPid: 201, newComm: 'w', cloneFlags: 0x11 },
      { ...hdr('sys_exit_clone', 5, 200), kind: 'sys_exit', call: 'clone', ret: 201, enter }, ...between,
      { ...hdr('sched_process_exit', 8, 201), kind: 'exit', exitPid: 201, groupDead: true }, ...teardown.map((p, i) => piece(9 + i, p, 201)),
    ]);
    const base = run([]);
    // (the final 0 is every model's value after exit_mmap: not compared)
    const r = run([7, 0]);
    expect(r.compared - base.compared).toBe(1);
    expect(r.matched - base.matched).toBe(1);
    expect(r.baseline - base.baseline).toBe(1);
    // a kernel that zapped in other pieces (the child split a VMA): the prediction fails where it differs
    const other = run([9, 8, 0]);
    expect(other.compared - base.compared).toBe(2);
    expect(other.matched - base.matched).toBe(0);
    expect(other.first_mismatches.slice(-2)).toMatchObject([{ kernel_pages: 9, model_pages: 7 }, { kernel_pages: 8, model_pages: 7 }]);
    // a zap piece split by zap_pte_range's need_resched break (12 -> 9 -> 7): matched once it lands on the piece's end
    const split = run([9, 7, 0]);
    expect(split.matched - base.matched).toBe(2);
    expect(split.resched_splits - base.resched_splits).toBe(1);
    // a copy piece split by copy_pte_range's need_resched break (copied 5, 9, 12 where the zap flushes 12 -> 3 -> 0):
    // the teardown goes past that point whole and lands on the next
    const skipped = run([3, 0], [], [5, 9, 12]);
    expect(skipped.first_mismatches).toEqual(base.first_mismatches);
    expect(skipped.matched - base.matched).toBe(1);
    // the child faulted a page in between (its place among the copy's pieces unknown): no mirror, not compared
    const B = 0x55000000000;
    const wrote: TraceEvent[] = [{ ...hdr('page_fault_user', 6, 201), kind: 'fault', user: true, address: B, ip: 0, errorCode: 0x6 }, { ...rss(7, 13, 1, true, 201), mmId: 9 }];
    const changed = run([8, 0], wrote);
    const changedBase = run([], wrote);
    expect(changed.compared).toBe(changedBase.compared);
    expect(changed.baseline - changedBase.baseline).toBe(2);
  });
  it('a munmap where the model knows no VMA, in an mm older than the trace, frees pages from before the trace (not compared)', () => {
    // mm 7 had 100 anon pages when the trace began (1 of them seen faulting at A); a thread stack mapped before the trace
    // is munmapped: the kernel frees its 6 present pages. Before: the model freed nothing there and the piece mismatched
    const B = A + (64 << 20);
    const enter: TraceEvent = { ...hdr('sys_enter_munmap', 20), kind: 'sys_enter', call: 'munmap', args: { addr: B, len: 8 * 4096 } };
    const exit: TraceEvent = { ...hdr('sys_exit_munmap', 22), kind: 'sys_exit', call: 'munmap', ret: 0, enter };
    const r = validate([...mmap(0, 1 << 21), fault(10, 0), rss(11, 100), enter, rss(21, 94), exit, fault(30, 1), rss(31, 95)]);
    expect(r.baseline).toBe(2);
    expect(r.first_mismatches).toEqual([]);
    expect(r.compared).toBe(1);
    expect(r.matched).toBe(1);
    // a range the model knows only by inference (one page seen faulting there): the kernel frees that page and 5 from
    // before the trace; the model follows (its page, then 5 of the mm's earlier pages) and the next fault matches
    const at = (t: number, addr: number): TraceEvent => ({ ...hdr('page_fault_user', t), kind: 'fault', user: true, address: addr, ip: 0, errorCode: 0x6 });
    const enter2: TraceEvent = { ...hdr('sys_enter_munmap', 20), kind: 'sys_enter', call: 'munmap', args: { addr: B - 4 * 4096, len: 16 * 4096 } };
    const exit2: TraceEvent = { ...hdr('sys_exit_munmap', 22), kind: 'sys_exit', call: 'munmap', ret: 0, enter: enter2 };
    const r2 = validate([at(10, B), rss(11, 50), enter2, rss(21, 44), exit2, at(30, A), rss(31, 45)]);
    expect(r2.baseline).toBe(2);
    expect(r2.first_mismatches).toEqual([]);
    expect(r2.matched).toBe(1);
  });
  it("a thread first seen in its madvise is adopted by the call's first piece before the call is applied (it zaps that mm)", () => {
    // thread 101 of mm 7 predates the trace; its first event is MADV_DONTNEED of the 3 pages thread 100 wrote. Before:
    // the call went to 101's stand-in mm (nothing there), the piece then adopted 101 and mismatched (model 3, kernel 0)
    const enter: TraceEvent = { ...hdr('sys_enter_madvise', 20, 101), kind: 'sys_enter', call: 'madvise', args: { start: A, len_in: 3 * 4096, behavior: 4 } };
    const exit: TraceEvent = { ...hdr('sys_exit_madvise', 22, 101), kind: 'sys_exit', call: 'madvise', ret: 0, enter };
    const r = validate([...mmap(0, 1 << 21), fault(10, 0), rss(11, 1), fault(12, 1), rss(13, 2), fault(14, 2), rss(15, 3), enter, rss(21, 0, 1, true, 101), exit, fault(30, 0), rss(31, 1)]);
    expect(r.assumptions.thread_adopted).toBe(1);
    expect(r.first_mismatches).toEqual([]);
    expect(r.compared).toBe(4);
    expect(r.matched).toBe(4);
  });
  it('a fault whose own rss_stat follows another thread\'s fault on another CPU (same mm) still counts its page', () => {
    // one process predating the trace, threads 100 (CPU 0) and 200 (CPU 1) of mm 7, VMAs inferred from the faults; 100's
    // rss_stat comes after 200's fault. Before: 200's fault forced 100's with "no counter changed" (an inferred VMA
    // became a special mapping: its page never counted), and 100's own rss_stat then mismatched
    const B = A + (1 << 21);
    const f = (t: number, tid: number, addr: number): TraceEvent => ({ ...hdr('page_fault_user', t, tid), cpu: tid === 200 ? 1 : 0, kind: 'fault', user: true, address: addr, ip: 0, errorCode: 0x6 });
    const r2 = (t: number, pages: number): RssStatEvent => ({ ...rss(t, pages, 1, true, 200), cpu: 1 });
    const evs = [rss(1, 10), f(2, 200, B), r2(3, 11), f(4, 100, A), f(5, 200, B + 4096), rss(6, 12), r2(7, 13), f(8, 100, A + 4096), rss(9, 14)];
    const r = validate(evs);
    expect(r.assumptions.thread_adopted).toBe(1);
    expect(r.first_mismatches).toEqual([]);
    expect(r.matched).toBe(r.compared);
    expect(r.compared).toBe(4);
  });
  it('one read fault, two MM_FILEPAGES updates: fault-around, then finish_fault\'s own folio (mm/memory.c do_read_fault)', () => {
    // a private file mapping (fd 5); the task's file counter stood at 100; its read fault maps 14 page-cache pages
    // around (filemap_map_pages), then the faulting page's 2-page folio after the read (__do_fault + finish_fault)
    const enter: TraceEvent = { ...hdr('sys_enter_mmap', 1), kind: 'sys_enter', call: 'mmap', args: { addr: 0, len: 1 << 20, prot: 1, flags: 2, fd: 5, off: 0 } };
    const evs: TraceEvent[] = [enter, { ...hdr('sys_exit_mmap', 2), kind: 'sys_exit', call: 'mmap', ret: A, enter }, rss(3, 100, 0), fault(10, 40, 0x4), rss(11, 114, 0), rss(12, 116, 0)];
    const r = validate(evs);
    expect(r.first_mismatches).toEqual([]);
    expect(r.by_member.MM_FILEPAGES).toMatchObject({ compared: 2, matched: 2, hinted: 2 });
  });
  it('a growing MREMAP_MAYMOVE without its sys_exit goes where the thread\'s next fault shows (-e sys_enter_* lists)', () => {
    // 4 pages in a 1 MiB mapping at A; mremap to 2 MiB moved it (the next fault is 1 MiB below A, in no VMA: the move's
    // PMD-aligned destination A - 2 MiB); then munmap of the new 2 MiB frees all 5 pages. Before: the growth was never
    // applied, the munmap freed only the new page and 4 stayed in the model forever
    const Q = A - (2 << 20);
    const at = (t: number, addr: number): TraceEvent => ({ ...hdr('page_fault_user', t), kind: 'fault', user: true, address: addr, ip: 0, errorCode: 0x6 });
    const remap = { ...hdr('sys_enter_mremap', 20), kind: 'sys_enter' as const, call: 'mremap', args: { addr: A, old_len: 1 << 20, new_len: 2 << 20, flags: 1, new_addr: 0 } };
    const unmap = { ...hdr('sys_enter_munmap', 30), kind: 'sys_enter' as const, call: 'munmap', args: { addr: Q, len: 2 << 20 } };
    // (10 pages elsewhere predate the trace: the first event is the baseline)
    const evs = [...mmap(0, 1 << 20), ...[0, 1, 2, 3].flatMap((i) => [fault(10 + 2 * i, i), rss(11 + 2 * i, 11 + i)]),
      { ...remap, line: nextLine() }, at(21, Q + (1 << 20)), rss(22, 15), { ...unmap, line: nextLine() }, rss(31, 10), at(40, A + (4 << 20))];
    const r = validate(evs);
    expect(r.first_mismatches).toEqual([]);
    expect(r.matched).toBe(r.compared);
    expect(r.compared).toBeGreaterThanOrEqual(4);
  });
  it('a growing mremap that moved, to a length no PMD multiple, is placed right below the lowest mapping above its next fault (vm_unmapped_area top-down)', () => {
    // perl's hash growth (ENTER list, no sys_exit_*): chunk X (33 pages at A, 5 written) and chunk Y right below it;
    // realloc(X) to 65 pages moved X right below Y (its next write is the first new page, at new + 33 pages); then
    // realloc(Y) grew in place into X's old range and free(X) unmapped the moved 65 pages: -6. Before: the move was
    // left out, X's pages stayed at A and Y's growth over them dropped 5 (kernel 17, model 12)
    const P = 4096, Y = A - 33 * P, X2 = Y - 65 * P;
    const at = (t: number, addr: number): TraceEvent => ({ ...hdr('page_fault_user', t), kind: 'fault', user: true, address: addr, ip: 0, errorCode: 0x6 });
    const call = (t: number, c: string, args: Record<string, number>): TraceEvent => ({ ...hdr(`sys_enter_${c}`, t), kind: 'sys_enter', call: c, args });
    const mmapY = call(2, 'mmap', { addr: 0, len: 33 * P, prot: 3, flags: 0x22, fd: -1, off: 0 });
    const evs: TraceEvent[] = [...mmap(0, 33 * P), { ...mmapY, line: nextLine() }, { ...hdr('sys_exit_mmap', 3), kind: 'sys_exit', call: 'mmap', ret: Y, enter: mmapY as never },
      ...[0, 1, 2, 3, 4].flatMap((i) => [fault(10 + 2 * i, i), rss(11 + 2 * i, 11 + i)]),
      { ...call(20, 'mremap', { addr: A, old_len: 33 * P, new_len: 65 * P, flags: 1, new_addr: 0 }), line: nextLine() }, at(21, X2 + 33 * P), rss(22, 16),
      { ...call(30, 'mremap', { addr: Y, old_len: 33 * P, new_len: 65 * P, flags: 1, new_addr: 0 }), line: nextLine() }, at(31, Y + 33 * P), rss(32, 17),
      { ...call(40, 'munmap', { addr: X2, len: 65 * P }), line: nextLine() }, rss(41, 11), at(50, Y), rss(51, 12)];
    const r = validate(evs);
    expect(r.first_mismatches).toEqual([]);
    expect(r.compared).toBe(8);
    expect(r.matched).toBe(8);
  });
  it('a write next to an inferred page that a traced mprotect made read-only is another VMA, not a fault on that one', () => {
    // ld.so's RELRO mprotect on the first page of a data segment the trace never saw mapped; the program then writes .bss
    // 7 pages on: the kernel counts the page (+1); before, the read-only VMA was widened to the write and it was a segv
    const X = 0x555500000000;
    const at = (t: number, addr: number): TraceEvent => ({ ...hdr('page_fault_user', t), kind: 'fault', user: true, address: addr, ip: 0, errorCode: 0x6 });
    const enter = { ...hdr('sys_enter_mprotect', 13), kind: 'sys_enter' as const, call: 'mprotect', args: { start: X, len: 4096, prot: 1 } };
    const exit = { ...hdr('sys_exit_mprotect', 14), kind: 'sys_exit' as const, call: 'mprotect', ret: 0, enter };
    const r = validate([at(10, X + 8), rss(11, 30), { ...enter, line: nextLine() }, { ...exit, line: nextLine() }, at(15, X + 0x7000), rss(16, 31)]);
    expect(r.baseline).toBe(1);
    expect(r.first_mismatches).toEqual([]);
    expect(r.matched).toBe(1);
  });
});
