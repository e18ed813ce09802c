// The analyzer's entry point: compile a program once, then feed it trace events and model probe records.
import type { EventSink, FaultEvent, RowSink, RssStatEvent, TraceEvent } from '../traces/events.js';
import { CLONE_THREAD } from '../traces/events.js';
import type { ReplayProbes } from '../model/types.js';
import { type CompiledBlock, type Ctx, type Runtime, compileAst } from './compile.js';
import { parse } from './parser.js';
import { isUserError } from '../traces/errors.js';
import { type BpftraceVersion, type OutputFormat, CURRENT_BPFTRACE, exitSeparator, formatMap } from './print.js';
import type { CsvWriter } from './tables.js';
import { type ModelProbeName, eventProbeName, inferSystem, matchesEvent } from './probes.js';

export type { BpftraceVersion, OutputFormat } from './print.js';
export { BPFTRACE_VERSIONS, CURRENT_BPFTRACE } from './print.js';

export interface CompileOptions {
  /** Name shown in error locations ('stdin' for -e programs, as bpftrace). */
  file?: string;
  format?: OutputFormat;
  /** Whose byte layout to print where bpftrace releases differ (default: the current release). */
  bpftrace?: BpftraceVersion;
  /** Receives output as it is produced (printf, print, and the maps at end); default: kept for output(). */
  write?: (s: string) => void;
  /** The system of a bare event name (ftrace text) the built-in rules do not place: the kernel's list (tracepoint_check.ts systemOfEvent). */
  systemOf?: (name: string) => string;
  /** The CSV writer, required with format 'csv' (analyze/tables.ts toCsv: arquero, imported only then). */
  csv?: CsvWriter;
}

export interface Program {
  /** Some probe reads trace events (tracepoint: / software:). */
  needsTrace: boolean;
  /** Some probe reads model records (model:*): the caller must run a replay with `probes`. */
  needsModel: boolean;
  /** Model probes used, so a replay can skip the others. */
  modelProbes: ModelProbeName[];
  /** Feed every trace event here, in time order (drives tracepoint, software and interval probes). */
  traceSink: EventSink;
  /** traceSink for faults and rss_stat by their parts (ReadOptions.rows), when the trace feeds nothing else. */
  traceRows: RowSink;
  /** Pass to createReplay: model:* probes. */
  probes: ReplayProbes;
  /** Run BEGIN blocks (call once, before the first event). */
  begin(): void;
  /** Run END blocks and print every map, as bpftrace does at exit; throws the refusal if a value could not be read. */
  end(): void;
  /** Output so far when no `write` was given. */
  output(): string;
  /** What the program asked for that faultline accepted and did not act on (`#include`, config keys), one line each. */
  notes: string[];
  /** Trace probes (as written) that matched no event in what was read: typos, or events the trace lacks. */
  unmatchedProbes(): string[];
}

interface Interval {
  period: number;
  next: number;
  run: (c: Ctx) => void;
  probe: string;
}

/** Compile a bpftrace-style program; throws a user error (detail: line:col and caret text, as bpftrace) on a bad program. */
export function compileProgram(src: string, opts: CompileOptions = {}): Program {
  const file = opts.file ?? 'stdin';
  const format = opts.format ?? 'text';
  const chunks: string[] = [];
  const version = opts.bpftrace ?? CURRENT_BPFTRACE;
  if (format === 'csv' && !opts.csv) throw new Error("compileProgram: format 'csv' needs opts.csv (analyze/tables.ts toCsv)");
  const rt: Runtime = { maps: new Map(), emit: opts.write ?? ((s) => void chunks.push(s)), format, version, stopped: false, refusal: null, csv: opts.csv ?? null };
  const ast = parse(src, file);
  const { blocks, nvars } = compileAst(ast, rt, src, file);
  // config = { print_maps_on_exit = false } stops the dump at exit (0.26 config.h); other keys tune a live run
  const printMapsOnExit = ast.config.print_maps_on_exit === undefined || Number(ast.config.print_maps_on_exit) !== 0;
  const notes = [
    ...ast.notes,
    ...Object.keys(ast.config)
      .filter((k) => k !== 'print_maps_on_exit')
      .map((k) => `${file}: config ${k} ignored: it tunes a live bpftrace run, not a recorded trace`),
  ];

  const ctx: Ctx = { model: false, ev: null, probe: '', time: 0, t0: -1, vars: new Array(nvars).fill(0), tgidOf: new Map() };
  const begins: CompiledBlock[] = [];
  const ends: CompiledBlock[] = [];
  const eventBlocks: { block: CompiledBlock; idx: number; matched: boolean }[] = [];
  const intervals: Interval[] = [];
  const model: Record<ModelProbeName, ((c: Ctx) => void)[]> = { fault: [], fork: [], exit: [], rss: [], cow_pte_break: [] };
  for (const b of blocks) {
    b.targets.forEach((t, idx) => {
      if (t.type === 'begin') begins.push(b);
      else if (t.type === 'end') ends.push(b);
      else if (t.type === 'interval') intervals.push({ period: t.periodNs, next: -1, run: b.run, probe: b.texts[idx].replace(/^i:/, 'interval:') });
      else if (t.type === 'model') for (const n of t.names) model[n].push(b.run);
      else eventBlocks.push({ block: b, idx, matched: false });
    });
  }

  // Handlers per (name, system), resolved on first sight of each pair: one Map lookup per event afterwards.
  type Handlers = { runs: ((c: Ctx) => void)[]; probe: string };
  const resolved = new Map<string, Map<string, Handlers>>();
  let name0 = '';
  let sys0 = '';
  let h0: Handlers | null = null;
  let name1 = '';
  let sys1 = '';
  let h1: Handlers | null = null;
  function resolve(name: string, system: string): Handlers {
    const sys = system || inferSystem(name) || (opts.systemOf ? opts.systemOf(name) : '');
    const runs: ((c: Ctx) => void)[] = [];
    for (const eb of eventBlocks) {
      if (!matchesEvent(eb.block.targets[eb.idx], sys, name)) continue;
      eb.matched = true;
      if (!runs.includes(eb.block.run)) runs.push(eb.block.run);
    }
    return { runs, probe: eventProbeName(sys, name) };
  }

  function tick(time: number): void {
    if (ctx.t0 < 0) {
      ctx.t0 = time;
      for (const iv of intervals) iv.next = time + iv.period;
    }
    for (const iv of intervals) {
      // Fire each period boundary the trace crossed, before the event that crossed it (trace time, not wall time).
      while (iv.next <= time && !rt.stopped) {
        ctx.model = false;
        ctx.ev = null;
        ctx.probe = iv.probe;
        ctx.time = iv.next;
        iv.run(ctx);
        iv.next += iv.period;
      }
    }
  }

  const hasIntervals = intervals.length > 0;
  const traceSink: EventSink = (e: TraceEvent) => {
    if (rt.stopped) return;
    if (e.kind === 'lost') return; // a ring-buffer loss marker, not a tracepoint hit (its time is borrowed)
    if (e.kind === 'newtask' && e.newPid > 0) {
      // kernel/fork.c: copy_process: a CLONE_THREAD child joins its creator's thread group
      const creator = e.pid > 0 ? e.pid : (ctx.tgidOf.get(e.tid) ?? e.tid);
      ctx.tgidOf.set(e.newPid, e.cloneFlags & CLONE_THREAD ? creator : e.newPid);
    }
    if (hasIntervals || ctx.t0 < 0) tick(e.time);
    const name = e.name;
    const system = e.system;
    let h: Handlers;
    // the last two (name, system) pairs first: faults and rss_stat alternate
    if (h0 !== null && name === name0 && system === sys0) h = h0;
    else if (h1 !== null && name === name1 && system === sys1) h = h1;
    else {
      let bySys = resolved.get(name);
      if (!bySys) resolved.set(name, (bySys = new Map()));
      let got = bySys.get(system);
      if (!got) bySys.set(system, (got = resolve(name, system)));
      h = got;
      name1 = name0;
      sys1 = sys0;
      h1 = h0;
      name0 = name;
      sys0 = system;
      h0 = h;
    }
    const runs = h.runs;
    if (runs.length === 0 || rt.stopped) return;
    ctx.model = false;
    ctx.ev = e;
    ctx.probe = h.probe;
    ctx.time = e.time;
    try {
      for (let i = 0; i < runs.length; i++) runs[i](ctx);
    } catch (err) {
      // a field this event does not carry (builtins.ts: fieldRefusal): stop, and let end() raise it
      if (!isUserError(err)) throw err;
      rt.refusal = err;
      rt.stopped = true;
    }
  };

  // One fault and one rss_stat filled in for every row (ReadOptions.rows), in decode.ts's key order: a block reads the
  // event while it runs and keeps values, never the event (builtins.ts), so no object per event is needed.
  const rowFault: FaultEvent = { kind: 'fault', name: '', system: '', time: 0, cpu: 0, pid: 0, tid: 0, comm: '', line: 0, user: false, address: 0, ip: 0, errorCode: 0 };
  const rowRss: RssStatEvent = { kind: 'rss_stat', name: '', system: '', time: 0, cpu: 0, pid: 0, tid: 0, comm: '', line: 0, mmId: 0, curr: false, member: 0, size: 0, throttled: false };
  /** The fields every event has, into the row record `e`. */
  const head = (e: FaultEvent | RssStatEvent, name: string, system: string, time: number, cpu: number, pid: number, tid: number, comm: string, line: number): void => {
    e.name = name;
    e.system = system;
    e.time = time;
    e.cpu = cpu;
    e.pid = pid;
    e.tid = tid;
    e.comm = comm;
    e.line = line;
  };
  const traceRows: RowSink = {
    fault(name, system, time, cpu, pid, tid, comm, line, user, address, ip, errorCode) {
      const e = rowFault;
      head(e, name, system, time, cpu, pid, tid, comm, line);
      e.user = user;
      e.address = address;
      e.ip = ip;
      e.errorCode = errorCode;
      traceSink(e);
    },
    rss(name, system, time, cpu, pid, tid, comm, line, mmId, curr, member, size, throttled) {
      const e = rowRss;
      head(e, name, system, time, cpu, pid, tid, comm, line);
      e.mmId = mmId;
      e.curr = curr;
      e.member = member;
      e.size = size;
      e.throttled = throttled;
      traceSink(e);
    },
  };

  function modelProbe(n: ModelProbeName): ((r: { time: number }) => void) | undefined {
    const runs = model[n];
    if (runs.length === 0) return undefined;
    const probe = `model:${n}`;
    return (r) => {
      if (rt.stopped) return;
      if (hasIntervals || ctx.t0 < 0) tick(r.time);
      ctx.model = true;
      ctx.ev = r;
      ctx.probe = probe;
      ctx.time = r.time;
      for (let i = 0; i < runs.length; i++) runs[i](ctx);
    };
  }

  const probes: ReplayProbes = {
    fault: modelProbe('fault'),
    fork: modelProbe('fork'),
    exit: modelProbe('exit'),
    rss: modelProbe('rss'),
    cowPteBreak: modelProbe('cow_pte_break'),
  };
  const modelProbes = (Object.keys(model) as ModelProbeName[]).filter((n) => model[n].length > 0);

  function runSpecial(list: CompiledBlock[], probe: string, time: number): void {
    for (const b of list) {
      ctx.model = false;
      ctx.ev = null;
      ctx.probe = probe;
      ctx.time = time;
      b.run(ctx);
    }
  }

  return {
    needsTrace: eventBlocks.length > 0,
    needsModel: modelProbes.length > 0,
    modelProbes,
    traceSink,
    traceRows,
    probes,
    begin() {
      runSpecial(begins, 'BEGIN', Math.max(ctx.t0, 0));
    },
    end() {
      if (rt.refusal) throw rt.refusal;
      rt.stopped = false;
      runSpecial(ends, 'END', ctx.time);
      // bpftrace prints every map at exit, by name (0.26 bpftrace.cpp: BPFtrace::run_special / 0.17 print_maps)
      const names = [...rt.maps.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      rt.emit(exitSeparator(format, version));
      if (!printMapsOnExit) names.length = 0;
      for (const n of names) {
        const s = formatMap(format, rt.maps.get(n)!, 0, 1, version, rt.csv);
        if (s) rt.emit(s);
      }
      rt.stopped = true;
    },
    notes,
    unmatchedProbes: () => [...new Set(eventBlocks.filter((eb) => !eb.matched).map((eb) => eb.block.texts[eb.idx]))],
    output: () => chunks.join(''),
  };
}
