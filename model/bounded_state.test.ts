// A replay's own state does not grow with the trace's length (issue 13): a recording replayed twice in a row through
// one engine, the second copy re-timed after the first (whose processes have all exited, as the bench's cycles do),
// leaves the page store as the first copy left it: no large folio's Maps behind, no page id beyond the first copy's.
// Before model/pages.ts released large folios, each copy added two Maps and PTRS + 1 ids for every THP and mTHP.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { readTrace } from '../traces/read.js';
import type { TraceEvent } from '../traces/events.js';
import { createEngine } from './engine.js';
import { createFanout, defaultVariant } from './replay.js';

const DIR = join(import.meta.dirname, '..', 'traces', 'fixtures', 'workloads');

async function eventsOf(workload: string): Promise<TraceEvent[]> {
  const out: TraceEvent[] = [];
  await readTrace(join(DIR, workload, 'perf.txt.gz'), (e) => void out.push(e));
  return out;
}

describe('page store bounded across copies of a recording', { timeout: 60_000 }, () => {
  // mthp_64k: 64 KiB mTHPs (16 subpages each); fork_thp: PMD THPs shared by a fork; thp_shrinker: THPs split by the
  // shrinker, whose subpages become order-0 pages (mm/huge_memory.c: __split_huge_page): they return to the small-page
  // free stack, not as a run, so a trace of nothing else takes fresh ids for each copy's THPs (the bench's mixed
  // cycles reuse them as small pages: its six-cycle trace ends at 342178 ids against 342163 after one)
  for (const workload of ['mthp_64k', 'fork_thp', 'thp_shrinker']) {
    it(workload, async () => {
      const events = await eventsOf(workload);
      const span = events[events.length - 1]!.time - events[0]!.time + 1e9;
      const en = createEngine(defaultVariant(), {}, null, 400, null);
      const fan = createFanout([en]);
      const pages = en.ctx.pages;
      for (const e of events) fan.sink(e);
      const first = { next: pages.next, maps: pages.folioMms.size };
      for (const copy of [1, 2]) for (const e of events) fan.sink({ ...e, time: e.time + copy * span } as TraceEvent);
      fan.flush();
      expect(first.maps).toBe(0); // every process of the copy exited: no large folio is mapped
      expect(pages.folioMms.size).toBe(0);
      if (workload !== 'thp_shrinker') expect(pages.next).toBe(first.next);
    });
  }
});
