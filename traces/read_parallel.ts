// Two cores for one trace: the text is parsed (and the per-CPU merge done) in a worker thread while the consumer's
// sink (info's counts, the model) runs on this one, fed through transferable batches (traces/batch.ts).
// readTrace uses it for a file of 64 MiB or more (8 MiB gzip'd) unless FAULTLINE_PARSE_WORKER=0; never for stdin (the
// worker cannot share this thread's stream), nor on one core, nor for a binary (Perfetto) trace, which the worker hands back.
// Nor from a worker thread (replay's per-variant workers each read the trace: the cores are already taken).
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker } from 'node:worker_threads';
import type { EventSink, ReadOptions, ReadResult } from './events.js';
import { createBatchDecoder } from './batch.js';
import { FaultlineError } from './errors.js';
import { pairSyscalls } from './syscalls.js';
import type { ReadTuning } from './read.js';
import type { SerializedError, WorkerInput, WorkerMessage } from './read_worker.js';

const WORKER = new URL('./read_worker.js', import.meta.url);

function revive(e: SerializedError): Error {
  if (e.kind === 'faultline') {
    return new FaultlineError(e.errKind, e.reason, { file: e.file || undefined, line: e.line || undefined, hint: e.hint || undefined, exitCode: e.exitCode, detail: e.detail || undefined });
  }
  const err = new Error(e.message);
  err.stack = e.stack;
  return err;
}

/** Read `path` in a worker; null when this thread should read it itself (one core, no built worker, a binary trace). */
export async function readInWorker(path: string, sink: EventSink, opts: ReadOptions & ReadTuning): Promise<ReadResult | null> {
  // Under vitest the sources run as .ts and there is no compiled worker beside them.
  if (availableParallelism() < 2 && process.env.FAULTLINE_PARSE_WORKER !== '1') return null;
  if (!existsSync(fileURLToPath(WORKER))) return null;
  const { port1, port2 } = new MessageChannel();
  const returned = new Int32Array(new SharedArrayBuffer(4));
  const input: WorkerInput = { path, opts: { format: opts.format, merge: opts.merge }, progress: opts.onProgress !== undefined, recycle: port2, returned };
  const worker = new Worker(WORKER, { workerData: input, transferList: [port2] });
  // Syscall pairing links an exit to its enter object: done here, after the batches are rebuilt.
  const decode = createBatchDecoder(pairSyscalls(sink));
  const onProgress = opts.onProgress;
  try {
    return await new Promise<ReadResult | null>((resolve, reject) => {
      let settled = false;
      const finish = (f: () => void): void => {
        if (settled) return;
        settled = true;
        f();
      };
      worker.on('message', (m: WorkerMessage) => {
        if (settled) return;
        try {
          switch (m.type) {
            case 'batch':
              decode(m.batch);
              port1.postMessage(m.batch.slot);
              Atomics.add(returned, 0, 1);
              Atomics.notify(returned, 0);
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
      worker.on('error', (err) => finish(() => reject(err)));
      worker.on('exit', (code) => finish(() => reject(new Error(`parse worker exited (${code}) before the end of ${path}`))));
    });
  } finally {
    port1.close();
    await worker.terminate();
  }
}
