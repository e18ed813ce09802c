// Parse throughput next to a bare line scan of the same file in the same run, and peak RSS at 1x and 10x.
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { StringDecoder } from 'node:string_decoder';
import { spawn } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';
import os from 'node:os';
import type { BenchArgs, BenchSection } from './run.js';
import { generatePerfTrace } from './gen.js';
import { readTrace } from '../traces/read.js';
import type { TraceEvent } from '../traces/events.js';

/** The baseline: 1 MiB chunks (decompressed for .gz) decoded to line strings, nothing else: the floor any reader pays. */
export async function bareScan(path: string): Promise<{ lines: number; bytes: number; ms: number; cpuMs: number }> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const dec = new StringDecoder('utf8');
  let carry = '';
  let lines = 0;
  let bytes = 0;
  let chars = 0;
  const src = createReadStream(path, { highWaterMark: 1 << 20 });
  for await (const chunk of path.endsWith('.gz') ? src.pipe(createGunzip({ chunkSize: 1 << 20 })) : src) {
    bytes += (chunk as Buffer).length;
    const s = carry + dec.write(chunk as Buffer);
    let pos = 0;
    for (;;) {
      const nl = s.indexOf('\n', pos);
      if (nl < 0) break;
      const line = s.slice(pos, nl);
      chars += line.length;
      lines++;
      pos = nl + 1;
    }
    carry = s.slice(pos);
  }
  if (carry.length + dec.end().length > 0) lines++;
  if (chars < 0) console.log(chars); // keep the slices observable
  return { lines, bytes, ms: performance.now() - t0, cpuMs: cpuMs(c0) };
}

/** CPU time (user + system) since `c0`: on a shared machine it moves less than wall time. */
function cpuMs(c0: NodeJS.CpuUsage): number {
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
}

export async function parseFile(path: string): Promise<{ events: number; faults: number; ms: number; cpuMs: number }> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  let faults = 0;
  const r = await readTrace(path, (e: TraceEvent) => {
    if (e.kind === 'fault') faults++;
  });
  return { events: r.events, faults, ms: performance.now() - t0, cpuMs: cpuMs(c0) };
}

function fmt(n: number, digits = 2): string {
  return n.toFixed(digits);
}

/** Peak RSS of a child process that parses `path` (so the parent's own heap does not count). */
function childPeak(path: string, nodeArgs: string[] = []): Promise<{ maxRssMiB: number; events: number }> {
  const self = fileURLToPath(import.meta.url);
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [...nodeArgs, self, '--child', path], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.on('error', reject);
    c.on('close', (code) => {
      if (code !== 0) return reject(new Error(`child exited ${code}`));
      resolve(JSON.parse(out) as { maxRssMiB: number; events: number });
    });
  });
}

export const section: BenchSection = {
  name: 'parse',
  description: 'perf script parse throughput vs a bare 1 MiB line scan, and peak RSS as the trace grows 10x',
  async run(args: BenchArgs): Promise<void> {
    const main = join(args.tmp, `faultline-bench-perf-${args.events}.txt`);
    const g = await generatePerfTrace(args.events, main);
    console.log(`trace: ${g.path} (${args.events} events, ${fmt(g.bytes / 2 ** 20, 1)} MiB, lines replicated from ${g.source})`);
    // Alternate the two and keep the best of each: the machine is shared, the best run is the least disturbed.
    let scan = { lines: 0, bytes: 0, ms: Infinity, cpuMs: Infinity };
    let parse = { events: 0, faults: 0, ms: Infinity, cpuMs: Infinity };
    for (let round = 0; round < 3; round++) {
      const s = await bareScan(main);
      if (s.ms < scan.ms) scan = s;
      const p = await parseFile(main);
      if (p.ms < parse.ms) parse = p;
    }
    const mb = scan.bytes / 2 ** 20;
    const scanMBs = mb / (scan.ms / 1000);
    const parseMBs = mb / (parse.ms / 1000);
    console.log(`bare line scan: ${scan.lines} lines in ${fmt(scan.ms / 1000, 3)} s = ${fmt(scan.lines / (scan.ms / 1000) / 1e6)} M lines/s, ${fmt(scanMBs, 1)} MB/s`);
    console.log(`parse (readTrace): ${parse.events} events (${parse.faults} faults) in ${fmt(parse.ms / 1000, 3)} s = ${fmt(parse.events / (parse.ms / 1000) / 1e6)} M events/s, ${fmt(parseMBs, 1)} MB/s`);
    console.log(`ratio parse/scan: ${fmt(parseMBs / scanMBs, 3)} (aim >= 0.5; aim >= 1.5 M events/s)`);
    console.log(
      `cpu time: scan ${fmt(scan.cpuMs / 1000, 3)} s, parse ${fmt(parse.cpuMs / 1000, 3)} s = ${fmt(parse.events / (parse.cpuMs / 1000) / 1e6)} M events per cpu-second, ` +
        `cpu ratio ${fmt(scan.cpuMs / parse.cpuMs, 3)} (load average now ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cpus)`,
    );

    const one = join(args.tmp, `faultline-bench-perf-${args.memEvents}.txt`);
    const ten = join(args.tmp, `faultline-bench-perf-${args.memEvents * 10}.txt`);
    await generatePerfTrace(args.memEvents, one);
    await generatePerfTrace(args.memEvents * 10, ten);
    const a = await childPeak(one);
    const b = await childPeak(ten);
    console.log(`peak RSS 1x (${a.events} events): ${fmt(a.maxRssMiB, 1)} MiB; 10x (${b.events} events): ${fmt(b.maxRssMiB, 1)} MiB; growth ${fmt(b.maxRssMiB / a.maxRssMiB)}x`);
    // V8 grows its heap lazily, so RSS creeps up with run time; a hard heap cap shows what the reader really needs.
    const capMiB = 48;
    try {
      const c = await childPeak(ten, [`--max-old-space-size=${capMiB}`]);
      console.log(`10x again with the V8 old space capped at ${capMiB} MiB: ok (${c.events} events, peak RSS ${fmt(c.maxRssMiB, 1)} MiB)`);
    } catch (e) {
      console.log(`10x with the V8 old space capped at ${capMiB} MiB: FAILED (${(e as Error).message})`);
    }
  },
};

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href && process.argv[2] === '--child') {
  parseFile(process.argv[3]).then(
    (r) => {
      // resourceUsage().maxRSS is in KiB
      process.stdout.write(JSON.stringify({ maxRssMiB: process.resourceUsage().maxRSS / 1024, events: r.events }));
    },
    (e: Error) => {
      console.error(e.message);
      process.exitCode = 1;
    },
  );
}
