// Traces other people published (../shared/public-traces beside the checkout, README there): every file reads with the
// README's independent event counts and no skipped line; atrace files count processes from the TGIDs they name.
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { traceInfo } from './info.js';

const ROOT = resolve(new URL('..', import.meta.url).pathname);
const DIR = process.env.FAULTLINE_PUBLIC_TRACES ?? join(ROOT, '../shared/public-traces');
const present = existsSync(join(DIR, 'README.md'));

interface Row {
  total: number;
  named: Record<string, number>;
}

/** The README table's `N events (name n, name n, ...)` column, per file. */
function readmeCounts(): Map<string, Row> {
  const rows = new Map<string, Row>();
  for (const line of readFileSync(join(DIR, 'README.md'), 'utf8').split('\n')) {
    const file = /^\| `([^`]+)` \|/.exec(line);
    const count = /\| (\d+) events \(([^)]*)\) \|/.exec(line);
    if (file === null || count === null) continue;
    const named: Record<string, number> = {};
    for (const part of count[2].replace(/\*\*/g, '').replace(/;/g, ',').split(',')) {
      const m = /^\s*(\S+) (\d+)\s*$/.exec(part);
      if (m !== null) named[m[1]] = Number(m[2]);
    }
    rows.set(file[1], { total: Number(count[1]), named });
  }
  return rows;
}

describe.skipIf(!present)(`public traces in ${DIR}`, () => {
  const rows = present ? readmeCounts() : new Map<string, Row>();
  const files = present ? readdirSync(DIR).filter((f) => f !== 'README.md') : [];
  it('the README gives an independent count for every file', () => {
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(rows.has(f), f).toBe(true);
  });
  for (const f of files) {
    it(f, async () => {
      const row = rows.get(f)!;
      const info = await traceInfo(join(DIR, f));
      expect(info.totalEvents).toBe(row.total);
      for (const [name, n] of Object.entries(row.named)) expect(info.events[name], name).toBe(n);
      expect(info.skippedLines).toBe(0);
      expect(info.stats.filter((s) => s.severity === 'error')).toEqual([]);
    });
  }
  // TGIDs each atrace file names, counted here by hand from its lines: the TGID column's numbers and the pid of
  // atrace's `B|pid|`/`C|pid|`/`S|pid|` markers; a thread named by neither counts as its own process.
  const TGIDS: Record<string, { named: number; unnamedThreads: number }> = {
    // TGID column: 13580; markers: B|18926 from 18926, 18964, 18988, 18989; 19161 writes only the clock-sync marker
    'catapult__decompressed_atrace_data.txt': { named: 2, unnamedThreads: 1 },
    'catapult__compressed_atrace_data.txt': { named: 2, unnamedThreads: 1 },
    // no TGID column and only sched events: no process is named, 22 threads (pid 0, the idle task, is none)
    catapult__atrace_data_raw: { named: 0, unnamedThreads: 22 },
  };
  for (const [f, want] of Object.entries(TGIDS)) {
    it(`${f}: processes are the TGIDs it names`, async () => {
      const info = await traceInfo(join(DIR, f));
      const unknown = info.stats.find((s) => s.name === 'thread_tgid_unknown')?.value ?? 0;
      expect(unknown).toBe(want.unnamedThreads);
      expect(info.processes - unknown).toBe(want.named);
    });
  }
});

describe.skipIf(present)('public traces', () => {
  it.skip(`not run: ${DIR} is absent (CI has ../shared beside the checkout; or set FAULTLINE_PUBLIC_TRACES)`, () => {});
});
