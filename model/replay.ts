// The replay API: one parse feeds every variant's model; faults wait for their task's next event, which tells
// (when it is the kernel's own rss_stat) what the page cache held and what kind of memory an unknown VMA is.
//
//  traces/ (readers)   TraceEvent, time-ordered
//        │
//        ▼
//  createFanout ─────── holds each fault until its task's next event: the kernel's own rss_stat (FaultHint)
//        │  every event, in kernel order, to every engine
//        ├─────────────────────────┬───────────────────────┐
//        ▼                         ▼                       ▼
//  engine.ts (mainline)      engine.ts (--patch A)    engine.ts (--thp P ...)    one ModelCtx each;
//        │                                                                       patches/hooks.ts resolved once
//        ├─ fault ─────► fault_entry.ts     arch/x86/mm/fault.c: VMA (or inferred), access_error
//        │                 └► memory.ts, huge_memory.ts   mm/memory.c: __handle_mm_fault ... (mm/huge_memory.c)
//        ├─ sys_enter/exit ► syscall_effects.ts   mmap.ts, madvise.ts, mm.ts, populate.ts   (mm/mmap.c, mm/vma.c, ...)
//        ├─ newtask/fork/exit ► task_lifecycle.ts  fork.ts (kernel/fork.c dup_mmap, copy_page_range), mm.ts exit_mmap
//        ├─ exec ──────► exec.ts            fs/exec.c: bprm mm, acct_arg_size, exec_mmap
//        └─ rss_stat ──► rss_stat.ts        which mm, baselines of mms older than the trace
//        │                  └► (validate.ts only) rss_log.ts per-mm update log ─► validator's comparison
//        ▼
//  probes while running (model:fault/fork/exit/rss/cow_pte_break: analyze/, reports/)
//  finish(): VariantResult per engine (results.ts: peaks, finals, latency, series) ─► ReplayResult
//  (replay_threads.ts: several variants on several cores, a group of them per thread, all fed by one parse when it runs in the parse worker)
import type { EventSink, FaultEvent, ReadResult, TraceEvent } from '../traces/events.js';
import { X86_PF_SHSTK, X86_PF_WRITE } from '../traces/events.js';
import type { CostProfile } from './costs.js';
import { createEngine, type Engine, type FaultHint, type RssStatSink } from './engine.js';
import { DEFAULT_KERNEL } from './kernel_version.js';
import { machineFactsFor, type MachineFacts } from './machine.js';
import type { ReplayProbes, ReplayResult, VariantResult, VariantSpec } from './types.js';

export interface Replay {
  sink: EventSink;
  finish(read: ReadResult): ReplayResult;
}

export interface ReplayOptions {
  profile?: CostProfile | null;
  /** Bound on series points per process (default 400). */
  seriesPoints?: number;
  /** Read no hint from the trace (validate --blind's twin): faults are replayed on the model's own knowledge. */
  blind?: boolean;
  /** The machine facts the engines share (default: new ones from the first variant's zero-page setting). */
  machine?: MachineFacts;
  /**
   * Whether the first engine gathers the machine's evidence (default true); false on a worker of replay_threads.ts,
   * whose beforeRun puts the first thread's decision in force at the event it was made there.
   */
  detect?: boolean;
  /** Called before the engines get their n-th event (replay_threads.ts). */
  beforeRun?: (n: number) => void;
  /** Called once every engine has finished, with the number of events the engines got (replay_threads.ts). */
  afterFinish?: (runs: number) => void;
}

/** Mainline rules, THP as the trace shows it ('madvise' until it does) unless overrides give one, the zero page on, kernel 6.18, default selector, no patches. */
export function defaultVariant(overrides?: Partial<VariantSpec>): VariantSpec {
  const learn = overrides?.thp === undefined ? { thpFromTrace: true } : {};
  return { name: 'mainline', patches: [], thp: 'madvise', ...learn, useZeroPage: true, kernel: DEFAULT_KERNEL, select: '', patchOptions: {}, ...overrides };
}

/** A fault's error code bits that make it a write (arch/x86/mm/fault.c: X86_PF_WRITE, and a shadow-stack access). */
const WRITE_BITS = X86_PF_WRITE | X86_PF_SHSTK;

/** rss_stat events seen with no page-fault event before the replay takes the trace as fault-less (arm64, or faults not recorded). */
const NO_FAULTS_AFTER = 512;
/** Events held while deciding (a trace with neither faults nor rss_stat is replayed as before once this many are held). */
const MAX_EARLY = 65536;

/** How the fan-out reads hints: `blind` gives every fault no hint (pure prediction); `onHint` sees each event read as one. */
export interface FanoutOptions {
  blind?: boolean;
  onHint?: (hintEvent: TraceEvent) => void;
  /** Called before the engines get their n-th event (0-based; the same sequence for the same trace in every thread). */
  beforeRun?: (n: number) => void;
}

/** The fan-out and the fault-hint logic shared by replay and validate; engines get every event in order. */
export function createFanout(engines: Engine[], opts: FanoutOptions = {}): { sink: EventSink; flush(): void; first: number; last: number; runs: number; pageSizeNote(): string | undefined } {
  // Faults waiting right now (a handful: at most one per task, released by the task's next event or any other
  // task's state-changing event), and each faulting task's release order; entries leave `live` when resolved
  // (the reader's own event objects: readers make one per event and never change it once emitted, so no copy)
  const live: FaultEvent[] = [];
  // entries in use (live[0 .. n)): the array keeps its length, as setting it went to the runtime and a shrunk array
  // regrew on the next push (per fault; the 3M-event bench trace)
  let n = 0;
  const firstFault = new Map<number, number>(); // tid -> order of its first fault: faults released together run in it
  const lastKernel = new Map<number, number>();
  const hint: FaultHint = { member: -1, delta: 0, mmId: -1, fromPrev: true };
  const none: FaultHint = { member: -1, delta: 0, mmId: -1, fromPrev: true }; // (hint's shape: onFault's loads stay monomorphic)
  let sawRss = false;
  const st = { first: -1, last: 0 };
  // the trace's rss_stat sizes are in its own pages (--machine-page-size), whatever geometry a variant replays in
  const tracePage = engines.length ? 2 ** engines[0]!.ctx.traceGeo.pageShift : 4096;
  const sizes = { n: 0, off: 0, gcd: 0 }; // rss_stat sizes: how many, how many not whole machine pages, their gcd (while 16 KiB divides it)

  let runs = 0;
  const beforeRun = opts.beforeRun;
  function run(e: TraceEvent, h: FaultHint | null): void {
    if (beforeRun) beforeRun(runs);
    runs++;
    for (let i = 0; i < engines.length; i++) engines[i]!.handle(e, h);
  }

  /** Run waiting fault w (already out of `live`) with the hint its task's next event gives (null: none). */
  function release(w: FaultEvent, next: TraceEvent | null): void {
    // null: the trace says nothing (no rss_stat recorded); member -1: the kernel changed no counter for this fault
    let h: FaultHint | null = sawRss && !opts.blind ? none : null;
    if (next && next.kind === 'rss_stat' && next.curr && !opts.blind) {
      const key = next.mmId * 4 + next.member;
      const prev = lastKernel.get(key);
      const pages = next.size / tracePage;
      hint.member = next.member;
      hint.mmId = next.mmId;
      hint.delta = prev !== undefined ? pages - prev / tracePage : pages <= 16 ? pages : 0;
      hint.fromPrev = prev !== undefined;
      h = hint;
      opts.onHint?.(next);
    }
    run(w, h);
  }

  /** The fault of task tid waiting, if any, released with its next event as the hint. */
  function resolve(tid: number, next: TraceEvent): void {
    for (let i = 0; i < n; i++) {
      const w = live[i]!;
      if (w.tid !== tid) continue;
      // out of live by hand: splice would make an array of the removed entry for every resolved fault
      for (let j = i + 1; j < n; j++) live[j - 1] = live[j]!;
      n--;
      return release(w, next);
    }
  }

  /** Every fault waiting, in their tasks' first-fault order, with no hint from the trace; but those `by` (another
   * task's event) need not wait for: on another CPU, on another model mm (engine.ts: apart). */
  function releaseAll(by: TraceEvent | null): void {
    const byCpu = by ? by.cpu : -1, byTid = by ? by.tid : -1; // (read once: by is of any kind, its loads megamorphic)
    const byFault = by !== null && by.kind === 'fault', byPage = byFault ? Math.floor(by.address / tracePage) : -1;
    // insertion sort: live holds a few entries, mostly in order already
    for (let i = 1; i < n; i++) {
      const w = live[i]!, seq = firstFault.get(w.tid)!;
      let j = i - 1;
      for (; j >= 0 && firstFault.get(live[j]!.tid)! > seq; j--) live[j + 1] = live[j]!;
      live[j + 1] = w;
    }
    let kept = 0;
    for (let i = 0; i < n; i++) {
      const w = live[i]!;
      const otherCpu = byCpu >= 0 && w.cpu >= 0 && byCpu !== w.cpu && engines.length > 0;
      if (otherCpu && engines[0]!.apart(w.tid, byTid)) live[kept++] = w;
      // a read or instruction fetch, by a task of another mm than the event's on another CPU: it maps this mm's own
      // pages only (mm/memory.c do_read_fault, do_anonymous_page; no anon page's refcount that a fork-related mm's
      // write fault reads in wp_can_reuse_anon_folio), so neither depends on the other and it waits for its own rss_stat
      else if (otherCpu && w.errorCode >= 0 && (w.errorCode & WRITE_BITS) === 0 && engines[0]!.otherMm(w.tid, byTid)) live[kept++] = w;
      // a fault of another thread of the same mm on another CPU, on another page: the two ran concurrently and neither
      // depends on the other, so this one still waits for its own rss_stat (else it runs unhinted: an inferred VMA's
      // kind guessed, and with no zero page a read allocating a page the kernel counted as a file one)
      else if (otherCpu && byFault && Math.floor(w.address / tracePage) !== byPage && engines[0]!.sameMm(w.tid, byTid)) live[kept++] = w;
      // a thread of the same mm on another CPU ran concurrently: its event may come between this fault and the fault's
      // own rss_stat (mm/memory.c: the counter is updated and traced at the end of the fault), so it is no evidence
      // that the kernel changed no counter: the fault runs now (this event may depend on it) with no hint
      else if (otherCpu && engines[0]!.sameMm(w.tid, byTid)) run(w, null);
      else release(w, null);
    }
    n = kept;
  }

  // Whether the trace has page-fault events is decided before any event reaches the engines: up to the first fault,
  // or NO_FAULTS_AFTER rss_stat events without one (then RSS follows the kernel's counters: rss_stat.ts)
  let decided = false;
  const early: TraceEvent[] = [];
  let earlyRss = 0;
  const decide = (noFaults: boolean): void => {
    decided = true;
    if (noFaults) for (const en of engines) en.countersFromTrace();
    for (const e of early) inner(e);
    early.length = 0;
  };
  const sink: EventSink = (e) => {
    if (decided) return inner(e);
    early.push(e);
    if (e.kind === 'fault' || early.length >= MAX_EARLY) decide(false);
    else if (e.kind === 'rss_stat' && ++earlyRss >= NO_FAULTS_AFTER) decide(true);
  };

  const inner: EventSink = (e) => {
    // the header read once: e is of any kind, so each load here is megamorphic
    const kind = e.kind, time = e.time;
    if (st.first < 0) st.first = time;
    st.last = time;
    if (n) {
      resolve(e.tid, e);
      // another task's event that changes model state must see this fault applied first (kernel order); only
      // rss_stat and untyped events of other tasks may pass a pending fault, so its own rss_stat can still follow;
      // so may an event on another CPU of a task on another mm (perf -a, system-wide ftrace): it ran concurrently.
      // On the same CPU the fault ran first (a COW fault leaves no rss_stat: its page's refcount decides the other's)
      if (kind !== 'rss_stat' && kind !== 'other' && n) releaseAll(e);
    }
    if (kind === 'fault') {
      const tid = e.tid;
      if (!firstFault.has(tid)) firstFault.set(tid, firstFault.size);
      live[n++] = e;
      return;
    }
    if (kind === 'lost') for (const en of engines) en.lost();
    run(e, null);
    if (kind === 'rss_stat') {
      sawRss = true;
      const size = e.size;
      lastKernel.set(e.mmId * 4 + e.member, size);
      if (size > 0) {
        sizes.n++;
        if (size % tracePage) sizes.off++;
        // the note asks only whether 16 KiB (or 64 KiB) divides the gcd: once it does not, no later size can change that
        // (a divisor of a non-multiple is no multiple), so the gcd is left there (0.08 s a thread on the 3M bench trace)
        if (sizes.gcd % 16384 === 0) sizes.gcd = gcd(sizes.gcd, size);
      }
    }
  };
  return {
    sink,
    flush() {
      if (!decided) decide(earlyRss > 0);
      releaseAll(null);
    },
    get first() {
      return st.first;
    },
    get last() {
      return st.last;
    },
    get runs() {
      return runs;
    },
    pageSizeNote: () => pageSizeNote(sizes, tracePage),
  };
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
/** rss_stat events before the trace's own page size is read from their sizes' gcd (a 4 KiB kernel's are all 16 KiB multiples with odds 4^-64). */
const SIZES_FOR_A_GUESS = 64;

/**
 * What the trace's rss_stat sizes (whole pages of the kernel that recorded it: include/trace/events/kmem.h, size =
 * count << PAGE_SHIFT) say against --machine-page-size: sizes that are not whole pages of it, or, from a 4 KiB
 * assumption, sizes that are all whole 16 KiB / 64 KiB pages. Undefined when they agree (or are too few to tell).
 */
function pageSizeNote(s: { n: number; off: number; gcd: number }, page: number): string | undefined {
  const kib = (b: number): string => `${b / 1024} KiB`;
  if (s.off > 0) return `${s.off} of ${s.n} rss_stat sizes are not whole ${kib(page)} pages: the trace was recorded with smaller pages than --machine-page-size says`;
  if (s.n < SIZES_FOR_A_GUESS) return undefined;
  for (const big of [65536, 16384]) {
    if (big > page && s.gcd % big === 0) return `all ${s.n} rss_stat sizes are whole ${kib(big)} pages: recorded on a ${big / 1024}K-page kernel? replay it with --machine-page-size ${big / 1024}k (the model assumed ${kib(page)})`;
  }
  return undefined;
}

/** A replay of one trace through every variant. */
export function createReplay(variants: VariantSpec[], probes?: ReplayProbes, opts?: ReplayOptions, rssSink?: RssStatSink): Replay {
  // one machine for every variant (mainline's setting says whether the user gave it); the first engine gathers the evidence
  const machine = opts?.machine ?? machineFactsFor(variants[0]);
  const engines = variants.map((v, i) => createEngine(v, probes ?? {}, opts?.profile ?? null, opts?.seriesPoints ?? 400, rssSink ?? null, machine, i === 0 && opts?.detect !== false));
  const fan = createFanout(engines, { blind: opts?.blind, beforeRun: opts?.beforeRun });
  return {
    sink: fan.sink,
    finish(read: ReadResult): ReplayResult {
      fan.flush();
      const finishAll = (): VariantResult[] => {
        opts?.beforeRun?.(fan.runs); // finishing may still apply held events: the decision in force by then
        const v = engines.map((en) => en.finish(fan.last));
        opts?.afterFinish?.(fan.runs);
        return v;
      };
      const span = fan.first >= 0 ? fan.last - fan.first : 0;
      const note = fan.pageSizeNote();
      return {
        ...(note !== undefined ? { page_size_note: note } : {}),
        trace: read.file,
        format: read.format,
        lost_events: read.lostEvents,
        skipped_lines: read.skippedLines,
        span_ns: span,
        variants: finishAll(),
        machine: { ...machine },
      };
    },
  };
}
