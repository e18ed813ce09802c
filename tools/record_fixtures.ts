// Redoes every workload fixture: builds the C workloads, records each with perf and ftrace on this machine, and
// writes traces/fixtures/workloads/<name>/{perf,ftrace}.txt.gz plus truth.<backend>.json (the workload's printed
// /proc checkpoints with the kernel, THP settings, command line and backend). Needs root, perf and tracefs.
// Usage: npm run record-fixtures [-- --only write_touch,fork_1g] [--backend perf|ftrace]
// A maintenance tool, built by tools/tsconfig.json into build/tools/ (not shipped in dist/).
import { isUserError, userError } from '../traces/errors.js';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { FIXTURES, formatTruth, mmCmdline, parseWorkloadOutput, readOr, thpSettings, type FixtureSpec, type Truth } from '../record/fixtures.js';
import type { RecordBackend, RecordResult } from '../record/options.js';
import { record } from '../record/record.js';
import { buildWorkloads, repoRoot } from '../record/workloads.js';

async function recordOne(spec: FixtureSpec, backend: RecordBackend, bins: Record<string, string>, root: string): Promise<void> {
  const dir = join(root, 'traces', 'fixtures', 'workloads', spec.name);
  mkdirSync(dir, { recursive: true });
  const bin = bins[spec.workload]!;
  const binDir = join(root, 'traces', 'workloads', 'bin');
  const args = spec.args.map((a) => (a === '@bindir' ? binDir : a));
  const trace = join(dir, `${backend}.txt.gz`);
  const truthTmp = join(dir, `.stdout.${backend}.tmp`);
  const t0 = Date.now();
  let res: RecordResult;
  try {
    res = await record({
      output: trace,
      backend,
      command: [bin, ...args],
      truthFile: truthTmp,
      bufferKb: spec.name === 'fork_1g' ? 262144 : 131072,
      perfMmap: '256M',
      log: (l) => process.stderr.write(`  ${l}\n`),
    });
    const { checkpoints, regions } = parseWorkloadOutput(readFileSync(truthTmp, 'utf8'), truthTmp);
    const rel = (p: string): string => relative(root, p);
    const truth: Truth = {
      fixture: spec.name,
      about: spec.about,
      backend,
      trace: `${backend}.txt.gz`,
      workload: spec.workload,
      command: [rel(bin), ...args.map((a) => (a.startsWith(root) ? rel(a) : a))],
      tool_command: res.toolCommand.map((a) => a.replace(/\/tmp\/faultline-record-[^/]+/, '$TMP')),
      uname_r: readOr('/proc/sys/kernel/osrelease'),
      kernel_cmdline_mm: mmCmdline(),
      thp: thpSettings(),
      perf_version: backend === 'perf' ? execFileSync('perf', ['--version']).toString().trim() : '',
      recorded_at: new Date().toISOString(),
      events: res.events,
      skipped_events: res.skippedEvents,
      lost_events: res.lostEvents,
      command_status: res.commandStatus,
      checkpoints,
      regions,
    };
    writeFileSync(join(dir, `truth.${backend}.json`), formatTruth(truth));
  } finally {
    rmSync(truthTmp, { force: true });
  }
  const size = statSync(trace).size;
  process.stderr.write(`${spec.name}/${backend}: ${(size / 1048576).toFixed(2)} MiB gz, ${res.lostEvents} lost, status ${res.commandStatus}, ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  if (res.commandStatus !== 0) throw userError(`${spec.name}: workload exited with status ${res.commandStatus}`);
  if (size > 15 * 1048576) throw userError(`${spec.name}/${backend}: ${size} bytes is over the 15 MB fixture budget: shrink its arguments`);
}

/** Set THP sysfs files (e.g. hugepages-64kB/enabled = always) for a fixture's recording; returns the undo. */
function setThpKnobs(knobs: Readonly<Record<string, string>>, root = '/sys/kernel/mm/transparent_hugepage'): () => void {
  const old: [string, string][] = [];
  const undo = (): void => {
    for (const [f, v] of old.reverse()) writeFileSync(f, v);
  };
  try {
    for (const [k, v] of Object.entries(knobs)) {
      const f = join(root, k);
      // a choice ("always [madvise] never") or a number (khugepaged/max_ptes_none)
      const text = readOr(f).trim();
      const was = /\[(\w+)\]/.exec(text)?.[1] ?? (/^\d+$/.test(text) ? text : undefined);
      if (was === undefined) throw userError(`${f}: not a THP setting this kernel has (per-size THP needs 6.8+)`);
      old.push([f, was]);
      writeFileSync(f, v);
      process.stderr.write(`  ${k}: ${was} -> ${v} (restored after)\n`);
    }
  } catch (e) {
    undo();
    throw e;
  }
  return undo;
}

export async function main(argv: string[]): Promise<number> {
  let only: string[] | null = null;
  let backends: RecordBackend[] = ['perf', 'ftrace'];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--only') only = (argv[++i] ?? '').split(',').filter(Boolean);
    else if (argv[i] === '--backend') backends = [argv[++i] as RecordBackend];
    else throw userError(`unknown argument ${argv[i]}: use --only NAME,... and --backend perf|ftrace`);
  }
  const specs = FIXTURES.filter((f) => !only || only.includes(f.name));
  if (only && specs.length !== only.length) throw userError(`unknown fixture in --only; known: ${FIXTURES.map((f) => f.name).join(', ')}`);
  const root = repoRoot();
  const bins = buildWorkloads([...new Set(specs.map((s) => s.workload))]);
  for (const spec of specs) {
    const restore = setThpKnobs(spec.thpKnobs ?? {});
    try {
      for (const b of spec.backends) if (backends.includes(b)) await recordOne(spec, b, bins, root);
    } finally {
      restore();
    }
  }
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (err: unknown) => {
      process.stderr.write(`record-fixtures: ${isUserError(err) ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
