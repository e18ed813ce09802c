// One trace of `faultline batch`: hash it, skip it if its parts exist, else read it once through info + replay (every
// variant) + validate and write its Parquet parts; any failure becomes the trace's one failed row.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readTrace } from '../../traces/read.js';
import { isUserError } from '../../traces/errors.js';
import { createInfoCollector } from '../../traces/info.js';
import type { TraceEvent, TraceFormat } from '../../traces/events.js';
import { createReplay, defaultVariant } from '../../model/replay.js';
import { createValidator } from '../../model/validate.js';
import type { ThpPolicy } from '../../model/types.js';
import { buildRows, type BatchSettings, type TraceOutcome } from '../../analyze/fleet/rows.js';
import { isDone, removeTraceParts, writeTraceParts } from '../../analyze/fleet/parquet.js';
import type { VariantCliOptions } from '../options.js';
import { resolveProfile, variantsFromCli } from '../variants.js';

/** Everything a job needs, structured-clone safe (it crosses into worker threads). */
export interface BatchJobOptions {
  out: string;
  variantOptions: Partial<VariantCliOptions>;
  kernel: string;
  /** --machine-thp: absent, each trace's own policy is detected (model/machine.ts). */
  machineThp?: ThpPolicy;
  machineNoZeroPage: boolean;
  allowLost: boolean;
  profile?: string;
  format?: TraceFormat;
  settings: BatchSettings;
}

export type JobStatus = 'ok' | 'failed' | 'skipped';

export interface JobResult {
  file: string;
  hash: string;
  status: JobStatus;
  error?: string;
  ms: number;
  /** Input size in bytes (0 when unreadable). */
  bytes: number;
  /** CPU time of the thread that ran the job, and its time runnable but waiting for a CPU, ms (threadSched). */
  cpuMs: number;
  waitMs: number;
  /** Wall ms of the job's phases: content hash, read + info + replay + validate, Parquet encode + write. */
  phases: { hash: number; analyse: number; write: number };
}

/** Run time and run-queue wait of the calling thread so far, ns: fs/proc/base.c proc_pid_schedstat prints
 *  se.sum_exec_runtime and sched_info.run_delay (kernel/sched/stats.h); zeros where schedstat is not built in. */
export function threadSched(): { runNs: number; waitNs: number } {
  try {
    const [run, wait] = readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ');
    return { runNs: Number(run), waitNs: Number(wait) };
  } catch {
    return { runNs: 0, waitNs: 0 };
  }
}

/** First 16 hex digits of the SHA-256 of the file as stored. */
export async function contentHash(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex').slice(0, 16);
}

/** Where a batch remembers which content hash it last wrote for an input path (a changed file drops its old parts). */
function inputMarker(out: string, file: string): string {
  return join(out, '_inputs', createHash('sha1').update(resolve(file)).digest('hex') + '.txt');
}

const oneLine = (e: unknown): string => {
  const msg = e instanceof Error ? e.message : String(e);
  const first = msg.split('\n')[0] ?? '';
  return isUserError(e) ? first : `internal error: ${first}`;
};

async function analyse(file: string, hash: string, bytes: number, o: BatchJobOptions): Promise<TraceOutcome> {
  const variants = variantsFromCli({ ...o.variantOptions, kernel: o.kernel, machineNoZeroPage: o.machineNoZeroPage });
  // the profile replay would price this trace with (fitted to it by default): a fleet mixes machines, and a profile
  // measured on one of them misprices the rest (issue 14); the derivation stays out of stderr (one per trace)
  const profile = await resolveProfile(o.profile, file, variants[0]!, o.format, () => {});
  const info = createInfoCollector();
  const replay = createReplay(variants, {}, { profile, seriesPoints: 2 });
  const validator = createValidator(defaultVariant({ kernel: o.kernel, ...(o.machineThp ? { thp: o.machineThp } : {}), useZeroPage: !o.machineNoZeroPage }), profile);
  const cpus = new Set<number>();
  // one read feeds all three: none of the sinks mutates the event it is given
  const sink = (e: TraceEvent): void => {
    if (e.cpu >= 0) cpus.add(e.cpu);
    info.sink(e);
    replay.sink(e);
    validator.sink(e);
  };
  const read = await readTrace(file, sink, { format: o.format });
  const i = info.finish(read);
  if (!i.usable) return { status: 'failed', file, hash, bytes, error: `${file}: none of the events faultline needs (page faults, rss_stat, mm syscalls, fork/exec/exit)` };
  if (read.lostEvents > 0 && !o.allowLost) return { status: 'failed', file, hash, bytes, error: `${file}: ${read.lostEvents} events were lost while recording (pass --allow-lost to accept)` };
  const r = replay.finish(read);
  for (const v of r.variants) v.series = {};
  return { status: 'ok', file, hash, bytes, info: i, cpus: cpus.size, profile: profile?.name ?? 'none', replay: r, validate: validator.finish(read), validateByProcess: validator.byProcess() };
}

/** Run one input: skip when done with this content, else analyse and write its parts (a failure writes a failed row). */
export async function runBatchJob(file: string, o: BatchJobOptions): Promise<JobResult> {
  const t0 = performance.now();
  const s0 = threadSched();
  const phases = { hash: 0, analyse: 0, write: 0 };
  let mark = t0;
  const phase = (k: keyof typeof phases): void => {
    const now = performance.now();
    phases[k] += now - mark;
    mark = now;
  };
  const result = (status: JobStatus, error?: string): JobResult => {
    const s1 = threadSched();
    const round = (x: number): number => Math.round(x * 10) / 10;
    return {
      file, hash, status, error, bytes,
      ms: Math.round(performance.now() - t0),
      cpuMs: round((s1.runNs - s0.runNs) / 1e6),
      waitMs: round((s1.waitNs - s0.waitNs) / 1e6),
      phases: { hash: round(phases.hash), analyse: round(phases.analyse), write: round(phases.write) },
    };
  };
  let hash = '';
  let bytes = 0;
  let outcome: TraceOutcome;
  try {
    bytes = statSync(file).size;
    hash = await contentHash(file);
  } catch (e) {
    // unreadable input: no content to hash, so the row is keyed by the path
    hash = 'path-' + createHash('sha256').update(resolve(file)).digest('hex').slice(0, 11);
    outcome = { status: 'failed', file, hash, bytes, error: `${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? oneLine(e)}` };
  }
  phase('hash');
  const marker = inputMarker(o.out, file);
  const before = existsSync(marker) ? readFileSync(marker, 'utf8').trim() : '';
  if (before && before !== hash) removeTraceParts(o.out, before); // the input changed since it was written
  if (!outcome! && isDone(o.out, hash)) {
    writeMarker(marker, hash);
    return result('skipped');
  }
  if (!outcome!) {
    try {
      outcome = await analyse(file, hash, bytes, o);
    } catch (e) {
      outcome = { status: 'failed', file, hash, bytes, error: oneLine(e) };
    }
    phase('analyse');
  }
  removeTraceParts(o.out, hash); // a part of an earlier, interrupted run of this trace must not survive beside the new ones
  writeTraceParts(o.out, hash, buildRows(outcome, o.settings), `faultline ${o.settings.faultlineVersion}`);
  writeMarker(marker, hash);
  phase('write');
  return result(outcome.status, outcome.status === 'failed' ? outcome.error : undefined);
}

function writeMarker(path: string, hash: string): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, hash + '\n');
}
