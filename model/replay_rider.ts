// A variant group on the parse worker's own thread (traces/read_worker.ts rider): replays each batch the worker has posted to
// the first thread, decoded again, a batch behind, and answers its variants' results after the parse.
import type { RiderRun } from '../traces/read_worker.js';
import { groupReplay, type GroupAnswer, type GroupJob } from './replay_threads.js';

/** The rider's start (read_worker.ts imports this module by URL): `data` is the GroupJob replay_threads.ts gave the share. */
export function startRider(data: unknown): RiderRun {
  const rp = groupReplay(data as GroupJob);
  return { sink: rp.sink, finish: (read): GroupAnswer => ({ variants: rp.finish(read).variants }) };
}
