// Published mTHP shapes reproduced from the recordings: the 4 KiB trace of the mthp workload (mthp_4k) replayed under
// --mthp what-ifs, against David Hildenbrand's fork table and against the same workload recorded with 64 KiB folios on
// (mthp_64k): the RSS a 64K policy costs a sparse toucher, and fork cost falling with folio size.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MM_ANONPAGES } from '../traces/events.js';
import { readTrace } from '../traces/read.js';
import type { Truth } from '../record/fixtures.js';
import { loadProfile } from './costs.js';
import { createReplay } from './replay.js';
import { buildVariants } from './variants.js';

const DIR = join(import.meta.dirname, '..', 'traces', 'fixtures', 'workloads');
const truth = (f: string): Truth => JSON.parse(readFileSync(join(DIR, f, 'truth.perf.json'), 'utf8')) as Truth;
/** David Hildenbrand, "mm/memory: optimize fork() with PTE-mapped THP" cover letter: fork of 1 GiB, Xeon 4210R, ms. */
const PUBLISHED_FORK_MS = { '4k': 14.3, '16k': 12.0, '64k': 10.4, '512k': 9.8 } as const;

describe('mTHP shapes from mthp_4k (perf) replayed under --mthp', async () => {
  const t4 = truth('mthp_4k'), t64 = truth('mthp_64k');
  // mainline: the recording machine (every size never), so the variants differ from it only in --mthp
  const variants = buildVariants({ baseMthp: {}, mthp: ['16k=always', '64k=always', '512k=always'] });
  for (const v of variants) v.useZeroPage = false; // pvm_no_zero_page=1 on the recording machine
  const fork: Record<string, number> = {};
  const anon: Record<string, [number, number][]> = {}; // the workload leader's (time, MM_ANONPAGES) updates per variant
  const leader = t4.checkpoints[0]!.pid;
  const rp = createReplay(
    variants,
    {
      fork: (r) => void (fork[r.variant] = r.latencyNs),
      rss: (r) => void (r.member === MM_ANONPAGES && r.pid === leader && (anon[r.variant] ??= []).push([r.time, r.value])),
    },
    { profile: loadProfile() },
  );
  rp.finish(await readTrace(join(DIR, 'mthp_4k', 'perf.txt.gz'), rp.sink));
  const kbAt = (variant: string, label: string): number => {
    const c = t4.checkpoints.find((x) => x.label === label && x.pid === leader)!;
    let v = 0;
    for (const [time, value] of anon[variant]!) if (time <= c.t_mono_ns) v = value;
    return v * 4;
  };
  const grown = (variant: string): number => kbAt(variant, 'sparse_written') - kbAt(variant, 'mapped');
  // the figures for the note (issue 16: the shapes with their figures printed)
  const sizes = ['16k', '64k', '512k'] as const;
  const cpKb = (t: Truth, l: string): number => t.checkpoints.find((c) => c.label === l)!.rss_anon_kb;
  console.log(
    `mthp_4k sparse touch, RssAnon growth: mainline ${grown('mainline')} kB (/proc ${cpKb(t4, 'sparse_written') - cpKb(t4, 'mapped')}), ` +
      sizes.map((k) => `${k}=always ${grown(`mthp:${k}=always`)} kB`).join(', ') + ` (mthp_64k /proc ${cpKb(t64, 'sparse_written') - cpKb(t64, 'mapped')})\n` +
      `fork modelled: 4k ${(fork['mainline']! / 1e6).toFixed(2)} ms, ` + sizes.map((k) => `${k} ${(fork[`mthp:${k}=always`]! / 1e6).toFixed(2)} ms (x${(fork[`mthp:${k}=always`]! / fork['mainline']!).toFixed(2)}, published x${(PUBLISHED_FORK_MS[k] / PUBLISHED_FORK_MS['4k']).toFixed(2)})`).join(', '),
  );

  it('a 64K policy multiplies the sparse toucher\'s RSS by 16 (1 byte per 256 KiB: 4 KiB -> 64 KiB per touch), as the 64K recording shows', () => {
    const cp = (t: Truth, l: string): number => t.checkpoints.find((c) => c.label === l)!.rss_anon_kb;
    const kernel4k = cp(t4, 'sparse_written') - cp(t4, 'mapped'), kernel64k = cp(t64, 'sparse_written') - cp(t64, 'mapped');
    expect([grown('mainline'), grown('mthp:64k=always')]).toEqual([16384, 262144]); // 4096 touches
    expect(Math.abs(grown('mainline') - kernel4k)).toBeLessThanOrEqual(kernel4k * 0.005);
    expect(Math.abs(grown('mthp:64k=always') - kernel64k)).toBeLessThanOrEqual(kernel64k * 0.005); // the what-if meets the real 64K run
    expect(grown('mthp:16k=always')).toBe(65536);
    expect(grown('mthp:512k=always')).toBe(1048576); // a 512 KiB folio spans two touches
  });

  it('fork cost falls with folio size (copy_present_ptes batches), each step near the published table\'s ratio to 4K', () => {
    const m = fork['mainline']!;
    const ratio = { '16k': fork['mthp:16k=always']! / m, '64k': fork['mthp:64k=always']! / m, '512k': fork['mthp:512k=always']! / m };
    expect(ratio['16k']).toBeLessThan(1);
    expect(ratio['64k']).toBeLessThan(ratio['16k']);
    expect(ratio['512k']).toBeLessThan(ratio['64k']);
    for (const k of ['16k', '64k', '512k'] as const) expect(Math.abs(ratio[k] - PUBLISHED_FORK_MS[k] / PUBLISHED_FORK_MS['4k']), k).toBeLessThan(0.1);
  });
});
