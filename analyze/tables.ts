// arquero helpers: map contents as tables (for CSV export and for reports that want a query's result as data).
import * as aq from 'arquero';
import type { MapState, Val } from './aggregations.js';
import { entryScalar, sortedEntries } from './aggregations.js';

/** Rows to CSV with a fixed column order (arquero quotes fields holding commas, quotes or newlines). */
export function toCsv(rows: Record<string, Val>[], columns: string[]): string {
  const cols: Record<string, Val[]> = {};
  for (const c of columns) cols[c] = rows.map((r) => (c in r ? r[c] : ''));
  return aq.table(cols).toCSV();
}

/** A scalar-valued map as an arquero table: columns key0..keyN-1 and value, in bpftrace's print order. */
export function mapTable(state: MapState): aq.ColumnTable {
  const cols: Record<string, Val[]> = {};
  state.keyTypes.forEach((_, i) => (cols[`key${i}`] = []));
  cols.value = [];
  for (const e of sortedEntries(state)) {
    e.key.forEach((k, i) => cols[`key${i}`].push(k));
    cols.value.push(state.kind === 'str' ? e.s : entryScalar(state.kind, e));
  }
  return aq.table(cols);
}
