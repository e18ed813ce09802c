// arquero helpers: map entries in print order (one orderby), and rows to CSV.
import * as aq from 'arquero';
import type { MapEntry, MapState, Val } from './aggregations.js';
import { entryScalar } from './aggregations.js';

/** Rows to CSV with a fixed column order (arquero quotes fields holding commas, quotes or newlines). */
export function toCsv(rows: Record<string, Val>[], columns: string[]): string {
  const cols: Record<string, Val[]> = {};
  for (const c of columns) cols[c] = rows.map((r) => (c in r ? r[c] : ''));
  return aq.table(cols).toCSV();
}

/**
 * Entries in bpftrace's print order (ascending by value, str maps by key; ties by key), keeping the last `top`
 * (the largest) when top > 0: one arquero orderby over value and key columns.
 */
export function orderedEntries(state: MapState, top = 0): MapEntry[] {
  const entries = [...state.entries.values()];
  if (entries.length <= 1) return entries;
  const cols: Record<string, (Val | number)[]> = { i: entries.map((_, i) => i) };
  const keys = state.keyTypes.map((_, j) => `k${j}`);
  keys.forEach((k, j) => (cols[k] = entries.map((e) => e.key[j])));
  const order = keys.slice();
  if (state.kind !== 'str' && state.kind !== 'tuple') {
    cols.v = entries.map((e) => entryScalar(state.kind, e));
    order.unshift('v');
  }
  let t = aq.table(cols).orderby(...order);
  if (top > 0 && entries.length > top) t = t.slice(entries.length - top);
  return (t.array('i') as number[]).map((i) => entries[i]);
}
