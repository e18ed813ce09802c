// Measured latency where a trace carries it: function_graph durations of the fault handlers, kprobe/kretprobe
// pairs, and fork() timing from sys_enter_clone/sys_exit_clone pairs (or sched_process_fork when the exit is missing).
// Each measured fault keeps the time of the page_fault_user event it belongs to, so `validate` can join it with the
// model's FaultRecord (same tid and time) and compare modelled vs measured per path.
import type { EventSink, TraceEvent, OtherEvent } from '../../traces/events.js';
import { functionGraphLine, isFunctionGraph, type GraphLine } from '../../traces/function_graph.js';
import { probeCall } from '../../traces/kprobes.js';
import { CLONE_CALLS, CLONE_THREAD, CLONE_VFORK, CLONE_VM } from '../../model/flags.js';
import type { LatencySummary } from '../../model/types.js';
import { summarizeSamples } from '../../model/quantiles.js';

/** Functions whose duration is the fault's latency (arch/x86/mm/fault.c, mm/memory.c). */
export const FAULT_FUNCTIONS = ['handle_mm_fault', 'do_user_addr_fault', 'exc_page_fault', 'handle_page_fault', '__handle_mm_fault'];

/**
 * Pseudo-function for the span every trace with kmem:rss_stat has: the page_fault_user event (arch/x86/mm/fault.c:
 * exc_page_fault -> trace_page_fault_entries, after the trap's entry) to the fault's own counter update
 * (include/linux/mm.h: add_mm_counter, after the page was allocated and cleared or copied, before set_pte_at).
 * A lower bound of the kernel's part of the fault: no trap entry/exit, nothing after the counter update.
 */
export const FAULT_TO_RSS_STAT = 'fault_to_rss_stat';

export interface MeasuredFault {
  tid: number;
  /** Entry time of the measured call (ns). */
  time: number;
  durationNs: number;
  func: string;
  /** Time of the latest page_fault_user/kernel event on this tid before the call (-1: none, e.g. a GUP fault). */
  faultTime: number;
  address: number;
  errorCode: number;
  /** How the duration was measured. */
  source: 'function_graph' | 'kprobe' | 'rss_stat';
}

export interface MeasuredFork {
  pid: number;
  tid: number;
  time: number;
  childPid: number;
  durationNs: number;
  /** 'syscall': sys_enter..sys_exit; 'sched_process_fork': sys_enter..sched_process_fork (no exit seen). */
  source: 'syscall' | 'sched_process_fork';
  /**
   * The longest span between two consecutive events of the forking task once the copy had begun (its first update
   * of the child's counters, mm/memory.c copy_pte_range -> add_mm_rss_vec) when that one span is longer than all the
   * rest of the clone: a wait (preempted, or stalled outside the kernel), not copy work, as the copy's own pace in
   * the same fork shows; else 0.
   */
  waitNs: number;
  /**
   * What waitNs is: 'off_cpu', the time the task was switched out inside the clone (the trace records
   * sched:sched_switch: each switch-out to the task's next event or switch-in); 'same_cpu', no sched_switch but other
   * tasks' events on the cloning task's CPU inside the clone, which prove it was switched out (SameCpu: the first to
   * the last of each such run, or the longest-gap wait above when longer; at most waitMaxNs); 'longest_gap', the
   * heuristic above (neither: what the span was cannot be known).
   */
  waitFrom: 'off_cpu' | 'same_cpu' | 'longest_gap';
  /** The most waitNs can be: for 'same_cpu' the task's own event gaps that held other tasks' events; else waitNs. */
  waitMaxNs: number;
  /**
   * sys_exit_clone to the forking task's next sign of user mode (a user fault or a syscall): the return to user
   * space, which in a shadow-paging guest holds the host's resync of the tables fork write-protected (mm/memory.c
   * __copy_present_ptes -> wrprotect_ptes, kernel/fork.c dup_mmap -> flush_tlb_mm); -1 when the task showed none.
   */
  returnNs: number;
  /**
   * Of returnNs, the time switched out: measured (sched_switch recorded), or at least the runs of other tasks' events
   * on the parent's CPU (returnOffCpuFrom 'same_cpu'; returnOffCpuMaxNs the most it can be); null when neither shows any.
   */
  returnOffCpuNs: number | null;
  returnOffCpuFrom: 'off_cpu' | 'same_cpu' | null;
  returnOffCpuMaxNs: number | null;
}

/**
 * Off-CPU evidence without sched_switch: a task's events carry the CPU it ran on, so another task's event on that CPU
 * between two of its own says it was switched out (kernel/sched/core.c __schedule: one task per CPU at a time). Of
 * that gap, the first to the last foreign event is certainly off-CPU (minNs); the whole gap is the most (maxNs). A
 * gap that ends on another CPU (migrated) counts in maxNs only.
 */
interface SameCpu {
  cpu: number;
  last: number;
  first: number;
  lastForeign: number;
  minNs: number;
  maxNs: number;
  runs: number;
}

export interface MeasuredResult {
  /** Per function (handle_mm_fault, ...) and per error-code class ('read', 'write', 'write_protect', 'instr', 'gup'). */
  fault: Record<string, LatencySummary>;
  /** Each fork's duration in ns, in trace order (threads and vfork excluded). */
  fork: number[];
  faults: MeasuredFault[];
  forks: MeasuredFork[];
  /** Exits without a matching entry (trace started mid-call, lost events). */
  unmatched: number;
}

export interface MeasuredCollector {
  sink: EventSink;
  result(): MeasuredResult;
}


/** Percentile summary of durations (model/quantiles.ts: nearest rank). */
export function summariseDurations(ns: readonly number[]): LatencySummary {
  return summarizeSamples(ns);
}

/** x86 error code -> a coarse class (arch/x86/include/asm/trap_pf.h); the model's path is finer. */
export function errorClass(code: number, faultTime: number): string {
  if (faultTime < 0) return 'gup';
  if (code < 0) return 'unknown';
  if (code & 0x10) return 'instr';
  if (code & 0x2) return code & 0x1 ? 'write_protect' : 'write';
  return code & 0x1 ? 'read_protect' : 'read';
}

export interface MeasuredOptions {
  /** Called with each measured fault as it completes (the record is the caller's to keep). */
  onFault?: (m: MeasuredFault) => void;
  /** Keep every measured fault for result() (default true); false keeps memory bounded (use onFault instead). */
  keepFaults?: boolean;
}

/** One task's latest fault event (createMeasuredCollector). */
interface TidFault {
  time: number;
  address: number;
  errorCode: number;
  last: boolean;
  open: boolean;
}

/** Collects measured fault and fork latency from an event stream. Memory: one small stack per tid. */
export function createMeasuredCollector(opts: MeasuredOptions = {}): MeasuredCollector {
  const keep = opts.keepFaults !== false;
  const faults: MeasuredFault[] = [];
  // per tid, its latest fault event, changed in place (no record per fault: a million faults were 0.5 s of GC):
  // `last` while no handle_mm_fault call has claimed it, `open` (fault -> its rss_stat) while it is a user fault and
  // the task has had no other event since
  const tidFault = new Map<number, TidFault>();
  let opened = 0;
  const groups = new Map<string, number[]>();
  const add = (k: string, v: number) => {
    let g = groups.get(k);
    if (!g) groups.set(k, (g = []));
    g.push(v);
  };
  const emit = (m: MeasuredFault): void => {
    if (keep) faults.push(m);
    opts.onFault?.(m);
  };
  const forks: MeasuredFork[] = [];
  let unmatched = 0;
  // function_graph entries per tid (or cpu when the tid is unknown)
  const graph = new Map<number, { func: string; depth: number; time: number }[]>();
  // kprobe entries per tid and base name
  const probes = new Map<string, number[]>();
  const cloneEnter = new Map<number, { time: number; flags: number; last: number; gap: number; off: number }>();
  // sched:sched_switch: since when each switched-out task has been off the CPU; forks whose return is still open
  const switchedOut = new Map<number, number>();
  let sawSwitch = false;
  const returning = new Map<number, { fork: MeasuredFork; since: number; off: number }>();
  // same-CPU evidence per task in an open clone or return (SameCpu); by tid, with the kind of interval it is
  const watched = new Map<number, { clone?: SameCpu; ret?: SameCpu }>();
  const returnSame = new Map<MeasuredFork, SameCpu>();
  const watch = (tid: number, kind: 'clone' | 'ret', e: TraceEvent): void => {
    let w = watched.get(tid);
    if (!w) watched.set(tid, (w = {}));
    w[kind] = { cpu: e.cpu, last: e.time, first: -1, lastForeign: -1, minNs: 0, maxNs: 0, runs: 0 };
  };
  const unwatch = (tid: number, kind: 'clone' | 'ret'): SameCpu | undefined => {
    const w = watched.get(tid);
    const s = w?.[kind];
    if (w) (delete w[kind]), !w.clone && !w.ret && watched.delete(tid);
    return s;
  };
  const ownEvent = (s: SameCpu, e: TraceEvent): void => {
    if (s.first >= 0) (s.minNs += s.lastForeign - s.first), (s.maxNs += e.time - s.last), s.runs++;
    else if (e.cpu >= 0 && s.cpu >= 0 && e.cpu !== s.cpu) (s.maxNs += e.time - s.last), s.runs++;
    (s.cpu = e.cpu), (s.last = e.time), (s.first = -1), (s.lastForeign = -1);
  };
  const onWatched = (e: TraceEvent): void => {
    if (e.cpu < 0) return;
    for (const [tid, w] of watched) {
      if (tid === e.tid) {
        if (w.clone) ownEvent(w.clone, e);
        if (w.ret) ownEvent(w.ret, e);
        continue;
      }
      if (e.tid <= 0) continue; // the idle task's lines (ftrace <idle>-0) say nothing of who left
      // (two calls, not a loop over [w.clone, w.ret]: that array was made for every watched task at every event)
      if (w.clone) foreignEvent(w.clone, e);
      if (w.ret) foreignEvent(w.ret, e);
    }
  };
  const foreignEvent = (s: SameCpu, e: TraceEvent): void => {
    if (s.cpu === e.cpu) s.first < 0 ? (s.first = s.lastForeign = e.time) : (s.lastForeign = e.time);
  };
  // time a task was off the CPU, counted into its open clone or return
  const offCpu = (tid: number, until: number): void => {
    const since = switchedOut.get(tid);
    if (since === undefined) return;
    switchedOut.delete(tid);
    const c = cloneEnter.get(tid), r = returning.get(tid);
    if (c) c.off += until - since;
    if (r) r.off += until - since;
  };
  const childFlags = new Map<number, number>();
  const forkSeen = new Map<number, { time: number; childPid: number }>();

  const addFault = (e: TraceEvent, func: string, time: number, durationNs: number, source: MeasuredFault['source']) => {
    if (!FAULT_FUNCTIONS.includes(func) || !(durationNs >= 0)) return;
    const lf = tidFault.get(e.tid);
    // a fault event belongs to this call when it came at or after the previous measured call on this tid
    const f = lf && lf.last && lf.time <= time + 1 ? lf : undefined;
    emit({ tid: e.tid, time, durationNs, func, faultTime: f ? f.time : -1, address: f ? f.address : -1, errorCode: f ? f.errorCode : -1, source });
    if (f && func === 'handle_mm_fault') f.last = false;
  };

  const onGraph = (e: OtherEvent, g: GraphLine) => {
    const key = e.tid >= 0 ? e.tid : -1 - g.cpu;
    let st = graph.get(key);
    if (!st) graph.set(key, (st = []));
    if (g.kind === 'entry') st.push({ func: g.func, depth: g.depth, time: e.time });
    else if (g.kind === 'leaf') addFault(e, g.func, e.time, g.durationNs, 'function_graph'); // a leaf line carries the entry time
    else {
      // pop to the entry at this depth (or the named one with funcgraph-tail)
      let i = st.length - 1;
      while (i >= 0 && !(g.func ? st[i].func === g.func : st[i].depth === g.depth || g.depth < 0)) i--;
      if (i < 0) {
        if (g.func) addFault(e, g.func, e.time - g.durationNs, g.durationNs, 'function_graph');
        else unmatched++;
        return;
      }
      const ent = st[i];
      st.length = i;
      const dur = Number.isFinite(g.durationNs) ? g.durationNs : e.time - ent.time;
      addFault(e, ent.func, ent.time, dur, 'function_graph');
    }
  };

  const onOther = (e: OtherEvent) => {
    if (isFunctionGraph(e)) {
      const g = functionGraphLine(e);
      if (g) onGraph(e, g);
      return;
    }
    const p = probeCall(e);
    if (p) {
      const key = `${e.tid}/${p.func}`;
      let st = probes.get(key);
      if (!p.ret) {
        if (!st) probes.set(key, (st = []));
        st.push(e.time);
      } else if (st && st.length > 0) {
        const t0 = st.pop() as number;
        addFault(e, p.func, t0, e.time - t0, 'kprobe');
      } else unmatched++;
    }
  };

  const sink: EventSink = (e) => {
    if (e.kind === 'other' && e.name === 'sched_switch') {
      // kernel/sched/core.c __schedule -> trace_sched_switch: prev leaves the CPU, next comes on (a per-task
      // recording sees only its own switch-outs; its next event says it ran again)
      sawSwitch = true;
      const prev = typeof e.fields.prev_pid === 'number' ? e.fields.prev_pid : e.tid, next = e.fields.next_pid;
      if (typeof next === 'number') offCpu(next, e.time);
      offCpu(prev, e.time);
      if (prev > 0) switchedOut.set(prev, e.time);
    } else if (switchedOut.size) offCpu(e.tid, e.time);
    if (watched.size) onWatched(e);
    if (returning.size && (e.kind === 'sys_enter' || e.kind === 'sys_exit' || e.kind === 'exec' || e.kind === 'exit' || (e.kind === 'fault' && e.user))) {
      const r = returning.get(e.tid);
      if (r) {
        (r.fork.returnNs = e.time - r.since), (r.fork.returnOffCpuNs = r.off), returning.delete(e.tid);
        const s = unwatch(e.tid, 'ret');
        if (s && s.runs) returnSame.set(r.fork, s);
      }
    }
    if (cloneEnter.size) {
      // inside a clone: the spans between the forking task's events once the child's counters started moving
      const c = cloneEnter.get(e.tid);
      if (c && c.last >= 0) (c.gap = Math.max(c.gap, e.time - c.last)), (c.last = e.time);
      else if (c && e.kind === 'rss_stat' && !e.curr) c.last = e.time;
    }
    if (e.kind !== 'fault' && opened) {
      // anything else on the task ends the span; the fault's own counter update is the next event of the task, on its current mm
      const open = tidFault.get(e.tid);
      if (open && open.open) {
        open.open = false;
        opened--;
        if (e.kind === 'rss_stat' && e.curr) emit({ tid: e.tid, time: open.time, durationNs: e.time - open.time, func: FAULT_TO_RSS_STAT, faultTime: open.time, address: open.address, errorCode: open.errorCode, source: 'rss_stat' });
      }
    }
    switch (e.kind) {
      case 'fault': {
        let r = tidFault.get(e.tid);
        if (!r) tidFault.set(e.tid, (r = { time: 0, address: 0, errorCode: 0, last: false, open: false }));
        (r.time = e.time), (r.address = e.address), (r.errorCode = e.errorCode), (r.last = true);
        if (e.user !== r.open) (r.open = e.user), (opened += e.user ? 1 : -1);
        break;
      }
      case 'other':
        onOther(e);
        break;
      case 'sys_enter':
        if (CLONE_CALLS.has(e.call)) {
          const flags = e.call === 'clone' ? (e.args.clone_flags ?? e.args.flags ?? 0) : e.call === 'vfork' ? CLONE_VM | CLONE_VFORK : 0;
          cloneEnter.set(e.tid, { time: e.time, flags, last: -1, gap: 0, off: 0 });
          watch(e.tid, 'clone', e);
        }
        break;
      case 'newtask':
        childFlags.set(e.newPid, e.cloneFlags);
        break;
      case 'fork': {
        const en = cloneEnter.get(e.tid);
        if (en) forkSeen.set(e.tid, { time: e.time, childPid: e.childPid });
        break;
      }
      case 'sys_exit': {
        if (!CLONE_CALLS.has(e.call)) break;
        const en = cloneEnter.get(e.tid);
        cloneEnter.delete(e.tid);
        const same = unwatch(e.tid, 'clone');
        const seen = forkSeen.get(e.tid);
        forkSeen.delete(e.tid);
        if (e.ret <= 0) break; // the child's return (0) or a failed clone
        const start = e.enter ? e.enter.time : en ? en.time : -1;
        if (start < 0) {
          unmatched++;
          break;
        }
        const flags = childFlags.get(e.ret) ?? en?.flags ?? 0;
        childFlags.delete(e.ret);
        // threads share the mm (no dup_mmap); vfork's parent waits for the child's exec or exit
        if (flags & (CLONE_VM | CLONE_THREAD | CLONE_VFORK)) break;
        const gap = en && en.last >= 0 ? en.gap : 0;
        const waitNs = gap > e.time - start - gap ? gap : 0;
        const f: MeasuredFork = { pid: e.pid, tid: e.tid, time: start, childPid: e.ret, durationNs: e.time - start, source: 'syscall', waitNs, waitFrom: 'longest_gap', waitMaxNs: waitNs, returnNs: -1, returnOffCpuNs: null, returnOffCpuFrom: null, returnOffCpuMaxNs: null };
        // sched_switch recorded: the clone's measured off-CPU time is its wait (known, not guessed from a gap); else
        // other tasks' events on its CPU inside the clone: at least their runs, at most the gaps that held them
        if (sawSwitch) (f.waitNs = f.waitMaxNs = en ? en.off : 0), (f.waitFrom = 'off_cpu');
        // (the longest-gap wait when that is longer: a silent span of the copy that held another task's events was
        // a switch-out, and the copy itself updates the child's counters batch by batch)
        else if (same && same.runs) (f.waitNs = Math.max(same.minNs, waitNs)), (f.waitMaxNs = Math.max(same.maxNs, f.waitNs)), (f.waitFrom = 'same_cpu');
        forks.push(f);
        returning.set(e.tid, { fork: f, since: e.time, off: 0 });
        watch(e.tid, 'ret', e);
        break;
      }
      default:
        break;
    }
  };

  return {
    sink,
    result(): MeasuredResult {
      // a clone whose exit never came: fall back to its sched_process_fork time
      for (const [tid, s] of forkSeen) {
        const en = cloneEnter.get(tid);
        const flags = childFlags.get(s.childPid) ?? en?.flags ?? 0;
        if (en && !(flags & (CLONE_VM | CLONE_THREAD | CLONE_VFORK)))
          forks.push({ pid: -1, tid, time: en.time, childPid: s.childPid, durationNs: s.time - en.time, source: 'sched_process_fork', waitNs: 0, waitFrom: 'longest_gap', waitMaxNs: 0, returnNs: -1, returnOffCpuNs: null, returnOffCpuFrom: null, returnOffCpuMaxNs: null });
      }
      forkSeen.clear();
      // a trace that recorded sched_switch only after a fork's return began still says nothing of earlier ones; without
      // it, other tasks' events on the parent's CPU in the return are the evidence (SameCpu)
      for (const f of forks) {
        const s = returnSame.get(f);
        if (sawSwitch) (f.returnOffCpuFrom = f.returnNs >= 0 ? 'off_cpu' : null), (f.returnOffCpuMaxNs = f.returnOffCpuNs);
        else if (s) (f.returnOffCpuNs = s.minNs), (f.returnOffCpuMaxNs = s.maxNs), (f.returnOffCpuFrom = 'same_cpu');
        else f.returnOffCpuNs = null;
      }
      // classes come from handle_mm_fault when traced (nested handlers would count each fault twice)
      const classFunc = faults.some((x) => x.func === 'handle_mm_fault') ? 'handle_mm_fault' : faults.find((x) => x.source !== 'rss_stat')?.func;
      for (const m of faults) {
        add(m.func, m.durationNs);
        if (m.func === classFunc) add(errorClass(m.errorCode, m.faultTime), m.durationNs);
      }
      const fault: Record<string, LatencySummary> = {};
      for (const [k, v] of groups) fault[k] = summariseDurations(v);
      groups.clear();
      return { fault, fork: forks.map((f) => f.durationNs), faults, forks, unmatched };
    },
  };
}
