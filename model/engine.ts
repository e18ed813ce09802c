// One variant's model driven by the event stream: builds the variant's context and dispatches each event to the file
// that mirrors the kernel code handling it (fault_entry, syscall_effects, task_lifecycle, exec, rss_stat).
import type { FaultEvent, RssStatEvent, TraceEvent } from '../traces/events.js';
import type { CostProfile } from './costs.js';
import { dropFileRead, endFileRead, newEngineState, onApartMms, type AssumptionKind } from './engine_state.js';
import { onExec } from './exec.js';
import { onFault, type FaultHint } from './fault_entry.js';
import { kernelRules } from './kernel_version.js';
import { mthpMasks } from './thpsize.js';
import { machineGeometry, useGeometry, variantGeometry } from './page_geometry.js';
import { createPages } from './pages.js';
import { resolveHooks } from './patches/hooks.js';
import { getPatch } from './patches/index.js';
import { faultsByPath, latencyByPath, noteCounterRun, noteCounters, notePoint } from './results.js';
import { logUpdate } from './rss_log.js';
import { flushHeld, onRssStat, relearnBaselines, type RssStatSink } from './rss_stat.js';
import { compileSelect } from './select.js';
import { userError } from '../traces/errors.js';
import type { Mm, ModelCtx } from './state.js';
import { callsReturned, onSysEnter, onSysExit, returnedBy } from './syscall_effects.js';
import { machineFactsFor, type MachineFacts } from './machine.js';
import { settleUnsure } from './untraced_clone_exec.js';
import { deferredSplits, endDeferredSplitRuns, followDeferredSplit } from './thp_deferred_split.js';
import { newLifecycleRecs, onExit, onFork, onNewTask } from './task_lifecycle.js';
import type { ReplayProbes, VariantResult, VariantSpec } from './types.js';

export type { FaultHint } from './fault_entry.js';
export type { BufferedRss, RssStatSink, RssStatUse } from './rss_stat.js';

export interface Engine {
  ctx: ModelCtx;
  /** Feed one event (faults carry the hint the replay read from the next event of the same task). */
  handle(e: TraceEvent, hint: FaultHint | null): void;
  /** Lost events: forget learnt baselines so they are learnt again. */
  lost(): void;
  /** The trace has no page-fault events: RSS counters follow the kernel's rss_stat from here on (model/rss_stat.ts). */
  countersFromTrace(): void;
  /** Nothing traced in flight for mm at the rss_stat event on `line` of task `tid` (validation's untraced-reclaim test). */
  quiet(line: number, tid: number, mm: Mm): boolean;
  finish(endTime: number): VariantResult;
  /** THPs split to follow the kernel's deferred split that untraced rss_stat decreases showed (thp_deferred_split.ts). */
  thpSplitsFollowed(): number;
  /** What the engine assumed where the trace did not say, counted (engine_state.ts: AssumptionKind). */
  assumed: Readonly<Record<AssumptionKind, number>>;
  /** Tasks a and b run on different known mms (engine_state.ts: onApartMms): their events need no mutual order. */
  apart(a: number, b: number): boolean;
  /** Whether tasks a and b are threads of one model mm (CLONE_VM). */
  sameMm(a: number, b: number): boolean;
  /** Whether tasks a and b are both known, on two different model mms (fork-related or not). */
  otherMm(a: number, b: number): boolean;
}

/** The variant's model; rssSink (validation) gets every rss_stat event with the model mm and log it belongs to. */
export function createEngine(spec: VariantSpec, probes: ReplayProbes, profile: CostProfile | null, seriesPoints: number, rssSink: RssStatSink | null, machine: MachineFacts = machineFactsFor(spec), detect = true): Engine {
  const patches = spec.patches.map((n) => {
    const p = getPatch(n);
    if (!p) throw userError(`unknown patch '${n}' (see faultline patches)`);
    return p;
  });
  const ctx: ModelCtx = {
    spec,
    machine,
    detect,
    rules: kernelRules(spec.kernel),
    mthp: { ...mthpMasks(spec.mthp), learn: spec.mthp === undefined },
    patches,
    hooks: resolveHooks(patches),
    selector: compileSelect(spec.select),
    pages: createPages(),
    probes,
    faultRec: {
      variant: spec.name, time: 0, cpu: 0, pid: 0, tid: 0, comm: '', address: 0, errorCode: 0, path: 'spurious', vmaStart: 0,
      vmaEnd: 0, vmaFlags: 0, pagesAllocated: 0, tablesAllocated: 0, latencyNs: 0, inferred: false,
    },
    rssRec: { variant: spec.name, time: 0, pid: 0, comm: '', member: 0, value: 0, delta: 0 },
    now: 0, curComm: '',
    rssWalk: 0,
    rssLogs: rssSink ? new WeakMap() : null,
    onRss: null,
    onRssRun: null,
    nextMmIdx: 1,
    geo: variantGeometry(spec),
    traceGeo: machineGeometry(spec),
    gupFaults: 0,
    userWrites: [],
    system: { pgtablesBytes: 0, pgtablesPeakBytes: 0 },
  };
  useGeometry(ctx.geo, ctx.traceGeo);
  for (const p of patches) p.init?.(ctx);
  const st = newEngineState(ctx, profile, seriesPoints, rssSink);
  const recs = newLifecycleRecs(spec.name);

  ctx.onRss = (mm) => {
    const p = st.procs.get(mm.ownerPid);
    if (p && !mm.dead) {
      noteCounters(p, mm.rss, mm.pgtablesBytes);
      notePoint(p, ctx.now, seriesPoints, false);
    }
    logUpdate(ctx, mm);
  };
  // (rss.ts addMmCounterPages calls it only when no validation log is kept: nothing for logUpdate)
  ctx.onRssRun = (mm, member, k) => {
    const p = st.procs.get(mm.ownerPid);
    if (p && !mm.dead) noteCounterRun(p, mm.rss, member, k, mm.pgtablesBytes, ctx.now, seriesPoints);
  };

  let liveLine = -1; // the line of the rss_stat event being handled now (held events are released later, on other lines)
  // tids inside a syscall (sys_enter seen; its exit or the thread's next event other than rss_stat not yet): a call is
  // applied at its first zap piece (syscall_effects.ts callBegan), so inMmCall alone does not say it is still running;
  // exit/exit_group too (kernel/exit.c: do_exit -> exit_mm zaps before sched_process_exit)
  const inCall = new Set<number>();
  /**
   * Nothing traced is in flight that moves mm's counters at this rss_stat event: it arrives live (not released after
   * a call), the mm is alive, and neither the event's task nor any task of the mm is in an mm call, clone, exec, exit
   * or an undecided fork/exec. Validation takes an unexplained decrease then as untraced reclaim.
   */
  function quiet(line: number, tid: number, mm: Mm): boolean {
    if (line !== liveLine || mm.dead) return false;
    const busy = (t: number): boolean => st.inMmCall.has(t) || st.inClone.has(t) || st.execs.has(t) || st.unsure.has(t) || st.held.has(t) || inCall.has(t);
    if (busy(tid)) return false;
    for (const t of st.tasks.values()) if (t.mm === mm && busy(t.tid)) return false;
    return true;
  }

  followDeferredSplit(st, quiet);

  // handle dispatches on the kind first: the union's nine shapes made every header load in one function megamorphic
  // (V8's stub cache, 4.5% of the 4-variant replay's samples); each kind's own function sees one shape
  function handle(e: TraceEvent, hint: FaultHint | null): void {
    useGeometry(ctx.geo, ctx.traceGeo); // this variant's kernel build (engines run one after another on each event)
    const kind = e.kind;
    if (kind === 'fault') return handleFault(e, hint);
    if (kind === 'rss_stat') return handleRss(e);
    return handleRare(e);
  }

  /** handle for a fault: the generic path below with the kind's branches taken. */
  function handleFault(e: FaultEvent, hint: FaultHint | null): void {
    const tid = e.tid, user = e.user;
    endDeferredSplitRuns(st, tid); // the mm's task moves on: split what its run showed
    // a user-mode fault: the call returned (arch/x86/mm/fault.c traces page_fault_user only when user_mode(regs), so
    // the thread was back in user space; a kernel-mode fault may be the call's own)
    if (inCall.size && user) inCall.delete(tid);
    const time = e.time;
    ctx.now = time;
    st.lastTime = time;
    ctx.curComm = e.comm;
    if (st.fileReadLive !== 0) endFileRead(st, tid);
    if (st.zapping.size) st.zapping.delete(tid); // the zap's call is over (syscall_effects.ts sets it again at its own exit)
    if (st.unsure.size) settleUnsure(st, e, hint); // a fork or exec with no syscall traced: this event may say which
    if (user && ((st.inMmCall.size !== 0 && st.inMmCall.has(tid)) || (st.inClone.size !== 0 && st.inClone.has(tid)))) callsReturned(st, e); // (returnedBy: a user fault)
    if (!user) st.sawKernelFault = true;
    return onFault(st, e, hint);
  }

  /** handle for an rss_stat: the generic path below with the kind's branches taken. */
  function handleRss(e: RssStatEvent): void {
    liveLine = e.line;
    const time = e.time;
    ctx.now = time;
    st.lastTime = time;
    ctx.curComm = e.comm;
    if (st.unsure.size) settleUnsure(st, e);
    // (returnedBy(rss_stat) is false: a call's own pieces)
    return onRssStat(st, e);
  }

  function handleRare(e: TraceEvent): void {
    endDeferredSplitRuns(st, e.tid); // the mm's task moves on: split what its run showed
    if (e.kind === 'sys_enter') inCall.add(e.tid);
    else if (e.kind === 'exit') inCall.delete(e.exitPid);
    // its exit, or its next event: the call returned
    else if (inCall.size) inCall.delete(e.tid);
    ctx.now = e.time;
    st.lastTime = e.time;
    ctx.curComm = e.comm;
    if (st.fileReadLive !== 0) endFileRead(st, e.tid);
    if (e.kind === 'exit' && st.fileRead.size !== 0) dropFileRead(st, e.tid);
    if (st.zapping.size) st.zapping.delete(e.tid); // the zap's call is over (syscall_effects.ts sets it again at its own exit)
    if (st.unsure.size) settleUnsure(st, e); // a fork or exec with no syscall traced: this event may say which
    // a call in flight whose sys_exit the trace has not shown: this event of the same thread says it returned
    if ((st.inMmCall.has(e.tid) || st.inClone.has(e.tid)) && returnedBy(e)) callsReturned(st, e);
    if (st.faultedSince.size) st.faultedSince.delete(e.tid);
    switch (e.kind) {
      case 'sys_enter':
        return onSysEnter(st, e);
      case 'sys_exit':
        return onSysExit(st, e);
      case 'newtask':
        return onNewTask(st, recs, e);
      case 'fork':
        return onFork(st, recs, e);
      case 'exec':
        return onExec(st, e);
      case 'exit':
        return onExit(st, recs, e);
      default:
        return;
    }
  }

  function finish(endTime: number): VariantResult {
    useGeometry(ctx.geo, ctx.traceGeo);
    endDeferredSplitRuns(st, null);
    for (const tid of st.held.keys()) flushHeld(st, tid);
    const processes = [...st.procs.values()].sort((a, b) => a.res.pid - b.res.pid);
    const series: VariantResult['series'] = {};
    for (const p of processes) {
      notePoint(p, endTime || st.lastTime, seriesPoints, true);
      p.res.faults = faultsByPath(p.paths);
      p.res.latency_ns = latencyByPath(p.paths);
      series[String(p.res.pid)] = p.series;
    }
    const latency_ns: VariantResult['latency_ns'] = latencyByPath(st.totals);
    return {
      name: spec.name,
      spec,
      processes: processes.map((p) => p.res),
      totals: { faults: faultsByPath(st.totals), rss_anon_peak_kb: st.sum.anonPeak, pgtables_peak_kb: st.sum.ptPeak, fault_latency_ns: st.faultLatency, fork_latency_ns: st.forkLatency, forks: st.forks,
        system_pgtables_peak_kb: ctx.system.pgtablesPeakBytes / 1024, system_pgtables_final_kb: ctx.system.pgtablesBytes / 1024 },
      latency_ns,
      series,
      marks: st.marks,
      inferred_faults: st.inferredFaults,
      ...(st.countersFromTrace !== null ? { rss_from_counters: st.countersFromTrace } : {}),
      ...(deferredSplits(st) > 0 ? { thp_splits_followed: deferredSplits(st) } : {}),
    };
  }

  const mmOf = (tid: number): Mm | undefined => st.tasks.get(tid)?.mm;
  return { ctx, handle, quiet, lost: () => (useGeometry(ctx.geo, ctx.traceGeo), relearnBaselines(st)), countersFromTrace: () => void (st.countersFromTrace ??= 0), finish, thpSplitsFollowed: () => deferredSplits(st), assumed: st.assumed, apart: (a, b) => onApartMms(st, a, b),
    sameMm: (a, b) => { const ma = mmOf(a); return ma !== undefined && ma === mmOf(b); },
    otherMm: (a, b) => { const ma = mmOf(a), mb = mmOf(b); return ma !== undefined && mb !== undefined && ma !== mb; } };
}
