// The fleet schema as documented, and the Parquet parts as another reader (hyparquet) sees them: types, nulls, int64
// beyond 2^53, Hive paths with escaped variant names, and refusal of rows that break the schema.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { schemaMarkdown, TABLES, TABLE_NAMES, type Row } from './schema.js';
import { isDone, partPath, removeTraceParts, writeTraceParts } from './parquet.js';
import type { FleetRows } from './rows.js';
import { columnTypes, partFiles, readTable } from './read_parquet.suite.js';

const DOC = new URL('../../docs/fleet.md', import.meta.url).pathname;

function processRow(variant: string, pid: number, over: Partial<Row> = {}): Row {
  const r: Row = {};
  for (const c of TABLES.processes.columns) r[c.name] = c.nullable ? null : c.type === 'STRING' ? '' : c.type === 'INT64' ? 0n : c.type === 'BOOLEAN' ? false : 0;
  return { ...r, trace_hash: 'abc', variant, pid, comm: 'x', ...over };
}

describe('fleet schema', () => {
  it('docs/fleet.md holds exactly the schema the writer uses', () => {
    const doc = readFileSync(DOC, 'utf8');
    const block = /<!-- schema:begin -->\n([\s\S]*)<!-- schema:end -->/.exec(doc)?.[1];
    expect(block).toBe(schemaMarkdown());
  });
  it('every ns and byte column is INT64', () => {
    for (const t of TABLE_NAMES) for (const c of TABLES[t].columns) if (/_ns$|bytes/.test(c.name)) expect(c.type, `${t}.${c.name}`).toBe('INT64');
  });
});

describe('fleet parquet parts', () => {
  it('hyparquet reads back the values, int64 past 2^53 and nulls, from Hive paths with escaped variants', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'faultline-parquet-'));
    const big = 2n ** 60n + 7n;
    const rows: FleetRows = { traces: [], processes: [processRow('mainline', 1, { pgtables_peak_bytes: big, mm_id: null }), processRow('thp=never', 2, { fault_time_ns: 123 })], fault_paths: [], validation: [] };
    const tr: Row = {};
    for (const c of TABLES.traces.columns) tr[c.name] = c.nullable ? null : c.type === 'STRING' ? 'v' : c.type === 'INT64' ? 5n : c.type === 'BOOLEAN' ? true : 1;
    rows.traces.push({ ...tr, trace_hash: 'abc' });
    const written = writeTraceParts(dir, 'abc', rows, 'test');
    expect(written.at(-1)).toBe(partPath(dir, 'traces', 'abc'));
    expect(partPath(dir, 'processes', 'abc', 'thp=never')).toBe(join(dir, 'table=processes', 'variant=thp%3Dnever', 'part-abc.parquet'));
    const back = await readTable(dir, 'processes');
    expect(back.map((r) => [r.variant, r.pid, r.pgtables_peak_bytes, r.mm_id, r.fault_time_ns])).toEqual([
      ['mainline', 1, big, null, 0n],
      ['thp=never', 2, 0n, null, 123n],
    ]);
    const types = await columnTypes(partFiles(dir, 'processes')[0]!);
    expect(types.pgtables_peak_bytes).toBe('INT64');
    expect(types.pid).toBe('INT32');
    expect(isDone(dir, 'abc')).toBe(true);
    removeTraceParts(dir, 'abc');
    expect(isDone(dir, 'abc')).toBe(false);
    expect(partFiles(dir, 'processes')).toEqual([]);
  });
  it('a null in a non-null column, or a missing column, is refused before anything is written', () => {
    const dir = mkdtempSync(join(tmpdir(), 'faultline-parquet-'));
    const bad: FleetRows = { traces: [], processes: [processRow('mainline', 1, { comm: null })], fault_paths: [], validation: [] };
    expect(() => writeTraceParts(dir, 'x', bad, 'test')).toThrow(/null in non-null column comm/);
    const { faults: _f, ...missing } = processRow('mainline', 1);
    expect(() => writeTraceParts(dir, 'y', { ...bad, processes: [missing] }, 'test')).toThrow(/without column faults/);
    expect(isDone(dir, 'x') || isDone(dir, 'y')).toBe(false);
  });
});
