// Format detection from the first KiBs of a (decompressed) trace, and the binary files people hand in by mistake.
import type { TraceFormat } from './events.js';

/** perf.data and trace.dat magics, checked on the raw bytes before any text decoding. */
export function binaryKind(head: Uint8Array): 'perf.data' | 'trace.dat' | 'binary' | null {
  const ascii = (s: string, at = 0): boolean => {
    for (let i = 0; i < s.length; i++) if (head[at + i] !== s.charCodeAt(i)) return false;
    return head.length >= at + s.length;
  };
  if (ascii('PERFILE2') || ascii('PERFFILE')) return 'perf.data';
  // trace-cmd's trace.dat: \x17\x08\x44 "tracing"
  if (head[0] === 0x17 && head[1] === 0x08 && head[2] === 0x44 && ascii('tracing', 3)) return 'trace.dat';
  let nul = 0;
  const n = Math.min(head.length, 4096);
  for (let i = 0; i < n; i++) if (head[i] === 0) nul++;
  return nul > 0 ? 'binary' : null;
}

const PERF_LINE = /^\s*(?:\S.*?\s+)?\d+(?:\/\d+)?\s+(?:\[\d+\]\s+)?\d+\.\d+:\s+(?:\d+\s+)?[\w:.-]+:(?:\s|$)/;
const PERF_LINE_NOPID = /^\s*\S.*?\s+(?:\[\d+\]\s+)?\d+\.\d+:\s+(?:\d+\s+)?[\w.-]+:[\w.-]+:(?:\s|$)/;
const FTRACE_LINE = /^\s*(?:\S+:\s+)?.+-\d+\s+(?:\(\s*[-\d]+\)\s+)?\[\d+\]\s+(?:\S{1,8}\s+)?\d+(?:\.\d+)?:\s/;
const TRACE_CMD_PREFIX = /^\S+:\s+.+-\d+\s+\[\d+\]\s/;

/** The format of a text trace from its first lines, or null when no line looks like any format. */
export function detectFormat(head: string): TraceFormat | null {
  if (/<script\b[^>]*class\s*=\s*["']trace-data["']/i.test(head) || /^\s*<(!DOCTYPE html|html)/i.test(head) || head.includes('var linuxPerfData = "')) {
    return 'systrace';
  }
  const lines = head.split('\n');
  // A partial last line would mislead: drop it unless it is the only one.
  if (lines.length > 1) lines.pop();
  let perf = 0;
  let ftrace = 0;
  let traceCmd = 0;
  let seen = 0;
  for (const raw of lines) {
    const line = raw.replace(/\r$/, '');
    if (/^cpus=\d+\s*$/.test(line) || /^CPU \d+ is empty$/.test(line) || /^CPU:\d+ \[(?:\d+ )?EVENTS DROPPED\]/.test(line)) {
      traceCmd += 5;
      continue;
    }
    if (/^#\s*tracer:/.test(line) || /^# entries-in-buffer\/entries-written:/.test(line) || /^CPU:\d+ \[LOST \d+ EVENTS\]/.test(line)) {
      ftrace += 5;
      continue;
    }
    if (line.trim() === '' || line.startsWith('#')) continue;
    if (seen++ > 200) break;
    if (TRACE_CMD_PREFIX.test(line)) traceCmd++;
    else if (FTRACE_LINE.test(line)) ftrace++;
    else if (PERF_LINE.test(line) || PERF_LINE_NOPID.test(line)) perf++;
  }
  if (traceCmd > 0) return 'trace-cmd';
  if (ftrace === 0 && perf === 0) return null;
  return ftrace >= perf ? 'ftrace' : 'perf-script';
}
