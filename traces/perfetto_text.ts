// Perfetto's text conversion (`trace_processor convert systrace` / traceconv systrace, SQL `to_ftrace()`): ftrace
// lines read by the ftrace parser, with the rules where that text differs from the kernel's own, all from
// src/trace_processor/plugins/to_ftrace/to_ftrace.cc (github.com/google/perfetto at ec5d16b14b74):
// - SystraceSerializer::SerializePrefix: `%16s-%-5d (%5d|-----) [%03d] .... SECS.%06d:` (`-` in comm printed as
//   `_`, a literal `....` flags column, microseconds truncated from the ns timestamp)
// - SystraceSerializer::SerializeToString: ` NAME:`, print named tracing_mark_write
// - ArgsSerializer::SerializeArgs / WriteValue: events without a special case print ` key=value` per field present,
//   in proto field order, integers in decimal: rss_stat `member=N size=N curr=N mm_id=N` (numeric member, bytes,
//   no `B`; decode.ts reads that order), task_newtask `clone_flags=` in DECIMAL where the kernel prints %lx (fixed here)
// - src/traceconv/trace_to_systrace.cc: kFtraceHeader is a constant (`30624/30624   #P:4`): its CPU count is ignored.
import type { LineFn } from './lines.js';
import type { LineCtx } from './decode.js';
import { createFtraceParser } from './ftrace_text.js';
import { findKey, numAt } from './fields.js';
import type { LineReader } from './reader.js';

/** The constant header traceconv writes before the lines (src/traceconv/trace_to_systrace.cc: kFtraceHeader). */
const TRACECONV_HEADER = /^# entries-in-buffer\/entries-written: 30624\/30624 {3}#P:4$/m;
/** Only Perfetto prints rss_stat in proto field order (the kernel prints mm_id first). */
const PERFETTO_RSS = / rss_stat: member=\d+ size=-?\d+ curr=\d+ mm_id=\d+$/m;
const PREFIX = /^ *\S.*-\d+ +\((?:-----| *\d+)\) \[\d{3}\] \.\.\.\. \d+\.\d{6}: /m;

/** True when the first lines are Perfetto's conversion, not the kernel's own text. */
export function isPerfettoText(head: string): boolean {
  return PREFIX.test(head) && (TRACECONV_HEADER.test(head) || PERFETTO_RSS.test(head));
}

export function createPerfettoTextParser(ctx: LineCtx): { line: LineFn; end(): null } {
  // (the parser below is the ftrace reader's; only the pushed events and the header are corrected)
  let cur = '';
  let curStart = 0;
  let curEnd = 0;
  const inner = createFtraceParser({
    push(e) {
      if (e.kind === 'newtask') {
        // to_ftrace.cc: WriteValue prints the uint64 clone_flags with AppendUnsignedInt (decimal)
        const v = findKey(cur, 'clone_flags=', curStart, curEnd);
        const flags = v < 0 ? NaN : numAt(cur, v, curEnd);
        if (flags !== flags) return ctx.skip(e.line, 'event_fields_unreadable', 'task_newtask: cannot read clone_flags');
        e.cloneFlags = flags;
      }
      ctx.push(e);
    },
    skip: (line, stat, reason) => ctx.skip(line, stat, reason),
    count: (stat, n, line) => ctx.count(stat, n, line),
    thread: (tid, tgid) => ctx.thread(tid, tgid),
    lost: (count, cpu, line) => ctx.lost(count, cpu, line),
    // The header's #P:4 is traceconv's constant, not the trace's CPU count.
    cpus: () => undefined,
  });
  return {
    line(s, start, end, n) {
      cur = s;
      curStart = start;
      curEnd = end;
      inner.line(s, start, end, n);
    },
    end: () => (inner.flush(), null),
  };
}

export const perfettoTextReader: LineReader<'perfetto-text'> = {
  name: 'perfetto-text',
  title: "Perfetto's systrace text",
  lastLineNeedsNewline: true,
  sniff: { marker: isPerfettoText },
  create: (ctx) => createPerfettoTextParser(ctx),
};
