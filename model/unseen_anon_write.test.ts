// A write onto a present PTE (X86_PF_PROT) in a VMA the trace never showed, the kernel counting nothing: mm/memory.c
// do_wp_page on an anon page mapped before the trace (wp_page_reuse, or wp_page_copy anon to anon after a fork), as a
// shell's stack and heap pages in a recording that starts after its exec; the fork that copies them is
// model/recordings.test.ts's gz_pipe_sh.
import { describe, expect, it } from 'vitest';
import type { RssStatEvent, TraceEvent } from '../traces/events.js';
import { createEngine } from './engine.js';
import { createFanout, defaultVariant } from './replay.js';
import { hdr } from './validate_stream.suite.js';

const ANON = 1;
const S = 0x7ffd118f0000; // a stack page exec set up before the trace
const at = (t: number, addr: number, ec: number, tid = 100): TraceEvent => ({ ...hdr('page_fault_user', t, tid), kind: 'fault', user: true, address: addr, ip: 0, errorCode: ec });
const pages = (t: number, n: number, mmId = 7, curr = true, tid = 100): RssStatEvent => ({ ...hdr('rss_stat', t, tid), kind: 'rss_stat', mmId, curr, member: ANON, size: n * 4096, throttled: false });
const PROT_WRITE = 0x7;

/** The model's anon counter values: 10 anon pages before the trace, the write (its task's next event is no rss_stat: nothing counted), then `after`. */
function anonValues(useZeroPage: boolean, after: TraceEvent[]): number[] {
  const anon: number[] = [];
  const en = createEngine(defaultVariant({ useZeroPage }), { rss: (x) => void (x.member === ANON && anon.push(x.value)) }, null, 64, null);
  const fan = createFanout([en]);
  for (const e of [pages(1, 10), at(2, S + 0x918, PROT_WRITE), ...after]) fan.sink(e);
  fan.flush();
  en.finish(100);
  return anon;
}

describe('a write onto a present page the trace never showed mapped, no counter moving', () => {
  for (const useZeroPage of [true, false]) {
    it(`leaves a writable page (zero page ${useZeroPage ? 'present' : 'absent'}): a second write to it allocates nothing, as in the kernel`, () => {
      // before: a special PTE, written again -> wp_page_copy from the zero pfn, +1 anon (the kernel's next event: still 10)
      expect(anonValues(useZeroPage, [at(20, S + 0x920, PROT_WRITE), pages(22, 10)])).toEqual([10]);
    });
  }

});
