// `faultline record -o FILE [--backend perf|ftrace] [--events LIST] [--truth FILE] -- CMD ARGS...`
import type { Command } from 'commander';
import { action } from '../errors.js';
import { userError } from '../../traces/errors.js';
import { parseEventList } from '../../record/events.js';
import type { RecordBackend } from '../../record/options.js';
import { record } from '../../record/record.js';
import { declareCommand } from '../command_list.js';
import { jsonLine } from '../json_line.js';
import { addOptions } from '../options.js';

interface RecordCliOptions {
  output?: string;
  backend: string;
  events?: string;
  truth?: string;
  bufferKb?: string;
  perfMmap?: string;
  quiet?: boolean;
  json?: boolean;
}

function positiveInt(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^[1-9][0-9]*$/.test(v)) throw userError(`${name} must be a positive integer, got '${v}'`);
  return Number(v);
}

export function registerRecord(program: Command): void {
  addOptions(declareCommand(program, 'record'), ['json'], {
    json: "print what was recorded as one JSON object on stdout (after the command's own output, unless --truth takes that)",
  })
    .option('-o, --output <file>', 'trace file to write (FILE.gz is gzipped)')
    .option('--backend <name>', 'perf (ns times; no exit-time rss_stat, no markers) or ftrace (us times; exit rss_stat and checkpoint markers)', 'perf')
    .option('--events <list>', 'comma-separated system:name events instead of the default set')
    .option('--truth <file>', "write the command's stdout (a workload's ground truth) to this file")
    .option('--buffer-kb <n>', 'ftrace ring buffer per CPU in KiB (default 128 MiB, at most 1 GiB over all CPUs)')
    .option('--perf-mmap <size>', 'perf mmap buffer per CPU, perf -m syntax (default 64M)')
    .option('-q, --quiet', 'no progress lines')
    .addHelpText(
      'after',
      `
Run as root (perf needs it for tracepoints, ftrace for tracefs). Outputs go where -o and --truth say; write them
outside the source tree, e.g. under /tmp.

Examples:
  faultline record -o /tmp/t.txt.gz -- ./my_workload --size 1G            perf backend, ns timestamps
  faultline record -o /tmp/t.txt.gz --backend ftrace --truth /tmp/truth.jsonl -- traces/workloads/bin/write_touch 4096
                                                                          ftrace: exit-time rss_stat and markers; the
                                                                          workload's /proc ground truth kept aside
  faultline record -o /tmp/t.txt --events kmem:rss_stat,exceptions:page_fault_user -q -- make -j2
  faultline record -o /tmp/t.txt.gz --json -- ./my_workload | tail -1 | jq .lost_events

Exit status: the command's own when it fails, 3 when the ring buffer lost events, 2 bad usage, else 0.`,
    )
    .action(
      action(async (command: string[], opts: RecordCliOptions) => {
        if (!opts.output) throw userError('record needs -o FILE: faultline record -o trace.txt.gz -- CMD ARGS...');
        if (command.length === 0) throw userError('record needs a command after --: faultline record -o trace.txt -- CMD ARGS...');
        if (opts.backend !== 'perf' && opts.backend !== 'ftrace') {
          throw userError(`--backend must be perf or ftrace, got '${opts.backend}'`);
        }
        if (opts.perfMmap !== undefined && !/^[1-9][0-9]*[KMG]?$/i.test(opts.perfMmap)) {
          throw userError(`--perf-mmap must be pages or a size like 64M, got '${opts.perfMmap}'`);
        }
        const log = opts.quiet ? () => {} : (l: string) => process.stderr.write(`faultline: ${l}\n`);
        const res = await record({
          output: opts.output,
          backend: opts.backend as RecordBackend,
          command,
          events: opts.events !== undefined ? parseEventList(opts.events) : undefined,
          truthFile: opts.truth,
          bufferKb: positiveInt('--buffer-kb', opts.bufferKb),
          perfMmap: opts.perfMmap,
          log: (l) => (l.startsWith('warning') ? process.stderr.write(`faultline: ${l}\n`) : log(l)),
        });
        log(
          `wrote ${res.output} (${(res.bytesWritten / 1048576).toFixed(1)} MiB of text, ${res.events.length} events enabled, ` +
            `${res.lostEvents} lost)`,
        );
        if (opts.json) {
          process.stdout.write(jsonLine(res, ['output', 'backend', 'events', 'skippedEvents', 'lostEvents', 'bytesWritten', 'commandStatus', 'toolCommand']));
        }
        if (res.commandStatus !== 0) {
          process.stderr.write(`faultline: ${command[0]} exited with status ${res.commandStatus} (trace written anyway)\n`);
          return res.commandStatus;
        }
        return res.lostEvents > 0 ? 3 : 0;
      }),
    );
}
