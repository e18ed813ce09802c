// validate's "model ahead" warning: matches in a one-thread mm that each leave the model an update the kernel had not
// shown are an update the model made and the kernel never did, matched through one value behind (validate_lockstep.ts).
import { describe, expect, it } from 'vitest';
import type { TraceEvent } from '../traces/events.js';
import { defaultVariant } from './replay.js';
import { createValidator, type ValidateResult } from './validate.js';
import { A, fault, mmap, READ, rss } from './validate_stream.suite.js';
import { AHEAD_RUN } from './validate_lockstep.js';

/** An anonymous mapping read once (the kernel maps the zero page: no counter moves), then written page by page. */
function run(useZeroPage: boolean | undefined, writes: number): ValidateResult {
  const evs: TraceEvent[] = [...mmap(0, 1 << 20), rss(1, 10), fault(2, 0, 0x4), fault(3, 1, 0x6), rss(4, 11)];
  for (let k = 2; k <= writes; k++) evs.push(fault(10 * k, k, 0x6), rss(10 * k + 1, 10 + k));
  const v = createValidator(defaultVariant(useZeroPage === undefined ? {} : { useZeroPage }));
  for (const e of evs) v.sink(e);
  return v.finish(READ);
}

describe('validate: matches with the model an update ahead', () => {
  it('a wrong --machine-no-zero-page (the read allocates in the model only): every write matches one value behind, reported', () => {
    const r = run(false, AHEAD_RUN + 4);
    // the per-event comparison sees nothing wrong: each kernel value is one the model went through
    expect(r.first_mismatches).toEqual([]);
    expect(r.matched).toBe(r.compared);
    // ... the warning does: one run, every write of it, from the first write's rss_stat
    expect(r.model_ahead).toMatchObject({ runs: 1, events: AHEAD_RUN + 4, first: { mm_id: 7, member: 'MM_ANONPAGES', events: AHEAD_RUN + 4 } });
  });

  it('the zero page detected from the trace: the same writes, no warning', () => {
    const r = run(undefined, AHEAD_RUN + 4);
    expect(r.matched).toBe(r.compared);
    expect(r.model_ahead).toBeUndefined();
  });

  it('a run shorter than AHEAD_RUN is not reported', () => {
    expect(run(false, AHEAD_RUN - 2).model_ahead).toBeUndefined();
  });
});
