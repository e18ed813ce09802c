// Shared by the fleet tests: read a batch output directory back with hyparquet (not the writer's code) into row objects.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';

export function partFiles(dir: string, table: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    let ents;
    try {
      ents = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of ents) (e.isDirectory() ? walk(join(d, e.name)) : e.name.endsWith('.parquet') && out.push(join(d, e.name)));
  };
  walk(join(dir, `table=${table}`));
  return out.sort();
}

/** Every row of one table, each with `_file` (the part it came from). */
export async function readTable(dir: string, table: string): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  for (const f of partFiles(dir, table)) {
    const file = await asyncBufferFromFile(f);
    for (const r of await parquetReadObjects({ file })) rows.push({ ...r, _file: f });
  }
  return rows;
}

/** Parquet physical type of each column of a part file. */
export async function columnTypes(path: string): Promise<Record<string, string>> {
  const md = await parquetMetadataAsync(await asyncBufferFromFile(path));
  return Object.fromEntries(md.schema.slice(1).map((s) => [s.name, String(s.type)]));
}
