// The recorder: run a command under perf or a private ftrace instance with the events faultline needs, and write
// the text trace (gzipped when the file ends in .gz).
//
// Which backend captures what (measured on Linux 6.18, perf 6.1):
// - perf (`perf record -k mono` on the command, children inherited): only the command's own tasks, so no noise from
//   other processes; but no exit-time kmem:rss_stat (kernel/exit.c: do_exit runs perf_event_exit_task before
//   exit_mm, K6.12, so the teardown's curr=0 events happen after the task's perf events are gone), and no ftrace print
//   markers (trace_marker writes go to a tracefs buffer, not to perf). Losses appear as `PERF_RECORD_LOST lost N`.
// - ftrace (instance `instances/faultline-<pid>`, trace_clock=mono, set_event_pid + event-fork): sees exit-time
//   rss_stat (curr=0) and the workload's checkpoint markers (`tracing_mark_write: faultline_checkpoint: ...` via the
//   instance's trace_marker). set_event_pid was reported not to filter syscall events (making the recording
//   system-wide for sys_enter/exit_*); on 6.12+ it does (kernel/trace/trace_syscalls.c: ftrace_syscall_enter ->
//   trace_trigger_soft_disabled checks EVENT_FILE_FL_PID_FILTER), and on 6.18 here a concurrent mmap loop did not
//   show up; older kernels and conditional triggers skip that check, so readers must still cope with foreign pids.
//   Timestamps are printed in microseconds only. Losses appear as entries-in-buffer < entries-written in the header
//   (overwrite mode) and in per_cpu/*/stats. On 6.18 the teardown rss_stat events follow sched_process_exit.
// Both use CLOCK_MONOTONIC, so a workload's clock_gettime(CLOCK_MONOTONIC) checkpoints line up with trace times.
import { spawn, type ChildProcess } from 'node:child_process';
import {
  accessSync, closeSync, constants as fsc, createReadStream, createWriteStream, existsSync, mkdirSync, mkdtempSync,
  openSync, readFileSync, readdirSync, rmSync, rmdirSync, statSync, writeFileSync,
} from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { Transform, type Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { MM_SYSCALLS } from './syscalls.js';
import { isUserError, userError } from './errors.js';

export type RecordBackend = 'perf' | 'ftrace';

/** The event set faultline needs, as `system:name` (perf spelling; ftrace uses events/system/name). */
export const DEFAULT_EVENTS: readonly string[] = [
  'exceptions:page_fault_user',
  'exceptions:page_fault_kernel',
  'kmem:rss_stat',
  ...[...MM_SYSCALLS].flatMap((c) => [`syscalls:sys_enter_${c}`, `syscalls:sys_exit_${c}`]),
  'sched:sched_process_fork',
  'sched:sched_process_exec',
  'sched:sched_process_exit',
  'task:task_newtask',
];

/** Events without which a trace is useless to faultline: recording refuses to start if none of them exists. */
const ESSENTIAL_EVENTS = ['exceptions:page_fault_user', 'kmem:rss_stat'];

/** perf script field list: header `comm PID/TID [CPU] SECONDS.NNNNNNNNN: system:event: fields` (ns, mono clock). */
export const PERF_SCRIPT_FIELDS = 'trace:comm,pid,tid,cpu,time,event,trace';

/** Where the machine's facilities live; tests inject fakes. */
export interface RecordHost {
  tracefs: string;
  euid: number;
  perfEventParanoid: string;
  /** PATH used to find perf and the command. */
  path: string;
  /** Explicit perf binary (FAULTLINE_PERF), else looked up in `path`. */
  perf?: string;
}

/** /sys/kernel/tracing, or the older debugfs mount point when only that one is mounted. */
function defaultTracefs(): string {
  const modern = '/sys/kernel/tracing';
  const legacy = '/sys/kernel/debug/tracing';
  if (!existsSync(join(modern, 'events')) && existsSync(join(legacy, 'events'))) return legacy;
  return modern;
}

export function defaultHost(): RecordHost {
  return {
    tracefs: process.env.FAULTLINE_TRACEFS ?? defaultTracefs(),
    euid: typeof process.geteuid === 'function' ? process.geteuid() : 0,
    perfEventParanoid: '/proc/sys/kernel/perf_event_paranoid',
    path: process.env.PATH ?? '/usr/bin:/bin',
    perf: process.env.FAULTLINE_PERF,
  };
}

export interface RecordOptions {
  /** Output trace; `.gz` suffix gzips it. */
  output: string;
  backend: RecordBackend;
  /** The command and its arguments. */
  command: string[];
  /** Events as `system:name`; default DEFAULT_EVENTS. */
  events?: readonly string[];
  /** Write the command's stdout here (its ground truth) instead of passing it through. */
  truthFile?: string;
  /** ftrace per-CPU ring buffer in KiB (default defaultBufferKb()). */
  bufferKb?: number;
  /** perf per-CPU mmap buffer (perf -m syntax, default '64M'). */
  perfMmap?: string;
  /** Extra environment for the command. */
  env?: Record<string, string>;
  host?: RecordHost;
  /** Progress and warnings, one line each. */
  log?: (line: string) => void;
}

export interface RecordResult {
  output: string;
  backend: RecordBackend;
  /** The command's exit status (128+signal when killed). */
  commandStatus: number;
  /** Events recorded as requested (missing ones were skipped with a warning). */
  events: string[];
  skippedEvents: string[];
  /** Events the ring buffers dropped (perf LOST records; ftrace overrun + dropped). */
  lostEvents: number;
  bytesWritten: number;
  /** The exact command line of the recording tool(s). */
  toolCommand: string[];
}

/** Splits `--events a,b c` into `system:name` entries; bare names are looked up under their usual system. */
export function parseEventList(spec: string): string[] {
  const out: string[] = [];
  for (const raw of spec.split(/[\s,]+/)) {
    if (!raw) continue;
    const ev = raw.includes(':') ? raw : raw.includes('/') ? raw.replace('/', ':') : guessSystem(raw);
    if (!/^[A-Za-z0-9_]+:[A-Za-z0-9_]+$/.test(ev)) throw userError(`bad event '${raw}': expected system:name, e.g. kmem:rss_stat`);
    if (!out.includes(ev)) out.push(ev);
  }
  if (out.length === 0) throw userError('--events is empty: give a comma-separated list such as kmem:rss_stat,exceptions:page_fault_user');
  return out;
}

function guessSystem(name: string): string {
  const hit = DEFAULT_EVENTS.find((e) => e.endsWith(`:${name}`));
  if (!hit) throw userError(`event '${name}' needs its system: write it as system:name (e.g. kmem:${name})`);
  return hit;
}

/** Finds an executable the way execvp does; null when absent. */
export function findExecutable(cmd: string, pathEnv: string): string | null {
  const candidates = cmd.includes('/') ? [cmd] : pathEnv.split(delimiter).filter(Boolean).map((d) => join(d, cmd));
  for (const c of candidates) {
    try {
      if (statSync(c).isFile()) {
        accessSync(c, fsc.X_OK);
        return c;
      }
    } catch {
      /* keep looking */
    }
  }
  return null;
}

function tracefsMounted(tracefs: string): boolean {
  return existsSync(join(tracefs, 'events')) && existsSync(join(tracefs, 'instances'));
}

function eventDir(tracefs: string, ev: string): string {
  const [sys, name] = ev.split(':');
  return join(tracefs, 'events', sys!, name!);
}

/**
 * Checks everything that can be checked before running the command; throws one-line user errors.
 * Returns the events that exist on this kernel and those skipped.
 */
export function checkPrerequisites(
  opts: RecordOptions, host: RecordHost,
): { events: string[]; skipped: string[]; perf: string | null; command: string[] } {
  if (opts.command.length === 0) throw userError('no command to record: faultline record -o FILE -- CMD ARGS...');
  if (!opts.output) throw userError('no output file: faultline record -o FILE -- CMD ARGS...');
  for (const f of [opts.output, opts.truthFile]) if (f) checkWritable(f);
  const exe = findExecutable(opts.command[0]!, host.path);
  if (!exe) {
    throw userError(`command not found or not executable: ${opts.command[0]} (check the name, or give its path)`, { exitCode: 127 });
  }
  let perf: string | null = null;
  if (opts.backend === 'perf') {
    perf = host.perf ? findExecutable(host.perf, host.path) : findExecutable('perf', host.path);
    if (!perf) throw userError(`perf not found${host.perf ? ` at ${host.perf}` : ' in PATH'}: install it with \`apt-get install linux-perf\`, or use --backend ftrace`);
    if (host.euid !== 0) {
      let paranoid = 2;
      try {
        paranoid = Number.parseInt(readFileSync(host.perfEventParanoid, 'utf8').trim(), 10);
      } catch {
        /* unreadable: assume the default */
      }
      if (!(paranoid <= -1)) {
        throw userError(`perf needs root to record tracepoints (kernel.perf_event_paranoid is ${paranoid}): run as root, or \`sysctl kernel.perf_event_paranoid=-1\` and make ${host.tracefs} readable`);
      }
    }
  }
  if (!tracefsMounted(host.tracefs)) {
    if (host.euid !== 0 && existsSync(host.tracefs) && !canRead(host.tracefs)) {
      throw userError(`cannot read ${host.tracefs} (permission denied): run as root, or \`chmod -R o+rx ${host.tracefs}\``);
    }
    throw userError(`tracefs is not mounted at ${host.tracefs}: run \`mount -t tracefs nodev ${host.tracefs}\` as root`);
  }
  if (opts.backend === 'ftrace' && !canWrite(join(host.tracefs, 'instances'), host.euid)) {
    throw userError(`cannot create a tracing instance in ${join(host.tracefs, 'instances')} (permission denied): run as root (sudo)`);
  }
  const wanted = opts.events ?? DEFAULT_EVENTS;
  const events = wanted.filter((e) => existsSync(eventDir(host.tracefs, e)));
  const skipped = wanted.filter((e) => !events.includes(e));
  if (!ESSENTIAL_EVENTS.some((e) => events.includes(e)) && !opts.events) {
    throw userError(`this kernel has none of ${ESSENTIAL_EVENTS.join(', ')} under ${host.tracefs}/events: faultline cannot record page faults here`);
  }
  if (events.length === 0) throw userError(`none of the requested events exist under ${host.tracefs}/events: ${wanted.join(', ')}`);
  return { events, skipped, perf, command: [exe, ...opts.command.slice(1)] };
}

/** Fails before the command runs when an output file cannot be written, so no recording is wasted. */
function checkWritable(file: string): void {
  const dir = dirname(resolve(file));
  if (!existsSync(dir)) throw userError(`cannot write ${file}: directory ${dir} does not exist`);
  try {
    accessSync(dir, fsc.W_OK);
    if (existsSync(file)) {
      if (statSync(file).isDirectory()) throw userError(`cannot write ${file}: it is a directory`);
      accessSync(file, fsc.W_OK);
    }
  } catch (err) {
    if (isUserError(err)) throw err;
    throw userError(`cannot write ${file}: permission denied`);
  }
}

function canRead(p: string): boolean {
  try {
    accessSync(p, fsc.R_OK | fsc.X_OK);
    readdirSync(p);
    return true;
  } catch {
    return false;
  }
}

function canWrite(p: string, euid: number): boolean {
  try {
    accessSync(p, fsc.W_OK);
    return euid === 0 || (statSync(p).mode & 0o222) !== 0;
  } catch {
    return false;
  }
}

/** Records one command; resolves when the trace file is complete. */
export async function record(opts: RecordOptions): Promise<RecordResult> {
  const host = opts.host ?? defaultHost();
  const { events, skipped, perf, command } = checkPrerequisites(opts, host);
  const log = opts.log ?? (() => {});
  if (skipped.length) log(`warning: ${skipped.length} event(s) not available on this kernel, skipped: ${skipped.join(', ')}`);
  // Run the command by the path we checked, so PATH lookups cannot differ between the check and the exec.
  const resolved = { ...opts, command };
  return opts.backend === 'perf'
    ? recordPerf(resolved, host, perf!, events, skipped, log)
    : recordFtrace(resolved, host, events, skipped, log);
}

/** Lets Ctrl-C reach the recorded command (same process group) while we stay alive to finish the trace. */
function holdSignals(): () => void {
  const ignore = (): void => {};
  process.on('SIGINT', ignore);
  process.on('SIGTERM', ignore);
  process.on('SIGHUP', ignore);
  return () => {
    process.off('SIGINT', ignore);
    process.off('SIGTERM', ignore);
    process.off('SIGHUP', ignore);
  };
}

function waitExit(child: ChildProcess, what: string): Promise<number> {
  return new Promise((resolve, reject) => {
    child.once('error', (err) => reject(userError(`cannot run ${what}: ${err.message}`)));
    child.once('close', (code, signal) => resolve(code ?? (signal ? 128 + signalNumber(signal) : 1)));
  });
}

function signalNumber(sig: NodeJS.Signals): number {
  const table: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGSEGV: 11, SIGPIPE: 13, SIGTERM: 15 };
  return table[sig] ?? 0;
}

/** Where the command's stdout goes: the truth file, or our own stdout. close() is idempotent. */
function stdoutTarget(opts: RecordOptions): { fd: number | 'inherit'; close: () => void } {
  if (!opts.truthFile) return { fd: 'inherit', close: () => {} };
  let fd: number;
  try {
    fd = openSync(opts.truthFile, 'w');
  } catch (err) {
    throw userError(`cannot write ${opts.truthFile}: ${(err as Error).message}`);
  }
  let open = true;
  return {
    fd,
    close: () => {
      if (open) closeSync(fd);
      open = false;
    },
  };
}

/** Copies a stream into the output file, gzipping when it ends in .gz; counts bytes and lost-event records. */
async function writeOutput(src: Readable, output: string, scan?: (chunk: string) => void): Promise<number> {
  let bytes = 0;
  let carry = '';
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      bytes += chunk.length;
      if (scan) {
        const s = carry + chunk.toString('latin1');
        const cut = s.lastIndexOf('\n');
        scan(s.slice(0, cut + 1));
        carry = s.slice(cut + 1);
      }
      cb(null, chunk);
    },
    flush(cb) {
      if (scan && carry) scan(carry);
      cb();
    },
  });
  const out: Writable = createWriteStream(output);
  try {
    if (output.endsWith('.gz')) await pipeline(src, counter, createGzip({ level: 9 }), out);
    else await pipeline(src, counter, out);
  } catch (err) {
    throw userError(`cannot write ${output}: ${(err as Error).message}`);
  }
  return bytes;
}

async function recordPerf(
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

async function recordFtrace(
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
