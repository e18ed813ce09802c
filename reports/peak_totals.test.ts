// The replay's totals.*_peak_kb are the peak of the summed per-process series the chart draws, not the largest
// process: on fork_child_all the parent and the child each peak at 64 MiB anon, at the same time.
import { describe, expect, it } from 'vitest';
import { createReplay } from '../model/replay.js';
import { buildVariants } from '../model/variants.js';
import { readTrace } from '../traces/read.js';
import { fixtureFiles } from '../record/fixtures.js';
import { peakOfSum } from './summary_table.js';

describe('totals are the peak of the sum', async () => {
  const rep = createReplay(buildVariants({ baseZeroPage: false }), {}, { profile: null });
  const v = rep.finish(await readTrace(fixtureFiles('fork_child_all', 'perf').trace, rep.sink)).variants[0]!;
  // the chart sums per-process series thinned to 400 points (model/results.ts: notePoint), so it can miss a brief
  // peak by a few pages; the totals are the exact running sums, never below the chart's
  it('match the peak of the chart\'s summed series (exact >= thinned, within 0.1%), and exceed the largest process', () => {
    for (const [total, field] of [[v.totals.rss_anon_peak_kb, 'rss_anon_kb'], [v.totals.pgtables_peak_kb, 'pgtables_kb']] as const) {
      const chart = peakOfSum(v, field);
      expect(total).toBeGreaterThanOrEqual(chart);
      expect(total - chart).toBeLessThanOrEqual(total * 0.001);
    }
    const largest = Math.max(...v.processes.map((p) => p.rss_anon_peak_kb));
    expect(v.totals.rss_anon_peak_kb).toBeGreaterThan(1.9 * largest); // both 64 MiB copies live at once
  });
});
