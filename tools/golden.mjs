#!/usr/bin/env node
// Golden outputs for refactors: run info/replay/validate/query --json over every committed fixture and diff two runs.
//   node tools/golden.mjs run [DIST_CLI] OUTDIR   write one file per (fixture, command) into OUTDIR
//   node tools/golden.mjs diff BEFORE AFTER        list files that differ (exit 1 if any)
//   node tools/golden.mjs base REF OUTDIR          build REF in a temporary worktree and run it into OUTDIR
//   GOLDEN_JOBS=replay,validate,query-model        (env) run only those jobs; diff then compares the files both hold
//   GOLDEN_FIXTURES=workloads/|formats/            (env) only fixtures whose path matches this regex (a quick check while
//                                                  iterating; the full run before landing a restructuring)
// A restructuring must leave `diff` empty, except where a commit names the bug it fixes on purpose.
import { spawn, execFileSync } from 'node:child_process';
import { readdirSync, statSync, mkdirSync, writeFileSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PATCHES = 'cow-pte,refpage,pattern-populate,memset,refpage-fd,eager-populate';

/** Every trace file under traces/fixtures (sources, truths and READMEs left out). */
function fixtures(root) {
  const out = [];
  const walk = (d) => {
    for (const e of readdirSync(d).sort()) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) { if (e !== 'src') walk(p); continue; }
      if (/\.(md|json|c|sh)$/.test(e)) continue;
      out.push(relative(root, p));
    }
  };
  walk(join(root, 'traces/fixtures'));
  return out;
}

/** The commands whose --json output must not change; workload recordings come from a machine without a zero page. */
function jobs(fixture) {
  const nz = /\/workloads(_m2)?\//.test(fixture) ? ['--machine-no-zero-page'] : [];
  return [
    ['info', ['info', fixture, '--json']],
    ['replay', ['replay', fixture, '--json', '--series', '--allow-lost', ...nz, '--patch', PATCHES, '--thp', 'always', '--no-zero-page']],
    ['validate', ['validate', fixture, '--json', '--allow-lost', ...nz]],
    ['query-model', ['query', fixture, '--json', '--allow-lost', ...nz, '--patch', 'cow-pte,refpage',
      'model:fault { @[variant, path] = count(); @lat[variant] = hist(latency_ns); } model:fork { @forks[variant] = count(); }']],
    ['query-trace', ['query', fixture, '--json', '--allow-lost',
      't:exceptions:page_fault_user { @[comm, tid] = count(); @a = stats(args.address & 0xfff); } t:kmem:rss_stat { @rss[args.member] = sum(args.size); }']],
  ];
}

function runOne(cli, args, cwd) {
  return new Promise((res) => {
    const p = spawn(process.execPath, [cli, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = []; const err = [];
    p.stdout.on('data', (d) => out.push(d));
    p.stderr.on('data', (d) => err.push(d));
    p.on('close', (code) => res(`exit ${code}\n--- stdout\n${Buffer.concat(out)}\n--- stderr\n${Buffer.concat(err)}`));
  });
}

async function run(cli, outDir, cwd) {
  mkdirSync(outDir, { recursive: true });
  const work = [];
  // GOLDEN_JOBS=replay,validate,query-model: only those jobs (a model-only change cannot move info or query-trace)
  const only = process.env.GOLDEN_JOBS ? new Set(process.env.GOLDEN_JOBS.split(',')) : null;
  const pick = process.env.GOLDEN_FIXTURES ? new RegExp(process.env.GOLDEN_FIXTURES) : null;
  for (const f of fixtures(cwd).filter((x) => !pick || pick.test(x))) for (const [name, args] of jobs(f)) if (!only || only.has(name)) work.push([f, name, args]);
  let next = 0;
  const lanes = Math.max(1, Math.min(2, os.cpus().length));
  await Promise.all(Array.from({ length: lanes }, async () => {
    while (next < work.length) {
      const [f, name, args] = work[next++];
      const text = await runOne(cli, args, cwd);
      writeFileSync(join(outDir, `${f.replace(/[/]/g, '__')}.${name}.txt`), text);
    }
  }));
  console.log(`${work.length} outputs in ${outDir}`);
}

function diff(a, b) {
  const names = new Set([...readdirSync(a), ...readdirSync(b)]);
  let bad = 0, compared = 0, skipped = 0;
  for (const n of [...names].sort()) {
    const pa = join(a, n); const pb = join(b, n);
    if (!existsSync(pa) || !existsSync(pb)) {
      if (!process.env.GOLDEN_JOBS && !process.env.GOLDEN_FIXTURES) { console.log(`only in one: ${n}`); bad++; } else skipped++;
      continue;
    }
    compared++;
    if (!readFileSync(pa).equals(readFileSync(pb))) { console.log(`differs: ${n}`); bad++; }
  }
  // (with GOLDEN_JOBS or GOLDEN_FIXTURES, outputs only one side holds are skipped: say how many were compared)
  const of = skipped ? `${compared} compared, ${skipped} in one side only skipped` : `${names.size} outputs`;
  console.log(bad === 0 ? `identical: ${of}` : `${bad} differ (${of})`);
  process.exitCode = bad === 0 ? 0 : 1;
}

const [cmd, ...rest] = process.argv.slice(2);
if (cmd === 'run') {
  const [cli, out] = rest.length === 2 ? rest : [join(ROOT, 'dist/src/cli.js'), rest[0]];
  await run(resolve(cli), resolve(out), ROOT);
} else if (cmd === 'diff') {
  diff(resolve(rest[0]), resolve(rest[1]));
} else if (cmd === 'base') {
  const [ref, out] = rest;
  const wt = join(os.tmpdir(), `faultline-golden-${process.pid}`);
  execFileSync('git', ['worktree', 'add', '--detach', wt, ref], { cwd: ROOT, stdio: 'inherit' });
  try {
    execFileSync('ln', ['-s', join(ROOT, 'node_modules'), join(wt, 'node_modules')]);
    execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: wt, stdio: 'inherit' });
    await run(join(wt, 'dist/src/cli.js'), resolve(out), wt);
  } finally {
    execFileSync('git', ['worktree', 'remove', '--force', wt], { cwd: ROOT });
    if (existsSync(wt)) rmSync(wt, { recursive: true, force: true });
  }
} else {
  console.error('usage: golden.mjs run [CLI] OUTDIR | diff BEFORE AFTER | base REF OUTDIR');
  process.exitCode = 2;
}
