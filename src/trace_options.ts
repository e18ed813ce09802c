// The options about reading a trace (--json, --format, --allow-lost) and their parsing, apart from src/options.ts so
// that `faultline info` loads no model module (options.ts's help lines quote model constants).
import { Option, type Command } from 'commander';
import type { TraceFormat } from '../traces/events.js';
import { userError } from '../traces/errors.js';
import { TRACE_FORMATS } from '../traces/readers.js';

export const TRACE_OPTIONS = {
  json: () => new Option('--json', 'print JSON instead of text'),
  format: () => new Option('--format <format>', `force the trace format instead of detecting it (${TRACE_FORMATS.join(', ')})`),
  allowLost: () => new Option('--allow-lost', 'accept a trace with lost events: exit 0 (figures are then lower bounds)'),
} as const satisfies Record<string, () => Option>;

export type TraceOptionName = keyof typeof TRACE_OPTIONS;

/** Add trace options to a command; `help` replaces an option's help line where the command says more. */
export function addTraceOptions(cmd: Command, names: readonly TraceOptionName[], help: Partial<Record<TraceOptionName, string>> = {}): Command {
  for (const n of names) {
    const o = TRACE_OPTIONS[n]();
    if (help[n] !== undefined) o.description = help[n]!;
    cmd.addOption(o);
  }
  return cmd;
}

/** --format as a trace format; a name not in the catalogue is a usage error. */
export function traceFormat(f: string | undefined): TraceFormat | undefined {
  if (f === undefined) return undefined;
  if (!(TRACE_FORMATS as readonly string[]).includes(f)) throw userError(`unknown --format '${f}' (${TRACE_FORMATS.join(', ')})`);
  return f as TraceFormat;
}
