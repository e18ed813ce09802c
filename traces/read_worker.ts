// The parse worker's entry (traces/read_parallel.ts starts it): reads one text trace with the one-thread reader and
// posts its events in batches (traces/batch.ts), then the ReadResult, to its parent and to any further consumer thread
// (model/replay_threads.ts: one parse for every variant group); a binary trace is handed back unread. A rider (a
// consumer on this same thread, loaded from the module its spec names: traces/ knows no model) gets each batch's events
// one batch behind their post, then answers once the parse is done.
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { createBatchDecoder, createEncoder, MAX_BUFFERS, RELEASED, releaseSlot, type Batch } from './batch.js';
import { pairSyscalls } from './syscalls.js';
import { NOT_TEXT, readHere, type ReadTuning } from './read.js';
import { FaultlineError } from './errors.js';
import type { EventSink, ReadOptions, ReadResult } from './events.js';

/** A consumer run on the parse worker's thread: `module` exports startRider(data) -> RiderRun. */
export interface RiderSpec {
  module: string;
  data: unknown;
}

/** What a rider module's startRider gives: a sink for the events (as a consumer's: rebuilt from the batches, syscalls
 * paired) and its answer once every event has been given (structured-clonable; `{ error }` if its sink threw). */
export interface RiderRun {
  sink: EventSink;
  finish(result: ReadResult): unknown;
}

/** What the consumer's thread sends the worker. */
export interface WorkerInput {
  path: string;
  opts: Pick<ReadOptions, 'format'> & ReadTuning;
  progress: boolean;
  /** Further consumers: each gets every batch, the result and any error on its port, as the parent does. */
  also: MessagePort[];
  /** Slot counts shared with the consumers (slotRefs()): a slot is free again once every consumer has read its batch. */
  refs: Int32Array;
  /** A consumer on this thread (its answer comes as a `ridden` message after `done`), or null. */
  rider: RiderSpec | null;
}

/** Messages from the worker, in order. */
export type WorkerMessage =
  | { type: 'batch'; batch: Batch }
  | { type: 'progress'; bytes: number; total: number }
  | { type: 'done'; result: import('./events.js').ReadResult }
  | { type: 'binary' }
  | { type: 'ridden'; answer: unknown }
  | { type: 'error'; error: SerializedError };

export type SerializedError =
  | { kind: 'faultline'; errKind: 'user' | 'internal'; reason: string; file: string; line: number; hint: string; exitCode: number; detail: string }
  | { kind: 'other'; message: string; stack: string };

function serialize(err: unknown): SerializedError {
  if (err instanceof FaultlineError) {
    return { kind: 'faultline', errKind: err.kind, reason: err.reason, file: err.file, line: err.line, hint: err.hint, exitCode: err.exitCode, detail: err.detail };
  }
  const e = err instanceof Error ? err : new Error(String(err));
  return { kind: 'other', message: e.message, stack: e.stack ?? '' };
}

async function main(input: WorkerInput): Promise<void> {
  const port = parentPort!;
  const { refs, also } = input;
  const ride = input.rider ? await rideAlong(input.rider, refs) : null;
  const consumers = 1 + also.length + (ride ? 1 : 0);
  // the parent last: once it has the result it terminates this worker
  const toAll = (m: WorkerMessage): void => {
    for (const p of also) p.postMessage(m);
    port.postMessage(m);
  };
  let made = 0;
  // A free slot: one every consumer has read, a new one while fewer than MAX_BUFFERS exist, else wait for the slowest.
  // (The slot being filled is never free: its count is set when it is posted, and the next one is taken after that.)
  const slot = (): number => {
    for (;;) {
      const seen = Atomics.load(refs, RELEASED);
      for (let s = 0; s < made; s++) if (Atomics.load(refs, s) === 0) return s;
      if (made < MAX_BUFFERS) return made++;
      Atomics.wait(refs, RELEASED, seen, 100);
    }
  };
  const post = (batch: Batch): void => {
    Atomics.store(refs, batch.slot, consumers);
    toAll({ type: 'batch', batch });
    ride?.posted(batch);
  };
  const enc = createEncoder(post, slot);
  const onProgress = input.progress ? (bytes: number, total: number) => port.postMessage({ type: 'progress', bytes, total } satisfies WorkerMessage) : undefined;
  try {
    const result = await readHere(input.path, enc.sink, { ...input.opts, onProgress }, { unpaired: true, textOnly: true });
    enc.flush();
    toAll({ type: 'done', result });
    if (ride) port.postMessage({ type: 'ridden', answer: ride.finish(result) } satisfies WorkerMessage);
  } catch (err) {
    if (err instanceof Error && err.message === NOT_TEXT) toAll({ type: 'binary' });
    else toAll({ type: 'error', error: serialize(err) });
  }
}

/**
 * The rider's feed: each posted batch is decoded again from its slot (the reader's own event objects are let go at
 * once: held for a batch they survived scavenges, and V8 then pretenured the reader's event allocations: 3M-event
 * bench trace, the parse thread's CPU 2.4 -> 5.6 s with a rider of one variant), and goes to the rider only when the
 * next one is posted (or at the end, after `done`). A rider may wait on the consumers' progress (model/replay_threads.ts
 * follower: until the first thread is past the event); one batch behind, they always have a whole posted batch to make
 * that progress with, and at the end they get `done` first. The rider counts as a consumer of each slot.
 */
async function rideAlong(spec: RiderSpec, refs: Int32Array): Promise<{ posted(b: Batch): void; finish(result: ReadResult): unknown }> {
  const run = ((await import(spec.module)) as { startRider(data: unknown): RiderRun }).startRider(spec.data);
  const decode = createBatchDecoder(pairSyscalls(run.sink));
  let ready: Batch | null = null;
  let failed: string | null = null;
  const feed = (b: Batch | null): void => {
    if (b === null) return;
    try {
      if (failed === null) decode(b);
    } catch (err) {
      failed = err instanceof Error ? err.message : String(err); // answered at the end; the parse goes on for the others
    }
    releaseSlot(refs, b.slot);
  };
  return {
    posted(b) {
      const prev = ready;
      ready = b;
      feed(prev);
    },
    finish(result) {
      feed(ready);
      ready = null;
      if (failed !== null) return { error: failed };
      try {
        return run.finish(result);
      } catch (err) {
        return { error: err instanceof Error ? err.message : String(err) };
      }
    },
  };
}

if (parentPort !== null) void main(workerData as WorkerInput);
