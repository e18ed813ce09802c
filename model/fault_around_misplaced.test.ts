// A not-present write (no X86_PF_PROT) on a page the model's fault-around run put there (memory.ts handlePteFault):
// the kernel never mapped that page, so it leaves the model's table (still counted, unplaced) and the fault is the
// do_cow_fault / do_anonymous_page the kernel took. Addresses and values from the kernel's rss_stat in a perf recording
// of `tar czf` with only page_fault_user, rss_stat and sched_process_* (/tmp/f8/rec/tar.txt, not committed: lines
// 5-65, /usr/bin/time's ld.so loading libc; no mmap event, so every VMA is inferred).
import { describe, expect, it } from 'vitest';
import type { RssStatEvent, TraceEvent } from '../traces/events.js';
import { hdr, mmap, validate } from './validate_stream.suite.js';

const at = (t: number, addr: number, ec: number): TraceEvent => ({ ...hdr('page_fault_user', t), kind: 'fault', user: true, address: addr, ip: 0, errorCode: ec });
const FILE = 0, ANON = 1;
const pages = (t: number, member: number, n: number): RssStatEvent => ({ ...hdr('rss_stat', t), kind: 'rss_stat', mmId: 7, curr: true, member, size: n * 4096, throttled: false });

describe('a page-cache page the kernel proves it never mapped leaves the model\'s table (mm/memory.c: do_fault_around)', () => {
  it('libc\'s writes at 0x...c6b740 and 0x...c6c078 (error_code 0x6) below a 16-page read at 0x...c6e318: anon +1 only', () => {
    const exec: TraceEvent = { ...hdr('sched_process_exec', 0), kind: 'exec', filename: '/usr/bin/time', execPid: 100, oldPid: 100 }; // a fresh mm
    // lines 5-10 (ld.so's first fetch and write: each counter's first sighting, not compared), then lines 45-65 with the
    // recording's MM_FILEPAGES deltas (+16, +4, +16, +2) and MM_ANONPAGES +1 per write
    const r = validate([exec, ...mmap(1, 1 << 21),
      at(10, 0x7f116de7fb70, 0x14), pages(11, FILE, 16), at(12, 0x7f116de98e06, 0x6), pages(13, ANON, 5),
      at(15, 0x7f116dc6e318, 0x4), pages(16, FILE, 32), at(17, 0x7f116dc90603, 0x4), pages(18, FILE, 36),
      at(19, 0x7f116dc6b740, 0x6), pages(20, ANON, 6), at(21, 0x7f116dc6c078, 0x6), pages(22, ANON, 7),
      at(32, 0x7f116dc8609c, 0x4), pages(33, FILE, 52), at(34, 0x7f116dc7fa24, 0x4), pages(35, FILE, 54)]);
    expect(r.first_mismatches).toEqual([]); // before: kernel 52, model 50 (two wp_page_copy of pages the kernel never had)
    expect(r.by_member.MM_FILEPAGES).toMatchObject({ compared: 4, matched: 4 });
    expect(r.by_member.MM_ANONPAGES).toMatchObject({ compared: 2, matched: 2 });
  });
});
