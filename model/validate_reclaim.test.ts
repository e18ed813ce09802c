// Validate's untraced-reclaim bucket (model/validate_lockstep.ts): a counter decrease with nothing traced in flight is
// reclaim the trace cannot show (not compared, counted, resynchronised); anything else stays a mismatch.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import type { RssStatEvent, TraceEvent } from '../traces/events.js';
import { readTrace } from '../traces/read.js';
import { createValidator } from './validate.js';
import { buildVariants } from './variants.js';
import { A, fault, hdr, mmap, rss, validate } from './validate_stream.suite.js';

const written = (n: number): TraceEvent[] => Array.from({ length: n }, (_, i) => [fault(10 + 2 * i, i), rss(11 + 2 * i, i + 1)]).flat();

describe('untraced reclaim (model/validate_lockstep.ts)', () => {
  it('a decrease with nothing in flight goes to the bucket, and the events after it compare against the kernel\'s level', () => {
    // 4 pages written, then 2 pages leave with no traced cause (swap-out), then 1 more write: 5 - 2 = 3 in the kernel
    const r = validate([...mmap(0, 1 << 21), ...written(4), rss(100, 3), rss(101, 2), fault(110, 10), rss(111, 3)]);
    expect(r.untraced_reclaim).toMatchObject({ events: 2, by_member: { MM_ANONPAGES: 2 } });
    // the task predates the trace (first seen at its mmap): its first event is the mm's baseline
    expect(r.by_member.MM_ANONPAGES).toMatchObject({ compared: 4, matched: 4, untraced_reclaim: 2 });
    expect(r.baseline + r.compared + r.untraced_reclaim!.events).toBe(r.rss_stat_events);
  });
  it('an increase nothing explains stays a mismatch (only decreases are reclaim)', () => {
    const r = validate([...mmap(0, 1 << 21), ...written(2), rss(100, 5)]);
    expect(r.untraced_reclaim).toBeUndefined();
    expect(r.first_mismatches[0]).toMatchObject({ kernel_pages: 5, model_pages: 2 });
  });
  it('a decrease inside a munmap the model does not explain stays a mismatch (a call in flight)', () => {
    // the munmap covers none of the model's pages, yet the kernel's counter falls during it: a model bug, not reclaim
    const enter = { ...hdr('sys_enter_munmap', 100), kind: 'sys_enter' as const, call: 'munmap', args: { addr: A + (1 << 22), len: 4096 } };
    const r = validate([...mmap(0, 1 << 21), ...written(3), enter, rss(101, 2), { ...hdr('sys_exit_munmap', 102), kind: 'sys_exit' as const, call: 'munmap', ret: 0, enter }]);
    expect(r.untraced_reclaim).toBeUndefined();
    expect(r.first_mismatches[0]).toMatchObject({ kernel_pages: 2, model_pages: 3 });
  });
  const clone = (): TraceEvent => ({ ...hdr('task_newtask', 5), kind: 'newtask', newPid: 101, newComm: 'w', cloneFlags: 0x10900 });
  const fault101 = (t: number, i: number): TraceEvent => ({ ...fault(t, i), tid: 101, pid: 101 });
  it('not for a thread of a multi-threaded mm when a perf value may lag another thread\'s update shown since its own last event (issue 12 item 7)', () => {
    // thread 100 last showed 2; thread 101's page makes 3; 100's next value 2 may be a sum taken before 101's update
    const r = validate([...mmap(0, 1 << 21), clone(), ...written(2), fault101(50, 7), rss(51, 3, 1, true, 101), rss(100, 2)]);
    expect(r.untraced_reclaim).toBeUndefined();
  });
  it('a thread\'s value below the model\'s at its own previous event is no lag: untraced (include/trace/events/kmem.h: its sum follows that event)', () => {
    // thread 100 showed 3 (the model's 3 too); its next value 1: pages left that no lag explains
    const r = validate([...mmap(0, 1 << 21), clone(), ...written(3), fault101(50, 7), rss(51, 4, 1, true, 101), rss(100, 1)]);
    expect(r.untraced_reclaim).toMatchObject({ events: 1, by_member: { MM_ANONPAGES: 1 } });
    expect(r.first_mismatches).toEqual([]);
  });
  it('a user-mode fault of a thread whose call has no traced exit says the call returned: the mm is quiet again (arch/x86/mm/fault.c)', () => {
    // thread 101 enters mmap (an ENTER-only list: no sys_exit), then faults in user mode; thread 100's fall is untraced
    const enter: TraceEvent = { ...hdr('sys_enter_mmap', 40, 101), kind: 'sys_enter', call: 'mmap', args: { addr: 0, len: 4096, prot: 3, flags: 0x22, fd: -1, off: 0 } };
    const r = validate([...mmap(0, 1 << 21), clone(), ...written(3), enter, fault101(50, 7), rss(51, 4, 1, true, 101), rss(100, 1)]);
    expect(r.untraced_reclaim).toMatchObject({ events: 1 });
  });
  it('a trace of rss_stat_throttled events is not reported as having no rss_stat (model/needed_events.ts)', () => {
    const th = (t: number, pages: number): RssStatEvent => ({ ...rss(t, pages), name: 'rss_stat_throttled', throttled: true });
    const r = validate([...mmap(0, 1 << 21), fault(10, 0), th(11, 128)]);
    expect(r.missing_events.map((m) => m.event)).not.toContain('rss_stat');
    expect(validate([...mmap(0, 1 << 21), fault(10, 0)]).missing_events.map((m) => m.event)).toContain('rss_stat');
  });
  it('a decrease after exit_group entered is the exit\'s teardown, never reclaim', () => {
    const r = validate([...mmap(0, 1 << 21), ...written(3), { ...hdr('sys_enter_exit_group', 100), kind: 'sys_enter' as const, call: 'exit_group', args: { error_code: 0 } }, rss(101, 0)]);
    expect(r.untraced_reclaim).toBeUndefined();
  });
});

describe('a thread the trace never saw on its mm tears the mm down after its exit (model/rss_stat.ts: lastUserGone)', () => {
  it('curr=0 falling events after its sched_process_exit are that mm\'s exit_mmap: pages from before the trace leave unplaced, not mismatched', () => {
    // mm 7 counted 10 pages before the trace (baseline) and 2 the trace showed; thread 200 never showed mm 7's id, and
    // the exit of thread 100 was not traced (it predates sched_process_exit being enabled)
    const exit200: TraceEvent = { ...hdr('sched_process_exit', 60, 200), kind: 'exit', exitPid: 200, groupDead: true };
    const r = validate([...mmap(0, 1 << 21), rss(9, 10), fault(10, 0), rss(11, 11), fault(12, 1), rss(13, 12), exit200, rss(61, 5, 1, false, 200), rss(62, 0, 1, false, 200)]);
    expect(r.first_mismatches).toEqual([]);
    expect(r.by_member.MM_ANONPAGES).toMatchObject({ compared: 2, matched: 2 });
    expect(r.baseline).toBe(3);
  });
});

const DIR = new URL('../traces/fixtures/workloads/', import.meta.url).pathname;

describe('untraced reclaim on the THP shrinker recording (traces/fixtures/workloads/thp_shrinker)', async () => {
  // from the raw text, not the reader: the rss_stat lines between the last fault's own event and the munmap
  const lines = gunzipSync(readFileSync(`${DIR}thp_shrinker/perf.txt.gz`)).toString('utf8').split('\n');
  const lastFault = lines.findLastIndex((l) => l.includes('exceptions:page_fault_user:'));
  const munmap = lines.findLastIndex((l) => l.includes('syscalls:sys_enter_munmap:'));
  const sizes = lines.slice(lastFault + 2, munmap).filter((l) => l.includes('kmem:rss_stat:')).map((l) => Number(/size=(\d+)B/.exec(l)![1]));
  const spec = buildVariants({ baseThp: 'always', baseZeroPage: false })[0]!;
  const v = createValidator(spec);
  const val = v.finish(await readTrace(`${DIR}thp_shrinker/perf.txt.gz`, v.sink));
  const v4k = createValidator(buildVariants({ baseZeroPage: false })[0]!);
  const val4k = v4k.finish(await readTrace(`${DIR}thp_shrinker_4k/perf.txt.gz`, v4k.sink));

  it('the raw reclaim run: one page at a time, 32 THPs x 504 zero-filled subpages (mm/migrate.c try_to_map_unused_to_zeropage)', () => {
    expect(sizes.length).toBe(32 * 504);
    expect(sizes.every((s, i) => i === 0 || sizes[i - 1]! - s === 4096)).toBe(true);
  });
  it('validate puts exactly that run in the bucket; every event is compared or in a named bucket', () => {
    expect(val.untraced_reclaim).toMatchObject({ events: sizes.length, by_member: { MM_ANONPAGES: sizes.length } });
    expect(val.compared + val.baseline + val.unmapped + val.guessed_vma_pieces + val.untraced_reclaim!.events).toBe(val.rss_stat_events);
    // the munmap's 32 events after it: one per split table (mm/memory.c zap_pte_range: the 8 subpages that kept their
    // data, 504 zero-page PTEs uncounted), read from the raw text; the model split the THPs the run showed
    // (model/thp_deferred_split.ts), so each of them is compared and matches
    const after = lines.slice(munmap).filter((l) => l.includes('kmem:rss_stat:')).map((l) => Number(/size=(\d+)B/.exec(l)![1]));
    expect(after.length).toBe(32);
    expect(after.every((s, i) => (i === 0 ? sizes[sizes.length - 1]! : after[i - 1]!) - s === 8 * 4096)).toBe(true);
    expect(val.untraced_reclaim!.thp_splits).toBe(32);
    expect(val.matched).toBe(val.compared);
    expect(val.by_member.MM_ANONPAGES!.divergences).toBe(0);
  });
  it('thp_shrinker_4k (nothing reclaimed: the kernel split nothing) is unchanged: no bucket, 354/354', () => {
    expect(val4k.untraced_reclaim).toBeUndefined();
    expect([val4k.matched, val4k.compared]).toEqual([354, 354]);
  });
});
