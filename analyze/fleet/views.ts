// SQL that exposes a batch output directory as one view per fleet table (DuckDB dialect: read_parquet, Hive partitions).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { TABLES, TABLE_NAMES, type ColumnType } from './schema.js';

const SQL_TYPE: Record<ColumnType, string> = { INT64: 'BIGINT', INT32: 'INTEGER', DOUBLE: 'DOUBLE', STRING: 'VARCHAR', BOOLEAN: 'BOOLEAN' };

const quote = (s: string): string => `'${s.replace(/'/g, "''")}'`;

function hasParquet(dir: string): boolean {
  let ents;
  try {
    ents = readdirSync(dir, { withFileTypes: true });
  } catch {
    return false;
  }
  return ents.some((e) => (e.isDirectory() ? hasParquet(join(dir, e.name)) : e.name.endsWith('.parquet')));
}

/**
 * CREATE VIEW statements, one per table: `SELECT ... FROM processes` reads DIR/table=processes/**. A table with no
 * part yet (every trace failed) is an empty table of the documented columns, so queries still run.
 */
export function fleetViewStatements(dir: string): string[] {
  return TABLE_NAMES.map((t) => {
    const cols = TABLES[t].columns;
    const sub = join(dir, `table=${t}`);
    if (!hasParquet(sub)) return `CREATE TABLE ${t} (${cols.map((c) => `${c.name} ${SQL_TYPE[c.type]}`).join(', ')})`;
    // the file's own columns, in schema order (the Hive keys are also columns of every file)
    const glob = join(sub, '**', '*.parquet');
    return `CREATE VIEW ${t} AS SELECT ${cols.map((c) => c.name).join(', ')} FROM read_parquet(${quote(glob)}, hive_partitioning = true, union_by_name = true)`;
  });
}

/** Per ok trace and variant: the processes' figures summed (what the fleet report compares across variants). */
export const FLEET_VARIANT_SQL = `SELECT t.trace_hash, t.file, p.variant,
  sum(p.pgtables_peak_bytes) AS pgtables_peak_bytes, sum(p.rss_anon_peak_bytes) AS rss_anon_peak_bytes,
  sum(p.fault_time_ns) AS fault_time_ns, sum(p.fork_time_ns) AS fork_time_ns
FROM traces t JOIN processes p USING (trace_hash) WHERE t.status = 'ok' GROUP BY ALL ORDER BY t.file, p.variant`;

/** Per ok trace: rss_stat events compared and matched (validation's agreement). */
export const FLEET_VALIDATION_SQL = `SELECT t.trace_hash, t.file, coalesce(sum(v.compared), 0) AS compared, coalesce(sum(v.matched), 0) AS matched
FROM traces t LEFT JOIN validation v USING (trace_hash) WHERE t.status = 'ok' GROUP BY ALL ORDER BY t.file`;

/** Traces per status. */
export const FLEET_STATUS_SQL = `SELECT status, count(*) AS traces FROM traces GROUP BY status ORDER BY status`;
