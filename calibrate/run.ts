// Runs the calibration workload: compiles traces/workloads/calibrate.c with the system cc and returns its stdout.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { calibrateFailed } from './error.js';

/** Where calibrate.c lives, from the source tree (calibrate/) or the build (dist/calibrate/). */
export function calibrateSource(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [resolve(here, '../traces/workloads/calibrate.c'), resolve(here, '../../traces/workloads/calibrate.c')];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw calibrateFailed(`cannot find traces/workloads/calibrate.c (looked in ${candidates.join(', ')})`);
  return found;
}

/** Compile calibrate.c with the system cc into dir; returns the binary path. */
export function compileCalibrate(dir: string, cc = process.env.CC ?? 'cc'): string {
  const bin = join(dir, 'calibrate');
  const r = spawnSync(cc, ['-O2', '-o', bin, calibrateSource()], { encoding: 'utf8' });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT')
    throw calibrateFailed(`no C compiler "${cc}" found: install one (apt-get install gcc) and rerun calibrate`);
  if (r.status !== 0) throw calibrateFailed(`${cc} failed to compile calibrate.c: ${(r.stderr || '').split('\n')[0]}`);
  return bin;
}

export interface RunOptions {
  runs: number;
  quick: boolean;
  /** No SCHED_IDLE spinners on the other CPUs (calibrate.c -s 0): flush costs then follow other users' load. */
  idlePeers?: boolean;
  /** Called with each stdout chunk (progress). */
  onOutput?: (chunk: string) => void;
}

/** Compile and run the calibrate program in a temp dir; returns its stdout. */
export function runCalibrate(opts: RunOptions): string {
  const dir = mkdtempSync(join(tmpdir(), 'faultline-calibrate-'));
  try {
    const bin = compileCalibrate(dir);
    const args = ['-r', String(opts.runs), '-d', dir, '-s', opts.idlePeers ? '0' : '1', ...(opts.quick ? ['-q'] : [])];
    const r = spawnSync(bin, args, { encoding: 'utf8', maxBuffer: 256 << 20 });
    if (r.error) throw calibrateFailed(`calibrate program failed to start: ${r.error.message}`);
    if (r.status !== 0) throw calibrateFailed(`calibrate program failed: ${(r.stderr || `exit ${r.status}`).split('\n')[0]}`);
    return r.stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
