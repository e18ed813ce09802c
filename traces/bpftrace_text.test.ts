// The bpftrace recorder's text (record/bpftrace/faultline.bt), from lines it wrote on this machine (bpftrace 0.17,
// Linux 6.18): every event typed as the ftrace/perf readers type it, bpftrace's own lines not events.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTrace } from './read.js';
import { detectFormat } from './detect.js';
import type { TraceEvent } from './events.js';

const T = '\t';
const LINES = [
  'Attaching 25 probes...',
  '# faultline bpftrace 1',
  ['5417425647935', '0', '23128', '23128', 'node', 'tracepoint:exceptions:page_fault_user', 'address=0x1ec8ad80 ip=0x11c5df8 error_code=0x7'].join(T),
  ['5417461660670', '0', '23128', '23131', 'node', 'rss_stat', 'mm_id=1709602108 curr=1 member=1 size=82034688B'].join(T),
  ['5417592455213', '1', '23126', '23126', 'node', 'sys_enter_mmap', '__syscall_nr=9 addr=0x5e2fd8c0000 len=0x7f000 prot=0x0 flags=0x4022 fd=0xffffffff off=0x0'].join(T),
  ['5417592496943', '1', '23126', '23126', 'node', 'tracepoint:syscalls:sys_exit_mmap', '__syscall_nr=9 ret=0x5e2fd8c0000'].join(T),
  ['5417731923558', '1', '23222', '23222', 'node', 'task_newtask', 'pid=23226 comm=node clone_flags=3d0f00 oom_score_adj=0'].join(T),
  ['5417731944612', '1', '23222', '23222', 'node', 'sched_process_fork', 'comm=node pid=23222 child_comm=node child_pid=23226'].join(T),
  ['5417731968517', '1', '23222', '23222', 'node', 'tracepoint:syscalls:sys_exit_clone3', '__syscall_nr=435 ret=0x5aba'].join(T),
  'Lost 12 events',
  ['5418627805390', '1', '23220', '23220', 'bash', 'sys_enter_clone', '__syscall_nr=56 clone_flags=0x1200011 newsp=0x0'].join(T),
  // the script's last lines: its detach marker, then END's cleared maps (blank lines)
  '# faultline bpftrace detaching at 5418627900000',
  '',
  '',
  '',
].join('\n');

describe('faultline bpftrace text', () => {
  it('is detected by its header and read into typed events', async () => {
    expect(detectFormat(LINES)).toBe('bpftrace');
    const p = join(mkdtempSync(join(tmpdir(), 'faultline-bt-')), 'trace.bt.txt');
    writeFileSync(p, LINES);
    const events: TraceEvent[] = [];
    const r = await readTrace(p, (e) => events.push(e));
    expect(r.format).toBe('bpftrace');
    expect(r.skippedLines).toBe(0);
    expect(r.lostEvents).toBe(12);
    const ev = events.filter((e) => e.kind !== 'lost');
    expect(ev.map((e) => e.name)).toEqual(['page_fault_user', 'rss_stat', 'sys_enter_mmap', 'sys_exit_mmap', 'task_newtask', 'sched_process_fork', 'sys_exit_clone3', 'sys_enter_clone']);
    expect(ev[0]).toMatchObject({ kind: 'fault', user: true, address: 0x1ec8ad80, ip: 0x11c5df8, errorCode: 7, time: 5417425647935, cpu: 0, pid: 23128, tid: 23128, comm: 'node' });
    expect(ev[1]).toMatchObject({ kind: 'rss_stat', mmId: 1709602108, member: 1, size: 82034688, tid: 23131 });
    expect(ev[2]).toMatchObject({ kind: 'sys_enter', call: 'mmap', args: { addr: 0x5e2fd8c0000, len: 0x7f000, prot: 0, flags: 0x4022, fd: 0xffffffff, off: 0 } });
    expect(ev[3]).toMatchObject({ kind: 'sys_exit', call: 'mmap', ret: 0x5e2fd8c0000 });
    expect(ev[4]).toMatchObject({ kind: 'newtask', newPid: 23226, cloneFlags: 0x3d0f00 });
    expect(ev[5]).toMatchObject({ kind: 'fork', parentPid: 23222, childPid: 23226 });
    expect(ev[7]).toMatchObject({ kind: 'sys_enter', call: 'clone', args: { clone_flags: 0x1200011, newsp: 0 } });
  });
  it("one CPU's batch written after another's, with earlier times, comes out in time order", async () => {
    const ev = (t: number, cpu: number): string => [String(t), String(cpu), '7', '7', 'w', 'rss_stat', `mm_id=1 curr=1 member=1 size=${t}B`].join(T);
    // bpftrace drains CPU 0's buffer (times 10..40), then CPU 1's (times 15..35)
    const text = ['# faultline bpftrace 1', ev(10, 0), ev(20, 0), ev(30, 0), ev(40, 0), ev(15, 1), ev(25, 1), ev(35, 1), ''].join('\n');
    const p = join(mkdtempSync(join(tmpdir(), 'faultline-bt-')), 'batches.txt');
    writeFileSync(p, text);
    const times: number[] = [];
    const r = await readTrace(p, (e) => times.push(e.time));
    expect(times).toEqual([10, 15, 20, 25, 30, 35, 40]);
    expect(r.stats.merge_out_of_order).toBeUndefined();
  });
  it('the recorder stops every probe at its detach: each tracepoint block but the last waits on @faultline_stop, the last sets it', () => {
    // bpftrace detaches in script order, one probe per RCU wait: without the stop, faults end ~40 ms before rss_stat
    const bt = readFileSync(join(import.meta.dirname, '..', 'record', 'bpftrace', 'faultline.bt'), 'utf8');
    const blocks = bt.split(/\n\s*\n/).filter((b) => /^tracepoint:/m.test(b));
    expect(blocks.length).toBeGreaterThan(10);
    const last = blocks.pop()!;
    for (const b of blocks) expect(b, b.split('\n').find((l) => l.startsWith('tracepoint:'))).toMatch(/^\/@faultline_stop == 0\/$/m);
    expect(last).toMatch(/^tracepoint:syscalls:sys_enter_ioctl$/m);
    expect(last).toMatch(/args->cmd == 0x2401/); // PERF_EVENT_IOC_DISABLE
    expect(last).toMatch(/@faultline_stop = 1;/);
    expect(bt).toMatch(/BEGIN \{[^}]*@faultline_self = pid;/);
  });
});
