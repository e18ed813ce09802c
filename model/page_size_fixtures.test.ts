// The 16 KiB what-if on committed 4 KiB recordings: the direction Android published for 16 KiB pages (more memory,
// fewer faults), with the figures printed. Bounds are per page: a 16 KiB page holds four 4 KiB ones, a 16 KiB table's
// 32 MiB span holds sixteen 2 MiB spans.
import { describe, expect, it } from 'vitest';
import { readTrace } from '../traces/read.js';
import { createReplay } from './replay.js';
import { buildVariants } from './variants.js';
import type { VariantResult } from './types.js';

interface Figures {
  traps: number;
  anonPeakKb: number;
  ptPeakKb: number;
  /** Peak RssFile summed over processes (page-cache pages mapped; the trace's per-fault counts in 16 KiB pages). */
  filePeakKb: number;
}

/** Sums over processes: traps taken (every path but not_taken), peak RssAnon, peak page-table bytes. */
function figures(v: VariantResult): Figures {
  const traps = Object.entries(v.totals.faults).reduce((a, [k, n]) => a + (k === 'not_taken' ? 0 : n), 0);
  return {
    traps,
    anonPeakKb: v.processes.reduce((a, p) => a + p.rss_anon_peak_kb, 0),
    ptPeakKb: v.processes.reduce((a, p) => a + p.pgtables_peak_kb, 0),
    filePeakKb: v.processes.reduce((a, p) => a + p.rss_file_peak_kb, 0),
  };
}

async function whatIf(trace: string, machineNoZeroPage: boolean): Promise<[Figures, Figures]> {
  const variants = buildVariants({ pageSize: ['16k'] });
  if (machineNoZeroPage) for (const v of variants) v.useZeroPage = false;
  const rp = createReplay(variants, {}, { profile: null });
  const r = rp.finish(await readTrace(trace, rp.sink));
  const [m, w] = r.variants.map(figures) as [Figures, Figures];
  console.log(`${trace}: 4k traps ${m.traps} anon ${m.anonPeakKb} KiB PT ${m.ptPeakKb} KiB; 16k traps ${w.traps} anon ${w.anonPeakKb} KiB PT ${w.ptPeakKb} KiB`);
  return [m, w];
}

describe('--page-size 16k on 4 KiB recordings', () => {
  it('python3 (corpus): fewer faults, more anon memory, page tables within a factor of 4 either way', async () => {
    const [m, w] = await whatIf('traces/fixtures/corpus/python3/trace.txt.gz', false);
    expect(w.traps).toBeLessThan(m.traps);
    expect(w.traps).toBeGreaterThanOrEqual(m.traps / 4); // at most four traced 4 KiB faults share one 16 KiB page
    expect(w.anonPeakKb).toBeGreaterThan(m.anonPeakKb); // the untouched rest of each 16 KiB page is charged too
    expect(w.anonPeakKb).toBeLessThanOrEqual(4 * m.anonPeakKb);
    expect(w.ptPeakKb).toBeLessThanOrEqual(4 * m.ptPeakKb); // one 16 KiB table where one 4 KiB table was
    expect(w.ptPeakKb).toBeGreaterThanOrEqual(m.ptPeakKb / 4); // one 16 KiB table where sixteen were
  });

  it('write_touch (64 MiB written page by page): a quarter of the faults, the same anon peak within 1%, fewer page-table bytes', async () => {
    const [m, w] = await whatIf('traces/fixtures/workloads/write_touch/perf.txt.gz', true);
    expect(w.traps).toBeLessThan(m.traps / 3);
    expect(Math.abs(w.anonPeakKb - m.anonPeakKb)).toBeLessThan(m.anonPeakKb / 100); // dense: nothing left untouched
    // 64 MiB: 32 PTE tables of 4 KiB (128 KiB) become 2 or 3 of 16 KiB (<= 48 KiB); the rest is the program's own
    expect(w.ptPeakKb).toBeLessThan(m.ptPeakKb);
  });

  // Android's published shape for 16 KiB pages is ~9% more memory (issue 16). What a 4 KiB trace can show is the
  // rounding of what was touched: anon and file pages to 16 KiB, page tables to 16 KiB tables of 32 MiB. It cannot show
  // ELF segments padded to 16 KiB, allocators tuned to the page size, page cache read but not mapped, or kernel memory.
  it('real programs: anon + file + page tables grow by a few percent (1-10%: only xz -T2 near Android\'s ~9%), traps fall by over half', async () => {
    const rows: string[] = [];
    for (const name of ['python3', 'sort', 'cc', 'xz_T2']) {
      const [m, w] = await whatIf(`traces/fixtures/corpus/${name}/trace.txt.gz`, false);
      const total = (f: Figures): number => f.anonPeakKb + f.filePeakKb + f.ptPeakKb;
      const growth = (total(w) - total(m)) / total(m);
      rows.push(`  ${name}: anon+file+PT ${total(m)} -> ${total(w)} KiB (+${(100 * growth).toFixed(1)}%), file ${m.filePeakKb} -> ${w.filePeakKb} KiB, traps ${m.traps} -> ${w.traps}`);
      expect(w.filePeakKb).toBeGreaterThanOrEqual(m.filePeakKb); // a 16 KiB page maps at least the 4 KiB ones inside it
      expect(growth).toBeGreaterThan(0);
      expect(growth).toBeLessThan(0.15); // a few percent: rounding of touched memory, not a doubling
      expect(w.traps).toBeLessThan(m.traps / 2);
    }
    console.log(`16 KiB pages on real programs (4 KiB corpus recordings; Android: ~9% more memory):\n${rows.join('\n')}`);
  });
});
