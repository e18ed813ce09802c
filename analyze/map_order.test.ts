// map_order.ts against arquero's own orderby over the same columns (the implementation it replaced), on random maps.
import * as aq from 'arquero';
import { describe, expect, it } from 'vitest';
import { type AggKind, type MapEntry, type MapState, type Val, entryScalar, joinKey, newEntry, newMapState } from './aggregations.js';
import { orderedEntries } from './map_order.js';

/** The order arquero gives: one orderby over the value column (not for str/tuple maps), then the key columns. */
function arqueroOrder(state: MapState, top: number): MapEntry[] {
  const entries = [...state.entries.values()];
  if (entries.length <= 1) return entries;
  const cols: Record<string, (Val | number)[]> = { i: entries.map((_, i) => i) };
  const keys = state.keyTypes.map((_, j) => `k${j}`);
  keys.forEach((k, j) => (cols[k] = entries.map((e) => e.key[j]!)));
  const order = keys.slice();
  if (state.kind !== 'str' && state.kind !== 'tuple') {
    cols.v = entries.map((e) => entryScalar(state.kind, e));
    order.unshift('v');
  }
  let t = aq.table(cols).orderby(...order);
  if (top > 0 && entries.length > top) t = t.slice(entries.length - top);
  return (t.array('i') as number[]).map((i) => entries[i]!);
}

/** A deterministic pseudo-random sequence (mulberry32), so a failure can be replayed. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const COMMS = ['bash', 'sh', 'node', 'a,b', 'Z', 'zz', '', 'é', 'python3', '10', '9'];

function randomMap(r: () => number, kind: AggKind, keyTypes: ('int' | 'str')[]): MapState {
  const st = newMapState('@m', kind, keyTypes, null);
  const n = Math.floor(r() * 40);
  for (let k = 0; k < n; k++) {
    const key: Val[] = keyTypes.map((t) => (t === 'int' ? Math.floor((r() - 0.3) * 20) : COMMS[Math.floor(r() * COMMS.length)]!));
    const e = st.entries.get(joinKey(key)) ?? newEntry(st, key);
    st.entries.set(joinKey(key), e);
    e.v = Math.floor(r() * 5) - 1; // few distinct values: many ties, ordered by key
    e.n = 1 + Math.floor(r() * 3);
    e.s = COMMS[Math.floor(r() * COMMS.length)]!;
  }
  return st;
}

describe('map entries in print order', () => {
  const shapes: [AggKind, ('int' | 'str')[]][] = [['count', ['int']], ['count', ['str']], ['sum', ['str', 'int']], ['avg', ['int', 'str']], ['max', []], ['str', ['str']], ['str', ['int', 'int']], ['min', ['str', 'str']]];
  for (const [kind, keyTypes] of shapes) {
    it(`${kind} keyed by (${keyTypes.join(', ')}): the order arquero's orderby gave, with and without top`, () => {
      const r = rng(kind.length * 31 + keyTypes.length);
      for (let round = 0; round < 200; round++) {
        const st = randomMap(r, kind, keyTypes);
        const top = round % 3 === 0 ? 1 + Math.floor(r() * 5) : 0;
        expect(orderedEntries(st, top).map((e) => e.key)).toEqual(arqueroOrder(st, top).map((e) => e.key));
      }
    });
  }

  it('a count map by value, ties by key: the smallest first, top keeps the largest', () => {
    const st = newMapState('@', 'count', ['str'], null);
    for (const [k, v] of [['b', 2], ['a', 2], ['c', 1], ['d', 5]] as const) st.entries.set(k, { ...newEntry(st, [k]), v });
    expect(orderedEntries(st).map((e) => e.key[0])).toEqual(['c', 'a', 'b', 'd']);
    expect(orderedEntries(st, 2).map((e) => e.key[0])).toEqual(['b', 'd']);
  });
});
