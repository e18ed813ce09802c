// Map entries in bpftrace's print order: ascending by value (str and tuple maps by key), ties by key, the last `top`.
import type { MapEntry, MapState, Val } from './aggregations.js';
import { entryScalar } from './aggregations.js';

/**
 * One column's ascending order, as arquero's orderby compares (arquero/src/expression/compare.js _compare): nulls
 * last, NaN before numbers, otherwise `<` and `>` (numbers numerically, strings by UTF-16 code units); 0 goes on to
 * the next column. (arquero loaded ~166 modules, 0.18 s of every query's start, for this one sort.)
 */
function ascending(a: Val | null | undefined, b: Val | null | undefined): number {
  const u = a as number, v = b as number; // (mixed number/string columns compare as JS does: what arquero's generated code did)
  if ((u < v || u == null) && v != null) return -1;
  if ((u > v || v == null) && u != null) return 1;
  if (u !== u && v === v) return -1;
  if (v !== v && u === u) return 1;
  return 0;
}

/**
 * Entries in bpftrace's print order (ascending by value, str and tuple maps by key; ties by key), keeping the last
 * `top` (the largest) when top > 0.
 */
export function orderedEntries(state: MapState, top = 0): MapEntry[] {
  const entries = [...state.entries.values()];
  if (entries.length <= 1) return entries;
  const byValue = state.kind !== 'str' && state.kind !== 'tuple';
  const values = byValue ? entries.map((e) => entryScalar(state.kind, e)) : null;
  const nk = state.keyTypes.length;
  const order = entries.map((_, i) => i);
  order.sort((i, j) => {
    if (values) {
      const c = ascending(values[i], values[j]);
      if (c !== 0) return c;
    }
    for (let k = 0; k < nk; k++) {
      const c = ascending(entries[i]!.key[k], entries[j]!.key[k]);
      if (c !== 0) return c;
    }
    return 0;
  });
  const kept = top > 0 && entries.length > top ? order.slice(entries.length - top) : order;
  return kept.map((i) => entries[i]!);
}
