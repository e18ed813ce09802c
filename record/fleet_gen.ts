// A fleet of traces made from the real recordings: each committed workload trace whole, then cut in 2, 3, ... contiguous
// slices of its event lines (ftrace keeps its # header), every trace re-timed by whole seconds so no two are equal.
// Usage: node dist/record/fleet_gen.js COUNT OUTDIR
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from './workloads.js';

/** The real recordings sliced: traces/fixtures/workloads/<name>/{perf,ftrace}.txt.gz, sorted. */
export function fleetSources(root = repoRoot()): string[] {
  const dir = join(root, 'traces/fixtures/workloads');
  const out: string[] = [];
  for (const w of readdirSync(dir).sort()) for (const f of ['ftrace.txt.gz', 'perf.txt.gz']) if (existsSync(join(dir, w, f))) out.push(join(dir, w, f));
  return out;
}

// the first `SECONDS.FRACTION:` of a line is its timestamp (perf: 9 digits, ftrace: 6)
const STAMP = /(\s)(\d+)\.(\d{6}|\d{9}):(\s)/;

/** Lines of one slice, re-timed: `piece` of `pieces` equal runs of the event lines, times + shiftSec seconds. */
export function sliceTrace(text: string, piece: number, pieces: number, shiftSec: number): string {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const head: string[] = [];
  const body: string[] = [];
  for (const l of lines) (l.startsWith('#') && body.length === 0 ? head : body).push(l);
  const size = Math.ceil(body.length / pieces);
  const part = body.slice(piece * size, (piece + 1) * size);
  const moved = part.map((l) => l.replace(STAMP, (_m, a: string, s: string, f: string, b: string) => `${a}${Number(s) + shiftSec}.${f}:${b}`));
  return [...head, ...moved].join('\n') + '\n';
}

/** Round r's slice of every source: (1 of 1), (1 of 2), (2 of 2), (1 of 3), ...: whole recordings first, then ever finer. */
export function sliceOfRound(r: number): [pieces: number, piece: number] {
  let pieces = 1;
  while (r >= pieces) r -= pieces++;
  return [pieces, r];
}

/** Write `count` traces to `out` (trace-NNNN-<source>-<i>of<n>.txt.gz); existing files are kept, and trace files of
 *  an earlier set (another count, or sources since added) are deleted: a batch over `out` must see exactly this set.
 *  Returns their paths. */
export function generateFleet(count: number, out: string, sources = fleetSources()): string[] {
  mkdirSync(out, { recursive: true });
  const texts = new Map<string, string>();
  const paths: string[] = [];
  for (let k = 0; k < count; k++) {
    const src = sources[k % sources.length]!;
    const [pieces, piece] = sliceOfRound(Math.floor(k / sources.length));
    const name = src.split('/').slice(-2).join('_').replace(/\.txt\.gz$/, '');
    const p = join(out, `trace-${String(k).padStart(4, '0')}-${name}-${piece + 1}of${pieces}.txt.gz`);
    paths.push(p);
    if (existsSync(p)) continue;
    let text = texts.get(src);
    if (text === undefined) texts.set(src, (text = gunzipSync(readFileSync(src)).toString('utf8')));
    writeFileSync(p, gzipSync(sliceTrace(text, piece, pieces, 1000 * (k + 1)), { level: 1 }));
  }
  const keep = new Set(paths.map((p) => basename(p)));
  for (const f of readdirSync(out)) if (/^trace-\d{4}-.*\.txt\.gz$/.test(f) && !keep.has(f)) rmSync(join(out, f));
  return paths;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [count, out] = process.argv.slice(2);
  if (!count || !out) {
    console.error('usage: node dist/record/fleet_gen.js COUNT OUTDIR');
    process.exitCode = 2;
  } else console.log(`${generateFleet(Number(count), out).length} traces in ${out}`);
}
