// A fork child that exits with no event in the trace (perf record -- CMD stops following a task before its exit_mm),
// whose mm_id a later fork's child then takes (untraced_clone_exec.ts Unsure.replaces).
import { describe, expect, it } from 'vitest';
import type { RssStatEvent, TraceEvent } from '../traces/events.js';
import { A, hdr, mmap, validate } from './validate_stream.suite.js';

const T1 = A + (2 << 20); // the VMA's second PTE table: a fork copies it as a second piece (copy_pte_range per table)
const wr = (t: number, addr: number, tid = 100): TraceEvent => ({ ...hdr('page_fault_user', t, tid), kind: 'fault', user: true, address: addr, ip: 0, errorCode: 0x6 });
const anon = (t: number, pages: number, mmId: number, curr: boolean, tid = 100): RssStatEvent => ({ ...hdr('rss_stat', t, tid), kind: 'rss_stat', mmId, curr, member: 1, size: pages * 4096, throttled: false });

/** Parent 100 (mm 7) writes 3 pages over two tables; forks child 101 (mm 8, no clone events), which writes one page. */
function firstChild(): TraceEvent[] {
  return [...mmap(0, 4 << 20), wr(10, A), anon(11, 1, 7, true), wr(12, A + 4096), anon(13, 2, 7, true), wr(14, T1), anon(15, 3, 7, true),
    anon(20, 2, 8, false), anon(21, 3, 8, false), wr(22, A + 8192), anon(23, 4, 7, true), // the copy's two pieces, then the parent goes on
    wr(30, T1 + 4096, 101), anon(31, 4, 8, true, 101)];
}

describe('an mm_id a live model mm holds comes back for a new mm (include/trace/events/kmem.h: mm_ptr_to_hash)', () => {
  it('a second fork copies into the first child\'s id: the first child exited unseen, the copy and its child are a new mm', () => {
    // 101 exits (no event); 100 forks 102 into mm_id 8 again: pieces 3, 4 (below 101's 4, then rising); 102 writes
    // T1 + 4096, a new page in the copy (101 had written it in its own). Without the rule the first piece was taken for
    // untraced reclaim in 101's mm and 102 for a thread of it, where that page was present (compared 9, matched 8)
    const evs = [...firstChild(), anon(40, 3, 8, false), anon(41, 4, 8, false), wr(42, A + 3 * 4096), anon(43, 5, 7, true),
      wr(50, T1 + 4096, 102), anon(51, 5, 8, true, 102)];
    const r = validate(evs);
    expect(r.assumptions.fork_inferred).toBe(2);
    expect(r.assumptions.mm_id_reused).toBe(1);
    expect(r.assumptions.thread_adopted).toBe(0);
    expect(r.untraced_reclaim).toBeUndefined(); // (none: no piece taken for reclaim)
    expect(r.first_mismatches).toEqual([]);
    expect(r.matched).toBe(r.compared);
    expect(r.compared).toBe(10);
  });
  it('an exec whose nascent mm takes the live child\'s id: acct_arg_size charges the caller exactly its arg page', () => {
    // 100 execs (no execve events): get_arg_page writes one page into bprm->mm (id 8: child 101's, 101 gone unseen),
    // acct_arg_size charges 100's own mm +1 and gives it back, exec_mmap, the old mm's teardown (curr=0, 5 -> 0).
    // Without the rule the arg page was compared with 101's mm and no exec inferred (3 mismatches after line 14)
    const evs = [...firstChild(), anon(40, 1, 8, false), anon(41, 5, 7, true), anon(42, 4, 7, true), anon(43, 0, 7, false),
      anon(44, 2, 8, true), wr(45, A + 5 * 4096), anon(46, 3, 8, true)];
    const r = validate(evs);
    expect(r.assumptions.exec_inferred).toBe(1);
    expect(r.assumptions.mm_id_reused).toBe(1);
    expect(r.first_mismatches.filter((m) => m.line > 14)).toEqual([]);
  });
  it('a curr=0 change to the live child\'s mm that no new mm follows stays the child\'s (not a reuse)', () => {
    // the parent's context lowers child 101's counter by one (direct reclaim: mm/rmap.c try_to_unmap_one), then faults
    const evs = [...firstChild(), anon(40, 3, 8, false), wr(41, A + 3 * 4096), anon(42, 5, 7, true), wr(43, T1 + 8192, 101), anon(44, 4, 8, true, 101)];
    const r = validate(evs);
    expect(r.assumptions.mm_id_reused).toBe(0);
    expect(r.assumptions.fork_inferred).toBe(1);
    expect(r.assumptions.thread_adopted).toBe(0);
  });
});
