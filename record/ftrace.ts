// The ftrace backend: a private tracefs instance with the events enabled, filtered to the command by set_event_pid.
// ftrace (instance `instances/faultline-<pid>`, trace_clock=mono, set_event_pid + event-fork): sees exit-time
// rss_stat (curr=0) and the workload's checkpoint markers (`tracing_mark_write: faultline_checkpoint: ...` via the
// instance's trace_marker). set_event_pid was reported not to filter syscall events (making the recording
// system-wide for sys_enter/exit_*); on 6.12+ it does (kernel/trace/trace_syscalls.c: ftrace_syscall_enter ->
// trace_trigger_soft_disabled checks EVENT_FILE_FL_PID_FILTER), and on 6.18 here a concurrent mmap loop did not
// show up; older kernels and conditional triggers skip that check, so readers must still cope with foreign pids.
// Timestamps are printed in microseconds only. Losses appear as entries-in-buffer < entries-written in the header
// (overwrite mode) and in per_cpu/*/stats. On 6.18 the teardown rss_stat events follow sched_process_exit.
import { userError } from '../traces/errors.js';
import { spawn } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { RecordHost, RecordOptions, RecordResult } from './options.js';
import { eventDir } from './prerequisites.js';
import { holdSignals, stdoutTarget, waitExit, writeOutput } from './process.js';

function tfWrite(file: string, value: string): void {
  try {
    writeFileSync(file, value);
  } catch (err) {
    throw userError(`cannot write ${file}: ${(err as Error).message} (are you root?)`);
  }
}

/** Sums ring-buffer losses from per_cpu/cpuN/stats (`overrun` and `dropped events`). */
export function ftraceLosses(instance: string): number {
  let lost = 0;
  const perCpu = join(instance, 'per_cpu');
  if (!existsSync(perCpu)) return 0;
  for (const cpu of readdirSync(perCpu)) {
    let text = '';
    try {
      text = readFileSync(join(perCpu, cpu, 'stats'), 'utf8');
    } catch {
      continue;
    }
    for (const m of text.matchAll(/^(overrun|dropped events): (\d+)$/gm)) lost += Number(m[2]);
  }
  return lost;
}

/** 128 MiB per CPU, but at most 1 GiB over all CPUs (buffers are per CPU and allocated up front), at least 16 MiB. */
export function defaultBufferKb(cpus = availableParallelism()): number {
  return Math.max(16384, Math.min(131072, Math.floor(1048576 / Math.max(1, cpus))));
}

/** Removes instances left by recorders that were killed (SIGKILL skips our cleanup); returns their names. */
export function removeStaleInstances(tracefs: string, alive: (pid: number) => boolean = pidAlive): string[] {
  const removed: string[] = [];
  let names: string[] = [];
  try {
    names = readdirSync(join(tracefs, 'instances'));
  } catch {
    return removed;
  }
  for (const name of names) {
    const m = /^faultline-(\d+)$/.exec(name);
    if (!m || alive(Number(m[1]))) continue;
    try {
      rmdirSync(join(tracefs, 'instances', name));
      removed.push(name);
    } catch {
      /* busy or not ours to remove: leave it */
    }
  }
  return removed;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function recordFtrace(
  opts: RecordOptions, host: RecordHost, events: string[], skipped: string[], log: (l: string) => void,
): Promise<RecordResult> {
  const stale = removeStaleInstances(host.tracefs);
  if (stale.length) log(`removed ${stale.length} tracing instance(s) left by killed recorders: ${stale.join(', ')}`);
  const inst = join(host.tracefs, 'instances', `faultline-${process.pid}`);
  const bufferKb = opts.bufferKb ?? defaultBufferKb();
  try {
    mkdirSync(inst);
  } catch (err) {
    throw userError(`cannot create tracing instance ${inst}: ${(err as Error).message} (run as root; remove a stale one with rmdir)`);
  }
  const removeInstance = (): void => {
    try {
      writeFileSync(join(inst, 'tracing_on'), '0');
    } catch {
      /* already gone */
    }
    try {
      rmdirSync(inst);
    } catch {
      /* already gone, or busy: nothing more to do */
    }
  };
  // Last resort if we are killed by an uncaught error: the instance must not outlive us.
  process.once('exit', removeInstance);
  const release = holdSignals();
  const truth = stdoutTarget(opts);
  try {
    tfWrite(join(inst, 'tracing_on'), '0');
    tfWrite(join(inst, 'trace_clock'), 'mono');
    tfWrite(join(inst, 'buffer_size_kb'), String(bufferKb));
    tfWrite(join(inst, 'options', 'record-tgid'), '1');
    tfWrite(join(inst, 'options', 'event-fork'), '1');
    for (const e of events) tfWrite(join(eventDir(inst, e), 'enable'), '1');
    log(`recording with ftrace instance ${inst} (${events.length} events) into ${opts.output}`);
    // The shell puts its own pid (the command's, after exec) in set_event_pid, turns tracing on, then execs the
    // command, so nothing of the command is missed.
    const script = 'echo $$ > "$0/set_event_pid" && echo 1 > "$0/tracing_on" && exec "$@"';
    const child = spawn('/bin/sh', ['-c', script, inst, ...opts.command], {
      stdio: ['inherit', truth.fd, 'inherit'],
      env: { ...process.env, FAULTLINE_TRACE_MARKER: join(inst, 'trace_marker'), ...opts.env },
    });
    const status = await waitExit(child, '/bin/sh');
    tfWrite(join(inst, 'tracing_on'), '0');
    truth.close();
    const lost = ftraceLosses(inst);
    const bytes = await writeOutput(createReadStream(join(inst, 'trace'), { highWaterMark: 1 << 20 }), opts.output);
    if (lost) log(`warning: the ftrace ring buffer lost ${lost} events: rerun with a larger --buffer-kb`);
    return {
      output: opts.output, backend: 'ftrace', commandStatus: status, events, skippedEvents: skipped, lostEvents: lost,
      bytesWritten: bytes, toolCommand: ['ftrace', `instance=${inst}`, 'trace_clock=mono', `buffer_size_kb=${bufferKb}`, 'record-tgid=1', 'event-fork=1', 'set_event_pid=<command pid>'],
    };
  } finally {
    truth.close();
    release();
    removeInstance();
    process.off('exit', removeInstance);
  }
}
