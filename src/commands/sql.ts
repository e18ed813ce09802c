// `faultline sql DIR "SELECT ..."`: DuckDB over a batch output directory, one view per table; text, --json or --csv.
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { action } from '../errors.js';
import { declareCommand } from '../command_list.js';
import { addOptions } from '../options.js';
import { userError } from '../../traces/errors.js';
import { fleetViewStatements } from '../../analyze/fleet/views.js';

interface SqlCliOptions {
  json?: boolean;
  csv?: boolean;
}

export interface SqlResult {
  columns: string[];
  rows: (string | number | boolean | null)[][];
}

/** A DuckDB JS value as JSON-safe: exact integers as numbers while they fit in 2^53, as text beyond. */
function plain(v: unknown): string | number | boolean | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  if (v instanceof Date) return v.toISOString();
  return typeof v === 'object' ? JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x)) : String(v);
}

/** Run one query over DIR's tables (traces, processes, fault_paths, validation). */
export async function runSql(dir: string, sql: string): Promise<SqlResult> {
  if (!existsSync(dir)) throw userError(`${dir}: no such directory (write one with faultline batch ... -o ${dir})`);
  const { DuckDBInstance } = await import('@duckdb/node-api'); // loaded only by this command: a native module
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  try {
    try {
      for (const s of fleetViewStatements(dir)) await con.run(s);
    } catch (e) {
      throw userError(`${dir}: cannot read the tables (${(e as Error).message.split('\n')[0]}); a directory of an older schema needs a new faultline batch run`);
    }
    let r;
    try {
      r = await con.runAndReadAll(sql);
    } catch (e) {
      throw userError(`sql: ${(e as Error).message.split('\n')[0]}`);
    }
    return { columns: r.columnNames(), rows: r.getRowsJS().map((row) => row.map(plain)) };
  } finally {
    con.closeSync();
    db.closeSync();
  }
}

const csvCell = (v: string | number | boolean | null): string => {
  if (v === null) return '';
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

export function formatSql(r: SqlResult, how: 'text' | 'json' | 'csv'): string {
  if (how === 'json') return JSON.stringify(r.rows.map((row) => Object.fromEntries(r.columns.map((c, i) => [c, row[i]]))), null, 1) + '\n';
  if (how === 'csv') return [r.columns, ...r.rows].map((row) => row.map(csvCell).join(',')).join('\n') + '\n';
  const cells = r.rows.map((row) => row.map((v) => (v === null ? 'NULL' : typeof v === 'number' && !Number.isInteger(v) ? v.toPrecision(6) : String(v))));
  const w = r.columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const numeric = r.columns.map((_, i) => r.rows.length > 0 && r.rows.every((row) => row[i] === null || typeof row[i] === 'number'));
  const line = (row: string[]): string => row.map((v, i) => (numeric[i] ? v.padStart(w[i]!) : v.padEnd(w[i]!))).join('  ').trimEnd();
  return [line(r.columns), line(w.map((n) => '-'.repeat(n))), ...cells.map(line), `(${r.rows.length} row${r.rows.length === 1 ? '' : 's'})`].join('\n') + '\n';
}

export function registerSql(program: Command): void {
  addOptions(declareCommand(program, 'sql'), ['json'], { json: 'print rows as a JSON array of objects' })
    .option('--csv', 'print rows as CSV with a header line')
    .addHelpText(
      'after',
      `
Examples:
  faultline sql fleet "SELECT status, count(*) FROM traces GROUP BY status"
  faultline sql fleet --csv "SELECT variant, sum(pgtables_peak_bytes) AS pte FROM processes GROUP BY variant"
  faultline sql fleet "SELECT * FROM read_parquet('fleet/table=fault_paths/**/*.parquet', hive_partitioning = true) LIMIT 5"

Exit status: 0, 2 on a bad query or directory.`,
    )
    .action(
      action(async (dir: string, query: string, o: SqlCliOptions) => {
        if (o.json && o.csv) throw userError('--json and --csv: pick one');
        const r = await runSql(dir, query);
        process.stdout.write(formatSql(r, o.json ? 'json' : o.csv ? 'csv' : 'text'));
      }),
    );
}
