// `faultline info TRACE [--json] [--format F] [--allow-lost]`: what a trace holds, before anyone replays it.
import type { Command } from 'commander';
import { action, warnSkippedLines } from '../errors.js';
import { traceInfo, type TraceInfo } from '../../traces/info.js';
import { describeAnonFolios } from '../../traces/anon_folios.js';
import { missingEvents, type MissingEvent } from '../../traces/needed_events.js';
import { declareCommand } from '../command_list.js';
import { jsonLine } from '../json_line.js';
import { addTraceOptions, traceFormat } from '../trace_options.js';
import { progressBar } from '../progress.js';

interface InfoCliOptions {
  json?: boolean;
  format?: string;
  allowLost?: boolean;
}

/** Exit status when the ring buffer lost events and --allow-lost was not given. */
export const EXIT_LOST = 3;

function ns(v: number): string {
  if (v >= 1e9) return `${(v / 1e9).toFixed(3)} s`;
  if (v >= 1e6) return `${(v / 1e6).toFixed(3)} ms`;
  if (v >= 1e3) return `${(v / 1e3).toFixed(3)} us`;
  return `${v} ns`;
}

function seconds(v: number): string {
  return `${Math.floor(v / 1e9)}.${String(v % 1e9).padStart(9, '0')}`;
}

function text(i: TraceInfo, missing: MissingEvent[]): string {
  const out: string[] = [];
  out.push(`file:      ${i.file} (${i.bytes} bytes, ${i.lines} lines)`);
  out.push(`format:    ${i.format}`);
  out.push(`events:    ${i.totalEvents}`);
  const w = Math.max(0, ...Object.keys(i.events).map((k) => k.length));
  for (const [k, n] of Object.entries(i.events)) out.push(`  ${k.padEnd(w)}  ${n}`);
  out.push(`processes: ${i.processes}`);
  out.push(`threads:   ${i.threads}`);
  out.push(`time:      ${seconds(i.firstNs)} .. ${seconds(i.lastNs)} (span ${ns(i.spanNs)})`);
  out.push(`lost:      ${i.lostEvents}`);
  out.push(`skipped:   ${i.skippedLines} lines`);
  if (i.anonFolios) out.push(`folios:    ${describeAnonFolios(i.anonFolios)}`);
  for (const s of i.skippedExamples) out.push(`  ${s.file}:${s.line}: ${s.reason}`);
  if (i.skippedLines > i.skippedExamples.length) out.push(`  ... and ${i.skippedLines - i.skippedExamples.length} more`);
  // The counted warnings (traces/stats.ts), each with what it means: older-kernel behaviour assumed, data the trace lacks.
  for (const st of i.stats) out.push(`stat:      ${st.name} = ${st.value} (${st.severity}): ${st.description}`);
  // what replay and validate will assume for each event faultline needs that the trace lacks (traces/needed_events.ts)
  out.push(`missing:   ${missing.length} of the events faultline needs are absent (not recorded, or they never fired)`);
  for (const m of missing) out.push(`  no ${m.event}: ${m.cost}`);
  return out.join('\n') + '\n';
}

export function registerInfo(program: Command): void {
  addTraceOptions(declareCommand(program, 'info'), ['json', 'format', 'allowLost'], { json: 'print one JSON object instead of text' })
    .addHelpText(
      'after',
      [
        '',
        'Exit status: 0; 3 when events were lost (unless --allow-lost); 2 when the file cannot be read as a trace.',
        'Event names are tracepoint names without their subsystem (page_fault_user, rss_stat, sys_enter_mmap).',
        'Examples:',
        '  faultline info traces/fixtures/formats/perf_script.default.txt',
        '  faultline info run.txt.gz --json | jq .events',
        '  perf script -i perf.data > run.txt && faultline info run.txt',
        '  perf script -i perf.data | faultline info -',
        '  faultline info trace_pipe.txt --format ftrace --allow-lost',
        '',
      ].join('\n'),
    )
    .action(
      action(async (trace: string, opts: InfoCliOptions) => {
        const format = traceFormat(opts.format);
        const bar = progressBar(trace);
        let info: TraceInfo;
        try {
          info = await traceInfo(trace, { format, onProgress: bar.onProgress });
        } finally {
          bar.done();
        }
        const missing = missingEvents(new Set(Object.keys(info.events)));
        if (opts.json) {
          const skippedExamples = info.skippedExamples.map((s) => `${s.file}:${s.line}: ${s.reason}`);
          process.stdout.write(jsonLine({ ...info, skippedExamples, missingEvents: missing }, [
            'format', 'events', 'lostEvents', 'skippedLines', 'processes', 'threads', 'spanNs', 'firstNs', 'lastNs',
            'totalEvents', 'lines', 'bytes', 'usable', 'skippedExamples', 'warnings', 'stats', 'missingEvents', 'anonFolios',
          ]));
        } else {
          process.stdout.write(text(info, missing));
        }
        for (const w of info.warnings) process.stderr.write(`faultline: warning: ${w}\n`);
        warnSkippedLines(trace, info.skippedLines, info.skippedExamples[0]);
        if (!info.usable) {
          process.stderr.write(
            `faultline: warning: ${trace}: none of the events faultline needs (page faults, rss_stat, mm syscalls, fork/exec/exit); replay will refuse it\n`,
          );
        }
        if (info.lostEvents > 0) {
          process.stderr.write(
            `faultline: warning: ${trace}: ${info.lostEvents} events were lost by the ring buffer; counts and replays are incomplete` +
              (opts.allowLost ? '\n' : ' (pass --allow-lost to accept)\n'),
          );
          if (!opts.allowLost) return EXIT_LOST;
        }
        return 0;
      }),
    );
}
