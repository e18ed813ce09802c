// The closed catalogue of trace readers, in detection order (a format whose lines are another's plus its own
// marks comes before that one). A new format is one file exporting a Reader, its name in TraceFormat, and one entry here.
import type { TraceFormat } from './events.js';
import type { Reader } from './reader.js';
import { systraceReader } from './systrace_html.js';
import { traceCmdReader } from './trace_cmd.js';
import { ftraceReader } from './ftrace_text.js';
import { perfScriptReader } from './perf_script.js';
import { perfettoReader } from './perfetto.js';
import { perfettoTextReader } from './perfetto_text.js';
import { bpftraceReader } from './bpftrace_text.js';

/** Every TraceFormat has exactly one reader: a missing or extra entry is a compile error. */
const BY_NAME: { readonly [F in TraceFormat]: Reader<F> } = {
  systrace: systraceReader,
  bpftrace: bpftraceReader,
  perfetto: perfettoReader,
  'trace-cmd': traceCmdReader,
  'perfetto-text': perfettoTextReader,
  ftrace: ftraceReader,
  'perf-script': perfScriptReader,
};

export const READERS: readonly Reader[] = Object.values(BY_NAME);

/** Format names, for option help and messages. */
export const TRACE_FORMATS: readonly TraceFormat[] = READERS.map((r) => r.name);

export function readerFor(name: TraceFormat): Reader | undefined {
  return (BY_NAME as Record<string, Reader>)[name];
}

/** 'perf script, ftrace, trace-cmd report or systrace HTML' */
export function formatTitles(): string {
  const t = READERS.map((r) => r.title);
  return t.length > 1 ? `${t.slice(0, -1).join(', ')} or ${t[t.length - 1]}` : t.join('');
}
