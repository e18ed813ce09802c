// A thread whose exit the trace missed (it vanished inside a call) is over once its group is dead: kernel/exit.c:
// group_dead is the last thread's, so every other thread left its syscall and exited first. Its call in flight is
// applied as returned, its held rss_stat events released before the mm's teardown, and no per-thread note stays behind
// (before, they waited for the trace's end: the bench's trace renumbering tids every MiB grew the live heap 11 -> 16 MiB).
import { describe, expect, it } from 'vitest';
import type { RssStatEvent, TraceEvent } from '../traces/events.js';
import { createEngine } from './engine.js';
import { createFanout, defaultVariant } from './replay.js';
import type { ExitRecord } from './types.js';

let line = 0;
const hdr = (name: string, time: number, tid: number) => ({ name, system: '', time, cpu: 0, pid: 100, tid, comm: 'w', line: ++line });
const rss = (t: number, tid: number, pages: number): RssStatEvent => ({ ...hdr('rss_stat', t, tid), kind: 'rss_stat', mmId: 7, curr: true, member: 1, size: pages * 4096, throttled: false });
const A = 0x7f0000000000;

function run(withExit: boolean): { exits: ExitRecord[]; assumed: Record<string, number>; order: string[] } {
  const exits: ExitRecord[] = [];
  // what the engine did, in order: each rss_stat event it resolved (by its thread) and the exit
  const order: string[] = [];
  const en = createEngine(defaultVariant(), { exit: (r) => void (exits.push({ ...r }), order.push('exit')) }, null, 64, (e) => void order.push(`rss ${e.tid}`));
  const fan = createFanout([en]);
  const enter = { ...hdr('sys_enter_mmap', 1, 100), kind: 'sys_enter' as const, call: 'mmap', args: { addr: 0, len: 1 << 21, prot: 3, flags: 0x22, fd: -1, off: 0 } };
  const evs: TraceEvent[] = [enter, { ...hdr('sys_exit_mmap', 2, 100), kind: 'sys_exit', call: 'mmap', ret: A, enter }];
  for (let i = 0; i < 4; i++) evs.push({ ...hdr('page_fault_user', 10 + 2 * i, 100), kind: 'fault', user: true, address: A + i * 4096, ip: 0, errorCode: 6 }, rss(11 + 2 * i, 100, i + 1));
  // thread 101 enters an mmap with MAP_POPULATE (its return address untold): the populate's rss_stat pieces are held
  evs.push({ ...hdr('sys_enter_mmap', 20, 101), kind: 'sys_enter', call: 'mmap', args: { addr: 0, len: 4 * 4096, prot: 3, flags: 0x8022, fd: -1, off: 0 } });
  for (let i = 0; i < 4; i++) evs.push(rss(21 + i, 101, 5 + i));
  // ... and is never seen again; the leader exits last (group_dead)
  if (withExit) evs.push({ ...hdr('sched_process_exit', 30, 100), kind: 'exit', exitPid: 100, groupDead: true });
  for (const e of evs) fan.sink(e);
  const assumed = { ...en.assumed };
  en.finish(40);
  return { exits, assumed, order };
}

describe('a thread missed at its group death', () => {
  it('has its call applied and its held events released at the exit, before the teardown', () => {
    const { exits, assumed, order } = run(true);
    expect(exits).toHaveLength(1);
    // the call is over, counted as an assumption at the exit: skipped, as the trace never told the address it mapped
    expect(assumed.untraced_exit_skipped).toBe(1);
    // the populate's four pieces are resolved before the exit (they were the kernel's counters then), not after it
    expect(order).toEqual(['rss 100', 'rss 100', 'rss 100', 'rss 100', 'rss 101', 'rss 101', 'rss 101', 'rss 101', 'exit']);
    // the model's own final counters: the four faulted pages (it cannot place a populate it was never told the address of)
    expect(exits[0]!.rssAnonKb).toBe(4 * 4);
  });

  it('without the exit, the call stays in flight to the end of the trace (nothing assumed early)', () => {
    const { exits, assumed, order } = run(false);
    expect(exits).toHaveLength(0);
    expect(assumed.untraced_exit + assumed.untraced_exit_skipped).toBe(0);
    expect(order.filter((x) => x === 'rss 101')).toHaveLength(4); // released by finish, at the trace's end
  });
});
