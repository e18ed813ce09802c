// `faultline batch INPUTS... -o DIR`: every trace through info + replay + validate, N at a time on worker threads,
// into Parquet tables (analyze/fleet/schema.ts); resumable, shardable, a failed trace is a row, not a stop.
import type { Command } from 'commander';
import { availableParallelism } from 'node:os';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { action } from '../errors.js';
import { userError } from '../../traces/errors.js';
import { packageVersion } from '../version.js';
import { declareCommand } from '../command_list.js';
import { addOptions, profileFor, TRACE_PROFILE, traceFormat, VARIANT_OPTIONS, type VariantCliOptions } from '../options.js';
import { variantsFromCli } from '../variants.js';
import { kernelRules } from '../../model/kernel_version.js';
import { THP_POLICIES } from '../../model/types.js';
import type { ThpPolicy } from '../../model/types.js';
import { SCHEMA_VERSION } from '../../analyze/fleet/schema.js';
import type { BatchSettings } from '../../analyze/fleet/rows.js';
import { runBatchJob, threadSched, type BatchJobOptions, type JobResult } from '../batch/job.js';
import { expandInputs, parseShard, shardOf } from '../batch/inputs.js';

interface BatchCliOptions extends Partial<VariantCliOptions> {
  out: string;
  jobs?: string;
  shard?: string;
  strict?: boolean;
  dryRun?: boolean;
  stats?: string;
  kernel: string;
  machineThp?: string;
  machineNoZeroPage?: boolean;
  allowLost?: boolean;
  profile?: string;
  format?: string;
}

export interface BatchSummary {
  total: number;
  ok: number;
  failed: number;
  skipped: number;
  ms: number;
}

const WORKER = new URL('../batch/worker.js', import.meta.url);

/** The settings file of an output directory: a resumed or sharded batch must write the same variants and rules. */
function checkSettings(out: string, s: BatchSettings, variantOptions: Partial<VariantCliOptions>): void {
  mkdirSync(out, { recursive: true });
  const path = join(out, '_batch.json');
  const { faultlineVersion: _v, ...fixed } = s;
  // variant_options: what `faultline report --fleet` passes on to the single-trace reports of the extremes
  const want = JSON.stringify({ schema_version: SCHEMA_VERSION, ...fixed, variant_options: variantOptions }, null, 1) + '\n';
  try {
    writeFileSync(path, want, { flag: 'wx' });
    return;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw userError(`${path}: cannot write: ${(e as Error).message}`);
  }
  const have = readFileSync(path, 'utf8');
  if (have !== want)
    throw userError(`${out} was written with other settings (${path}: ${have.replace(/\s+/g, ' ').trim()}); use another -o or the same --patch/--kernel/--machine-* options`);
}

/** Biggest inputs first, so no big trace starts last and runs alone while the other workers idle (LPT order). */
function largestFirst(files: string[]): string[] {
  const size = (f: string): number => {
    try {
      return statSync(f).size;
    } catch {
      return 0;
    }
  };
  return files.map((f) => ({ f, n: size(f) })).sort((a, b) => b.n - a.n || (a.f < b.f ? -1 : 1)).map((x) => x.f);
}

/** Run jobs on `jobs` worker threads (in this thread when 1, or when running from TypeScript sources); true when on workers. */
async function runPool(files: string[], o: BatchJobOptions, jobs: number, onDone: (r: JobResult) => void): Promise<boolean> {
  if (jobs <= 1 || !existsSync(fileURLToPath(WORKER))) {
    for (const f of files) onDone(await runBatchJob(f, o));
    return false;
  }
  // each job reads its trace on its own worker thread, which never starts a parse worker (traces/read.ts workerWanted)
  files = largestFirst(files);
  let next = 0;
  await new Promise<void>((resolve) => {
    let live = 0;
    const start = (): void => {
      const w = new Worker(WORKER, { workerData: o });
      live++;
      let current: string | null = null;
      const feed = (): void => {
        if (next >= files.length) {
          current = null;
          void w.terminate();
          return;
        }
        current = files[next++]!;
        w.postMessage(current);
      };
      w.on('message', (r: JobResult) => {
        onDone(r);
        feed();
      });
      w.on('error', (e) => {
        // the worker died (out of memory, a crash): that trace fails, a fresh worker takes the rest
        if (current !== null) onDone({ file: current, hash: '', status: 'failed', error: `${current}: worker died: ${e.message.split('\n')[0]}`, ms: 0, bytes: 0, cpuMs: 0, waitMs: 0, phases: { hash: 0, analyse: 0, write: 0 } });
        current = null;
        if (next < files.length) start();
      });
      w.on('exit', () => {
        if (--live === 0) resolve();
      });
      feed();
    };
    for (let i = 0; i < Math.min(jobs, files.length); i++) start();
    if (files.length === 0) resolve();
  });
  return true;
}

/** --stats FILE: where the batch's time went (per trace: wall, its thread's CPU and run-queue wait, phases; whole
 *  process: CPU of every thread incl. V8's GC/compiler helpers and libuv's pool), so a speed-up can be judged on a
 *  loaded machine from CPU figures rather than wall ratios. */
function writeStats(path: string, jobs: number, onWorkers: boolean, s: BatchSummary, results: JobResult[], cpu: NodeJS.CpuUsage, main0: { runNs: number; waitNs: number }): void {
  const main1 = threadSched();
  const sum = (f: (r: JobResult) => number): number => Math.round(results.reduce((a, r) => a + f(r), 0));
  const processCpu = Math.round((cpu.user + cpu.system) / 1000);
  const mainCpu = Math.round((main1.runNs - main0.runNs) / 1e6);
  // jobs run on the main thread (--jobs 1) are in its figure already
  const jsCpu = onWorkers ? mainCpu + sum((r) => r.cpuMs) : mainCpu;
  const doc = {
    jobs,
    traces: s.total,
    wall_ms: s.ms,
    cpus: availableParallelism(),
    process_cpu_ms: processCpu,
    main_thread_cpu_ms: mainCpu,
    // V8's platform threads (concurrent TurboFan compiles, concurrent/parallel GC), libuv's pool (gunzip, fs),
    // worker start-up: CPU no job's thread accounts for
    other_threads_cpu_ms: processCpu - jsCpu,
    jobs_cpu_ms: sum((r) => r.cpuMs),
    jobs_wait_ms: sum((r) => r.waitMs),
    jobs_wall_ms: sum((r) => r.ms),
    longest_job_ms: results.reduce((a, r) => Math.max(a, r.ms), 0),
    phases_ms: { hash: sum((r) => r.phases.hash), analyse: sum((r) => r.phases.analyse), write: sum((r) => r.phases.write) },
    per_trace: results.map((r) => ({ file: r.file, status: r.status, bytes: r.bytes, ms: r.ms, cpu_ms: r.cpuMs, wait_ms: r.waitMs, ...r.phases })),
  };
  try {
    writeFileSync(path, JSON.stringify(doc, null, 1) + '\n');
  } catch (e) {
    throw userError(`${path}: cannot write: ${(e as Error).message}`);
  }
}

function progressBar(done: number, total: number, s: BatchSummary): string {
  const width = 30;
  const fill = total ? Math.round((width * done) / total) : width;
  return `\r[${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${done}/${total}  ok ${s.ok}  failed ${s.failed}  skipped ${s.skipped}`;
}

export async function runBatch(inputs: string[], o: BatchCliOptions): Promise<{ summary: BatchSummary; failures: JobResult[]; files: string[] }> {
  kernelRules(o.kernel);
  if (o.machineThp !== undefined && !(THP_POLICIES as readonly string[]).includes(o.machineThp)) throw userError(`--machine-thp '${o.machineThp}': expected one of ${THP_POLICIES.join(', ')}`);
  const jobs = o.jobs === undefined ? availableParallelism() : Number(o.jobs);
  if (!Number.isInteger(jobs) || jobs < 1) throw userError(`--jobs '${o.jobs}': expected a positive integer`);
  if (o.profile !== TRACE_PROFILE) profileFor(o.profile); // a bad profile is a usage error now, not a failed row per trace
  const variantOptions: Partial<VariantCliOptions> = { patch: o.patch, thp: o.thp, mthp: o.mthp, zeroPage: o.zeroPage, select: o.select, patchOption: o.patchOption, baseThp: o.baseThp, baseMthp: o.baseMthp };
  const variants = variantsFromCli({ ...variantOptions, kernel: o.kernel, machineNoZeroPage: o.machineNoZeroPage });
  const settings: BatchSettings = {
    kernel: o.kernel,
    machineThp: o.machineThp ?? 'detected', // per trace from its rss_stat (model/machine.ts), as validate and replay do
    machineZeroPage: !o.machineNoZeroPage,
    variants: variants.map((v) => v.name),
    profile: o.profile ?? TRACE_PROFILE,
    faultlineVersion: packageVersion(),
  };
  let files = expandInputs(inputs, o.out);
  if (o.shard) {
    const { index, count } = parseShard(o.shard);
    files = shardOf(files, index, count);
  }
  if (o.dryRun) return { summary: { total: files.length, ok: 0, failed: 0, skipped: 0, ms: 0 }, failures: [], files };
  checkSettings(o.out, settings, variantOptions);
  const jobOpts: BatchJobOptions = {
    out: o.out,
    variantOptions,
    kernel: o.kernel,
    ...(o.machineThp !== undefined ? { machineThp: o.machineThp as ThpPolicy } : {}),
    machineNoZeroPage: !!o.machineNoZeroPage,
    allowLost: !!o.allowLost,
    profile: o.profile,
    format: traceFormat(o.format),
    settings,
  };
  const summary: BatchSummary = { total: files.length, ok: 0, failed: 0, skipped: 0, ms: 0 };
  const failures: JobResult[] = [];
  const tty = process.stderr.isTTY === true;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const main0 = threadSched();
  const results: JobResult[] = [];
  let done = 0;
  const onWorkers = await runPool(files, jobOpts, Math.min(jobs, Math.max(1, files.length)), (r) => {
    done++;
    results.push(r);
    summary[r.status]++;
    if (r.status === 'failed') failures.push(r);
    if (tty) process.stderr.write(progressBar(done, files.length, summary));
  });
  if (tty && files.length) process.stderr.write('\r\x1b[K');
  summary.ms = Math.round(performance.now() - t0);
  if (o.stats) writeStats(o.stats, jobs, onWorkers, summary, results, process.cpuUsage(cpu0), main0);
  return { summary, failures, files };
}

export function registerBatch(program: Command): void {
  const cmd = declareCommand(program, 'batch')
    .requiredOption('-o, --out <dir>', 'output directory: table=NAME/[variant=V/]part-<trace_hash>.parquet (docs/fleet.md)')
    .option('--jobs <n>', 'traces at a time, one worker thread each (default: the CPUs available)')
    .option('--shard <i/n>', 'take only the I-th of N slices of the sorted input list (0 <= I < N): for fanning out over machines')
    .option('--strict', 'exit 1 when any trace failed')
    .option('--dry-run', 'print the inputs this run (shard) would take, one per line, and write nothing')
    .option('--stats <file>', 'write where the time went as JSON: per trace wall, CPU, run-queue wait and phases; process CPU')
    .option('--machine-thp <policy>', "override: the traced machines' THP policy, for validation (always, madvise, never; default: detected per trace from its faults' rss_stat, as replay's mainline does)");
  addOptions(cmd, ['kernel', 'machineNoZeroPage', 'allowLost', 'profile', 'format', ...VARIANT_OPTIONS, 'lowMemory'], {
    allowLost: 'accept traces with lost events (else each is a failed row)',
    format: 'force the trace format of every input',
  });
  cmd.addHelpText(
    'after',
    `
Examples:
  faultline batch traces/fixtures/workloads -o fleet --patch cow-pte --machine-no-zero-page
  faultline batch 'traces/**/*.txt.gz' -o fleet --jobs 2
  faultline batch /data/traces -o /data/fleet --shard 3/16     one of 16 machines' share
  faultline sql fleet "SELECT variant, sum(pgtables_peak_bytes) FROM processes GROUP BY variant"

Re-running with the same -o skips traces whose parts exist for the same content (SHA-256), so a killed batch
resumes; a changed input is redone. A trace that cannot be read, has no usable events, or lost events (without
--allow-lost) becomes one row in table traces with status 'failed' and its reason.

Exit status: 0 (also when traces failed), 1 with --strict when any failed, 2 bad usage.`,
  );
  cmd.action(
    action(async (inputs: string[], o: BatchCliOptions) => {
      const { summary: s, failures, files } = await runBatch(inputs, o);
      if (o.dryRun) {
        process.stdout.write(files.map((f) => f + '\n').join(''));
        return 0;
      }
      for (const f of failures.slice(0, 5)) process.stderr.write(`faultline: failed: ${f.error}\n`);
      if (failures.length > 5) process.stderr.write(`faultline: ... and ${failures.length - 5} more failed (table traces, status 'failed')\n`);
      process.stdout.write(`batch: ${s.total} traces, ${s.ok} ok, ${s.failed} failed, ${s.skipped} skipped (already done) in ${(s.ms / 1000).toFixed(1)} s -> ${o.out}\n`);
      return o.strict && s.failed > 0 ? 1 : 0;
    }),
  );
}
