// A read fault whose fault-around did not map the faulting page counts it again (mm/memory.c do_read_fault:
// do_fault_around, then __do_fault + finish_fault: two MM_FILEPAGES updates), after an untraced fall left the model's
// counter offset from the kernel's (model/rss_stat.ts: the second count is the kernel's own rise). Deltas from the
// kernel's rss_stat in a perf recording of `time -v tar czf` with only page_fault_user, rss_stat and sched_process_*
// (/tmp/f8/rec/tar.txt, not committed: lines 86-101, /usr/bin/time; line 92 is ld.so.cache's munmap, -11, untraced).
import { describe, expect, it } from 'vitest';
import type { RssStatEvent, TraceEvent } from '../traces/events.js';
import { hdr, mmap, validate } from './validate_stream.suite.js';

const at = (t: number, addr: number, ec: number): TraceEvent => ({ ...hdr('page_fault_user', t), kind: 'fault', user: true, address: addr, ip: 0, errorCode: ec });
const file = (t: number, n: number): RssStatEvent => ({ ...hdr('rss_stat', t), kind: 'rss_stat', mmId: 7, curr: true, member: 0, size: n * 4096, throttled: false });

describe('the second count of a read fault after an untraced fall (model/rss_stat.ts, mm/memory.c do_read_fault)', () => {
  it('+16 +16, -11 (untraced), +16 +16 +2, then a read +1 and its second +1 with no fault between: each matches', () => {
    const exec: TraceEvent = { ...hdr('sched_process_exec', 0), kind: 'exec', filename: '/usr/bin/time', execPid: 100, oldPid: 100 }; // a fresh mm
    const r = validate([exec, ...mmap(1, 1 << 21),
      at(10, 0x7f116dcf99b0, 0x14), file(11, 16), at(12, 0x7f116dc942c0, 0x14), file(13, 32), file(14, 21),
      at(15, 0x7f116dd76a40, 0x14), file(16, 37), at(17, 0x7f116ddd8640, 0x14), file(18, 53), at(19, 0x55b8f6322060, 0x14), file(20, 55),
      at(21, 0x55b8f6323fb8, 0x4), file(22, 56), file(23, 57)]);
    expect(r.first_mismatches).toEqual([]); // before: the second +1 was measured against the model's offset counter: kernel 57, model 56
    expect(r.untraced_reclaim?.events).toBe(1);
    expect(r.by_member.MM_FILEPAGES).toMatchObject({ compared: 6, matched: 6 });
  });
});
