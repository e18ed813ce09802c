// A worker_thread of replay_threads.ts: replays its group of variants over the first thread's parse (its tap) or the
// trace it reads itself, answers their results.
import { parentPort, workerData } from 'node:worker_threads';
import { readTrace } from '../traces/read.js';
import { readTap } from '../traces/read_parallel.js';
import { createReplay } from './replay.js';
import { follower, type GroupAnswer, type GroupJob } from './replay_threads.js';

const job = workerData as GroupJob;
const machine = job.machine;
const rp = createReplay(job.variants, {}, {
  profile: job.profile, seriesPoints: job.seriesPoints, blind: job.blind, machine, detect: false,
  ...(job.gate ? { beforeRun: follower(new Int32Array(job.gate), machine) } : {}),
});
let answer: GroupAnswer;
try {
  const read = (job.tap ? await readTap(job.tap.port, job.tap.refs, rp.sink) : null) ?? (await readTrace(job.trace, rp.sink, { format: job.format }));
  answer = { variants: rp.finish(read).variants };
} catch (err) {
  answer = { error: (err as Error).message };
}
parentPort!.postMessage(answer);
