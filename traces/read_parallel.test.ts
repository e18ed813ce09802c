// The parse worker gives the same output as one thread: the built CLI run both ways (FAULTLINE_PARSE_WORKER=1 / 0).
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = new URL('..', import.meta.url).pathname;
const CLI = join(ROOT, 'dist/src/cli.js');
const F = (p: string): string => join(ROOT, 'traces/fixtures', p);

function run(worker: '0' | '1', args: string[]): string {
  const r = spawnSync(process.execPath, [CLI, ...args], { env: { ...process.env, FAULTLINE_PARSE_WORKER: worker }, encoding: 'utf8' });
  return `exit ${r.status}\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

describe('parse worker vs one thread (built CLI)', () => {
  it('the CLI is built (npm run build)', () => {
    expect(existsSync(join(ROOT, 'dist/traces/read_worker.js'))).toBe(true);
  });
  it('the worker runs: a second thread writes its own CPU profile', () => {
    const threads = (worker: '0' | '1'): number => {
      const dir = mkdtempSync(join(tmpdir(), 'faultline-worker-'));
      try {
        spawnSync(process.execPath, ['--cpu-prof', '--cpu-prof-dir', dir, CLI, 'info', F('formats/perf_script.default.txt')], { env: { ...process.env, FAULTLINE_PARSE_WORKER: worker } });
        return readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).length;
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    };
    expect([threads('0'), threads('1')]).toEqual([1, 2]);
  });
  const cases: [string, string[]][] = [
    ['info, perf script', ['info', '--json', F('formats/perf_script.default.txt')]],
    ['info, gzip', ['info', '--json', F('formats/ftrace.tgid.txt.gz')]],
    ['info, lost events (exit 3, warnings)', ['info', F('formats/ftrace.pipe_lost.txt')]],
    ['info, CPUs out of order (merge)', ['info', '--json', F('formats/ftrace.ooo_cpus.edited.txt')]],
    ['info, systrace HTML', ['info', '--json', F('formats/systrace.edited.html')]],
    ['info, not a trace (error)', ['info', F('formats/README.md')]],
    ['replay with syscalls paired (mmap/munmap)', ['replay', '--json', '--machine-no-zero-page', F('workloads/dontneed_munmap/perf.txt.gz')]],
    ['query on trace events', ['query', '--json', F('formats/perf_script.task_events.txt'), 't:syscalls:sys_exit_mmap { @[comm] = count(); }']],
  ];
  for (const [name, args] of cases) {
    it(name, () => {
      const one = run('0', args);
      expect(one).toMatch(/^exit \d/);
      expect(run('1', args)).toBe(one);
    });
  }
});
