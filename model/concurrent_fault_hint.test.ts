// A fault whose own rss_stat comes after another thread's fault of the same mm on another CPU (the two ran
// concurrently): it waits for that rss_stat, its hint, instead of running unhinted when the other fault arrives.
// The shape of `perf record -a` of node with three worker threads on Linux 6.18 with no zero page (line 13707:
// a read of the binary's .rodata while a worker wrote its heap).
import { describe, expect, it } from 'vitest';
import type { RssStatEvent, TraceEvent } from '../traces/events.js';
import { createEngine } from './engine.js';
import { createFanout, defaultVariant } from './replay.js';
import { createValidator } from './validate.js';
import type { ExitRecord } from './types.js';

let line = 0;
const FILE = 0, ANON = 1;
const cpuOf = (tid: number): number => (tid === 200 ? 1 : 0);
const hdr = (name: string, time: number, tid: number) => ({ name, system: '', time, cpu: cpuOf(tid), pid: 100, tid, comm: 'node', line: ++line });
const rss = (t: number, tid: number, member: number, pages: number): RssStatEvent => ({ ...hdr('rss_stat', t, tid), kind: 'rss_stat', mmId: 7, curr: true, member, size: pages * 4096, throttled: false });
const fault = (t: number, tid: number, addr: number, ec: number): TraceEvent => ({ ...hdr('page_fault_user', t, tid), kind: 'fault', user: true, address: addr, ip: 0, errorCode: ec });
const A = 0x7f0000000000; // an anonymous mapping the trace showed
const B = 0x3000000; // the binary's .rodata, mapped by load_elf_binary before the trace
const READ = { file: 't', format: 'perf-script' as const, bytes: 0, lines: 0, events: 0, lostEvents: 0, skippedLines: 0, skippedExamples: [] };

function events(): TraceEvent[] {
  const enter = { ...hdr('sys_enter_mmap', 1, 100), kind: 'sys_enter' as const, call: 'mmap', args: { addr: 0, len: 1 << 21, prot: 3, flags: 0x22, fd: -1, off: 0 } };
  return [
    enter, { ...hdr('sys_exit_mmap', 2, 100), kind: 'sys_exit', call: 'mmap', ret: A, enter },
    { ...hdr('task_newtask', 3, 100), kind: 'newtask', newPid: 200, newComm: 'node', cloneFlags: 0x100 | 0x10000 },
    rss(4, 100, ANON, 10), rss(5, 100, FILE, 50), // 10 anon and 50 file pages from before the trace
    // 100 reads .rodata on CPU 0 while 200 writes the heap on CPU 1; each fault's own rss_stat after both
    fault(10, 100, B + 0x288, 0x4), fault(11, 200, A, 0x6), rss(12, 200, ANON, 11), rss(13, 100, FILE, 66),
    fault(20, 100, A + 4096, 0x6), rss(21, 100, ANON, 12),
    { ...hdr('sched_process_exit', 30, 200), kind: 'exit', exitPid: 200, groupDead: false },
    { ...hdr('sched_process_exit', 31, 100), kind: 'exit', exitPid: 100, groupDead: true },
  ];
}

describe('a fault overtaken by another CPU\'s fault of the same mm waits for its own rss_stat', () => {
  it('the read is a file fault-around (+16), not an anonymous page (no zero page)', () => {
    const v = createValidator(defaultVariant({ useZeroPage: false }));
    for (const e of events()) v.sink(e);
    const r = v.finish(READ);
    // before: 200's fault made 100's run with no hint: an inferred anonymous VMA, a page allocated, file 50 vs 66
    expect(r.first_mismatches).toEqual([]);
    expect(r.matched).toBe(r.compared);
    expect(r.by_member.MM_FILEPAGES).toMatchObject({ compared: 1, matched: 1 });
  });

  it('the model\'s own anonymous pages at the exit are the two writes', () => {
    const exits: ExitRecord[] = [];
    const en = createEngine(defaultVariant({ useZeroPage: false }), { exit: (x) => void exits.push({ ...x }) }, null, 64, null);
    const fan = createFanout([en]);
    for (const e of events()) fan.sink(e);
    en.finish(40);
    const leader = exits.find((x) => x.pid === 100)!;
    expect(leader.rssAnonKb).toBe(12 * 4); // 10 from before the trace + 2 writes (before: 13, the read's extra page)
    expect(leader.rssFileKb).toBe(66 * 4);
  });
});
