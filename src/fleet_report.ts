// `faultline report --fleet DIR`: the batch tables through DuckDB into reports/fleet.ts's page, plus a single-trace
// report for each trace at the extremes (made by the caller's renderTrace, so this module imports no command).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { userError } from '../traces/errors.js';
import { fleetViewStatements, FLEET_STATUS_SQL, FLEET_VALIDATION_SQL, FLEET_VARIANT_SQL } from '../analyze/fleet/views.js';
import { buildFleetReport, fleetDeltas, fleetExtremes, type FleetValidationRow, type FleetVariantRow } from '../reports/fleet.js';
import type { VariantCliOptions } from './options.js';

/** What a batch recorded about its settings (src/commands/batch.ts checkSettings). */
export interface BatchFile {
  variants: string[];
  kernel: string;
  machineZeroPage: boolean;
  profile: string;
  variant_options: Partial<VariantCliOptions>;
}

export interface FleetReportOptions {
  dir: string;
  output: string;
  /** Traces per end of each variant's page-table delta that get their own report. */
  extremes: number;
  command: string;
  version: string;
  renderTrace: (file: string, output: string, batch: BatchFile) => Promise<void>;
}

const num = (v: unknown): number => (typeof v === 'bigint' ? Number(v) : Number(v ?? 0));

async function query(dir: string, sqls: string[]): Promise<Record<string, unknown>[][]> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  try {
    try {
      for (const s of fleetViewStatements(dir)) await con.run(s);
      const out: Record<string, unknown>[][] = [];
      for (const q of sqls) out.push((await con.runAndReadAll(q)).getRowObjectsJS() as Record<string, unknown>[]);
      return out;
    } catch (e) {
      throw userError(`${dir}: cannot read the tables (${(e as Error).message.split('\n')[0]}); a directory of an older schema needs a new faultline batch run`);
    }
  } finally {
    con.closeSync();
    db.closeSync();
  }
}

/** Write the fleet page (and the extremes' own pages under <output>-traces/); returns every file written. */
export async function runFleetReport(o: FleetReportOptions): Promise<string[]> {
  const settingsFile = join(o.dir, '_batch.json');
  if (!existsSync(settingsFile)) throw userError(`${o.dir}: not a faultline batch output (no _batch.json)`);
  const batch = JSON.parse(readFileSync(settingsFile, 'utf8')) as BatchFile;
  const [vr, val, st] = await query(o.dir, [FLEET_VARIANT_SQL, FLEET_VALIDATION_SQL, FLEET_STATUS_SQL]);
  const rows: FleetVariantRow[] = vr!.map((r) => ({
    trace_hash: String(r.trace_hash),
    file: String(r.file),
    variant: String(r.variant),
    pgtables_peak_bytes: num(r.pgtables_peak_bytes),
    rss_anon_peak_bytes: num(r.rss_anon_peak_bytes),
    fault_time_ns: num(r.fault_time_ns),
    fork_time_ns: num(r.fork_time_ns),
  }));
  const validation: FleetValidationRow[] = val!.map((r) => ({ trace_hash: String(r.trace_hash), file: String(r.file), compared: num(r.compared), matched: num(r.matched) }));
  const status = Object.fromEntries(st!.map((r) => [String(r.status), num(r.traces)]));
  if (rows.length === 0) throw userError(`${o.dir}: no trace was replayed there (${JSON.stringify(status)})`);
  const base = batch.variants[0] ?? 'mainline';
  const deltas = fleetDeltas(rows, base);
  const pick = new Map<string, string>();
  for (const v of batch.variants.slice(1)) {
    const { low, high } = fleetExtremes(deltas, v, o.extremes);
    for (const d of [...low, ...high]) pick.set(d.trace_hash, d.file);
  }
  const written: string[] = [];
  const links: Record<string, string> = {};
  const sub = o.output.replace(/\.html?$/, '') + '-traces';
  for (const [hash, file] of pick) {
    const page = join(sub, `${hash}.html`);
    mkdirSync(sub, { recursive: true });
    await o.renderTrace(file, page, batch);
    links[hash] = relative(dirname(o.output), page);
    written.push(page);
  }
  const html = buildFleetReport({ dir: o.dir, baseVariant: base, rows, validation, status, links, generated: new Date().toISOString(), command: o.command, version: o.version });
  try {
    writeFileSync(o.output, html);
  } catch (e) {
    throw userError(`${o.output}: cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return [o.output, ...written];
}
