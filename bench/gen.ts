// Generate a large perf-script trace by cycling the real workload recordings, each copy re-timed after the last and
// its addresses shifted. Usage: node dist/bench/gen.js EVENTS [OUT]
import { createWriteStream, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { repoRoot } from '../record/workloads.js';

// Every real perf recording under traces/fixtures/workloads/ (faults, rss_stat, mmap syscalls, forks, threads);
// the small format fixture only when none is there.
const WORKLOADS = 'traces/fixtures/workloads';
const FALLBACK = 'traces/fixtures/formats/perf_script.default.txt';

interface Template {
  head: string;
  sec: number;
  frac: number;
  /** Text between the timestamp and the address digits (or the rest when no address). */
  mid: string;
  addr: number;
  tail: string;
}

function sourceTexts(): { path: string; text: string }[] {
  for (const base of [repoRoot(), process.cwd()]) {
    const dir = join(base, WORKLOADS);
    if (!existsSync(dir)) continue;
    const files = readdirSync(dir).sort().map((w) => join(dir, w, 'perf.txt.gz')).filter((p) => existsSync(p));
    if (files.length > 0) return files.map((p) => ({ path: p, text: gunzipSync(readFileSync(p)).toString('utf8') }));
  }
  for (const base of [repoRoot(), process.cwd()]) {
    const p = join(base, FALLBACK);
    if (existsSync(p)) return [{ path: p, text: readFileSync(p, 'utf8') }];
  }
  throw new Error(`no perf recording to replicate (looked in ${WORKLOADS}/*/perf.txt.gz and ${FALLBACK})`);
}

function templates(text: string): { t: Template[]; spanNs: number } {
  const out: Template[] = [];
  const re = /^(.*?\s)(\d+)\.(\d{9}):(.*?address=0x)([0-9a-f]+)(.*)$|^(.*?\s)(\d+)\.(\d{9}):(.*)$/;
  for (const line of text.split('\n')) {
    const m = re.exec(line);
    if (!m) continue;
    if (m[1] !== undefined) out.push({ head: m[1], sec: Number(m[2]), frac: Number(m[3]), mid: ':' + m[4], addr: parseInt(m[5], 16), tail: m[6] });
    else out.push({ head: m[7], sec: Number(m[8]), frac: Number(m[9]), mid: ':' + m[10], addr: -1, tail: '' });
  }
  if (out.length === 0) throw new Error('the source has no perf script lines with ns timestamps');
  const t0 = out[0].sec * 1e9 + out[0].frac;
  const t1 = out[out.length - 1].sec * 1e9 + out[out.length - 1].frac;
  return { t: out, spanNs: t1 - t0 + 1_000_000 };
}

/** Lines in one cycle of the generator: one copy of every recording. A trace of k cycles holds the same live footprint
 * in each (every copy's processes exit before the next copy starts), which a prefix that ends inside a copy does not. */
export function cycleEvents(): number {
  return sourceTexts().reduce((n, x) => n + templates(x.text).t.length, 0);
}

/** Write a perf-script trace of `events` lines to `out` (reused when it already has the expected size): the recordings
 * in turn, copy k starting where copy k-1 ended. The first N lines are the same for every count, so a shorter trace is
 * a prefix of a longer one. */
export async function generatePerfTrace(events: number, out: string): Promise<{ path: string; bytes: number; source: string }> {
  const texts = sourceTexts();
  const sources = texts.map((x) => templates(x.text));
  const source = texts.length === 1 ? texts[0].path : `${texts.length} recordings in ${WORKLOADS}`;
  // Size check: the same count always produces the same bytes, so an existing file of that size is reused.
  const sizeFile = out + '.size';
  if (existsSync(out) && existsSync(sizeFile) && readFileSync(sizeFile, 'utf8') === `${events} ${statSync(out).size}`) {
    return { path: out, bytes: statSync(out).size, source };
  }
  const ws = createWriteStream(out, { highWaterMark: 1 << 22 });
  let written = 0;
  let bytes = 0;
  let endNs = sources[0].t[0].sec * 1e9 + sources[0].t[0].frac; // where the previous copy ended, in trace time
  for (let k = 0; written < events; k++) {
    const { t, spanNs } = sources[k % sources.length];
    const dt = endNs - (t[0].sec * 1e9 + t[0].frac);
    endNs += spanNs;
    // Shift addresses by a multiple of 4 GiB per replica (bounded so they stay below 2^47).
    const da = (k % 32) * 0x100000000;
    const parts: string[] = [];
    for (let i = 0; i < t.length && written < events; i++, written++) {
      const x = t[i];
      const ns = x.sec * 1e9 + x.frac + dt;
      const sec = Math.floor(ns / 1e9);
      const frac = String(ns - sec * 1e9).padStart(9, '0');
      parts.push(x.addr < 0 ? `${x.head}${sec}.${frac}${x.mid}\n` : `${x.head}${sec}.${frac}${x.mid}${(x.addr + da).toString(16)}${x.tail}\n`);
    }
    const chunk = parts.join('');
    bytes += Buffer.byteLength(chunk);
    if (!ws.write(chunk)) await new Promise<void>((r) => ws.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) => ws.end((err?: Error | null) => (err ? reject(err) : resolve())));
  writeFileSync(sizeFile, `${events} ${bytes}`);
  return { path: out, bytes, source };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const n = Number(process.argv[2] ?? 3_000_000);
  const out = process.argv[3] ?? `/tmp/faultline-bench-perf-${n}.txt`;
  generatePerfTrace(n, out).then(
    (r) => console.log(`${r.path}: ${n} events, ${r.bytes} bytes (from ${r.source})`),
    (e: Error) => {
      console.error(`gen: ${e.message}`);
      process.exitCode = 1;
    },
  );
}

/**
 * The perf trace at `src` with every thread renamed each MiB of output: block k's comms become `COMM-thread-name-k`
 * (longer than V8's 13-character sliced-string threshold), so a reader or model that keeps a string sliced from its
 * 1 MiB chunk per thread keeps every chunk. `renumber`: its tids also become tid + (k+1) * 1,000,000 (same pids), so
 * every thread vanishes each MiB without an exit, some inside a call (the model ends it at its group's last exit:
 * syscall_effects.ts missedThreadExited).
 * Deterministic line by line: the trace of fewer events is a prefix of the longer one.
 */
export async function generateThreadNameTrace(events: number, basePath: string, out: string, renumber = true): Promise<{ path: string; bytes: number }> {
  const base = await generatePerfTrace(events, basePath);
  const sizeFile = out + '.size';
  if (existsSync(out) && existsSync(sizeFile) && readFileSync(sizeFile, 'utf8') === `${events} ${statSync(out).size}`) return { path: out, bytes: statSync(out).size };
  const { createReadStream } = await import('node:fs');
  const { createInterface } = await import('node:readline');
  const ws = createWriteStream(out, { highWaterMark: 1 << 22 });
  const head = /^(\s*)(\S.*?) (\d+)\/(\d+) /;
  let bytes = 0;
  let parts: string[] = [];
  for await (const line of createInterface({ input: createReadStream(base.path, { highWaterMark: 1 << 20 }), crlfDelay: Infinity })) {
    const k = Math.floor(bytes / (1 << 20));
    const m = head.exec(line);
    const tid = renumber ? Number(m?.[4]) + (k + 1) * 1_000_000 : m?.[4];
    const l = (m ? `${m[1]}${m[2]}-thread-name-${k} ${m[3]}/${tid} ${line.slice(m[0].length)}` : line) + '\n';
    bytes += Buffer.byteLength(l);
    parts.push(l);
    if (parts.length >= 4096) {
      if (!ws.write(parts.join(''))) await new Promise<void>((r) => ws.once('drain', () => r()));
      parts = [];
    }
  }
  ws.write(parts.join(''));
  await new Promise<void>((resolve, reject) => ws.end((err?: Error | null) => (err ? reject(err) : resolve())));
  writeFileSync(sizeFile, `${events} ${bytes}`);
  return { path: out, bytes };
}
