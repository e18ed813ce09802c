// Replay throughput (parse + mainline model) against a bare line scan of the same file, in the same run.
// Aim: replay at >= 1/3 of the bare scan's speed. Prints figures; asserts nothing.
import type { BenchArgs, BenchSection } from './run.js';
import { fixtureFiles } from '../record/fixtures.js';
import { readTrace } from '../traces/read.js';
import { createReplay, defaultVariant } from '../model/replay.js';
import { bareScan } from './parse.js';

/** The largest committed recording: 1 GiB written in 4K pages, a fork, exit teardown (263k rss_stat events). */
export const REPLAY_TRACE = fixtureFiles('fork_1g', 'ftrace').trace;

/** Time a bare scan and a full replay of file; print events/s and the ratio. */
export async function benchReplay(file: string = REPLAY_TRACE): Promise<void> {
  let scanMs = Infinity, replayMs = Infinity, events = 0, lines = 0;
  for (let i = 0; i < 3; i++) {
    const scan = await bareScan(file);
    lines = scan.lines;
    scanMs = Math.min(scanMs, scan.ms);
    const t0 = performance.now();
    const rp = createReplay([defaultVariant({ useZeroPage: false })]);
    const read = await readTrace(file, rp.sink);
    rp.finish(read);
    events = read.events;
    replayMs = Math.min(replayMs, performance.now() - t0);
  }
  const r = scanMs / replayMs;
  console.log(`replay: ${file}`);
  console.log(`  bare line scan  ${lines} lines in ${scanMs.toFixed(0)} ms (${((lines / scanMs) * 1e3 / 1e6).toFixed(2)} M lines/s)`);
  console.log(`  parse + model   ${events} events in ${replayMs.toFixed(0)} ms (${((events / replayMs) * 1e3 / 1e6).toFixed(2)} M events/s)`);
  console.log(`  replay / bare scan speed = ${r.toFixed(2)} (aim >= 0.33)`);
}

export const section: BenchSection = {
  name: 'replay',
  description: 'parse + mainline model throughput vs a bare line scan of the same file',
  run: async (_args: BenchArgs) => benchReplay(),
};
