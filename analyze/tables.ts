// Rows to CSV with arquero (loaded only by a query printing CSV: src/commands/query.ts imports this module then).
import * as aq from 'arquero';
import type { Val } from './aggregations.js';

/** Writes rows as CSV with a fixed column order (print.ts mapCsv takes it as a parameter). */
export type CsvWriter = (rows: Record<string, Val>[], columns: string[]) => string;

/** Rows to CSV with a fixed column order (arquero quotes fields holding commas, quotes or newlines). */
export const toCsv: CsvWriter = (rows, columns) => {
  const cols: Record<string, Val[]> = {};
  for (const c of columns) cols[c] = rows.map((r) => (c in r ? r[c] : ''));
  return aq.table(cols).toCSV();
};
