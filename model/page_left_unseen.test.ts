// A page a traced fault mapped, then faulted in again as new (memory.ts handlePteFault: no X86_PF_PROT and the fault's
// own rss_stat rose): the kernel's PTE was none, so a munmap, MADV_DONTNEED or mremap the trace does not show took it.
import { describe, expect, it } from 'vitest';
import type { TraceEvent } from '../traces/events.js';
import { createReplay } from './replay.js';
import { buildVariants } from './variants.js';
import { READ, fault, hdr, mmap, rss, validate } from './validate_stream.suite.js';

// 4 pages written one by one (the kernel's MM_ANONPAGES 1..4 after each), the trace's only mapping call the mmap
const written = (n: number): TraceEvent[] => Array.from({ length: n }, (_, i) => [fault(10 + 2 * i, i), rss(11 + 2 * i, i + 1)]).flat();

describe('pages that left unseen (model/memory.ts handlePteFault)', () => {
  it('a not-present fault on a page the model holds, whose rss_stat rose, is a new page: matched, counted as an assumption', () => {
    // page 0 again (error_code 0x6: W|U, no P) and the kernel's count goes 4 -> 5: mremap moved the old page away unseen
    const r = validate([...mmap(0, 1 << 21), ...written(4), fault(100, 0), rss(101, 5)]);
    expect(r.by_member.MM_ANONPAGES).toMatchObject({ compared: 4, matched: 4 });
    expect(r.first_mismatches).toEqual([]);
    expect(r.assumptions.page_left_unseen).toBe(1);
  });
  it('after an untraced fall (munmap unseen), the refault of a freed page still matches the kernel', () => {
    // 4 pages, then the kernel's count falls to 0 (untraced), then page 1 is written again: 1
    const r = validate([...mmap(0, 1 << 21), ...written(4), rss(50, 2), rss(51, 0), fault(100, 1), rss(101, 1)]);
    expect(r.untraced_reclaim?.events).toBe(2);
    expect(r.first_mismatches).toEqual([]);
    expect(r.assumptions.page_left_unseen).toBe(1);
  });
  it('a present-PTE fault (error_code has X86_PF_PROT) is no evidence: the model keeps its page', () => {
    // 0x7: a protection fault on a present PTE; the kernel's +1 is then not this page's (the model says so by a mismatch)
    const r = validate([...mmap(0, 1 << 21), ...written(4), fault(100, 0, 0x7), rss(101, 5)]);
    expect(r.assumptions.page_left_unseen).toBe(0);
    expect(r.first_mismatches[0]).toMatchObject({ kernel_pages: 5, model_pages: 4 });
  });
  it('not in an mm with two users: another thread\'s fault on the page may be ordered after this one', () => {
    const clone: TraceEvent = { ...hdr('task_newtask', 5), kind: 'newtask', newPid: 101, newComm: 'w', cloneFlags: 0x10900 };
    const r = validate([...mmap(0, 1 << 21), clone, ...written(4), fault(100, 0), rss(101, 5)]);
    expect(r.assumptions.page_left_unseen).toBe(0);
  });
  it('a populating what-if takes the refault too (the patch populated the mmap, the kernel then lost the page): not "not taken"', () => {
    const vs = buildVariants({ patch: ['eager-populate'] });
    const rp = createReplay(vs, {});
    for (const e of [...mmap(0, 1 << 21), ...written(4), fault(100, 0), rss(101, 5)]) rp.sink(e);
    const [main, eager] = rp.finish(READ).variants;
    // mainline: 4 first writes + the refault allocate; eager-populate: its 4 first writes found populated pages
    expect(main!.totals.faults.anon_alloc).toBe(5);
    expect(eager!.totals.faults.anon_alloc).toBe(1);
    expect(eager!.totals.faults.not_taken).toBe(4);
  });
});
