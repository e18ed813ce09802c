// Two cores for one trace: the text is parsed (and the per-CPU merge done) in a worker thread while the consumer's
// sink (info's counts, the model) runs on this one, fed through transferable batches (traces/batch.ts).
// readTrace uses it for a file of 64 MiB or more (8 MiB gzip'd) unless FAULTLINE_PARSE_WORKER=0 or the consumer takes rows
// (ReadOptions.rows: cheaper than the hand-off); never for stdin (the
// worker cannot share this thread's stream), nor on one core, nor for a binary (Perfetto) trace, which the worker hands back.
// Nor from a worker thread: replay's variant threads (model/replay_threads.ts) read the same parse through a tap instead.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { EventSink, ReadOptions, ReadResult, RowSink } from './events.js';
import { createBatchDecoder, releaseSlot, slotRefs } from './batch.js';
import { FaultlineError } from './errors.js';
import { pairSyscalls } from './syscalls.js';
import type { ReadTuning } from './read.js';
import type { SerializedError, WorkerInput, WorkerMessage } from './read_worker.js';

const WORKER = new URL('./read_worker.js', import.meta.url);

/**
 * The parse worker's young generation (MiB; V8 sizes it as 3 semi-spaces: 4 MiB each): little of what it allocates
 * survives a scavenge, but V8 grew its semi-spaces from 4 to 8 MiB on long traces only, a peak that grew with length.
 * Measured (bench children as replay runs them, 3 rounds): six cycles 161-171 MiB against 173-180 at V8's size, one
 * cycle 151-156 against 149-152; replay, info through the worker and 4 variants no slower; ftrace 415 MB 116-120 vs 132-135.
 */
const PARSE_WORKER_YOUNG_MB = 12;

function revive(e: SerializedError): Error {
  if (e.kind === 'faultline') {
    return new FaultlineError(e.errKind, e.reason, { file: e.file || undefined, line: e.line || undefined, hint: e.hint || undefined, exitCode: e.exitCode, detail: e.detail || undefined });
  }
  const err = new Error(e.message);
  err.stack = e.stack;
  return err;
}

/** Whether a parse worker can start here: a built worker module, and two cores (or FAULTLINE_PARSE_WORKER=1). */
export function parseWorkerAvailable(): boolean {
  // Under vitest the sources run as .ts and there is no compiled worker beside them.
  return (availableParallelism() >= 2 || process.env.FAULTLINE_PARSE_WORKER === '1') && existsSync(fileURLToPath(WORKER));
}

/**
 * One parse for several consumer threads: `feeds` go to the parse worker (readInWorker's `share`), `taps[i]` to the
 * i-th other thread, which reads with readTap. Every consumer gets every batch; a slot is reused once all have read it.
 */
export interface ParseShare {
  refs: Int32Array;
  feeds: MessagePort[];
  taps: MessagePort[];
}

/** A ParseShare for `others` consumer threads besides the one that calls readInWorker. */
export function shareParse(others: number): ParseShare {
  const feeds: MessagePort[] = [];
  const taps: MessagePort[] = [];
  for (let i = 0; i < others; i++) {
    const { port1, port2 } = new MessageChannel();
    feeds.push(port1);
    taps.push(port2);
  }
  return { refs: slotRefs(), feeds, taps };
}

/** A ParseShare whose parse will not happen (no worker, a binary trace): each tap is told to read the trace itself. */
export function unshare(share: ParseShare): void {
  for (const f of share.feeds) {
    f.postMessage({ type: 'binary' } satisfies WorkerMessage);
    f.close();
  }
}

/** Something the parse worker's messages arrive on: the Worker itself (its parent) or a tap. */
interface Source {
  on(event: 'message', listener: (m: WorkerMessage) => void): unknown;
}

/**
 * Feed `sink` from the parse worker's messages on `src` until its result: null when the worker hands the trace back
 * (binary) and this thread must read it itself. `stop` ends the wait from outside (the worker failed or exited).
 */
function consume(src: Source, refs: Int32Array, sink: EventSink, rows: RowSink | undefined, onProgress: ReadOptions['onProgress'], stop: (fail: (err: Error) => void) => void): Promise<ReadResult | null> {
  // Syscall pairing links an exit to its enter object: done here, after the batches are rebuilt.
  const decode = createBatchDecoder(pairSyscalls(sink), rows);
  return new Promise<ReadResult | null>((resolve, reject) => {
    let settled = false;
    const finish = (f: () => void): void => {
      if (settled) return;
      settled = true;
      f();
    };
    src.on('message', (m: WorkerMessage) => {
      if (settled) {
        // refused an event: the batches still coming are let go, so the worker never waits on this thread
        if (m.type === 'batch') releaseSlot(refs, m.batch.slot);
        return;
      }
      try {
        switch (m.type) {
          case 'batch':
            decode(m.batch);
            releaseSlot(refs, m.batch.slot);
            return;
          case 'progress':
            onProgress?.(m.bytes, m.total);
            return;
          case 'done':
            return finish(() => resolve(m.result));
          case 'binary':
            return finish(() => resolve(null));
          case 'error':
            return finish(() => reject(revive(m.error)));
        }
      } catch (err) {
        // The consumer refused an event: stop reading.
        finish(() => reject(err));
      }
    });
    stop((err) => finish(() => reject(err)));
  });
}

/**
 * Read `path` in a worker; null when this thread should read it itself (one core, no built worker, a binary trace).
 * With `share`, the worker also feeds the share's taps (each tap's thread calls readTap).
 */
export async function readInWorker(path: string, sink: EventSink, opts: ReadOptions & ReadTuning, share?: ParseShare): Promise<ReadResult | null> {
  if (!parseWorkerAvailable()) {
    if (share) unshare(share);
    return null;
  }
  const refs = share?.refs ?? slotRefs();
  const also = share?.feeds ?? [];
  const input: WorkerInput = { path, opts: { format: opts.format, merge: opts.merge }, progress: opts.onProgress !== undefined, also, refs };
  const worker = new Worker(WORKER, { workerData: input, transferList: also, resourceLimits: { maxYoungGenerationSizeMb: PARSE_WORKER_YOUNG_MB } });
  try {
    return await consume(worker, refs, sink, opts.rows, opts.onProgress, (fail) => {
      worker.on('error', fail);
      worker.on('exit', (code) => fail(new Error(`parse worker exited (${code}) before the end of ${path}`)));
    });
  } finally {
    await worker.terminate();
  }
}

/** The other side of a ParseShare tap, on its own thread: the same events as readInWorker's sink gets; null: read it yourself. */
export async function readTap(tap: MessagePort, refs: Int32Array, sink: EventSink): Promise<ReadResult | null> {
  const r = await consume(tap, refs, sink, undefined, undefined, (fail) => tap.on('close', () => fail(new Error('the parse worker closed its feed before the end'))));
  // (after an error the tap stays open and lets its batches go until the first thread ends the parse)
  tap.close();
  return r;
}
