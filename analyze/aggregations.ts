// Map storage and the aggregation functions' arithmetic (bucket indexes as bpftrace's codegen computes them).

export type Val = number | string;

/** What a map holds, fixed by its first assignment (bpftrace's semantic analyser does the same). */
export type AggKind = 'count' | 'sum' | 'min' | 'max' | 'avg' | 'stats' | 'hist' | 'lhist' | 'int' | 'str' | 'tuple';

/** A tuple value `(a, b, ...)` of integers and strings. */
export type Tuple = (number | string)[];

export interface MapEntry {
  key: Val[];
  /** count/sum/min/max/int value; avg/stats total. */
  v: number;
  /** avg/stats: number of samples; min/max: 1 once a value was seen. */
  n: number;
  /** str maps. */
  s: string;
  /** tuple maps. */
  t?: Tuple;
  /** hist (65 buckets) and lhist (buckets + 2) counts. */
  buckets: Float64Array | null;
}

export interface LhistParams {
  min: number;
  max: number;
  step: number;
}

export interface MapState {
  name: string;
  kind: AggKind;
  /** Key arity and element types ('int' | 'str'). */
  keyTypes: ('int' | 'str')[];
  lhist: LhistParams | null;
  entries: Map<Val, MapEntry>;
}

export const HIST_BUCKETS = 65;

export function newMapState(name: string, kind: AggKind, keyTypes: ('int' | 'str')[], lhist: LhistParams | null): MapState {
  return { name, kind, keyTypes, lhist, entries: new Map() };
}

export function newEntry(state: MapState, key: Val[]): MapEntry {
  let buckets: Float64Array | null = null;
  if (state.kind === 'hist') buckets = new Float64Array(HIST_BUCKETS);
  else if (state.kind === 'lhist') buckets = new Float64Array(lhistBucketCount(state.lhist!) + 2);
  // min/max use n as 'has a value' so a zero()ed entry prints 0, never an infinity
  return { key, v: 0, n: 0, s: '', buckets };
}

/** Key for a composite map key: joined with a separator no comm or path contains. */
export function joinKey(parts: Val[]): string {
  let s = '';
  for (let i = 0; i < parts.length; i++) s += (i ? '\u0001' : '') + (typeof parts[i] === 'number' ? 'i' : 's') + parts[i];
  return s;
}

/** hist(): bucket 0 is negative values, 1 is zero, 2 + floor(log2(v)) otherwise (bpftrace codegen: log2 function). */
export function histIndex(v: number): number {
  if (v < 0) return 0;
  if (v === 0) return 1;
  if (v < 4294967296) return 2 + 31 - Math.clz32(v);
  let p = Math.floor(Math.log2(v));
  if (2 ** p > v) p--;
  else if (2 ** (p + 1) <= v) p++;
  return Math.min(2 + p, HIST_BUCKETS - 1);
}

/** Number of in-range lhist buckets, excluding the under and over buckets. */
export function lhistBucketCount(p: LhistParams): number {
  return Math.trunc((p.max - p.min) / p.step);
}

/** lhist(): 0 below min, 1 + (max - min) / step above max, else 1 + (v - min) / step (bpftrace codegen: createLinearFunction). */
export function lhistIndex(v: number, p: LhistParams): number {
  if (v < p.min) return 0;
  if (v > p.max) return 1 + lhistBucketCount(p);
  return 1 + Math.trunc((v - p.min) / p.step);
}

/** Value a map entry sorts and prints by (avg and stats sort by the integer average). */
export function entryScalar(kind: AggKind, e: MapEntry): number {
  switch (kind) {
    case 'avg':
    case 'stats':
      return e.n === 0 ? 0 : Math.trunc(e.v / e.n);
    case 'hist':
    case 'lhist': {
      let s = 0;
      for (let i = 0; i < e.buckets!.length; i++) s += e.buckets![i];
      return s;
    }
    default:
      return e.v;
  }
}
