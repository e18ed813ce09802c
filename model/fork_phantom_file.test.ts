// Page-cache pages the trace never placed are not copied by a fork (fork.ts phantomCopied; mm/memory.c vma_needs_copy
// skips a file VMA without an anon_vma). Values from the kernel's rss_stat in a perf recording of python3 under pyenv's
// bash shims (/tmp/l9/rec/mremap.txt, not committed: tid 20354 on mm_id 1242649334 and its child 20356 on 822751651, lines 1084-1307).
import { describe, expect, it } from 'vitest';
import type { RssStatEvent, TraceEvent } from '../traces/events.js';
import { A, hdr, mmap, validate } from './validate_stream.suite.js';

const LIBC = 0x7fad424ed000; // exec-loaded or ld.so-mapped text: no mmap in this stream, its VMA inferred
const at = (t: number, addr: number, ec: number, tid = 100): TraceEvent => ({ ...hdr('page_fault_user', t, tid), kind: 'fault', user: true, address: addr, ip: 0, errorCode: ec });
const pages = (t: number, member: number, n: number, mmId = 7, curr = true, tid = 100): RssStatEvent => ({ ...hdr('rss_stat', t, tid), kind: 'rss_stat', mmId, curr, member, size: n * 4096, throttled: false });
const FILE = 0, ANON = 1;

// the child's first instruction fetches (lines 1276-1307): addresses and the kernel's MM_FILEPAGES after each
const CHILD: [number, number][] = [[0x7fad424ed353, 16], [0x55f0e98cb4b4, 32], [0x55f0e989b2b0, 48], [0x55f0e98ead00, 64], [0x7fad424b1ef0, 80],
  [0x7fad424af120, 96], [0x7fad425119e0, 112], [0x7fad42455230, 128], [0x55f0e98ab600, 133]];

describe('a fork does not copy page-cache pages the trace never placed (kernel/fork.c dup_mmap, mm/memory.c vma_needs_copy)', () => {
  it('the parent\'s untraced +16 file pages stay behind: the child\'s MM_FILEPAGES are its own fault-arounds, 16 ... 133', () => {
    const exec: TraceEvent = { ...hdr('sched_process_exec', 0), kind: 'exec', filename: '/usr/bin/bash', execPid: 100, oldPid: 100 }; // a fresh mm
    const evs: TraceEvent[] = [exec, ...mmap(0, 1 << 21),
      at(10, LIBC + 0x353, 0x14), pages(11, FILE, 16), // an instruction fetch: fault-around maps 16 page-cache pages
      at(12, A, 0x6), pages(13, ANON, 1), at(14, A + 4096, 0x6), pages(15, ANON, 2),
      pages(16, FILE, 32), // line 1090: +16 with no user fault before it (a kernel-mode read fault, not traced)
      pages(20, ANON, 2, 8, false), // the fork's copy (curr=0 on the child's id): anonymous pieces only, no MM_FILEPAGES piece
      ...CHILD.flatMap(([addr, n], k) => [at(30 + 2 * k, addr, 0x14, 101), pages(31 + 2 * k, FILE, n, 8, true, 101)])];
    const r = validate(evs);
    expect(r.assumptions.kernel_fault_untraced).toBe(1);
    expect(r.first_mismatches).toEqual([]); // before: line 1307 kernel 133, model 149 (the parent's 16 unplaced pages copied)
    expect(r.by_member.MM_FILEPAGES).toMatchObject({ compared: 10, matched: 10 });
  });
});
