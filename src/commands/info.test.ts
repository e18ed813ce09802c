// `faultline info` end to end in-process: JSON keys and counts, text output, exit codes for lost events and bad files.
import { describe, expect, it, afterEach } from 'vitest';
import { runCli } from './run_cli.suite.js';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { registerInfo } from './info.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { countIndependently, rawText } from '../../traces/independent_count.suite.js';
import { encodePerfetto, parseFtraceText } from '../../traces/perfetto_encode.suite.js';

const FORMATS = new URL('../../traces/fixtures/formats/', import.meta.url).pathname;

const run = (args: string[]) => runCli(registerInfo, ['info', ...args]);

afterEach(() => {
  process.exitCode = 0;
});

describe('faultline info', () => {
  it('--json prints the documented keys with counts equal to a grep of the file', async () => {
    const path = FORMATS + 'perf_script.default.txt';
    const raw = readFileSync(path, 'utf8');
    const grep = (s: string): number => raw.split('\n').filter((l) => l.includes(s)).length;
    const r = await run([path, '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    for (const k of ['format', 'events', 'lost_events', 'skipped_lines', 'processes', 'threads', 'span_ns']) expect(j).toHaveProperty(k);
    expect(j.format).toBe('perf-script');
    expect(j.events.page_fault_user).toBe(grep('exceptions:page_fault_user:'));
    expect(j.events.rss_stat).toBe(grep('kmem:rss_stat:'));
    expect(j.events.sys_enter_mmap).toBe(grep('syscalls:sys_enter_mmap:'));
    expect(j.lost_events).toBe(0);
    // tiny forks once: parent 14414 and child 14416, each its own process.
    expect(j.processes).toBe(2);
    expect(j.threads).toBe(2);
    // first line 1276.270438, last line 1276.276701
    expect(j.span_ns).toBe(1276276701000 - 1276270438000);
  });

  it('threads and processes follow task_newtask clone flags (threads workload: main + 2 pthreads)', async () => {
    const path = new URL('../../traces/fixtures/workloads/threads/perf.txt.gz', import.meta.url).pathname;
    const j = JSON.parse((await run([path, '--json'])).out);
    expect(j.processes).toBe(1);
    expect(j.threads).toBe(3);
    expect(j.events.task_newtask).toBe(2);
  });

  it('lost events: warning and exit 3 unless --allow-lost', async () => {
    const path = FORMATS + 'ftrace.pipe_lost.txt';
    const a = await run([path, '--json']);
    expect(a.code).toBe(3);
    expect(JSON.parse(a.out).lost_events).toBe(5983);
    expect(a.err).toContain('5983 events were lost');
    const b = await run([path, '--allow-lost']);
    expect(b.code).toBe(0);
    expect(b.out).toContain('lost:      5983');
  });

  it('text output lists events, processes, span and skipped examples as file:line: why', async () => {
    // A perf trace forced through the ftrace reader: every line is skipped (no TASK-PID [CPU] columns).
    const path = FORMATS + 'perf_script.default.txt';
    const n = readFileSync(path, 'utf8').split('\n').filter((l) => l.trim()).length;
    const r = await run([path, '--format', 'ftrace']);
    expect(r.out).toContain('format:    ftrace');
    expect(r.out).toContain(`skipped:   ${n} lines`);
    expect(r.out).toMatch(/perf_script\.default\.txt:1: no "TASK-PID" before the \[CPU\] column/);
    expect(r.out).toContain(`... and ${n - 5} more`);
    expect(r.err).toContain('none of the events faultline needs');
  });

  it('names the needed events a trace lacks and what replay assumes without each (issue 12)', async () => {
    // the MIN list (perf record -e page_fault_user,rss_stat,sys_enter_{mmap,...}): no exits, kernel faults, fork/exec/exit
    const min = new URL('../../traces/fixtures/corpus/perf_min_churn/trace.txt.gz', import.meta.url).pathname;
    const j = JSON.parse((await run([min, '--json'])).out) as { missing_events: { event: string; cost: string }[] };
    const names = j.missing_events.map((m) => m.event);
    for (const ev of ['page_fault_kernel', 'sys_exit_munmap', 'sys_exit_mremap', 'task_newtask', 'sched_process_fork', 'sched_process_exit']) expect(names).toContain(ev);
    expect(names).not.toContain('rss_stat');
    expect(j.missing_events.find((m) => m.event === 'sys_exit_munmap')!.cost).toMatch(/next event shows the call returned/);
    const t = await run([min]);
    expect(t.out).toContain(`missing:   ${names.length} of the events faultline needs are absent`);
    expect(t.out).toMatch(/\n  no page_fault_kernel: kernel-mode faults/);
    // faultline's own recorder's list: a forking workload's trace lacks none
    const full = new URL('../../traces/fixtures/workloads/fork_child_half/perf.txt.gz', import.meta.url).pathname;
    expect(JSON.parse((await run([full, '--json'])).out).missing_events).toEqual([]);
  });

  it('bad input is one line on stderr and exit 2, never a stack', async () => {
    const r = await run(['/nonexistent/trace.txt']);
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toContain('/nonexistent/trace.txt: no such file');
    const f = await run([FORMATS + 'perf_script.default.txt', '--format', 'nope']);
    expect(f.code).toBe(2);
    expect(f.err).toContain("unknown --format 'nope'");
  });

  it('`faultline info --json` on a .pftrace prints the per-event counts', async () => {
    const src = new URL('../../traces/fixtures/workloads/file_private/ftrace.txt.gz', import.meta.url).pathname;
    const file = join(mkdtempSync(join(tmpdir(), 'faultline-info-')), 'info.pftrace');
    writeFileSync(file, encodePerfetto(parseFtraceText(rawText(src))));
    const r = await run([file, '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as { format: string; events: Record<string, number> };
    expect(j.format).toBe('perfetto');
    expect(j.events).toEqual(countIndependently(rawText(src), 'ftrace').events);
  });
});
