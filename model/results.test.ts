// The run helpers of results.ts (a populate's or memset's run of pages in one step) leave what one update at a time does.
import { describe, expect, it } from 'vitest';
import { MM_ANONPAGES } from '../traces/events.js';
import { countPath, countPathRun, newPathAcc, newProc, newSum, noteCounterRun, noteCounters, notePoint, type ProcAcc } from './results.js';

/** A process that has already seen `ticks` counter updates (so runs start mid-stride), with a running sum. */
function proc(ticks: number): ProcAcc {
  const p = newProc(7, 'x', newSum());
  const rss = new Float64Array(4);
  for (let j = 0; j < ticks; j++) {
    rss[MM_ANONPAGES] = j % 5; // up and down: peaks and finals already set
    noteCounters(p, rss, 8192);
    notePoint(p, 1000 + j, 4, false);
  }
  return p;
}

describe('noteCounterRun', () => {
  for (const [ticks, k] of [[0, 1], [0, 3], [5, 40], [13, 200], [2, 7]] as const) {
    it(`k = ${k} pages after ${ticks} updates: the same peaks, finals, sums and series points as ${k} single updates`, () => {
      const one = proc(ticks), run = proc(ticks);
      const rssOne = new Float64Array([2, 3, 0, 1]), rssRun = new Float64Array([2, 3, 0, 1]);
      for (let j = 0; j < k; j++) {
        rssOne[MM_ANONPAGES]!++;
        noteCounters(one, rssOne, 8192);
        notePoint(one, 5000, 4, false);
      }
      rssRun[MM_ANONPAGES]! += k;
      noteCounterRun(run, rssRun, MM_ANONPAGES, k, 8192, 5000, 4);
      expect(rssRun).toEqual(rssOne);
      expect(run).toEqual(one);
      expect(run.res.rss_anon_final_kb).toBe(4 * (3 + k)); // 4 KiB pages
    });
  }
});

describe('countPathRun', () => {
  it('counts k records and samples their latency as k countPath calls do, past the reservoir', () => {
    const one = newPathAcc(), run = newPathAcc();
    for (let j = 0; j < 3000; j++) countPath(one, 1, 1.5 + (j % 3));
    for (let j = 0; j < 3000; j++) countPath(run, 1, 1.5 + (j % 3));
    for (let j = 0; j < 2500; j++) countPath(one, 2, 1234.567);
    countPathRun(run, 2, 1234.567, 2500);
    expect(run).toEqual(one);
    expect(run.counts[2]).toBe(2500);
  });
});
