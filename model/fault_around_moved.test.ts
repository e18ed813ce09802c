// A fault-around run the model placed at the wrong offset in a VMA the trace never showed (memory.ts
// moveFaultAroundPage): the kernel's write fault with X86_PF_PROT and wp_page_copy's MM_FILEPAGES -1 proves the page was
// mapped. Addresses and values from the kernel's rss_stat in a perf recording of python3 under pyenv's bash shims
// (/tmp/l9/rec/mremap.txt, not committed: lines 260-407, tid 20354: ld.so reads bash's _DYNAMIC, then relocates its .data).
import { describe, expect, it } from 'vitest';
import type { RssStatEvent, TraceEvent } from '../traces/events.js';
import { hdr, mmap, validate } from './validate_stream.suite.js';

const BASH = 0x55c06c69c000; // the exec-loaded binary: no mmap in the trace, its VMAs inferred
const at = (t: number, addr: number, ec: number): TraceEvent => ({ ...hdr('page_fault_user', t), kind: 'fault', user: true, address: addr, ip: 0, errorCode: ec });
const pages = (t: number, member: number, n: number): RssStatEvent => ({ ...hdr('rss_stat', t), kind: 'rss_stat', mmId: 7, curr: true, member, size: n * 4096, throttled: false });
const FILE = 0, ANON = 1;

/**
 * The binary's headers (+16), _DYNAMIC's read (+12: the kernel's window began at the data VMA's start), then writes;
 * by `writer`, thread 101 of the same process when it is not 100 (its task_newtask first: CLONE_VM | CLONE_THREAD).
 */
function relocation(order: number[], writer = 100): TraceEvent[] {
  const evs: TraceEvent[] = [...mmap(0, 1 << 21), at(10, BASH + 0x40, 0x4), pages(11, FILE, 16), at(12, BASH + 0x12b5e8, 0x4), pages(13, FILE, 28)];
  if (writer !== 100) evs.push({ ...hdr('task_newtask', 14), kind: 'newtask', newPid: writer, newComm: 'w', cloneFlags: 0x100 | 0x10000 });
  const by = (e: TraceEvent): TraceEvent => ({ ...e, tid: writer });
  let file = 28, anon = 0, t = 20;
  // ld.so's relocations: error_code 0x7 (present, write, user), each a wp_page_copy of a page-cache page: file -1, anon +1
  for (const page of order) evs.push(by(at(t++, BASH + page * 4096 + 0x10, 0x7)), by(pages(t++, FILE, --file)), by(pages(t++, ANON, ++anon)));
  return evs;
}

describe('a misplaced fault-around page moves where the kernel had it (mm/memory.c: do_fault_around, wp_page_copy)', () => {
  it('the kernel mapped pages 0x128..0x133 (window from the VMA start), the model guessed 0x120..0x12b: every write matches', () => {
    // the recording's order: 0x12b (_DYNAMIC's page) first, then 0x128 .. 0x133; before, 4 mismatches from 0x130 on
    const r = validate(relocation([0x12b, 0x128, 0x129, 0x12a, 0x12c, 0x12d, 0x12e, 0x12f, 0x130, 0x131, 0x132, 0x133]));
    expect(r.first_mismatches).toEqual([]);
    // (each counter's first sighting, the headers' +16 and the first write's anon 1, is not compared)
    expect(r.by_member.MM_FILEPAGES).toMatchObject({ compared: 13, matched: 13 });
    expect(r.by_member.MM_ANONPAGES).toMatchObject({ compared: 11, matched: 11 });
  });
  it('so does a write by another thread of the mm (node\'s workers: perf -a, Linux 6.18): its own rss_stat is the -1', () => {
    // before: the rule held for one-thread mms only, and each write left the file counter one high (kernel 5200, model 5201)
    const r = validate(relocation([0x12b, 0x128, 0x129, 0x12a, 0x12c, 0x12d, 0x12e, 0x12f, 0x130, 0x131, 0x132, 0x133], 101));
    expect(r.first_mismatches).toEqual([]);
    expect(r.by_member.MM_FILEPAGES).toMatchObject({ compared: 13, matched: 13 });
  });
});
