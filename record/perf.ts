// The perf backend: `perf record -k mono` on the command, then `perf script` into the text trace.
// perf (`perf record -k mono` on the command, children inherited): only the command's own tasks, so no noise from
// other processes; but no exit-time kmem:rss_stat (kernel/exit.c: do_exit runs perf_event_exit_task before
// exit_mm, K6.12, so the teardown's curr=0 events happen after the task's perf events are gone), and no ftrace print
// markers (trace_marker writes go to a tracefs buffer, not to perf). Losses appear as `PERF_RECORD_LOST lost N`.
import { userError } from '../traces/errors.js';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RecordHost, RecordOptions, RecordResult } from './options.js';
import { holdSignals, stdoutTarget, waitExit, writeOutput } from './process.js';

/** perf script field list: header `comm PID/TID [CPU] SECONDS.NNNNNNNNN: system:event: fields` (ns, mono clock). */
export const PERF_SCRIPT_FIELDS = 'trace:comm,pid,tid,cpu,time,event,trace';

export async function recordPerf(
  opts: RecordOptions, host: RecordHost, perf: string, events: string[], skipped: string[], log: (l: string) => void,
): Promise<RecordResult> {
  const dir = mkdtempSync(join(tmpdir(), 'faultline-record-'));
  const data = join(dir, 'perf.data');
  const release = holdSignals();
  const truth = stdoutTarget(opts);
  try {
    const recArgs = ['record', '-q', '-k', 'mono', '-m', opts.perfMmap ?? '64M', '-o', data, ...events.flatMap((e) => ['-e', e]), '--', ...opts.command];
    log(`recording with perf (${events.length} events) into ${opts.output}`);
    const rec = spawn(perf, recArgs, {
      stdio: ['inherit', truth.fd, 'inherit'],
      // perf cannot see trace_marker writes: keep the workloads off the global ftrace buffer.
      env: { ...process.env, FAULTLINE_TRACE_MARKER: 'off', ...opts.env },
    });
    const status = await waitExit(rec, 'perf record');
    truth.close();
    if (!existsSync(data) || statSync(data).size === 0) {
      throw userError(`perf record produced no data (status ${status}): check that ${opts.command[0]} runs on its own`);
    }
    const scriptArgs = ['script', '-i', data, '-F', PERF_SCRIPT_FIELDS, '--ns', '--show-lost-events'];
    const scr = spawn(perf, scriptArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    scr.stderr!.on('data', (b: Buffer) => (err = (err + b.toString()).slice(-4096))); // keep the last lines only
    let lost = 0;
    const exited = waitExit(scr, 'perf script');
    const bytes = await writeOutput(scr.stdout!, opts.output, (text) => {
      for (let i = text.indexOf('PERF_RECORD_LOST lost '); i >= 0; i = text.indexOf('PERF_RECORD_LOST lost ', i + 1)) {
        lost += Number.parseInt(text.slice(i + 22, i + 42), 10) || 0;
      }
    });
    const scrStatus = await exited;
    if (scrStatus !== 0) throw userError(`perf script failed (status ${scrStatus}): ${err.trim().split('\n').pop() ?? ''}`);
    if (lost) log(`warning: perf lost ${lost} events (ring buffer full): rerun with a larger --perf-mmap, e.g. 256M`);
    return {
      output: opts.output, backend: 'perf', commandStatus: status, events, skippedEvents: skipped, lostEvents: lost,
      bytesWritten: bytes, toolCommand: [perf, ...recArgs.slice(0, recArgs.indexOf('--')), '&&', perf, ...scriptArgs],
    };
  } finally {
    truth.close();
    release();
    rmSync(dir, { recursive: true, force: true });
  }
}
