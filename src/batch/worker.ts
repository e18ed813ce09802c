// Worker thread of `faultline batch`: runs the jobs the main thread posts, one at a time, and posts each result back.
import { parentPort, workerData } from 'node:worker_threads';
import { runBatchJob, type BatchJobOptions } from './job.js';

const opts = workerData as BatchJobOptions;
parentPort!.on('message', (file: string) => {
  void runBatchJob(file, opts).then((r) => parentPort!.postMessage(r));
});
