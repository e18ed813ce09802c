// Forks and execs without their syscall events (issue 12, items 3 and 4): corpus recordings with those events removed
// keep their agreement with the kernel, and the model says what it inferred.
import { describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { corpusFigures } from './corpus_figures.js';

const DIR = join(import.meta.dirname, '..', 'traces', 'fixtures', 'corpus');

/** A copy of corpus recording name without the events drop matches (meta and ground truth kept). */
function without(name: string, drop: RegExp): string {
  const out = mkdtempSync(join(tmpdir(), `fl-${name}-`));
  const lines = gunzipSync(readFileSync(join(DIR, name, 'trace.txt.gz'))).toString('latin1').split('\n');
  writeFileSync(join(out, 'trace.txt.gz'), gzipSync(Buffer.from(lines.filter((l) => !drop.test(l)).join('\n'), 'latin1')));
  for (const f of ['meta.json', 'checkpoints.jsonl', 'time-v.txt']) if (existsSync(join(DIR, name, f))) copyFileSync(join(DIR, name, f), join(out, f));
  return out;
}

const EXEC_EVENTS = /syscalls:sys_(enter|exit)_execve:|sched:sched_process_exec:/;
const CLONE_CALLS = /syscalls:sys_(enter|exit)_(clone3?|fork|vfork):/;

describe.runIf(existsSync(DIR))('fork and exec without their syscall events', { timeout: 300_000 }, () => {
  it('a launcher chain with no execve or sched_process_exec: each exec inferred from its new mm, still >= 99% matched', async () => {
    const f = await corpusFigures(without('launcher_shim_fork', EXEC_EVENTS));
    // 8 of the full trace's 9 sched_process_exec (the first, the recorded command's own, begins on a task whose mm_id the trace has not shown)
    expect(f.validate.assumptions.exec_inferred).toBe(8);
    expect(100 * f.match_ratio).toBeGreaterThanOrEqual(99.0);
    expect(f.worst_rss_anon_error).toBe(0);
  });
  it('forks with no clone syscall events: the copy is held until task_newtask gives it to the child (same figures as with them)', async () => {
    const [full, stripped] = await Promise.all([corpusFigures(join(DIR, 'launcher_shim_fork')), corpusFigures(without('launcher_shim_fork', CLONE_CALLS))]);
    expect(stripped.validate.unmapped).toBe(0);
    expect(stripped.matched).toBe(full.matched);
    expect(stripped.compared).toBe(full.compared);
  });
  it('threads with sched_process_fork but no task_newtask: no copy during the clone means CLONE_VM, not a process fork', async () => {
    const f = await corpusFigures(without('perf_full_threads', /task:task_newtask:|syscalls:sys_(enter|exit)_clone3?:/));
    expect(100 * f.match_ratio).toBeGreaterThanOrEqual(99.9); // a fork taken for each thread: 0.82%
    expect(f.worst_rss_anon_error).toBe(0);
  });
});
