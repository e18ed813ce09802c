// Shared by traces/read.test.ts and traces/fixtures.test.ts: an event count over the raw text that does not use
// faultline's readers (one regex per line shape, written from the formats' documentation), to check them against.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import type { TraceFormat } from './events.js';

export function rawText(path: string): string {
  const buf = readFileSync(path);
  return (path.endsWith('.gz') ? gunzipSync(buf) : buf).toString('utf8');
}

// Independent of the parser: one regex per line shape, written from the formats' documentation.
const PERF_EVENT = /\s\d+\.\d+:\s+(?:\d+\s+)?(?:[a-z_]+:)?([A-Za-z0-9_-]+)(?::[a-zA-Z]+)?:(?:\s|$)/;
const FTRACE_EVENT = /\[\d{3}\]\s+(?:\S{4,5}\s+)?\d+\.\d+:\s+(\w+)(:|\(| ->)/;

export interface Counted {
  events: Record<string, number>;
  lostMarkers: number;
  lostSum: number;
}

export function countIndependently(text: string, format: TraceFormat): Counted {
  const events: Record<string, number> = {};
  let lostMarkers = 0;
  let lostSum = 0;
  const lines = text.split('\n');
  for (const line of lines) {
    const lost = /^CPU:\d+ \[(?:LOST (\d+) EVENTS|(\d+) EVENTS DROPPED|EVENTS DROPPED)\]/.exec(line);
    if (lost) {
      lostMarkers++;
      lostSum += Number(lost[1] ?? lost[2] ?? 1);
      continue;
    }
    const hdr = /^# entries-in-buffer\/entries-written: (\d+)\/(\d+)/.exec(line);
    if (hdr && Number(hdr[2]) > Number(hdr[1])) {
      lostMarkers++;
      lostSum += Number(hdr[2]) - Number(hdr[1]);
    }
    let name: string | null = null;
    if (format === 'perf-script') {
      const m = /\s\d+\.\d+:\s+(PERF_RECORD_[A-Z0-9_]+)/.exec(line) ?? PERF_EVENT.exec(line);
      if (m) name = m[1];
    } else {
      const m = FTRACE_EVENT.exec(line);
      if (m) {
        name = m[1];
        if (m[2] === '(' && name.startsWith('sys_')) name = 'sys_enter_' + name.slice(4);
        if (m[2] === ' ->' && name.startsWith('sys_')) name = 'sys_exit_' + name.slice(4);
      }
    }
    if (name !== null) events[name] = (events[name] ?? 0) + 1;
  }
  return { events, lostMarkers, lostSum };
}
