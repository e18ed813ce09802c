// Everything checked before the command runs (command, perf, permissions, tracefs, events), so no recording is wasted.
import { isUserError, userError } from '../traces/errors.js';
import { accessSync, constants as fsc, existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { DEFAULT_EVENTS, ESSENTIAL_EVENTS } from './events.js';
import type { RecordHost, RecordOptions } from './options.js';

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

export function eventDir(tracefs: string, ev: string): string {
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
