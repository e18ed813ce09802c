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
