// A read fault whose fault-around mapped nothing: mm/filemap.c filemap_map_pages still calls add_mm_counter (of 0,
// one rss_stat at the same value), then mm/memory.c do_read_fault -> __do_fault + finish_fault maps the faulting page
// (+1). The zero-page-less machine's `xz -T2` recording (Linux 6.18, plain perf) has it where exec mapped the binary.
import { describe, expect, it } from 'vitest';
import type { RssStatEvent, TraceEvent } from '../traces/events.js';
import { createEngine } from './engine.js';
import { createFanout, defaultVariant } from './replay.js';
import { createValidator } from './validate.js';
import type { ExitRecord } from './types.js';

let line = 0;
const hdr = (name: string, time: number) => ({ name, system: '', time, cpu: 0, pid: 100, tid: 100, comm: 'w', line: ++line });
const FILE = 0, ANON = 1;
const rss = (t: number, member: number, pages: number): RssStatEvent => ({ ...hdr('rss_stat', t), kind: 'rss_stat', mmId: 7, curr: true, member, size: pages * 4096, throttled: false });
const fault = (t: number, addr: number, ec: number): TraceEvent => ({ ...hdr('page_fault_user', t), kind: 'fault', user: true, address: addr, ip: 0, errorCode: ec });
const READ_FAULT = 0x4, WRITE_FAULT = 0x6;
const A = 0x7f0000000000;
const READ = { file: 't', format: 'perf-script' as const, bytes: 0, lines: 0, events: 0, lostEvents: 0, skippedLines: 0, skippedExamples: [] };

/** A private read-only file mapping of 1 MiB at A (fd 5), its 40th page read: fault-around 0, finish_fault 1. */
function mappedFile(): TraceEvent[] {
  const enter = { ...hdr('sys_enter_mmap', 1), kind: 'sys_enter' as const, call: 'mmap', args: { addr: 0, len: 1 << 20, prot: 1, flags: 2, fd: 5, off: 0 } };
  return [enter, { ...hdr('sys_exit_mmap', 2), kind: 'sys_exit', call: 'mmap', ret: A, enter }, rss(3, FILE, 100), fault(10, A + 40 * 4096, READ_FAULT), rss(11, FILE, 100), rss(12, FILE, 101)];
}

describe('a read fault with nothing mapped around (fault-around 0, then finish_fault)', () => {
  it('in a mapping the trace showed: the model maps the faulting page only, and munmap frees it', () => {
    const unmap = { ...hdr('sys_enter_munmap', 20), kind: 'sys_enter' as const, call: 'munmap', args: { addr: A, len: 1 << 20 } };
    const evs = [...mappedFile(), unmap, rss(21, FILE, 100), { ...hdr('sys_exit_munmap', 22), kind: 'sys_exit' as const, call: 'munmap', ret: 0, enter: unmap },
      { ...hdr('sched_process_exit', 30), kind: 'exit' as const, exitPid: 100, groupDead: true }];
    const v = createValidator(defaultVariant());
    for (const e of evs) v.sink(e);
    const r = v.finish(READ);
    // the kernel's 100 (nothing around) and 101 (the faulting page) are the model's (before: 16 pages around, 116)
    expect(r.first_mismatches).toEqual([]);
    expect(r.by_member.MM_FILEPAGES).toMatchObject({ compared: 2, matched: 2, hinted: 2 });
    // the page is in the model's page table, not only in its counter: the munmap frees it (mm/memory.c zap_pte_range)
    const exits: ExitRecord[] = [];
    const en = createEngine(defaultVariant(), { exit: (x) => void exits.push({ ...x }) }, null, 64, null);
    const fan = createFanout([en]);
    for (const e of evs) fan.sink(e);
    en.finish(31);
    expect(exits[0]!.rssFileKb).toBe(100 * 4);
  });

  it('with no second update (finish_fault did not map it: VM_FAULT_NOPAGE), the page leaves the model\'s table', () => {
    // the fault's +0, then the thread's next event is not its own rss_stat but an munmap of the mapping: the kernel's
    // zap finds no page of it (mm/memory.c zap_pte_range: add_mm_rss_vec adds nothing, no rss_stat)
    const unmap = { ...hdr('sys_enter_munmap', 20), kind: 'sys_enter' as const, call: 'munmap', args: { addr: A, len: 1 << 20 } };
    const evs = [...mappedFile().slice(0, 5), unmap, { ...hdr('sys_exit_munmap', 22), kind: 'sys_exit' as const, call: 'munmap', ret: 0, enter: unmap },
      { ...hdr('sched_process_exit', 30), kind: 'exit' as const, exitPid: 100, groupDead: true }];
    const file: number[] = [];
    const en = createEngine(defaultVariant(), { rss: (x) => void (x.member === FILE && file.push(x.value)) }, null, 64, null);
    const fan = createFanout([en]);
    for (const e of evs) fan.sink(e);
    en.finish(31);
    // the model's MM_FILEPAGES: 100 from before the trace (the baseline), then the exit's teardown; a page left in the
    // table uncounted would have been freed by the munmap, 99
    expect(file).toEqual([100, 0]);
  });

  it('where exec mapped the binary (no VMA in the trace), on a machine with no zero page: a file page, no anon page', () => {
    const exits: ExitRecord[] = [];
    const en = createEngine(defaultVariant({ useZeroPage: false }), { exit: (x) => void exits.push({ ...x }) }, null, 64, null);
    const fan = createFanout([en]);
    const B = 0x560000000000; // the binary's .rodata, mapped by fs/binfmt_elf.c load_elf_binary before the trace
    // before: the fault went to an anonymous VMA the model inferred, whose read fault with no zero page allocates
    // (mm/memory.c do_anonymous_page): one anon page too many, which the kernel's counters never showed
    const evs: TraceEvent[] = [rss(1, ANON, 10), rss(2, FILE, 50), fault(3, B + 0x45a, READ_FAULT), rss(4, FILE, 50), rss(5, FILE, 51),
      fault(6, A, WRITE_FAULT), rss(7, ANON, 11), { ...hdr('sched_process_exit', 8), kind: 'exit', exitPid: 100, groupDead: true }];
    for (const e of evs) fan.sink(e);
    en.finish(9);
    expect(exits).toHaveLength(1);
    // the model's own pages at the exit: the one anonymous write (the 10 from before the trace are the kernel's, unplaced)
    // and the one page-cache page, in kB
    expect(exits[0]!.rssAnonKb).toBe(11 * 4);
    expect(exits[0]!.rssFileKb).toBe(51 * 4);
  });
});
