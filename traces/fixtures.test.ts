// The recorded workload fixtures: per-event counts equal an independent regex count over the raw lines.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { countIndependently, rawText } from './independent_count.suite.js';
import { readTrace } from './read.js';
import { createInfoCollector } from './info.js';
import type { TraceFormat } from './events.js';

const HERE = new URL('.', import.meta.url).pathname;
const WORKLOADS = join(HERE, 'fixtures/workloads');

const workloadFiles: string[] = existsSync(WORKLOADS)
  ? readdirSync(WORKLOADS).flatMap((d) =>
      existsSync(join(WORKLOADS, d)) && !d.includes('.')
        ? readdirSync(join(WORKLOADS, d))
            .filter((f) => /^(perf|ftrace)\.txt(\.gz)?$/.test(f))
            .map((f) => join(d, f))
        : [],
    )
  : [];

interface Pass {
  info: ReturnType<ReturnType<typeof createInfoCollector>['finish']>;
  lines: number;
  ordered: boolean;
  /** [time, tgid] of every fault event. */
  faults: [number, number][];
}

const passes = new Map<string, Promise<Pass>>();

/** One read per trace file, shared by the count and the ground-truth tests. */
function readOnce(path: string): Promise<Pass> {
  let p = passes.get(path);
  if (p === undefined) {
    p = (async () => {
      let last = -Infinity;
      let ordered = true;
      const c = createInfoCollector();
      const tgid = new Map<number, number>();
      const faults: [number, number][] = [];
      const r = await readTrace(path, (e) => {
        if (e.time < last) ordered = false;
        last = e.time;
        c.sink(e);
        // kernel/fork.c: copy_process: CLONE_THREAD (0x10000) children share the creator's tgid
        if (e.kind === 'newtask') tgid.set(e.newPid, e.cloneFlags & 0x10000 ? (e.pid > 0 ? e.pid : (tgid.get(e.tid) ?? e.tid)) : e.newPid);
        if (e.kind === 'fault') faults.push([e.time, e.pid > 0 ? e.pid : (tgid.get(e.tid) ?? e.tid)]);
      });
      return { info: c.finish(r), lines: r.lines, ordered, faults };
    })();
    passes.set(path, p);
  }
  return p;
}

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
      const { info, ordered, lines } = await readOnce(path);
      expect(info.format).toBe(format);
      expect(info.events).toEqual(want.events);
      expect(info.lostEvents).toBe(want.lostSum);
      expect(info.skippedLines).toBe(0);
      expect(ordered).toBe(true);
      expect(lines).toBe(text.endsWith('\n') ? text.split('\n').length - 1 : text.split('\n').length);
    });
  }
});


interface Checkpoint {
  label: string;
  t_mono_ns: number;
  pid: number;
  minflt: number;
  majflt: number;
}

const truthFiles: string[] = existsSync(WORKLOADS)
  ? readdirSync(WORKLOADS).flatMap((d) =>
      ['perf', 'ftrace'].map((b) => join(d, `truth.${b}.json`)).filter((f) => existsSync(join(WORKLOADS, f))),
    )
  : [];

describe('workload fixtures against /proc ground truth', () => {
  // Both recorders use CLOCK_MONOTONIC, the clock of the workloads' checkpoints, so trace times and
  // checkpoint times compare directly. Faults a process takes between two checkpoints equal its
  // getrusage minflt+majflt delta (mm/memory.c: mm_account_fault counts each fault the exception traced),
  // give or take the few faults taken inside the checkpoint code between its clock read and getrusage.
  for (const rel of truthFiles) {
    it(rel, async () => {
      const truth = JSON.parse(readFileSync(join(WORKLOADS, rel), 'utf8')) as { trace: string; checkpoints?: Checkpoint[] };
      const cps = truth.checkpoints ?? [];
      const { faults } = await readOnce(join(WORKLOADS, rel.split('/')[0], truth.trace));
      let compared = 0;
      for (let i = 1; i < cps.length; i++) {
        const a = cps[i - 1];
        const b = cps[i];
        // Different processes, the first checkpoint (the marker file is opened inside it) and
        // MAP_POPULATE (mm/gup.c faults pages in without a page-fault exception) are not comparable.
        if (a.pid !== b.pid || a.label === 'start' || b.label === 'populated') continue;
        const traced = faults.filter(([t, p]) => p === b.pid && t > a.t_mono_ns && t <= b.t_mono_ns).length;
        const proc = b.minflt - a.minflt + (b.majflt - a.majflt);
        if (a.label === 'mapped') expect(traced, `${a.label}->${b.label}`).toBe(proc);
        else expect(Math.abs(traced - proc), `${a.label}->${b.label}: traced ${traced}, /proc ${proc}`).toBeLessThanOrEqual(4);
        compared++;
      }
      expect(compared).toBeGreaterThan(0);
    });
  }
});
