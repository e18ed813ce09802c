import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { EventHeader, OtherEvent, TraceEvent } from '../../traces/events.js';
import { createMeasuredCollector, summariseDurations } from './measured.js';
import { createLatencyJoin } from './join.js';
import type { FaultRecord } from '../../model/types.js';

let line = 0;
function hdr(name: string, system: string, time: number, tid = 100, pid = 100): EventHeader {
  return { name, system, time, cpu: 0, pid, tid, comm: 'w', line: ++line };
}
function other(name: string, system: string, time: number, fields: OtherEvent['fields'], tid = 100): TraceEvent {
  return { ...hdr(name, system, time, tid), kind: 'other', fields };
}
function pf(time: number, address: number, errorCode: number, tid = 100): TraceEvent {
  return { ...hdr('page_fault_user', 'exceptions', time, tid), kind: 'fault', user: true, address, ip: 0x401000, errorCode };
}
/** The fork child's mm (id 9) copying a table: copy_pte_range's curr=0 rss_stat of member 1 (MM_ANONPAGES) at `size` bytes. */
function childRss(time: number, size = 4096): TraceEvent {
  return { ...hdr('rss_stat', 'kmem', time), kind: 'rss_stat', mmId: 9, curr: false, member: 1, size, throttled: false };
}

/** A collector that has seen a fork's sys_enter_clone at time 0 (task 100, CPU 0), and that event (its exit needs it). */
function cloneBegun(): { c: ReturnType<typeof createMeasuredCollector>; e: ReturnType<typeof enter> } {
  const c = createMeasuredCollector();
  const e = enter(0, 'clone', { clone_flags: 0x01200011 });
  c.sink(e);
  return { c, e };
}

describe('createMeasuredCollector: faults', () => {
  it('times handle_mm_fault from function_graph text and joins it to the fault event before it', () => {
    const c = createMeasuredCollector();
    c.sink(pf(1_000, 0x7f0000000000, 0x6));
    c.sink(other('function_graph', 'ftrace', 1_100, { text: ' 0)               |  handle_mm_fault() {' }));
    c.sink(other('function_graph', 'ftrace', 3_000, { text: ' 0)   1.900 us    |  }' }));
    c.sink(pf(10_000, 0x7f0000001000, 0x4));
    c.sink(other('function_graph', 'ftrace', 12_000, { text: ' 0)   0.800 us    |  handle_mm_fault();' }));
    const r = c.result();
    expect(r.faults).toHaveLength(2);
    expect(r.faults[0]).toMatchObject({ func: 'handle_mm_fault', durationNs: 1900, faultTime: 1_000, errorCode: 6, address: 0x7f0000000000 });
    expect(r.faults[1]).toMatchObject({ durationNs: 800, faultTime: 10_000, errorCode: 4 });
    expect(r.fault.handle_mm_fault).toEqual({ count: 2, total_ns: 2700, p50_ns: 800, p90_ns: 1900, p99_ns: 1900 });
    expect(r.fault.write.count).toBe(1);
    expect(r.fault.read.count).toBe(1);
  });
  it('reads structured funcgraph_entry/funcgraph_exit fields (calltime/rettime)', () => {
    const c = createMeasuredCollector();
    c.sink(other('funcgraph_entry', 'ftrace', 5_000, { func: 'handle_mm_fault', depth: 1 }));
    c.sink(other('funcgraph_exit', 'ftrace', 9_000, { func: 'handle_mm_fault', depth: 1, calltime: 5_000n, rettime: 8_500n }));
    const r = c.result();
    expect(r.faults).toEqual([expect.objectContaining({ func: 'handle_mm_fault', time: 5_000, durationNs: 3_500, faultTime: -1 })]);
    expect(r.fault.gup.count).toBe(1); // no trap event before it: a GUP fault
  });
  it('reads trace-cmd report funcgraph lines whose body the reader keeps as msg', () => {
    const c = createMeasuredCollector();
    c.sink(pf(900, 0x5000, 0x7));
    c.sink(other('funcgraph_entry', 'ftrace', 1_000, { msg: '|  handle_mm_fault() {' }));
    c.sink(other('funcgraph_entry', 'ftrace', 1_200, { msg: '0.300 us   |    __handle_mm_fault();' }));
    c.sink(other('funcgraph_exit', 'ftrace', 5_000, { msg: '4.000 us   |  }' }));
    const r = c.result();
    expect(r.faults.map((f) => [f.func, f.durationNs])).toEqual([['__handle_mm_fault', 300], ['handle_mm_fault', 4000]]);
    expect(r.fault.write_protect).toMatchObject({ count: 1, p50_ns: 4000 }); // classes from handle_mm_fault only
  });
  it('pairs kprobe and kretprobe per thread, nested calls innermost first', () => {
    const c = createMeasuredCollector();
    c.sink(other('handle_mm_fault', 'probe', 100, {}, 1));
    c.sink(other('handle_mm_fault', 'probe', 150, {}, 2));
    c.sink(other('handle_mm_fault__return', 'probe', 400, {}, 1));
    c.sink(other('handle_mm_fault__return', 'probe', 1150, {}, 2));
    c.sink(other('handle_mm_fault__return', 'probe', 2000, {}, 3)); // no entry: counted, not guessed
    // ftrace's automatic names
    c.sink(other('p_handle_mm_fault_0', 'kprobes', 3000, {}, 4));
    c.sink(other('r_handle_mm_fault_0', 'kprobes', 3250, {}, 4));
    const r = c.result();
    expect(r.faults.map((f) => [f.tid, f.durationNs])).toEqual([[1, 300], [2, 1000], [4, 250]]);
    expect(r.unmatched).toBe(1);
  });
  it('ignores functions that are not fault handlers', () => {
    const c = createMeasuredCollector();
    c.sink(other('function_graph', 'ftrace', 12_000, { text: ' 0)   0.800 us    |  vfs_read();' }));
    expect(c.result().faults).toHaveLength(0);
  });
});

function enter(time: number, call: string, args: Record<string, number>, tid = 100): TraceEvent & { kind: 'sys_enter' } {
  return { ...hdr(`sys_enter_${call}`, 'syscalls', time, tid), kind: 'sys_enter', call, args };
}
function exit(time: number, call: string, ret: number, en: (TraceEvent & { kind: 'sys_enter' }) | null, tid = 100): TraceEvent {
  return { ...hdr(`sys_exit_${call}`, 'syscalls', time, tid), kind: 'sys_exit', call, ret, enter: en };
}

describe('createMeasuredCollector: fork', () => {
  it('times a process fork from sys_enter_clone to the parent sys_exit_clone, skipping threads and the child return', () => {
    const c = createMeasuredCollector();
    const e1 = enter(1_000_000, 'clone', { clone_flags: 0x01200011 }); // glibc fork(): SIGCHLD|CHILD_SETTID|CHILD_CLEARTID
    c.sink(e1);
    c.sink({ ...hdr('task_newtask', 'task', 1_500_000), kind: 'newtask', newPid: 200, newComm: 'w', cloneFlags: 0x1200000 });
    c.sink(exit(3_000_000, 'clone', 200, e1));
    c.sink(exit(3_100_000, 'clone', 0, null, 200)); // the child's return
    const e2 = enter(4_000_000, 'clone', { clone_flags: 0x3d0f00 }); // pthread_create: CLONE_VM|CLONE_THREAD|...
    c.sink(e2);
    c.sink(exit(4_050_000, 'clone', 201, e2));
    const e3 = enter(5_000_000, 'vfork', {});
    c.sink(e3);
    c.sink(exit(9_000_000, 'vfork', 202, e3)); // vfork's parent waits for exec: not a fork cost
    const r = c.result();
    expect(r.fork).toEqual([2_000_000]);
    expect(r.forks[0]).toMatchObject({ childPid: 200, source: 'syscall' });
  });
  it("names one span inside the copy longer than all the rest of the clone as a wait; not the set-up before the copy", () => {
    const fork = (copyGapNs: number): number => {
      const { c, e } = cloneBegun();
      // 900 µs of dup_mmap set-up before the first copied table, then tables every 50 µs, one gap after the first
      c.sink(childRss(900_000, 4096));
      c.sink(childRss(900_000 + copyGapNs, 2 * 4096));
      c.sink(childRss(950_000 + copyGapNs, 3 * 4096));
      c.sink(exit(1_000_000 + copyGapNs, 'clone', 200, e));
      return c.result().forks[0]!.waitNs;
    };
    expect(fork(20_000_000)).toBe(20_000_000); // 20 ms against 1 ms of the rest: a wait
    expect(fork(50_000)).toBe(0); // the copy's own pace; the 900 µs set-up is not a span inside the copy
    expect(fork(900_000)).toBe(0); // 900 µs against 1 ms for the rest (set-up, copy, exit): not longer
  });
  it('with sched_switch recorded, the wait is the measured off-CPU time and the return after the clone is timed, its off-CPU part too', () => {
    const sw = (time: number, prev: number, next: number, tid = prev): TraceEvent => other('sched_switch', 'sched', time, { prev_comm: 'w', prev_pid: prev, prev_state: 'R+', next_comm: 'x', next_pid: next }, tid);
    const { c, e } = cloneBegun();
    c.sink(sw(1_000_000, 100, 7)); // preempted inside the copy ...
    c.sink(other('local_timer_entry', 'irq_vectors', 4_000_000, {})); // ... and running again: its next event (a per-task recording)
    c.sink(sw(5_000_000, 100, 7));
    c.sink(sw(6_000_000, 7, 100, 7)); // a system-wide recording also sees the switch back in
    c.sink(exit(10_000_000, 'clone', 200, e));
    c.sink({ ...hdr('page_fault_kernel', 'exceptions', 10_100_000), kind: 'fault', user: false, address: 0x7f00, ip: 0, errorCode: 3 }); // rseq's put_user: still the return
    c.sink(sw(12_000_000, 100, 7));
    c.sink(other('local_timer_entry', 'irq_vectors', 14_500_000, {}));
    c.sink(pf(20_000_000, 0x7ffc0000, 7)); // the first user fault after fork
    const f = c.result().forks[0]!;
    expect(f).toMatchObject({ durationNs: 10_000_000, waitNs: 4_000_000, waitFrom: 'off_cpu', returnNs: 10_000_000, returnOffCpuNs: 2_500_000 });
  });
  it('without sched_switch the return is timed but its off-CPU part is unknown (null); a return with no later user event stays -1', () => {
    const c = createMeasuredCollector();
    const e1 = enter(0, 'clone', { clone_flags: 0x01200011 });
    c.sink(e1);
    c.sink(exit(2_000_000, 'clone', 200, e1));
    c.sink(enter(5_000_000, 'wait4', {}));
    const e2 = enter(6_000_000, 'clone', { clone_flags: 0x01200011 });
    c.sink(e2);
    c.sink(exit(7_000_000, 'clone', 201, e2));
    const [a, b] = c.result().forks;
    expect(a).toMatchObject({ waitFrom: 'longest_gap', returnNs: 3_000_000, returnOffCpuNs: null });
    expect(b).toMatchObject({ returnNs: -1, returnOffCpuNs: null });
  });
  it('without sched_switch, another task\'s events on the forking task\'s CPU prove it was switched out: at least their first to last, at most the own gap that held them', () => {
    const on = (ev: TraceEvent, cpu: number): TraceEvent => ({ ...ev, cpu });
    const { c, e } = cloneBegun();
    c.sink(childRss(1_000_000)); // the copy under way: the task's own event, CPU 0
    c.sink(on(pf(2_000_000, 0x1000, 6, 300), 0)); // task 300 on CPU 0: task 100 is not running
    c.sink(on(pf(5_000_000, 0x2000, 6, 300), 0));
    c.sink(on(pf(5_500_000, 0x3000, 6, 400), 1)); // another CPU: says nothing of task 100
    c.sink(childRss(6_000_000)); // back on CPU 0
    c.sink(exit(8_000_000, 'clone', 200, e));
    c.sink(on(pf(9_000_000, 0x4000, 6, 200), 0)); // the child on the parent's CPU during the return
    c.sink(on(pf(11_000_000, 0x5000, 6, 200), 0));
    c.sink(pf(12_000_000, 0x7ffc0000, 7)); // the parent's first user fault after fork
    const f = c.result().forks[0]!;
    // clone: 2..5 ms certainly off (3 ms), the own gap 1..6 ms at most (5 ms); that gap is longer than the rest of the
    // 8 ms clone, so the longest-gap rule takes it whole (5 ms); return: 9..11 ms off, 8..12 ms at most
    expect(f).toMatchObject({ durationNs: 8_000_000, waitNs: 5_000_000, waitMaxNs: 5_000_000, waitFrom: 'same_cpu' });
    expect(f).toMatchObject({ returnNs: 4_000_000, returnOffCpuNs: 2_000_000, returnOffCpuMaxNs: 4_000_000, returnOffCpuFrom: 'same_cpu' });
  });
  it('a short switch-out inside a long copy: only its proven part is taken out (no gap is longer than the rest)', () => {
    const { c, e } = cloneBegun();
    for (let t = 1_000_000; t <= 10_000_000; t += 1_000_000) c.sink(childRss(t)); // the copy's pace: 1 ms per batch
    c.sink(pf(10_200_000, 0x1000, 6, 300)); // another task on CPU 0 inside the next 1 ms span
    c.sink(pf(10_500_000, 0x2000, 6, 300));
    c.sink(childRss(11_000_000));
    c.sink(exit(12_000_000, 'clone', 200, e));
    expect(c.result().forks[0]).toMatchObject({ waitNs: 300_000, waitMaxNs: 1_000_000, waitFrom: 'same_cpu' });
  });
  it('a silent span inside the copy that held another task\'s events and is longer than the rest of the clone is taken out whole', () => {
    const { c, e } = cloneBegun();
    c.sink(childRss(1_000_000));
    c.sink(pf(4_000_000, 0x1000, 6, 300)); // another task on CPU 0 for a moment (1 event) in a 9 ms silence
    c.sink(childRss(10_000_000, 8192));
    c.sink(exit(11_000_000, 'clone', 200, e));
    expect(c.result().forks[0]).toMatchObject({ waitNs: 9_000_000, waitMaxNs: 9_000_000, waitFrom: 'same_cpu' });
  });
  it('a task whose next event comes on another CPU was switched out for at most that gap, at least nothing known', () => {
    const { c, e } = cloneBegun();
    c.sink(exit(1_000_000, 'clone', 200, e));
    c.sink({ ...pf(3_000_000, 0x7ffc0000, 7), cpu: 1 });
    expect(c.result().forks[0]).toMatchObject({ returnNs: 2_000_000, returnOffCpuNs: 0, returnOffCpuMaxNs: 2_000_000, returnOffCpuFrom: 'same_cpu' });
  });
  it('falls back to sched_process_fork when the exit is missing', () => {
    const c = createMeasuredCollector();
    c.sink(enter(1_000, 'clone', { clone_flags: 0x11 }));
    c.sink({ ...hdr('sched_process_fork', 'sched', 5_000), kind: 'fork', parentPid: 100, parentComm: 'w', childPid: 300, childComm: 'w' });
    expect(c.result().forks).toEqual([expect.objectContaining({ childPid: 300, durationNs: 4_000, source: 'sched_process_fork' })]);
  });
});

describe('summaries', () => {
  it('nearest-rank percentiles', () => {
    const v = Array.from({ length: 100 }, (_, i) => (i + 1) * 10); // 10..1000
    expect(summariseDurations(v)).toEqual({ count: 100, total_ns: 50_500, p50_ns: 500, p90_ns: 900, p99_ns: 990 });
  });
  it('joins measured faults to modelled paths by tid and fault time (analyze/latency/join.ts, as validate does)', () => {
    const join = createLatencyJoin();
    const c = createMeasuredCollector({ keepFaults: false, onFault: join.onMeasuredFault });
    const modelled = (time: number, path: string) => join.onModelFault({ tid: 100, time, path, latencyNs: 1 } as FaultRecord);
    c.sink(pf(1_000, 0x1000, 6));
    modelled(1_000, 'anon_alloc');
    c.sink(other('function_graph', 'ftrace', 2_000, { text: ' 0)   2.000 us    |  handle_mm_fault();' }));
    c.sink(pf(5_000, 0x2000, 7));
    modelled(5_000, 'wp_page_copy');
    c.sink(other('function_graph', 'ftrace', 9_000, { text: ' 0)   3.000 us    |  handle_mm_fault();' }));
    const by = join.finish([]).faults.handle_mm_fault!;
    expect(by.anon_alloc!.measured).toMatchObject({ count: 1, total_ns: 2000 });
    expect(by.wp_page_copy!.measured).toMatchObject({ count: 1, total_ns: 3000 });
  });
});

// The recorded fork fixture: the syscall pair lies inside the workload's own clock readings around fork().
describe('fork fixture (real trace)', () => {
  const dir = fileURLToPath(new URL('../../traces/fixtures/workloads/fork_1g/', import.meta.url));
  const readerPath = fileURLToPath(new URL('../../traces/read.ts', import.meta.url));
  const ready = existsSync(`${dir}truth.ftrace.json`) && existsSync(readerPath);
  it.skipIf(!ready)('measures the 1 GiB fork from sys_enter_clone/sys_exit_clone within the workload clock', async () => {
    const { readTrace } = (await import('../../traces/read.js')) as { readTrace: (p: string, s: (e: TraceEvent) => void) => Promise<unknown> };
    for (const backend of ['ftrace', 'perf']) {
      const truth = JSON.parse(readFileSync(`${dir}truth.${backend}.json`, 'utf8')) as { checkpoints: { label: string; fork_ns?: number; child_pid?: number }[] };
      const parent = truth.checkpoints.find((c) => c.label === 'parent_after_fork');
      expect(parent?.fork_ns).toBeGreaterThan(0);
      const c = createMeasuredCollector();
      await readTrace(`${dir}${backend}.txt.gz`, c.sink);
      const forks = c.result().forks.filter((f) => f.childPid === parent!.child_pid);
      expect(forks).toHaveLength(1);
      // sys_enter comes after the workload's t0 and sys_exit before the parent's t1
      expect(forks[0].durationNs).toBeGreaterThan(0);
      expect(forks[0].durationNs).toBeLessThanOrEqual(parent!.fork_ns!);
    }
  });
  // the parent's next user fault after sys_exit_clone comes before its t1 = clock_gettime after fork() (its own
  // stack write in glibc's fork), so clone + return is the parent's clock less a few µs of user code
  for (const m of ['workloads', 'workloads_m2'])
    it.skipIf(!ready)(`${m}/fork_1g: the clone and the return after it add up to the parent's own clock around fork() (within 1%)`, async () => {
      const d = fileURLToPath(new URL(`../../traces/fixtures/${m}/fork_1g/`, import.meta.url));
      const { readTrace } = (await import('../../traces/read.js')) as { readTrace: (p: string, s: (e: TraceEvent) => void) => Promise<unknown> };
      const truth = JSON.parse(readFileSync(`${d}truth.perf.json`, 'utf8')) as { checkpoints: { label: string; fork_ns?: number; child_pid?: number }[] };
      const parent = truth.checkpoints.find((c) => c.label === 'parent_after_fork')!;
      const c = createMeasuredCollector();
      await readTrace(`${d}perf.txt.gz`, c.sink);
      const f = c.result().forks.find((x) => x.childPid === parent.child_pid)!;
      // no sched_switch recorded, but the child's events on the parent's CPU [000] inside the return prove the parent
      // was off it from the first to the last of them; read off the raw text with awk (tid != parent, CPU [000],
      // between the parent's sys_exit_clone and its next user fault): 1506.758125263..1506.810020075 and
      // 961.101972337..961.411990048
      expect(f.returnOffCpuFrom).toBe('same_cpu');
      expect(f.returnOffCpuNs).toBe(m === 'workloads' ? 810_020_075 - 758_125_263 : 411_990_048 - 101_972_337);
      expect(f.returnNs).toBeGreaterThan(f.durationNs / 2); // the return is no rounding error: ~94 and ~406 ms
      const sum = f.durationNs + f.returnNs;
      expect(sum).toBeLessThanOrEqual(parent.fork_ns!);
      expect(sum).toBeGreaterThan(0.99 * parent.fork_ns!);
    });
});
