// A kernel-mode fault with no page_fault_kernel recorded, right after a user fault (rss_stat.ts untracedKernelFault).
import { describe, expect, it } from 'vitest';
import { fault, mmap, rss, validate } from './validate_stream.suite.js';

describe('a second MM_ANONPAGES rise after a user fault\'s own (no page_fault_kernel in the trace)', () => {
  it('is a kernel-mode fault (read() into the fresh buffer the fault began): the kernel\'s rise is taken, later faults match', () => {
    // mm 7 (one VMA at A): the write fault at page 1 counts one page (do_anonymous_page), then read()'s copy_to_user
    // faults pages 2 and 3 in kernel mode (two more updates, no fault event); the user then writes page 4.
    // Without the rule: 3 and 4 mismatched (model 2, then 3: 2 of 4 compared matched)
    const r = validate([...mmap(0, 1 << 21), fault(10, 0), rss(11, 1), fault(12, 1), rss(13, 2), rss(14, 3), rss(15, 4), fault(16, 4), rss(17, 5)]);
    expect(r.assumptions.kernel_fault_untraced).toBe(2);
    expect(r.first_mismatches).toEqual([]);
    expect(r.compared).toBe(4);
    expect(r.matched).toBe(4);
  });
});
