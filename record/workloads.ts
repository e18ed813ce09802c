// Compiles the C workloads (traces/workloads/*.c, `cc -O2 -pthread`, no dependencies) into traces/workloads/bin/ (git-ignored).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { userError } from '../traces/errors.js';

/** One C file each in traces/workloads/, sharing the header fl_common.h. */
export const WORKLOAD_NAMES = [
  'write_touch',
  'read_then_write',
  'sparse',
  'fork',
  'thp',
  'populate',
  'dontneed',
  'pattern_init',
  'threads',
  'file_private',
  'churn',
  'pt_reclaim',
  'guard',
  'mthp',
  'zygote',
  'thp_shrink',
] as const;
export type WorkloadName = (typeof WORKLOAD_NAMES)[number];

/** The repository root, found from this module whether it runs from source or from dist/. */
export function repoRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(d, 'package.json')) && existsSync(join(d, 'traces'))) return d;
    d = dirname(d);
  }
  throw new Error('cannot find the faultline repository root from ' + fileURLToPath(import.meta.url));
}

export function workloadsDir(): string {
  return join(repoRoot(), 'traces', 'workloads');
}

/**
 * Builds the named workloads (all by default) into outDir (default traces/workloads/bin) when a source is newer
 * than its binary; returns name -> absolute binary path. Throws a one-line user error naming the file when cc fails.
 */
export function buildWorkloads(names: readonly string[] = WORKLOAD_NAMES, outDir?: string, cc = process.env.CC ?? 'cc'): Record<string, string> {
  const src = workloadsDir();
  const out = resolve(outDir ?? join(src, 'bin'));
  mkdirSync(out, { recursive: true });
  const header = statSync(join(src, 'fl_common.h')).mtimeMs;
  const built: Record<string, string> = {};
  for (const name of names) {
    const c = join(src, `${name}.c`);
    if (!existsSync(c)) throw userError(`no workload named ${name} (${c} does not exist)`);
    const bin = join(out, name);
    const fresh = existsSync(bin) && statSync(bin).mtimeMs >= Math.max(header, statSync(c).mtimeMs);
    if (!fresh) {
      try {
        execFileSync(cc, ['-O2', '-pthread', '-Wall', '-o', bin, c], { stdio: ['ignore', 'ignore', 'pipe'] });
      } catch (err) {
        const e = err as { stderr?: Buffer; message: string };
        const why = e.stderr?.toString().trim().split('\n')[0] ?? e.message;
        throw userError(`cannot compile ${c} with ${cc}: ${why}`, { hint: 'install a C compiler (apt-get install gcc)' });
      }
    }
    built[name] = bin;
  }
  return built;
}
