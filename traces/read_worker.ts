// The parse worker's entry (traces/read_parallel.ts starts it): reads one text trace with the one-thread reader and
// posts its events in batches (traces/batch.ts), then the ReadResult; a binary trace is handed back unread.
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { createEncoder, type Batch } from './batch.js';
import { NOT_TEXT, readHere, type ReadTuning } from './read.js';
import { FaultlineError } from './errors.js';
import type { ReadOptions } from './events.js';

/** What the consumer's thread sends the worker. */
export interface WorkerInput {
  path: string;
  opts: Pick<ReadOptions, 'format'> & ReadTuning;
  progress: boolean;
  /** Slot numbers come back on this port once their batch is read. */
  recycle: MessagePort;
  /** [0]: batches read by the consumer so far (it notifies after each). */
  returned: Int32Array;
}

/** Batch slots at most: the worker waits for the consumer beyond this (bounded memory, 480 KiB each). */
export const MAX_BUFFERS = 6;

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
  let made = 0;
  // A free slot: one the consumer gave back, a new one while fewer than MAX_BUFFERS exist, else wait for the consumer.
  const slot = (): number => {
    for (;;) {
      const seen = Atomics.load(input.returned, 0);
      const m = receiveMessageOnPort(input.recycle);
      if (m !== undefined) return m.message as number;
      if (made < MAX_BUFFERS) return made++;
      Atomics.wait(input.returned, 0, seen, 100);
    }
  };
  const enc = createEncoder((batch) => port.postMessage({ type: 'batch', batch } satisfies WorkerMessage), slot);
  const onProgress = input.progress ? (bytes: number, total: number) => port.postMessage({ type: 'progress', bytes, total } satisfies WorkerMessage) : undefined;
  try {
    const result = await readHere(input.path, enc.sink, { ...input.opts, onProgress }, { unpaired: true, textOnly: true });
    enc.flush();
    port.postMessage({ type: 'done', result } satisfies WorkerMessage);
  } catch (err) {
    if (err instanceof Error && err.message === NOT_TEXT) port.postMessage({ type: 'binary' } satisfies WorkerMessage);
    else port.postMessage({ type: 'error', error: serialize(err) } satisfies WorkerMessage);
  } finally {
    input.recycle.close();
  }
}

if (parentPort !== null) void main(workerData as WorkerInput);
