// The parse worker's entry (traces/read_parallel.ts starts it): reads one text trace with the one-thread reader and
// posts its events in batches (traces/batch.ts), then the ReadResult, to its parent and to any further consumer thread
// (model/replay_threads.ts: one parse for every variant group); a binary trace is handed back unread.
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { createEncoder, MAX_BUFFERS, RELEASED, type Batch } from './batch.js';
import { NOT_TEXT, readHere, type ReadTuning } from './read.js';
import { FaultlineError } from './errors.js';
import type { ReadOptions } from './events.js';

/** What the consumer's thread sends the worker. */
export interface WorkerInput {
  path: string;
  opts: Pick<ReadOptions, 'format'> & ReadTuning;
  progress: boolean;
  /** Further consumers: each gets every batch, the result and any error on its port, as the parent does. */
  also: MessagePort[];
  /** Slot counts shared with the consumers (slotRefs()): a slot is free again once every consumer has read its batch. */
  refs: Int32Array;
}

/** Messages from the worker, in order. */
export type WorkerMessage =
  | { type: 'batch'; batch: Batch }
  | { type: 'progress'; bytes: number; total: number }
  | { type: 'done'; result: import('./events.js').ReadResult }
  | { type: 'binary' }
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
  const consumers = 1 + also.length;
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
  };
  const enc = createEncoder(post, slot);
  const onProgress = input.progress ? (bytes: number, total: number) => port.postMessage({ type: 'progress', bytes, total } satisfies WorkerMessage) : undefined;
  try {
    const result = await readHere(input.path, enc.sink, { ...input.opts, onProgress }, { unpaired: true, textOnly: true, rows: enc.rows });
    enc.flush();
    toAll({ type: 'done', result });
  } catch (err) {
    if (err instanceof Error && err.message === NOT_TEXT) toAll({ type: 'binary' });
    else toAll({ type: 'error', error: serialize(err) });
  }
}

if (parentPort !== null) void main(workerData as WorkerInput);
