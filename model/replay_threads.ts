// Several variants on several cores: the variants split into groups in order, the first group (mainline first) on this
// thread and each other group on a worker_thread; results joined in variant order. When this thread's trace is parsed
// in the parse worker, that one parse feeds every group (traces/read_parallel.ts: shareParse); otherwise each worker
// reads the trace itself, and then one core goes to the first group's parse worker.
import { existsSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker, type MessagePort } from 'node:worker_threads';
import type { ReadOptions, ReadResult, TraceFormat } from '../traces/events.js';
import { parsedInWorker, readTrace, STDIN } from '../traces/read.js';
import { shareParse, type ParseShare } from '../traces/read_parallel.js';
import type { CostProfile } from './costs.js';
import { machineFactsFor, type MachineFacts } from './machine.js';
import { createReplay, type ReplayOptions } from './replay.js';
import type { ReplayProbes, ReplayResult, VariantResult, VariantSpec } from './types.js';

/** What a worker is given: its variants and how to read and price them (all structured-clonable). */
export interface GroupJob {
  trace: string;
  format?: TraceFormat;
  variants: VariantSpec[];
  profile: CostProfile | null;
  seriesPoints?: number;
  blind?: boolean;
  /** The machine facts mainline's thread starts from (machineFactsFor: its --machine-no-zero-page, its given THP policy). */
  machine: MachineFacts;
  /** Shared with the first thread while its mainline may still decide a machine fact (Int32Array over it: GATE_*); null: nothing to wait for. */
  gate: SharedArrayBuffer | null;
  /** This group's tap on the first thread's parse (traces/read_parallel.ts readTap), null: read the trace itself. */
  tap: { port: MessagePort; refs: Int32Array } | null;
}

/** What a worker answers: its variants' results, or the error that stopped it. */
export type GroupAnswer = { variants: VariantResult[] } | { error: string };

// The first thread's progress, as Int32 slots of the shared gate: events its engines have had, then per machine fact
// (zero page, THP without / with VM_HUGEPAGE) the event during which mainline decided it (-1: not yet) and what (1/0).
const FACTS = ['zeroPage', 'thpUnhinted', 'thpHinted'] as const;
export const GATE_DONE = 0, GATE_SLOTS = 1 + 2 * FACTS.length;
const atSlot = (k: number): number => 1 + 2 * k, valueSlot = (k: number): number => 2 + 2 * k;
/** The zero page's decision slot (the first fact's): -1 until decided. */
export const GATE_AT = atSlot(0);
/** Events between two progress notes of the first thread (a worker behind it never waits; one ahead waits this long at most). */
const NOTE_EVERY = 256;

/** A fresh gate: every fact undecided. */
export function newGate(): SharedArrayBuffer {
  const buf = new SharedArrayBuffer(GATE_SLOTS * 4);
  const g = new Int32Array(buf);
  for (let k = 0; k < FACTS.length; k++) Atomics.store(g, atSlot(k), -1);
  return buf;
}

/**
 * The first thread's side of the gate: after each event, which machine facts mainline has decided (model/machine.ts:
 * the first detecting engine decides, every variant reads them), so a worker's variants see each decision at the same event.
 */
export function publisher(g: Int32Array, machine: MachineFacts): { beforeRun(n: number): void; afterFinish(runs: number): void } {
  const told = FACTS.map((f) => machine[f] !== null); // given (an override): the worker starts with it too
  let left = told.filter((t) => !t).length;
  const tellNew = (at: number): void => {
    for (let k = 0; k < FACTS.length; k++) {
      const v = machine[FACTS[k]!];
      if (told[k] || v === null) continue;
      told[k] = true;
      left--;
      Atomics.store(g, valueSlot(k), v ? 1 : 0);
      Atomics.store(g, atSlot(k), at);
      Atomics.notify(g, GATE_DONE);
    }
  };
  // whether a fact not yet told is decided now: three field reads per event, not tellNew's keyed loop (a fact this
  // trace never decides keeps the gate open to the end: the 3M-event bench trace, 0.36 s of the first thread's CPU)
  const fresh = (): boolean => (machine.zeroPage !== null && !told[0]) || (machine.thpUnhinted !== null && !told[1]) || (machine.thpHinted !== null && !told[2]);
  return {
    beforeRun(n) {
      if (left === 0) return;
      if (fresh()) tellNew(n - 1); // decided during the previous event
      if (n % NOTE_EVERY === 0) {
        Atomics.store(g, GATE_DONE, n);
        Atomics.notify(g, GATE_DONE);
      }
    },
    afterFinish(runs) {
      if (left > 0) tellNew(runs); // decided while finishing (held events applied)
      Atomics.store(g, GATE_DONE, runs + 1);
      Atomics.notify(g, GATE_DONE);
    },
  };
}

/** A worker's side: before its n-th event, each of the first thread's decisions made by then (waits until that is known). */
export function follower(g: Int32Array, machine: MachineFacts): (n: number) => void {
  const settled = FACTS.map((f) => machine[f] !== null); // given: nothing to wait for
  let left = settled.filter((t) => !t).length;
  // events below this need no look at the gate: every decision at or before them is known and applied (a compare per
  // event instead of two atomic loads: a fact this trace never decides keeps the gate open to the end)
  let clearBelow = 0;
  return (n) => {
    if (left === 0 || n < clearBelow) return;
    for (;;) {
      // the progress note first: a decision made before event `done` was published before the note (publisher), so
      // a fact still unknown after it is decided at `done` or later
      const done = Atomics.load(g, GATE_DONE);
      let unknown = false;
      let next = Infinity; // the earliest decision known but not yet in force
      for (let k = 0; k < FACTS.length; k++) {
        if (settled[k]) continue;
        const at = Atomics.load(g, atSlot(k));
        if (at < 0) {
          unknown = true;
          continue;
        }
        if (n < at) {
          next = Math.min(next, at);
          continue;
        }
        machine[FACTS[k]!] = Atomics.load(g, valueSlot(k)) === 1;
        settled[k] = true;
        left--;
      }
      if (!unknown) return void (clearBelow = next);
      if (done > n) return void (clearBelow = Math.min(done, next));
      Atomics.wait(g, GATE_DONE, done, 50);
    }
  };
}

/**
 * A trace file smaller than this replays on one thread unless FAULTLINE_THREADS says otherwise: a worker costs about
 * 0.9 s of CPU to start (its modules; measured on a 0.3 MiB fixture with 4 variants: 1.9 -> 2.9 s), more than it saves there.
 */
export const THREADS_FROM_BYTES = 16 * 1024 * 1024;

/**
 * Groups for `cores` cores. Beside a shared parse (traces/read_parallel.ts: one parse worker feeds every group), at least
 * two: since the perf script reader reads bytes (traces/bytes.ts) the parse worker leaves most of its core idle while one
 * group's engines run, so a second group wins on 2 cores (3M-event bench trace, mainline + 3 patches, this EPYC guest:
 * replayVariants 15.0 / 16.5 / 16.0 / 15.7 s wall with one group, 14.4 / 12.9 / 13.7 / 10.7 s with two; `faultline
 * replay --patch cow-pte,eager-populate,memset` 27.5 / 28.6 s against 23.3 / 22.6 s), though it costs CPU (20 -> 24 s).
 * (With the string reader, at 5bd171f, it did not: two groups 5.643 s wall / 10.067 s CPU, one 5.326 s / 8.157 s.)
 * Without a shared parse, one core goes to the first group's parse worker (unless FAULTLINE_PARSE_WORKER=0), and each
 * other group parses again on its own thread, which costs more still (600k-event trace: one group 5.52 s of thread CPU
 * in all, two groups 8.13).
 */
const groupsFor = (cores: number, shared: boolean): number => (shared ? Math.max(2, cores - 1) : process.env.FAULTLINE_PARSE_WORKER === '0' ? cores : cores - 1);

/**
 * Threads for `variants` variants of a `bytes`-byte trace file, its parse shared by the groups or not: FAULTLINE_THREADS
 * if set, else groupsFor(cores) for a large file; never more than the variants.
 */
export function replayThreads(variants: number, bytes: number, shared = false, cores = availableParallelism()): number {
  const env = Number(process.env.FAULTLINE_THREADS);
  const want = Number.isInteger(env) && env >= 1 ? env : bytes >= THREADS_FROM_BYTES ? groupsFor(cores, shared) : 1;
  return Math.max(1, Math.min(want, variants));
}

const WORKER = new URL('./replay_worker.js', import.meta.url);

/** The file's size, 0 when it cannot be read (readTrace then says why). */
function fileBytes(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/**
 * Replay `trace` through `variants` on up to replayThreads() threads: the same ReplayResult as createReplay on one
 * thread. Probes see the first group's variants only (mainline's thread: the fault-time sanity check). One thread
 * when there is one core, one variant, a small file, stdin (it cannot be read twice) or no built worker (running from sources).
 */
export async function replayVariants(trace: string, variants: VariantSpec[], probes: ReplayProbes, opts: ReplayOptions & { format?: TraceFormat }, readOpts: ReadOptions = {}): Promise<{ result: ReplayResult; read: ReadResult }> {
  const alone = trace === STDIN || variants.length < 2 || !existsSync(fileURLToPath(WORKER));
  const shared = !alone && (await parsedInWorker(trace));
  const threads = alone ? 1 : replayThreads(variants.length, fileBytes(trace), shared);
  const read1 = async (vs: VariantSpec[], o: ReplayOptions, share?: ParseShare): Promise<{ result: ReplayResult; read: ReadResult }> => {
    const rp = createReplay(vs, probes, o);
    const read = await readTrace(trace, rp.sink, { ...readOpts, format: opts.format }, share);
    return { result: rp.finish(read), read };
  };
  if (threads <= 1) return read1(variants, opts);

  // variants dealt in turn, mainline first in the first group (the probes' group; never the smaller one): 4 variants
  // on 2 threads: 0 2 | 1 3. The patched variants cost more than mainline, the populating ones (eager-populate, memset)
  // the most, and the patch list puts them last: dealt in turn, no group gets all of them.
  const groups: VariantSpec[][] = Array.from({ length: threads }, () => []);
  variants.forEach((v, i) => groups[i % threads]!.push(v));
  const machine0 = machineFactsFor(variants[0]); // createReplay's, made here to be watched
  // a worker waits on mainline's decisions only when they can matter: undecided at the start and some variant of its
  // wants the zero page or follows the trace's THP policy
  const later = groups.slice(1).flat();
  const needGate = (machine0.zeroPage === null && later.some((v) => v.useZeroPage)) || ((machine0.thpUnhinted === null || machine0.thpHinted === null) && later.some((v) => v.thpFromTrace));
  const gate = needGate ? newGate() : null;
  const g = gate ? new Int32Array(gate) : null;

  const share = shared ? shareParse(groups.length - 1) : undefined;
  const workers = groups.slice(1).map((vs, i) => {
    const tap = share ? { port: share.taps[i]!, refs: share.refs } : null;
    const job: GroupJob = { trace, format: opts.format, variants: vs, profile: opts.profile ?? null, seriesPoints: opts.seriesPoints, blind: opts.blind, machine: { ...machine0 }, gate, tap };
    const w = new Worker(WORKER, { workerData: job, transferList: tap ? [tap.port] : [] });
    const answer = new Promise<VariantResult[]>((resolve, reject) => {
      w.once('message', (a: GroupAnswer) => ('error' in a ? reject(new Error(`replay worker: ${a.error}`)) : resolve(a.variants)));
      w.once('error', reject);
      w.once('exit', (code) => reject(new Error(`replay worker exited (${code}) without an answer`)));
    });
    answer.catch(() => undefined); // awaited below, after this thread's own replay
    return { w, answer };
  });
  try {
    const pub = g ? publisher(g, machine0) : null;
    const first = await read1(groups[0]!, { ...opts, machine: machine0, ...(pub ? { beforeRun: pub.beforeRun, afterFinish: pub.afterFinish } : {}) }, share);
    const rest = await Promise.all(workers.map((x) => x.answer));
    // back in variant order: group g holds variants g, g + threads, ...
    const answers = [first.result.variants, ...rest];
    first.result.variants = variants.map((_, i) => answers[i % threads]![Math.floor(i / threads)]!);
    return first;
  } finally {
    for (const x of workers) void x.w.terminate();
  }
}
