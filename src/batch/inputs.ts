// The input list of `faultline batch`: files, directories (walked for trace-like names) and quoted globs, expanded,
// de-duplicated, sorted, and cut into the I-th of N deterministic shards.
import { readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { userError } from '../../traces/errors.js';

/** Names a directory walk takes as traces (a file named on the command line is always taken). */
export const TRACE_NAME = /\.(txt|html?|trace|log|perfetto-trace|pftrace)(\.gz)?$/i;

const GLOB_CHARS = /[*?[]/;

/** A glob as a regex over '/'-separated relative paths: `**` any depth, `*` and `?` within a segment, [...] a class. */
export function globRegex(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '*' && pattern[i + 1] === '*') {
      const slash = pattern[i + 2] === '/';
      re += slash ? '(?:.*/)?' : '.*';
      i += slash ? 2 : 1;
    } else if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (ch === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        re += '[' + pattern.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\') + ']';
        i = end;
      }
    } else re += ch.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp('^' + re + '$');
}

function walk(dir: string, out: string[], skip: string | undefined): void {
  let ents;
  try {
    ents = readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    throw userError(`${dir}: cannot list: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  for (const e of ents) {
    if (e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (p !== skip) walk(p, out, skip);
    } else if (e.isFile()) out.push(p);
  }
}

/** Expand INPUTS: files as given, directories walked for TRACE_NAME files, globs matched below their fixed prefix. */
export function expandInputs(inputs: string[], outDir?: string): string[] {
  const found = new Set<string>();
  for (const arg of inputs) {
    if (GLOB_CHARS.test(arg)) {
      const parts = arg.split('/');
      const fixed: string[] = [];
      while (parts.length && !GLOB_CHARS.test(parts[0]!)) fixed.push(parts.shift()!);
      const base = fixed.length ? fixed.join('/') || '/' : '.';
      const re = globRegex(parts.join('/'));
      const all: string[] = [];
      try {
        if (statSync(base).isDirectory()) walk(base, all, outDir);
      } catch {
        /* no such prefix: matches nothing */
      }
      const hits = all.filter((p) => re.test(relative(base, p).split(sep).join('/')));
      if (hits.length === 0) throw userError(`${arg}: no file matches this pattern`);
      for (const h of hits) found.add(h);
      continue;
    }
    let isDir = false;
    try {
      isDir = statSync(arg).isDirectory();
    } catch {
      /* a missing file stays in the list: it becomes a failed row, not a stopped batch */
    }
    if (isDir) {
      const all: string[] = [];
      walk(arg, all, outDir);
      for (const p of all) if (TRACE_NAME.test(p)) found.add(p);
    } else found.add(arg);
  }
  return [...found].sort();
}

/** Parse --shard I/N (0 <= I < N). */
export function parseShard(s: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(s);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || !(count >= 1) || !(index < count)) throw userError(`--shard '${s}': expected I/N with 0 <= I < N, e.g. 0/4`);
  return { index, count };
}

/** The I-th of N slices of the sorted list: every N-th input from I (sizes of neighbours spread over the shards). */
export function shardOf<T>(sorted: T[], index: number, count: number): T[] {
  return sorted.filter((_, i) => i % count === index);
}
