// What a recording takes and returns: the backend, options and result, the machine's facilities (tracefs, perf,
// euid: tests inject fakes).
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export type RecordBackend = 'perf' | 'ftrace';

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
