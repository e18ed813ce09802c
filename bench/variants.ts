// Replaying N variants from one parse: the cost of mainline alone against mainline plus every patch, over the same
// recording. The goal is well under N times one replay (the parse is shared, only the model runs N times).
import type { BenchArgs, BenchSection } from './run.js';
import { fixtureFiles } from '../record/fixtures.js';
import { readTrace } from '../traces/read.js';
import { createReplay } from '../model/replay.js';
import { buildVariants } from '../model/variants.js';
import { listPatches } from '../model/patches/index.js';
import type { VariantSpec } from '../model/types.js';

/** A committed recording with faults, a fork, COW and exit (traces/fixtures/workloads/README.md). */
export const VARIANTS_TRACE = fixtureFiles('fork_child_half', 'perf').trace;

async function timeReplay(file: string, variants: VariantSpec[] | null): Promise<number> {
  const t0 = performance.now();
  if (variants) {
    const rep = createReplay(variants);
    rep.finish(await readTrace(file, rep.sink));
  } else await readTrace(file, () => {});
  return performance.now() - t0;
}

/** Best of `runs` (the machine is shared: the minimum is the least disturbed run). */
async function best(runs: number, f: () => Promise<number>): Promise<number> {
  let m = Infinity;
  for (let i = 0; i < runs; i++) m = Math.min(m, await f());
  return m;
}

/** Time a bare parse, one replay (mainline) and one replay of mainline + every patch; print the ratios. */
export async function benchVariants(file = VARIANTS_TRACE, runs = 3): Promise<{ parseMs: number; oneMs: number; allMs: number; n: number }> {
  const one = buildVariants();
  const all = buildVariants({ patch: listPatches().map((p) => p.name) });
  const n = all.length;
  const parseMs = await best(runs, () => timeReplay(file, null));
  const oneMs = await best(runs, () => timeReplay(file, one));
  const allMs = await best(runs, () => timeReplay(file, all));
  const model1 = Math.max(oneMs - parseMs, 1e-3);
  console.log(`variants: ${file}`);
  console.log(`variants: parse only ${parseMs.toFixed(0)} ms; 1 variant ${oneMs.toFixed(0)} ms; ${n} variants (${all.map((v) => v.name).join(', ')}) ${allMs.toFixed(0)} ms`);
  console.log(`variants: ${n} variants cost ${(allMs / oneMs).toFixed(2)}x one replay (goal: well under ${n}x; ${n} separate replays would be ${n}x); model only ${((allMs - parseMs) / model1).toFixed(2)}x`);
  return { parseMs, oneMs, allMs, n };
}

export const section: BenchSection = {
  name: 'variants',
  description: 'one parse feeding N variants vs one replay (replay --patch ...)',
  async run(_args: BenchArgs): Promise<void> {
    await benchVariants();
  },
};
