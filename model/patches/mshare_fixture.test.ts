// mshare-transparent on real multi-process recordings of this machine (traces/fixtures/corpus): what sharing the
// tables of file mappings saves per system when the processes are exec'd (make -j2, a shell shim's children), and
// the figures printed. Exec'd processes map each library at an ASLR address and most 2 MiB blocks of a library also
// hold its private writable .data, so little can be shared: the expected shape is "never more, at most a few tables
// less", with every traced fault either taken as on mainline or not taken because another sharer mapped the entry.
import { describe, expect, it } from 'vitest';
import { readTrace } from '../../traces/read.js';
import { createReplay } from '../replay.js';
import { buildVariants } from '../variants.js';
import type { ReplayResult } from '../types.js';

async function run(trace: string): Promise<ReplayResult> {
  const rep = createReplay(buildVariants({ patch: ['mshare-transparent', 'mshare'] }), {});
  return rep.finish(await readTrace(trace, rep.sink));
}

for (const name of ['make_j2', 'launcher_shim_fork']) {
  describe(`${name}: page tables per system with shared file-mapping tables`, async () => {
    const r = await run(`traces/fixtures/corpus/${name}/trace.txt.gz`);
    const [main, transparent, mshare] = r.variants;
    const faults = (v: typeof main) => Object.values(v!.totals.faults).reduce((a, n) => a + n, 0);
    const line = (v: typeof main) =>
      `${v!.name}: system page tables peak ${v!.totals.system_pgtables_peak_kb} KiB (Σ of per-process peaks ${v!.processes.reduce((a, p) => a + p.pgtables_peak_kb, 0)} KiB), not taken ${v!.totals.faults['not_taken'] ?? 0}`;
    console.log(`${name}\n  ${line(main)}\n  ${line(transparent)}\n  ${line(mshare)}`);

    it('sharing never adds page-table memory to the system, and every traced fault is accounted once', () => {
      for (const v of [transparent!, mshare!]) {
        expect(v.totals.system_pgtables_peak_kb).toBeLessThanOrEqual(main!.totals.system_pgtables_peak_kb);
        expect(faults(v)).toBe(faults(main));
        // a fault mainline took for real is either taken alike or not taken (its entry was another sharer's)
        expect((v.totals.faults['not_taken'] ?? 0)).toBeGreaterThanOrEqual(main!.totals.faults['spurious'] ?? 0);
      }
    });

    it('mshare (MAP_SHARED regions only) has nothing to share in these programs: the system figure is mainline', () => {
      expect(mshare!.totals.system_pgtables_peak_kb).toBe(main!.totals.system_pgtables_peak_kb);
    });
  });
}
