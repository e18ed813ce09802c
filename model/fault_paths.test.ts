// faultsTaken: the headline fault count both the replay table and the report use.
import { describe, expect, it } from 'vitest';
import { faultsTaken } from './fault_paths.js';

describe('faultsTaken', () => {
  it('counts traps only: not a fault a patch would not take, nor a populate record (its pages are GUP faults)', () => {
    expect(faultsTaken({ anon_alloc: 90, wp_page_copy: 5, not_taken: 10, populate: 2 })).toBe(95);
    expect(faultsTaken({})).toBe(0);
  });
});
