// A read fault overtaken, before its own rss_stat, by an event of a fork-related process (another mm, one anon_vma
// root) on another CPU: the read maps its own mm's pages only, so it waits for its rss_stat, its hint. The shape of
// `perf record -a` of a shell's pipeline: two children of one bash, each exec'ing, on two CPUs.
import { describe, expect, it } from 'vitest';
import type { RssStatEvent, TraceEvent } from '../traces/events.js';
import { defaultVariant } from './replay.js';
import { createValidator, type ValidateResult } from './validate.js';

let line = 0;
const FILE = 0, ANON = 1;
const cpuOf = (tid: number): number => (tid === 300 ? 1 : 0);
const hdr = (name: string, time: number, tid: number) => ({ name, system: '', time, cpu: cpuOf(tid), pid: tid, tid, comm: 'bash', line: ++line });
const rss = (t: number, tid: number, mmId: number, curr: boolean, member: number, pages: number): RssStatEvent => ({ ...hdr('rss_stat', t, tid), kind: 'rss_stat', mmId, curr, member, size: pages * 4096, throttled: false });
const fault = (t: number, tid: number, addr: number, ec: number): TraceEvent => ({ ...hdr('page_fault_user', t, tid), kind: 'fault', user: true, address: addr, ip: 0, errorCode: ec });
const B = 0x56376f390000; // bash's text, mapped by load_elf_binary before the trace
const READ = { file: 't', format: 'perf-script' as const, bytes: 0, lines: 0, events: 0, lostEvents: 0, skippedLines: 0, skippedExamples: [] };

function run(parentEc: number): ValidateResult {
  const evs: TraceEvent[] = [
    rss(1, 100, 7, true, ANON, 10), rss(2, 100, 7, true, FILE, 50), // the parent's pages from before the trace
    { ...hdr('task_newtask', 3, 100), kind: 'newtask', newPid: 300, newComm: 'bash', cloneFlags: 0x1200011 }, // fork: no CLONE_VM
    rss(4, 100, 8, false, ANON, 10), // the child's copy (curr=0 on its mm_id)
    { ...hdr('sched_process_fork', 5, 100), kind: 'fork', parentPid: 100, childPid: 300, childComm: 'bash' },
    // the child's instruction fetch on CPU 1; the parent's fault on CPU 0; then the child's own rss_stat (+16)
    fault(10, 300, B + 0x72b0, 0x14), fault(11, 100, B + 0x4a45b4 - 0x400000, parentEc), rss(12, 300, 8, true, FILE, 16),
  ];
  const v = createValidator(defaultVariant({ useZeroPage: false }));
  for (const e of evs) v.sink(e);
  return v.finish(READ);
}

describe("a read fault overtaken by a fork-related process's event on another CPU waits for its own rss_stat", () => {
  for (const [what, ec] of [['a read', 0x4], ['a write', 0x6]] as const) {
    it(`the child's text read is a fault-around of 16 file pages (the parent's event: ${what})`, () => {
      const r = run(ec);
      // before: the parent's fault released the child's unhinted: an inferred anonymous VMA, with no zero page a page
      // allocated, and the kernel's 16 file pages unexplained
      expect(r.first_mismatches).toEqual([]);
      expect(r.by_member.MM_FILEPAGES).toMatchObject({ matched: r.by_member.MM_FILEPAGES!.compared });
      expect(r.by_member.MM_FILEPAGES!.compared).toBeGreaterThanOrEqual(1);
    });
  }
});
