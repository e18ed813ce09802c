// `faultline sql` in-process over a small batch: text, --json and --csv agree with each other and with hyparquet's
// reading of the same files; an empty table still has its columns; a bad query is one line and exit 2.
import { describe, expect, it, beforeAll } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './run_cli.suite.js';
import { registerBatch } from './batch.js';
import { registerSql } from './sql.js';
import { readTable } from '../../analyze/fleet/read_parquet.suite.js';

const FIX = new URL('../../traces/fixtures/workloads/', import.meta.url).pathname;
const run = (args: string[]) => runCli((p) => (registerBatch(p), registerSql(p)), args);

describe('faultline sql', () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'faultline-sql-'));
    const r = await run(['batch', FIX + 'fork_thp/perf.txt.gz', FIX + 'sparse_1g/ftrace.txt.gz', '-o', dir, '--patch', 'cow-pte', '--machine-no-zero-page', '--jobs', '1']);
    expect(r.code).toBe(0);
  });

  it('--json, --csv and text give the numbers hyparquet reads', async () => {
    const q = 'SELECT variant, count(*) AS n, sum(rss_anon_peak_bytes) AS anon FROM processes GROUP BY variant ORDER BY variant';
    const procs = await readTable(dir, 'processes');
    const want = ['cow-pte', 'mainline'].map((v) => {
      const mine = procs.filter((p) => p.variant === v);
      return { variant: v, n: mine.length, anon: mine.reduce((s, p) => s + Number(p.rss_anon_peak_bytes), 0) };
    });
    const json = await run(['sql', dir, q, '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.out)).toEqual(want);
    const csv = await run(['sql', dir, q, '--csv']);
    expect(csv.out).toBe(['variant,n,anon', ...want.map((w) => `${w.variant},${w.n},${w.anon}`)].join('\n') + '\n');
    const text = await run(['sql', dir, q]);
    expect(text.out.split('\n')[0]).toMatch(/^variant\s+n\s+anon$/);
    expect(text.out).toMatch(new RegExp(`mainline\\s+${want[1]!.n}\\s+${want[1]!.anon}`));
    expect(text.out).toMatch(/\(2 rows\)/);
  });

  it('a table no trace wrote yet is empty, with its documented columns', async () => {
    const d = mkdtempSync(join(tmpdir(), 'faultline-sql-'));
    writeFileSync(join(d, 'bad.txt'), 'not a trace\n');
    await run(['batch', join(d, 'bad.txt'), '-o', join(d, 'out'), '--jobs', '1']);
    const r = await run(['sql', join(d, 'out'), 'SELECT count(*) AS n, sum(pgtables_peak_bytes) AS b FROM processes', '--json']);
    expect(JSON.parse(r.out)).toEqual([{ n: 0, b: null }]);
    const t = await run(['sql', join(d, 'out'), 'SELECT status FROM traces', '--csv']);
    expect(t.out).toBe('status\nfailed\n');
  });

  it('a bad query or directory is one line and exit 2', async () => {
    const bad = await run(['sql', dir, 'SELEC nothing']);
    expect(bad.code).toBe(2);
    expect(bad.err.trim().split('\n')).toHaveLength(1);
    expect(bad.err).toMatch(/^faultline: sql: /);
    const none = await run(['sql', join(dir, 'nope'), 'SELECT 1']);
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/no such directory/);
  });
});
