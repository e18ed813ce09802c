// bpftrace's output formats for maps: text (print_map / hist_to_str / lhist_to_str rules), -f json NDJSON, and CSV.
import {
  type LhistParams, type MapEntry, type MapState, type Val, HIST_BUCKETS, entryScalar, lhistBucketCount,
} from './aggregations.js';
import { orderedEntries } from './map_order.js';
import type { CsvWriter } from './tables.js';

export type OutputFormat = 'text' | 'json' | 'csv';

/**
 * Whose byte layout to print: the current bpftrace release (0.26: src/output/text.cpp, json.cpp, types_format.cpp)
 * or Debian 12's 0.17 (src/output.cpp), where they differ. Each difference is named where it is applied.
 */
export type BpftraceVersion = '0.17' | '0.26';
export const BPFTRACE_VERSIONS: readonly BpftraceVersion[] = ['0.17', '0.26'];
export const CURRENT_BPFTRACE: BpftraceVersion = '0.26';

const BAR_WIDTH = 52;

/** bpftrace: hist_index_label: 2^power with a K/M/G/T suffix per 10 powers. */
export function histIndexLabel(power: number): string {
  const decade = Math.min(Math.floor(power / 10), 4);
  return String(2 ** (power - 10 * decade)) + ['', 'K', 'M', 'G', 'T'][decade];
}

/** bpftrace: lhist_index_label: K/M suffixes only when the step is a multiple of 1024. */
export function lhistIndexLabel(n: number, step: number): string {
  if (step % 1024 !== 0 || n === 0) return String(n);
  if (n % 1048576 === 0) return `${n / 1048576}M`;
  if (n % 1024 === 0) return `${n / 1024}K`;
  return String(n);
}

/** Bar length as bpftrace computes it: count / (float)max * 52, truncated (single-precision arithmetic). */
export function barWidth(count: number, max: number): number {
  return Math.trunc(Math.fround(Math.fround(Math.fround(count) / Math.fround(max)) * BAR_WIDTH));
}

/** One bucket line: the printed count, and the bar drawn from `barOf` against `max` (they differ under a 0.17 divisor). */
function histLine(header: string, count: number, barOf: number, max: number): string {
  return header.padEnd(16) + String(count).padStart(8) + ' |' + '@'.repeat(max > 0 ? barWidth(barOf, max) : 0).padEnd(BAR_WIDTH) + '|\n';
}

function nonZeroRange(b: Float64Array, lo: number, hi: number): [number, number, number] {
  let first = -1;
  let last = -1;
  let max = 0;
  for (let i = lo; i <= hi; i++) {
    if (b[i] > 0) {
      if (first < 0) first = i;
      last = i;
    }
    if (b[i] > max) max = b[i];
  }
  return [first, last, max];
}

/**
 * The lines of one hist() value; '' when every bucket is empty. With a divisor, 0.26 divides the counts first and
 * draws bars from them (types_format.cpp: build_histogram, text.cpp: TextEmitter<Histogram>); 0.17 prints divided
 * counts beside bars drawn from the undivided ones (output.cpp: hist_to_str). Either way the largest bar is 52 wide.
 */
export function histText(b: Float64Array, div = 1, version: BpftraceVersion = CURRENT_BPFTRACE): string {
  const [first, last, max] = nonZeroRange(b, 0, HIST_BUCKETS - 1);
  if (first < 0) return '';
  const dividedBars = version !== '0.17' && div !== 1;
  let top = max;
  if (dividedBars) {
    top = 0;
    for (let i = first; i <= last; i++) top = Math.max(top, Math.trunc(b[i] / div));
  }
  let out = '';
  for (let i = first; i <= last; i++) {
    const header =
      i === 0 ? '(..., 0)' : i === 1 ? '[0]' : i === 2 ? '[1]' : `[${histIndexLabel(i - 2)}, ${histIndexLabel(i - 1)})`;
    const count = Math.trunc(b[i] / div);
    out += histLine(header, count, dividedBars ? count : b[i], top);
  }
  return out;
}

/** The lines of one lhist() value (bpftrace: lhist_to_str). */
export function lhistText(b: Float64Array, min: number, max: number, step: number): string {
  const buckets = lhistBucketCount({ min, max, step });
  const [first, last, top] = nonZeroRange(b, 0, buckets + 1);
  if (first < 0) return '';
  let out = '';
  for (let i = first; i <= last; i++) {
    const header =
      i === 0
        ? `(..., ${lhistIndexLabel(min, step)})`
        : i === buckets + 1
          ? `[${lhistIndexLabel(max, step)}, ...)`
          : `[${lhistIndexLabel((i - 1) * step + min, step)}, ${lhistIndexLabel(i * step + min, step)})`;
    out += histLine(header, b[i], b[i], top);
  }
  return out;
}

function keyText(key: Val[]): string {
  return key.length === 0 ? '' : `[${key.join(', ')}]`;
}

function scalarText(state: MapState, e: MapEntry, div: number): string {
  switch (state.kind) {
    case 'str':
      return e.s;
    case 'tuple':
      // text.cpp: TextEmitter<Primitive::Tuple>: elements joined by ', ' in parentheses
      return `(${(e.t ?? []).join(', ')})`;
    case 'stats':
      return `count ${e.n}, average ${entryScalar('stats', e)}, total ${e.v}`;
    default:
      return String(Math.trunc(entryScalar(state.kind, e) / div));
  }
}

/**
 * 0.17 keeps an unkeyed count() map in a one-slot BPF array (map.cpp: Map::Map), so it always has a value: never
 * written or clear()ed it prints 0. 0.26 uses hash maps for every map (bpfmap.cpp: get_bpf_map_type): nothing.
 */
function printedEntries(state: MapState, top: number, version: BpftraceVersion): MapEntry[] {
  const entries = orderedEntries(state, top);
  if (entries.length === 0 && version === '0.17' && state.kind === 'count' && state.keyTypes.length === 0)
    return [{ key: [], v: 0, n: 0, s: '', buckets: null }];
  return entries;
}

/**
 * One map in bpftrace's text format. 0.26 (text.cpp: TextOutput::map, emit_map): `@m[k]: v` lines, a hist as
 * `@h[k]:` then its lines and a blank line, nothing for an empty map. 0.17 (output.cpp: map_keyval_to_str,
 * map_stats): hist headers end `: ` (a trailing space), avg/stats maps end with a blank line, and an empty map
 * still prints its line end (two for avg/stats).
 */
export function mapText(state: MapState, top = 0, div = 1, version: BpftraceVersion = CURRENT_BPFTRACE): string {
  const entries = printedEntries(state, top, version);
  const old = version === '0.17';
  const stats = state.kind === 'avg' || state.kind === 'stats';
  if (entries.length === 0) return old ? (stats ? '\n\n' : '\n') : '';
  let out = '';
  if (state.kind === 'hist' || state.kind === 'lhist') {
    for (const e of entries) {
      out += `${state.name}${keyText(e.key)}:${old ? ' ' : ''}\n`;
      out += state.kind === 'hist' ? histText(e.buckets!, div, version) : lhistText(e.buckets!, state.lhist!.min, state.lhist!.max, state.lhist!.step);
      out += '\n';
    }
    return out;
  }
  for (const e of entries) out += `${state.name}${keyText(e.key)}: ${scalarText(state, e, div)}\n`;
  return old && stats ? out + '\n' : out;
}

export function jsonEscape(s: string): string {
  let out = '';
  for (const c of s) {
    const code = c.charCodeAt(0);
    if (c === '"') out += '\\"';
    else if (c === '\\') out += '\\\\';
    else if (c === '\n') out += '\\n';
    else if (c === '\r') out += '\\r';
    else if (c === '\t') out += '\\t';
    else if (code <= 0x1f) out += '\\u' + code.toString(16).padStart(4, '0');
    else out += c;
  }
  return out;
}

/**
 * Inclusive value range of bucket i of a hist (lhist when `lh` is given), as bpftrace's -f json prints it: the
 * underflow bucket has no min, the lhist overflow bucket no max.
 */
function bucketRange(i: number, lh: LhistParams | null): { min?: number; max?: number } {
  if (lh) {
    if (i === 0) return { max: lh.min - 1 };
    if (i === lhistBucketCount(lh) + 1) return { min: lh.max };
    return { min: (i - 1) * lh.step + lh.min, max: i * lh.step + lh.min - 1 };
  }
  if (i === 0) return { max: -1 };
  if (i === 1) return { min: 0, max: 0 };
  if (i === 2) return { min: 1, max: 1 };
  return { min: 2 ** (i - 2), max: 2 ** (i - 1) - 1 };
}

/** Count of bucket i as printed: print()'s divisor applies to hist, not to lhist (as bpftrace). */
function bucketCount(b: Float64Array, i: number, lh: LhistParams | null, div: number): number {
  return lh ? b[i] : Math.trunc(b[i] / div);
}

/**
 * A hist or lhist value as its -f json bucket list, from the first to the last non-empty bucket; buckets are
 * separated by ',' in 0.26 (json.cpp: JsonEmitter<Histogram>) and by ', ' in 0.17 (output.cpp: JsonOutput::hist_to_str).
 */
function bucketsJson(b: Float64Array, lh: LhistParams | null, div: number, version: BpftraceVersion): string {
  const [first, last] = nonZeroRange(b, 0, lh ? lhistBucketCount(lh) + 1 : HIST_BUCKETS - 1);
  if (first < 0) return '[]';
  const parts: string[] = [];
  for (let i = first; i <= last; i++) {
    const { min, max } = bucketRange(i, lh);
    const range = (min !== undefined ? `"min": ${min}, ` : '') + (max !== undefined ? `"max": ${max}, ` : '');
    parts.push(`{${range}"count": ${bucketCount(b, i, lh, div)}}`);
  }
  return `[${parts.join(version === '0.17' ? ', ' : ',')}]`;
}

function valueJson(state: MapState, e: MapEntry, div: number, version: BpftraceVersion): string {
  switch (state.kind) {
    case 'hist':
      return bucketsJson(e.buckets!, null, div, version);
    case 'lhist':
      return bucketsJson(e.buckets!, state.lhist, div, version);
    case 'str':
      return `"${jsonEscape(e.s)}"`;
    case 'tuple':
      // json.cpp: a tuple is an array, elements joined by ',' without spaces (0.17 prints the same)
      return `[${(e.t ?? []).map((x) => (typeof x === 'string' ? `"${jsonEscape(x)}"` : String(x))).join(',')}]`;
    case 'stats':
      return `{"count": ${e.n}, "average": ${entryScalar('stats', e)}, "total": ${e.v}}`;
    default:
      return String(Math.trunc(entryScalar(state.kind, e) / div));
  }
}

/** One map as bpftrace's -f json line (map / hist / stats message), '' for an empty map. */
export function mapJson(state: MapState, top = 0, div = 1, version: BpftraceVersion = CURRENT_BPFTRACE): string {
  const entries = printedEntries(state, top, version);
  if (entries.length === 0) return '';
  const type = state.kind === 'hist' || state.kind === 'lhist' ? 'hist' : state.kind === 'stats' || state.kind === 'avg' ? 'stats' : 'map';
  let body: string;
  if (state.keyTypes.length === 0) body = valueJson(state, entries[0], div, version);
  else body = '{' + entries.map((e) => `"${jsonEscape(e.key.join(','))}": ${valueJson(state, e, div, version)}`).join(', ') + '}';
  return `{"type": "${type}", "data": {"${jsonEscape(state.name)}": ${body}}}\n`;
}

/** One map as CSV rows with a header (hist/lhist: one row per bucket), followed by a blank line. */
export function mapCsv(state: MapState, toCsv: CsvWriter, top = 0, div = 1): string {
  const entries = orderedEntries(state, top);
  if (entries.length === 0) return '';
  const keyCols = state.keyTypes.map((_, i) => `key${i}`);
  const rows: Record<string, Val>[] = [];
  if (state.kind === 'hist' || state.kind === 'lhist') {
    const lh = state.kind === 'lhist' ? state.lhist : null;
    for (const e of entries) {
      const b = e.buckets!;
      for (let i = 0; i < b.length; i++) {
        if (b[i] === 0) continue;
        const row: Record<string, Val> = { map: state.name };
        e.key.forEach((k, j) => (row[keyCols[j]] = k));
        const { min, max } = bucketRange(i, lh);
        row.min = min ?? '';
        row.max = max ?? '';
        row.count = bucketCount(b, i, lh, div);
        rows.push(row);
      }
    }
    return toCsv(rows, ['map', ...keyCols, 'min', 'max', 'count']) + '\n';
  }
  const valueCols = state.kind === 'stats' ? ['count', 'average', 'total'] : ['value'];
  for (const e of entries) {
    const row: Record<string, Val> = { map: state.name };
    e.key.forEach((k, j) => (row[keyCols[j]] = k));
    if (state.kind === 'stats') {
      row.count = e.n;
      row.average = entryScalar('stats', e);
      row.total = e.v;
    } else row.value = state.kind === 'str' ? e.s : Math.trunc(entryScalar(state.kind, e) / div);
    rows.push(row);
  }
  return toCsv(rows, ['map', ...keyCols, ...valueCols]) + '\n';
}

/** One map in `format`; csv: the CSV writer (analyze/tables.ts), set whenever format is 'csv' (run.ts compileProgram checks). */
export function formatMap(format: OutputFormat, state: MapState, top = 0, div = 1, version: BpftraceVersion = CURRENT_BPFTRACE, csv: CsvWriter | null = null): string {
  return format === 'json' ? mapJson(state, top, div, version) : format === 'csv' ? mapCsv(state, csv!, top, div) : mapText(state, top, div, version);
}

/**
 * What bpftrace prints between the run and the maps it dumps at exit: two newlines in text (0.26 text.cpp:
 * TextOutput::end; 0.17 main.cpp writes them to stdout in every format), nothing in 0.26's JSON (JsonOutput::end).
 */
export function exitSeparator(format: OutputFormat, version: BpftraceVersion): string {
  if (format === 'csv') return '';
  return format === 'text' || version === '0.17' ? '\n\n' : '';
}
