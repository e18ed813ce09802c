// Write one trace's fleet rows as Parquet parts in Hive layout (table=T/[variant=V/]part-<hash>.parquet).
// Writer: hyparquet-writer (pure JS, no native build, explicit schema per column incl. INT64; its reader sibling
// hyparquet and DuckDB read the files back in the tests).
import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { parquetWriteBuffer, type ColumnSource } from 'hyparquet-writer';
import { TABLES, TABLE_NAMES, type FleetTable, type Row } from './schema.js';
import type { FleetRows } from './rows.js';

/** Partition directory value: Hive escaping of '=', '/', '%' and the like (DuckDB and Spark decode it). */
export function partitionValue(v: string): string {
  return encodeURIComponent(v);
}

/** The part file of `table` for one trace (and variant, for partitioned tables). */
export function partPath(dir: string, table: FleetTable, hash: string, variant?: string): string {
  const sub = TABLES[table].partitions.length ? [`variant=${partitionValue(variant ?? '')}`] : [];
  return join(dir, `table=${table}`, ...sub, `part-${hash}.parquet`);
}

/** The traces part is written last: its presence marks the trace as done (resume skips it). */
export function isDone(dir: string, hash: string): boolean {
  return existsSync(partPath(dir, 'traces', hash));
}

function columns(table: FleetTable, rows: Row[]): ColumnSource[] {
  return TABLES[table].columns.map((col) => {
    const data = rows.map((r) => {
      const v = r[col.name];
      if (v === undefined) throw new Error(`fleet table ${table}: row without column ${col.name}`);
      if (v === null) {
        if (!col.nullable) throw new Error(`fleet table ${table}: null in non-null column ${col.name}`);
        return null;
      }
      return col.type === 'INT64' ? BigInt(v as number | bigint) : v;
    });
    return { name: col.name, data, type: col.type, nullable: col.nullable };
  });
}

/** Encode rows of one table as a Parquet file's bytes. */
export function parquetBytes(table: FleetTable, rows: Row[], createdBy: string): Uint8Array {
  const buf = parquetWriteBuffer({ columnData: columns(table, rows), createdBy, statistics: true });
  return new Uint8Array(buf);
}

function writeAtomic(path: string, bytes: Uint8Array): void {
  mkdirSync(join(path, '..'), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, path); // readers and resuming batches never see half a file
}

/** Write every non-empty table of one trace; returns the paths written (traces last). */
export function writeTraceParts(dir: string, hash: string, rows: FleetRows, createdBy: string): string[] {
  const written: string[] = [];
  for (const table of TABLE_NAMES) {
    if (table === 'traces') continue;
    const byPart = new Map<string | undefined, Row[]>();
    for (const r of rows[table]) {
      const key = TABLES[table].partitions.length ? String(r.variant) : undefined;
      const list = byPart.get(key);
      if (list) list.push(r);
      else byPart.set(key, [r]);
    }
    for (const [variant, list] of byPart) {
      const p = partPath(dir, table, hash, variant);
      writeAtomic(p, parquetBytes(table, list, createdBy));
      written.push(p);
    }
  }
  const p = partPath(dir, 'traces', hash);
  writeAtomic(p, parquetBytes('traces', rows.traces, createdBy));
  written.push(p);
  return written;
}

/** Delete every part of a trace (its input changed, or it is being redone): traces part first. */
export function removeTraceParts(dir: string, hash: string): void {
  rmSync(partPath(dir, 'traces', hash), { force: true });
  const name = `part-${hash}.parquet`;
  const walk = (d: string): void => {
    let ents;
    try {
      ents = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of ents) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (e.name === name) rmSync(join(d, e.name), { force: true });
    }
  };
  for (const t of TABLE_NAMES) walk(join(dir, `table=${t}`));
}
