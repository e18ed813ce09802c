// The commands, one entry each: name, arguments and summary (all `faultline --help` needs) and a loader for the module
// that adds the options and the action, imported only when that command runs (so --version loads no command).
import type { Command } from 'commander';

const TRACE = 'trace file: perf script, ftrace (trace/trace_pipe), trace-cmd report, bpftrace (record/bpftrace/faultline.bt) or systrace HTML text, or a Perfetto protobuf trace; .gz of any; - reads stdin (perf script | faultline info -)';

interface CommandEntry {
  /** Commander argument syntax and help, e.g. ['<trace>', 'the trace file']. */
  args: readonly (readonly [string, string])[];
  summary: string;
  load: () => Promise<(program: Command) => void>;
}

export const COMMANDS = {
  info: {
    args: [['<trace>', TRACE]],
    summary: 'Show what a trace holds: format, events per name, processes and threads, time span, lost events, skipped lines',
    load: async () => (await import('./commands/info.js')).registerInfo,
  },
  record: {
    args: [['[command...]', 'the command to record, after --']],
    summary:
      'Run a command under perf or a private ftrace instance with the events faultline needs (faults, rss_stat, ' +
      'mm syscalls, fork/exec/exit), following its children, and write the text trace (.gz to compress)',
    load: async () => (await import('./commands/record.js')).registerRecord,
  },
  replay: {
    args: [['<trace>', TRACE]],
    summary: 'Replay a trace through the Linux mm model: RSS, page-table memory (VmPTE) and faults by kernel path, per process',
    load: async () => (await import('./commands/replay.js')).registerReplay,
  },
  validate: {
    args: [['<trace>', `${TRACE}; with kmem:rss_stat events`]],
    summary: "Check the model against the kernel's own counters: every kmem:rss_stat event vs the model's counter for that mm",
    load: async () => (await import('./commands/validate.js')).registerValidate,
  },
  query: {
    args: [
      ['<trace>', TRACE],
      ['[program]', 'the program text (or use -e / -f)'],
    ],
    summary: 'Run a bpftrace-style program over a recorded trace (tracepoint probes) and the model replay (model:* probes)',
    load: async () => (await import('./commands/query.js')).registerQuery,
  },
  report: {
    args: [['[trace]', TRACE]],
    summary: 'Write a self-contained HTML report (Vega-Lite charts) of mainline and the given patches on a trace',
    load: async () => (await import('./commands/report.js')).registerReport,
  },
  calibrate: {
    args: [],
    summary: 'Measure fault and fork costs on this machine (compiles traces/workloads/calibrate.c with cc) and write a cost profile',
    load: async () => (await import('./commands/calibrate.js')).registerCalibrate,
  },
  patches: {
    args: [],
    summary: 'List the proposed kernel patches faultline can replay (--patch NAME), with their source threads',
    load: async () => (await import('./commands/patches.js')).registerPatches,
  },
  batch: {
    args: [['<inputs...>', 'trace files, directories (walked for *.txt, *.html, *.log, *.trace, *.pftrace, .gz of any) or quoted globs']],
    summary: 'Run many traces through info + replay + validate, N at a time, into Parquet tables (traces, processes, fault_paths, validation)',
    load: async () => (await import('./commands/batch.js')).registerBatch,
  },
  sql: {
    args: [
      ['<dir>', 'output directory of faultline batch'],
      ['<query>', 'SQL (DuckDB) over the tables traces, processes, fault_paths, validation'],
    ],
    summary: 'Query a batch output directory with DuckDB: tables traces, processes, fault_paths, validation (docs/fleet.md)',
    load: async () => (await import('./commands/sql.js')).registerSql,
  },
} as const satisfies Record<string, CommandEntry>;

export type CommandName = keyof typeof COMMANDS;

export function isCommandName(s: string): s is CommandName {
  return Object.hasOwn(COMMANDS, s);
}

/** The command as `faultline --help` lists it: name, arguments, summary; its module adds options and the action. */
export function declareCommand(program: Command, name: CommandName): Command {
  const e: CommandEntry = COMMANDS[name];
  const cmd = program.command(name).description(e.summary);
  for (const [syntax, help] of e.args) cmd.argument(syntax, help);
  return cmd;
}
