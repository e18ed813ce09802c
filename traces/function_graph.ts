// A reader of function_graph output: the tracer's text lines (` 1)   2.345 us    |  handle_mm_fault();`) and the
// funcgraph_entry/funcgraph_exit events trace-cmd and perf decode into fields, each as one call entry, exit or leaf.
import type { OtherEvent } from './events.js';

const US = /^([0-9]+(?:\.[0-9]+)?)\s*(ns|us|ms|s)$/;

/** Parse '1.234 us', '+ 12.3 us', '0.5' (µs, the function_graph default) into ns; NaN if not a duration. */
export function parseDuration(v: string | number | bigint): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  const t = v.replace(/^[+!#*@$]\s*/, '').trim();
  const m = US.exec(t);
  if (m) {
    const x = Number(m[1]);
    return m[2] === 'ns' ? x : m[2] === 'us' ? x * 1e3 : m[2] === 'ms' ? x * 1e6 : x * 1e9;
  }
  return t !== '' && Number.isFinite(Number(t)) ? Number(t) * 1e3 : NaN;
}

export interface GraphLine {
  cpu: number;
  kind: 'entry' | 'exit' | 'leaf';
  func: string;
  depth: number;
  durationNs: number;
}

/**
 * A small adapter for function_graph text (the `trace` file with the function_graph tracer, or a `funcgraph_*` line's
 * body): ` 1)   2.345 us    |    handle_mm_fault();`, ` 1)               |  handle_mm_fault() {`, ` 1)   3.4 us    |  }`
 * (funcgraph-tail names the function in a C comment after the brace; funcgraph-proc/abstime add '|'-separated columns in front).
 * Returns null for anything else.
 */
export function parseFunctionGraphLine(line: string): GraphLine | null {
  const cols = line.split('|');
  if (cols.length < 2) return null;
  const raw = cols[cols.length - 1];
  const body = raw.trim();
  const head = cols.slice(0, -1).join('|');
  const cpuM = /(?:^|\s)(\d+)\)/.exec(head);
  const durM = /([0-9]+(?:\.[0-9]+)?)\s*(us|ns|ms)\s*$/.exec(cols[cols.length - 2]);
  const cpu = cpuM ? Number(cpuM[1]) : -1;
  const dur = durM ? parseDuration(`${durM[1]} ${durM[2]}`) : NaN;
  const depth = Math.floor((raw.length - raw.trimStart().length) / 2);
  let r: RegExpExecArray | null;
  if ((r = /^([\w.$]+)\(\)\s*;$/.exec(body))) return { cpu, kind: 'leaf', func: r[1], depth, durationNs: dur };
  if ((r = /^([\w.$]+)\(\)\s*\{$/.exec(body))) return { cpu, kind: 'entry', func: r[1], depth, durationNs: NaN };
  if ((r = /^\}(?:\s*\/\*\s*([\w.$]+)\s*\*\/)?$/.exec(body))) return { cpu, kind: 'exit', func: r[1] ?? '', depth, durationNs: dur };
  return null;
}

function str(v: string | number | bigint | undefined): string {
  return v === undefined ? '' : String(v);
}

/** Whether an event is function_graph output (structured funcgraph_* fields or a text body). */
export function isFunctionGraph(e: OtherEvent): boolean {
  return e.name === 'funcgraph_entry' || e.name === 'funcgraph_exit' || e.name === 'function_graph' || e.system === 'ftrace';
}

/**
 * The call a function_graph event records: from structured fields (trace-cmd/perf: func, depth, calltime/rettime,
 * duration) or from the raw text body; null when neither reads as one.
 */
export function functionGraphLine(e: OtherEvent): GraphLine | null {
  const f = e.fields;
  const func = str(f.func ?? f.function ?? f.name);
  const depth = f.depth !== undefined ? Number(f.depth) : -1;
  if (e.name === 'funcgraph_exit' && (f.rettime !== undefined || f.duration !== undefined)) {
    const dur = f.rettime !== undefined && f.calltime !== undefined ? Number(f.rettime) - Number(f.calltime) : parseDuration(f.duration as string);
    return { cpu: e.cpu, kind: 'exit', func: /^0x/.test(func) ? '' : func, depth, durationNs: dur };
  }
  if (e.name === 'funcgraph_entry' && func && f.duration === undefined) return { cpu: e.cpu, kind: 'entry', func, depth, durationNs: NaN };
  const text = str(f.text ?? f.raw ?? f.msg ?? f.body);
  return text ? parseFunctionGraphLine(text) : null;
}
