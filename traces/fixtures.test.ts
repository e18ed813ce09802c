// The recorded workload fixtures: per-event counts equal an independent regex count over the raw lines.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { readTrace } from './read.js';
import { createInfoCollector } from './info.js';
import type { TraceFormat } from './events.js';

const HERE = new URL('.', import.meta.url).pathname;
const WORKLOADS = join(HERE, 'fixtures/workloads');

function rawText(path: string): string {
  const buf = readFileSync(path);
  return (path.endsWith('.gz') ? gunzipSync(buf) : buf).toString('utf8');
}

// Independent of the parser: one regex per line shape, written from the formats' documentation.
const PERF_EVENT = /\s\d+\.\d+:\s+(?:\d+\s+)?(?:[a-z_]+:)?([A-Za-z0-9_-]+)(?::[a-zA-Z]+)?:(?:\s|$)/;
const FTRACE_EVENT = /\[\d{3}\]\s+(?:\S{4,5}\s+)?\d+\.\d+:\s+(\w+)(:|\(| ->)/;

interface Counted {
  events: Record<string, number>;
  lostMarkers: number;
  lostSum: number;
}

function countIndependently(text: string, format: TraceFormat): Counted {
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
      const m = PERF_EVENT.exec(line);
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

const workloadFiles: string[] = existsSync(WORKLOADS)
  ? readdirSync(WORKLOADS).flatMap((d) =>
      existsSync(join(WORKLOADS, d)) && !d.includes('.')
        ? readdirSync(join(WORKLOADS, d))
            .filter((f) => /^(perf|ftrace)\.txt(\.gz)?$/.test(f))
            .map((f) => join(d, f))
        : [],
    )
  : [];

describe('workload fixtures: counts equal an independent count of the raw lines', () => {
  it('has workload recordings to check', () => {
    expect(workloadFiles.length).toBeGreaterThan(0);
  });
  for (const rel of workloadFiles) {
    it(rel, async () => {
      const path = join(WORKLOADS, rel);
      const format: TraceFormat = rel.includes('perf.') ? 'perf-script' : 'ftrace';
      const text = rawText(path);
      const want = countIndependently(text, format);
      let last = -Infinity;
      let ordered = true;
      const c = createInfoCollector();
      const r = await readTrace(path, (e) => {
        if (e.time < last) ordered = false;
        last = e.time;
        c.sink(e);
      });
      const info = c.finish(r);
      expect(info.format).toBe(format);
      expect(info.events).toEqual(want.events);
      expect(info.lostEvents).toBe(want.lostSum);
      expect(info.skippedLines).toBe(0);
      expect(ordered).toBe(true);
      expect(r.lines).toBe(text.endsWith('\n') ? text.split('\n').length - 1 : text.split('\n').length);
    });
  }
});

