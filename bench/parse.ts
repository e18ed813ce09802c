// `info`, `replay` and `replay` with 4 variants next to a bare line scan of the same uncompressed file, in the same run;
// .gz input (the same whole file, gzip'd once into the same temp dir) next to zlib alone; GC time and bytes promoted;
// peak RSS of replay on six cycles of the recordings vs one (the same live footprint); and `faultline replay` as a
// user runs it (the default profile fitted in a first pass, --profile none, 4 variants).
import { closeSync, createReadStream, createWriteStream, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { createGzip, createGunzip } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import { spawn, spawnSync } from 'node:child_process';
import { PerformanceObserver } from 'node:perf_hooks';
import { GCProfiler } from 'node:v8';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';
import os from 'node:os';
import type { BenchArgs, BenchSection } from './run.js';
import { cycleEvents, generatePerfTrace, generateThreadNameTrace } from './gen.js';
import { LOW_MEMORY_V8_FLAG } from '../src/low_memory.js';
import { keepHeapGrowingSmall } from '../src/heap_growing.js';
import { BENCH_PROGRAMS, queryFile } from './query.js';
import { containerOf, openChunks } from '../traces/read.js';
import { forEachLine } from '../traces/lines.js';
import { traceInfo } from '../traces/info.js';
import { replayVariants } from '../model/replay_threads.js';
import { buildVariants } from '../model/variants.js';
import { listPatches } from '../model/patches/index.js';
import type { VariantSpec } from '../model/types.js';

/** One timed run: wall and CPU time, and what the collector did meanwhile. */
export interface Timed {
  ms: number;
  cpuMs: number;
  /** Sum of perf_hooks 'gc' entry durations, and how many entries it saw. */
  gcMs: number;
  gcEntries: number;
  /** GCs and mark-compacts as v8.GCProfiler counted them. */
  gcs: number;
  majorGcs: number;
  /** Bytes that scavenges moved out of the young generation (old + large-object space growth across each one). */
  promoted: number;
}

/** Young-to-old growth across one GC from v8.GCProfiler's before/after space statistics. */
interface GcStat {
  gcType: string;
  beforeGC: { heapSpaceStatistics: { spaceName: string; spaceUsedSize: number }[] };
  afterGC: { heapSpaceStatistics: { spaceName: string; spaceUsedSize: number }[] };
}

const OLD_SPACES = new Set(['old_space', 'large_object_space']);

function oldUsed(s: { spaceName: string; spaceUsedSize: number }[]): number {
  let n = 0;
  for (const x of s) if (OLD_SPACES.has(x.spaceName)) n += x.spaceUsedSize;
  return n;
}

/** Run `f` once and time it; GC time from perf_hooks 'gc' entries, promotion from v8.GCProfiler. */
export async function timed<T>(f: () => Promise<T> | T): Promise<Timed & { value: T }> {
  let gcMs = 0;
  let gcEntries = 0;
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gcMs += e.duration;
      gcEntries++;
    }
  });
  obs.observe({ entryTypes: ['gc'] });
  const prof = new GCProfiler();
  prof.start();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await f();
  const ms = performance.now() - t0;
  const c = process.cpuUsage(c0);
  const stats = (prof.stop()?.statistics ?? []) as unknown as GcStat[];
  // 'gc' entries are delivered on a later tick: let them arrive before disconnecting.
  await new Promise((r) => setTimeout(r, 20));
  obs.disconnect();
  let promoted = 0;
  let majorGcs = 0;
  for (const s of stats) {
    if (s.gcType === 'MarkSweepCompact') majorGcs++;
    if (s.gcType !== 'Scavenge' && s.gcType !== 'MinorMarkCompact' && s.gcType !== 'MinorMarkSweep') continue;
    promoted += Math.max(0, oldUsed(s.afterGC.heapSpaceStatistics) - oldUsed(s.beforeGC.heapSpaceStatistics));
  }
  return { value, ms, cpuMs: (c.user + c.system) / 1000, gcMs, gcEntries, gcs: stats.length, majorGcs, promoted };
}

/** The floor any reader pays: 1 MiB readSync chunks, latin1 decode, split on '\n' (.gz: zlib chunks instead). */
export async function bareScan(path: string): Promise<{ lines: number; bytes: number; ms: number; cpuMs: number }> {
  const t = await timed(async () => {
    let lines = 0;
    let bytes = 0;
    let chars = 0;
    let carry = '';
    const take = (chunk: Buffer, n: number): void => {
      bytes += n;
      const parts = (carry + chunk.toString('latin1', 0, n)).split('\n');
      carry = parts.pop()!;
      lines += parts.length;
      for (const p of parts) chars += p.length;
    };
    if (path.endsWith('.gz')) {
      for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }).pipe(createGunzip({ chunkSize: 1 << 20 }))) take(chunk as Buffer, (chunk as Buffer).length);
    } else {
      const fd = openSync(path, 'r');
      try {
        const buf = Buffer.allocUnsafe(1 << 20);
        for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0; ) take(buf, n);
      } finally {
        closeSync(fd);
      }
    }
    if (carry.length > 0) lines++;
    if (chars < 0) console.log(chars); // keep the line strings observable
    return { lines, bytes };
  });
  return { ...t.value, ms: t.ms, cpuMs: t.cpuMs };
}

/** zlib alone: gunzip `path` in 1 MiB chunks and count the bytes, nothing else. */
async function zlibAlone(path: string): Promise<number> {
  let bytes = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }).pipe(createGunzip({ chunkSize: 1 << 20 }))) bytes += (chunk as Buffer).length;
  return bytes;
}

/** faultline's input layer alone on `path`: its decompressed chunks (traces/read.ts openChunks) split into lines
 * (traces/lines.ts forEachLine, which decodes them), no parsing; returns the lines. */
async function inputLayer(path: string): Promise<number> {
  const fd = openSync(path, 'r');
  const head = Buffer.alloc(4096);
  const n = readSync(fd, head, 0, head.length, 0);
  closeSync(fd);
  let lines = 0;
  await forEachLine(openChunks(path, containerOf(head.subarray(0, n))).chunks, () => void lines++);
  return lines;
}

/** What `faultline info` and `faultline query -e PROG` cost as commands (start-up included): wall and the child's CPU. */
function cliRun(argv: string[]): { ms: number; cpuMs: number } {
  const cli = fileURLToPath(new URL('../../bin/faultline.js', import.meta.url));
  const c0 = childCpuMs();
  const t0 = performance.now();
  const res = spawnSync(process.execPath, [cli, ...argv], { stdio: 'ignore' });
  const ms = performance.now() - t0;
  if (res.status !== 0) throw new Error(`faultline ${argv[0]} exited ${res.status}`);
  return { ms, cpuMs: childCpuMs() - c0 };
}

/** Parse + model for `variants`, the way `faultline replay` does it (a thread per group of variants on 2+ cores); returns events read. */
async function replayFile(path: string, variants: VariantSpec[]): Promise<number> {
  const { read } = await replayVariants(path, variants, {}, {});
  return read.events;
}

/** `f` with the parse worker off (FAULTLINE_PARSE_WORKER=0: traces/read_parallel.ts), as on one core. */
const oneThread = <T>(f: () => Promise<T>): Promise<T> => parseWorker('0', f);
/** `f` with the parse worker on whatever the file's size (FAULTLINE_PARSE_WORKER=1). */
const withWorker = <T>(f: () => Promise<T>): Promise<T> => parseWorker('1', f);

async function parseWorker<T>(mode: '0' | '1', f: () => Promise<T>): Promise<T> {
  const was = process.env.FAULTLINE_PARSE_WORKER;
  process.env.FAULTLINE_PARSE_WORKER = mode;
  try {
    return await f();
  } finally {
    if (was === undefined) delete process.env.FAULTLINE_PARSE_WORKER;
    else process.env.FAULTLINE_PARSE_WORKER = was;
  }
}

/** Mainline and the first three patches: the "replay with 4 variants" of issue 13. */
function fourVariants(): VariantSpec[] {
  return buildVariants({ patch: listPatches().slice(0, 3).map((p) => p.name) });
}

const f2 = (n: number): string => n.toFixed(2);
const f3 = (n: number): string => n.toFixed(3);
const mib = (b: number): string => (b / 2 ** 20).toFixed(0);

function gcLine(t: Timed): string {
  return `gc ${f2(t.gcMs / 1000)} s (${((100 * t.gcMs) / t.ms).toFixed(0)}% of wall; ${t.gcEntries} perf_hooks entries, ${t.gcs} gcs / ${t.majorGcs} mark-compact by v8), promoted by scavenges ${mib(t.promoted)} MiB`;
}

/** Peak RSS (MiB) of a child replaying `path` with mainline (so the parent's heap does not count). */
/**
 * This process's own peak RSS in KiB: /proc/self/status VmHWM (the mm's high-water mark). Not getrusage's maxrss,
 * which Linux carries across execve from the forked parent (fs/exec.c: exec_mmap -> setmax_mm_hiwater_rss into
 * signal->maxrss): a child spawned by this bench reported the bench's own RSS at the spawn, for any trace.
 */
function ownPeakKiB(): number {
  const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'latin1'));
  if (m === null) throw new Error('no VmHWM in /proc/self/status: cannot measure peak RSS here');
  return Number(m[1]);
}

/** Set in a peak child's environment: V8's own heap growing, src/heap_growing.ts not started (the CLI starts it). */
const V8_GROWING_ENV = 'FAULTLINE_BENCH_V8_GROWING';

/** Peak RSS of a child replaying `path`: as `faultline replay` runs it (worker: parse on its own thread), or on one thread. */
function childPeak(path: string, worker: '0' | '1', node: readonly string[] = [], v8Growing = false): Promise<{ maxRssMiB: number; events: number; ms: number }> {
  const self = fileURLToPath(import.meta.url);
  return new Promise((resolve, reject) => {
    const env = { ...process.env, FAULTLINE_PARSE_WORKER: worker, ...(v8Growing ? { [V8_GROWING_ENV]: '1' } : {}) };
    const t0 = performance.now();
    const c = spawn(process.execPath, [...node, self, '--child', path], { stdio: ['ignore', 'pipe', 'inherit'], env });
    let out = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.on('error', reject);
    c.on('close', (code) => {
      if (code !== 0) return reject(new Error(`child exited ${code}`));
      resolve({ ...(JSON.parse(out) as { maxRssMiB: number; events: number }), ms: performance.now() - t0 });
    });
  });
}


/** Children's user+system CPU so far, in ms (/proc/self/stat cutime + cstime, clock ticks of 10 ms). */
function childCpuMs(): number {
  const f = readFileSync('/proc/self/stat', 'latin1');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  // fields after the comm start at field 3 (state): cutime is field 16, cstime 17
  return (Number(rest[13]) + Number(rest[14])) * 10;
}

/** Start-up: `faultline --version` and `faultline info` on a tiny trace against `node -e 0`, N runs each, best wall, mean cpu. */
function startup(rounds: number): void {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const cli = join(root, 'bin/faultline.js');
  const tiny = join(root, 'traces/fixtures/formats/perf_script.default.txt');
  const runs = Math.max(5, rounds * 3);
  const cases: [string, string[]][] = [
    ['node -e 0', ['-e', '0']],
    ['faultline --version', [cli, '--version']],
    ['faultline info (tiny trace)', [cli, 'info', tiny]],
  ];
  const best: number[] = cases.map(() => Infinity);
  const cpu: number[] = cases.map(() => 0);
  for (let r = 0; r < runs; r++) {
    cases.forEach(([, argv], i) => {
      const c0 = childCpuMs();
      const t0 = performance.now();
      const res = spawnSync(process.execPath, argv, { stdio: 'ignore' });
      const ms = performance.now() - t0;
      if (res.status !== 0) throw new Error(`${cases[i][0]} exited ${res.status}`);
      cpu[i] += childCpuMs() - c0;
      best[i] = Math.min(best[i], ms);
    });
  }
  for (let i = 1; i < cases.length; i++) {
    console.log(`start-up ${cases[i][0]}: ${best[i].toFixed(0)} ms wall (best of ${runs}) = ${f2(best[i] / best[0])}x node -e 0 (${best[0].toFixed(0)} ms; aim <= 2.5), cpu ${f2(cpu[i] / cpu[0])}x (${(cpu[i] / runs).toFixed(0)} vs ${(cpu[0] / runs).toFixed(0)} ms mean)`);
  }
}

/** `path`.gz next to it (in the bench's temp dir), made once per generated trace (level 6, as gzip's default). */
async function gzipOnce(path: string): Promise<string> {
  const gz = path + '.gz';
  if (!existsSync(gz) || statSync(gz).mtimeMs < statSync(path).mtimeMs) {
    await pipeline(createReadStream(path, { highWaterMark: 1 << 20 }), createGzip({ level: 6 }), createWriteStream(gz + '.tmp'));
    const { renameSync } = await import('node:fs');
    renameSync(gz + '.tmp', gz);
  }
  return gz;
}

export const section: BenchSection = {
  name: 'parse',
  description: 'info / replay / replay x4 variants vs a bare 1 MiB line scan of the same uncompressed file; .gz (the same file gzip\'d) vs zlib; GC; peak RSS of six cycles of the recordings vs one',
  async run(args: BenchArgs): Promise<void> {
    const main = join(args.tmp, `faultline-bench-perf-${args.events}.txt`);
    const g = await generatePerfTrace(args.events, main);
    console.log(`trace: ${g.path} (${args.events} events, ${(g.bytes / 2 ** 20).toFixed(1)} MiB uncompressed, ${g.source} re-timed in turn)`);
    console.log(`load average ${os.loadavg().map(f2).join(' ')} on ${os.availableParallelism()} cpus before; best of ${args.rounds} round(s), each ratio against the scan run just before it`);

    // Each measured run follows its own scan: on a shared machine the load drifts, neighbours see about the same.
    const pairs: Record<'info' | 'infoW' | 'info1' | 'replay' | 'replay1' | 'replay4', { scan: Timed & { lines: number }; run: Timed; events: number }> = {} as never;
    // The query one-liner runs right after info in each round and is compared with it (not with the scan).
    let queryPair: { info: Timed; query: Timed } | undefined;
    const four = fourVariants();
    const one = buildVariants();
    const runners: [keyof typeof pairs, () => Promise<number>][] = [
      ['info', async () => (await traceInfo(main)).totalEvents],
      ['infoW', () => withWorker(async () => (await traceInfo(main)).totalEvents)],
      ['info1', () => oneThread(async () => (await traceInfo(main)).totalEvents)],
      ['replay', () => withWorker(() => replayFile(main, one))],
      ['replay1', () => oneThread(() => replayFile(main, one))],
      ['replay4', () => replayFile(main, four)],
    ];
    for (let round = 0; round < args.rounds; round++) {
      for (const [name, f] of runners) {
        const s = await timed(() => bareScan(main));
        const r = await timed(f);
        const prev = pairs[name];
        if (!prev || r.ms / s.ms < prev.run.ms / prev.scan.ms) pairs[name] = { scan: { ...s, lines: s.value.lines }, run: r, events: r.value };
        if (name === 'info') {
          const q = await timed(() => queryFile(main, BENCH_PROGRAMS[0]));
          if (!queryPair || q.ms / r.ms < queryPair.query.ms / queryPair.info.ms) queryPair = { info: r, query: q };
        }
      }
    }
    const scan0 = pairs.info.scan;
    console.log(`bare scan: ${scan0.lines} lines, ${f3(scan0.ms / 1000)} s wall, ${f3(scan0.cpuMs / 1000)} s cpu, ${gcLine(scan0)}`);
    const label = {
      info: 'info (traceInfo as `faultline info` runs it: it takes rows, so it parses on its own thread, traces/read.ts workerWanted)',
      infoW: 'info through the parse worker all the same (FAULTLINE_PARSE_WORKER=1)',
      info1: 'info on one thread (FAULTLINE_PARSE_WORKER=0)', replay: 'replay mainline (parse worker)', replay1: 'replay mainline on one thread', replay4: `replay ${four.length} variants` };
    const aim = { info: '>= 0.5', infoW: '', info1: '>= 0.3', replay: '>= 0.33', replay1: '', replay4: '' };
    for (const [name] of runners) {
      const { scan, run, events } = pairs[name];
      console.log(
        `${label[name]}: ${events} events in ${f3(run.ms / 1000)} s wall (${f2(events / run.ms / 1e3)} M events/s), ${f3(run.cpuMs / 1000)} s cpu; ` +
          `speed vs scan ${f3(scan.ms / run.ms)} wall${aim[name] ? ` (aim ${aim[name]})` : ''}, ${f3(scan.cpuMs / run.cpuMs)} cpu; ${gcLine(run)}`,
      );
    }
    console.log(`replay ${four.length} variants (${four.map((v) => v.name).join(', ')}) / one: ${f2(pairs.replay4.run.ms / pairs.replay.run.ms)}x wall (aim <= 1.4), ${f2(pairs.replay4.run.cpuMs / pairs.replay.run.cpuMs)}x cpu`);
    // the floor that run's own cpu sets on these cpus: no scheduling of the same work across threads goes below it
    const cpus = os.availableParallelism(), cpu4 = pairs.replay4.run.cpuMs, wall1 = pairs.replay.run.ms;
    console.log(
      `replay ${four.length} variants: its ${f3(cpu4 / 1000)} s of cpu (threads summed) cannot take less than ${f3(cpu4 / cpus / 1000)} s wall on ${cpus} cpu${cpus === 1 ? '' : 's'}, ` +
        `${f2(cpu4 / cpus / wall1)}x one replay; the aim <= 1.4 needs ${Math.ceil(cpu4 / (1.4 * wall1))}+ cpus at this cpu, or the work per variant cut`,
    );
    const qp = queryPair!;
    console.log(`query one-liner \`${BENCH_PROGRAMS[0]}\` (both as their commands read: rows, on their own thread): ${f3(qp.query.ms / 1000)} s wall, ${f3(qp.query.cpuMs / 1000)} s cpu; speed vs info ${f3(qp.info.ms / qp.query.ms)} wall (aim >= 0.9), ${f3(qp.info.cpuMs / qp.query.cpuMs)} cpu`);
    // The same pair as commands (what a user runs: start-up and module loading included), alternated, best of each.
    let ci = { ms: Infinity, cpuMs: Infinity };
    let cq = { ms: Infinity, cpuMs: Infinity };
    for (let round = 0; round < args.rounds; round++) {
      const i = cliRun(['info', main]);
      const q = cliRun(['query', main, BENCH_PROGRAMS[0]]);
      if (i.ms < ci.ms) ci = i;
      if (q.ms < cq.ms) cq = q;
    }
    console.log(`commands \`faultline query TRACE '${BENCH_PROGRAMS[0]}'\` vs \`faultline info TRACE\`: ${f3(cq.ms / 1000)} / ${f3(ci.ms / 1000)} s wall, ${f3(cq.cpuMs / 1000)} / ${f3(ci.cpuMs / 1000)} s cpu (10 ms ticks); query speed vs info ${f3(ci.ms / cq.ms)} wall (aim >= 0.9), ${f3(ci.cpuMs / cq.cpuMs)} cpu`);
    // `faultline replay` as a user runs it: by default it first fits the cost profile to the trace (analyze/latency/fit.ts:
    // a pass that replays mainline against the trace's own timing), then replays; the rows above are the model's pass alone
    const patches = four.slice(1).map((v) => v.name).join(',');
    const cliReplay: Record<'fitted' | 'none' | 'fitted4', { ms: number; cpuMs: number }> = { fitted: { ms: Infinity, cpuMs: Infinity }, none: { ms: Infinity, cpuMs: Infinity }, fitted4: { ms: Infinity, cpuMs: Infinity } };
    for (let round = 0; round < args.rounds; round++) {
      const runs: [keyof typeof cliReplay, string[]][] = [['fitted', ['replay', main]], ['none', ['replay', main, '--profile', 'none']], ['fitted4', ['replay', main, '--patch', patches]]];
      for (const [k, argv] of runs) {
        const r = cliRun(argv);
        if (r.ms < cliReplay[k].ms) cliReplay[k] = r;
      }
    }
    const scanMs = pairs.replay.scan.ms;
    const cr = (k: keyof typeof cliReplay): string => `${f3(cliReplay[k].ms / 1000)} s wall, ${f3(cliReplay[k].cpuMs / 1000)} s cpu, speed vs scan ${f3(scanMs / cliReplay[k].ms)}`;
    console.log(`command \`faultline replay TRACE\` (default: the profile fitted to the trace in a first pass, then the replay): ${cr('fitted')} (aim >= 0.33)`);
    console.log(`command \`faultline replay TRACE --profile none\` (no costs: the replay pass alone): ${cr('none')}`);
    console.log(`command \`faultline replay TRACE --patch ${patches}\` (default profile): ${cr('fitted4')}; / one ${f2(cliReplay.fitted4.ms / cliReplay.fitted.ms)}x wall (the fit pass is the same in both), ${f2(cliReplay.fitted4.cpuMs / cliReplay.fitted.cpuMs)}x cpu`);

    // .gz input: the whole trace gzip'd, info on it against zlib alone on the same file, and against info on the plain
    // file (zlib alone inflates faster than any reader parses: the second ratio is what the reader adds for .gz). The
    // whole file, not its first sixth: the sixth was 4.4 MiB gzip'd, inflated in ~0.1 s, and its ratio to the input
    // layer swung 0.91x / 1.39x / 0.91x over three runs on this machine
    const gz = await gzipOnce(main);
    let zl: Timed | undefined;
    let gl: Timed | undefined;
    let gi: Timed | undefined;
    let pi: Timed | undefined;
    // one untimed pass of each first: the first inflate in a process runs ~3x slower (cold zlib and file cache), which
    // made the first-timed baseline, zlib alone, look slower than the input layer that does zlib's work and more
    await zlibAlone(gz);
    await inputLayer(gz);
    for (let round = 0; round < args.rounds; round++) {
      const z = await timed(() => zlibAlone(gz));
      const l = await timed(() => inputLayer(gz));
      // both on one thread (zlib inflates on libuv's pool meanwhile), so the ratio is what .gz input adds
      const i = await timed(() => oneThread(async () => (await traceInfo(gz)).totalEvents));
      const p = await timed(() => oneThread(async () => (await traceInfo(main)).totalEvents));
      if (!zl || !gl || !gi || !pi || l.ms / z.ms < gl.ms / zl.ms) [zl, gl, gi, pi] = [z, l, i, p];
    }
    console.log(`gz: ${gz} (${(statSync(gz).size / 2 ** 20).toFixed(1)} MiB): zlib alone ${f3(zl!.ms / 1000)} s wall, ${f3(zl!.cpuMs / 1000)} s cpu`);
    console.log(`gz input layer (inflate + line split that feeds the parser: traces/read.ts openChunks + lines.ts forEachLine, no parsing): ${f3(gl!.ms / 1000)} s = ${f2(gl!.ms / zl!.ms)}x zlib alone wall (aim <= 1.2), ${f2(gl!.cpuMs / zl!.cpuMs)}x cpu`);
    console.log(`whole info on .gz (one thread): ${f3(gi!.ms / 1000)} s = ${f2(gi!.ms / zl!.ms)}x zlib alone wall (parsing included: not the aim above), ${f2(gi!.cpuMs / zl!.cpuMs)}x cpu; info on the plain file ${f3(pi!.ms / 1000)} s: .gz info / (plain info + zlib alone) ${f2(gi!.ms / (pi!.ms + zl!.ms))}x wall (<= 1: inflation overlapped or free), ${f2(gi!.cpuMs / (pi!.cpuMs + zl!.cpuMs))}x cpu; .gz info / plain info ${f2(gi!.ms / pi!.ms)}x wall, ${f2(gi!.cpuMs / pi!.cpuMs)}x cpu`);

    // Peak RSS, whole vs first sixth with the same live footprint: six whole cycles of the recordings against the first
    // cycle. (The main trace's first sixth ends inside fork_1g, the largest recording, and holds 3 of the 22.)
    const cycle = cycleEvents();
    const sixth = join(args.tmp, `faultline-bench-perf-${cycle}.txt`);
    const whole = join(args.tmp, `faultline-bench-perf-${6 * cycle}.txt`);
    await generatePerfTrace(cycle, sixth);
    await generatePerfTrace(6 * cycle, whole); // its first `cycle` lines are the sixth's
    // A peak depends on where V8's collections fall (old space fills with promoted garbage up to a multiple of the live
    // heap before a mark-compact), so each side runs once per round and the lowest of each is compared.
    const low = async (path: string, mode: '0' | '1', node: readonly string[] = [], v8Growing = false): Promise<{ runs: number[]; min: number; events: number; ms: number }> => {
      const runs: number[] = [];
      let events = 0, ms = Infinity;
      for (let r = 0; r < args.rounds; r++) {
        const x = await childPeak(path, mode, node, v8Growing);
        runs.push(x.maxRssMiB);
        events = x.events;
        ms = Math.min(ms, x.ms);
      }
      return { runs, min: Math.min(...runs), events, ms };
    };
    const mibs = (xs: number[]): string => xs.map((x) => x.toFixed(0)).join('/');
    // (each child starts src/heap_growing.ts as the CLI does, but for the row that shows V8's own growing without it)
    const modes = [
      ['1', [], false, 'as `faultline replay` runs it (parse worker)'],
      ['0', [], false, 'on one thread'],
      ['1', [LOW_MEMORY_V8_FLAG], false, `with --low-memory (node ${LOW_MEMORY_V8_FLAG}: src/low_memory.ts), parse worker`],
      ['1', [], true, "with V8's own heap growing (src/heap_growing.ts not started), parse worker"],
    ] as const;
    const peaks = async (what: string, a: string, b: string, which: readonly (typeof modes)[number][] = modes): Promise<{ ms: number }[]> => {
      const out: { ms: number }[] = [];
      for (const [mode, node, v8Growing, how] of which) {
        const x = await low(a, mode, node, v8Growing);
        const y = await low(b, mode, node, v8Growing);
        console.log(`peak RSS of replay${what}, ${how}: first sixth (${x.events} events: one copy of each recording) ${mibs(x.runs)} MiB, whole (${y.events} events: six) ${mibs(y.runs)} MiB: lowest ${f2(y.min / x.min)}x (aim <= 1.15)`);
        out.push({ ms: y.ms });
      }
      return out;
    };
    const [asRun, , lowMem, v8Own] = await peaks('', sixth, whole);
    console.log(`replay of the six cycles (the children above, best of ${args.rounds}): ${f3(asRun!.ms / 1000)} s as run, ${f3(lowMem!.ms / 1000)} s with --low-memory = ${f2(lowMem!.ms / asRun!.ms)}x, ${f3(v8Own!.ms / 1000)} s with V8's own heap growing = ${f2(v8Own!.ms / asRun!.ms)}x`);
    // Bounded or growing: the same as `faultline replay` runs it over 1, 2, 3 and 6 cycles (one run each).
    const curve: string[] = [];
    for (const k of [1, 2, 3, 6]) {
      const path = join(args.tmp, `faultline-bench-perf-${k * cycle}.txt`);
      await generatePerfTrace(k * cycle, path);
      curve.push(`${k}: ${(await childPeak(path, '1')).maxRssMiB.toFixed(0)}`);
    }
    console.log(`peak RSS of replay by cycles of the recordings (MiB): ${curve.join(', ')}`);

    // The same traces with a new thread name (comm) every MiB: strings kept per thread must not hold their chunk. Then
    // with a new thread (tid and comm) every MiB: threads vanish without an exit, some inside a call, until their group's.
    const cn = join(args.tmp, `faultline-bench-commnames-${6 * cycle}.txt`);
    const cn6 = join(args.tmp, `faultline-bench-commnames-${cycle}.txt`);
    await generateThreadNameTrace(6 * cycle, whole, cn, false);
    await generateThreadNameTrace(cycle, sixth, cn6, false);
    await peaks(', new thread name (comm, same tids) every MiB', cn6, cn, modes.slice(0, 1));
    const tn = join(args.tmp, `faultline-bench-threadnames-${6 * cycle}.txt`);
    const tn6 = join(args.tmp, `faultline-bench-threadnames-${cycle}.txt`);
    await generateThreadNameTrace(6 * cycle, whole, tn);
    await generateThreadNameTrace(cycle, sixth, tn6);
    await peaks(', new thread (tid and comm) every MiB', tn6, tn, modes.slice(0, 2));

    startup(args.rounds);
    console.log(`load average ${os.loadavg().map(f2).join(' ')} after`);
  },
};

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href && process.argv[2] === '--child') {
  if (process.env[V8_GROWING_ENV] !== '1') keepHeapGrowingSmall();
  replayFile(process.argv[3], buildVariants()).then(
    (events) => {
      process.stdout.write(JSON.stringify({ maxRssMiB: ownPeakKiB() / 1024, events }));
    },
    (e: Error) => {
      console.error(e.message);
      process.exitCode = 1;
    },
  );
}
