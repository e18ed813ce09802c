// `trace-cmd report` text (default, -R raw fields, -t nanosecond timestamps): the ftrace line format plus
// `cpus=N`, `CPU N is empty`, per-instance `NAME:` prefixes and `CPU:N [M EVENTS DROPPED]` (trace-cmd 3.1).
import type { LineCtx } from './decode.js';
import { createFtraceParser, type FtraceParser } from './ftrace_text.js';
import type { Reader } from './reader.js';

const TRACE_CMD_PREFIX = /^\S+:\s+.+-\d+\s+\[\d+\]\s/;

export function createTraceCmdParser(ctx: LineCtx): FtraceParser {
  return createFtraceParser(ctx, { traceCmd: true });
}

export const traceCmdReader: Reader<'trace-cmd'> = {
  name: 'trace-cmd',
  title: 'trace-cmd report',
  lastLineNeedsNewline: true,
  sniff: {
    header: (line) => (/^cpus=\d+\s*$/.test(line) || /^version = \d+$/.test(line) || /^CPU \d+ is empty$/.test(line) || /^CPU:\d+ \[(?:\d+ )?EVENTS DROPPED\]/.test(line) ? 5 : 0),
    // An instance-prefixed line (`NAME:  task-pid [cpu]`): tracefs never prints one.
    event: (line) => TRACE_CMD_PREFIX.test(line),
    decisive: true,
  },
  create(ctx) {
    const p = createTraceCmdParser(ctx);
    return { line: p.line, end: () => (p.flush(), null) };
  },
};
