// `trace-cmd report` text (default, -R raw fields, -t nanosecond timestamps): the ftrace line format plus
// `cpus=N`, `CPU N is empty`, per-instance `NAME:` prefixes and `CPU:N [M EVENTS DROPPED]` (trace-cmd 3.1).
import type { LineCtx } from './decode.js';
import { createFtraceParser, type FtraceParser } from './ftrace_text.js';

export function createTraceCmdParser(ctx: LineCtx): FtraceParser {
  return createFtraceParser(ctx, { traceCmd: true });
}
