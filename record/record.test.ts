// The recorder's argument handling, prerequisite errors and perf plumbing, with fake tracefs/perf (no root needed).
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_EVENTS, parseEventList } from './events.js';
import { defaultBufferKb, ftraceLosses, removeStaleInstances } from './ftrace.js';
import type { RecordHost, RecordOptions } from './options.js';
import { FaultlineError } from '../traces/errors.js';
import { checkPrerequisites, findExecutable } from './prerequisites.js';
import { record } from './record.js';

let dir: string;
let tracefs: string;
let bin: string;

/** A fake tracefs with the given events present. */
function fakeTracefs(root: string, events: readonly string[]): string {
  mkdirSync(join(root, 'instances'), { recursive: true });
  for (const e of events) mkdirSync(join(root, 'events', ...e.split(':')), { recursive: true });
  return root;
}

function host(over: Partial<RecordHost> = {}): RecordHost {
  return { tracefs, euid: 0, perfEventParanoid: join(dir, 'paranoid'), path: bin, perf: undefined, ...over };
}

function opts(over: Partial<RecordOptions> = {}): RecordOptions {
  return { output: join(dir, 'out.txt'), backend: 'perf', command: ['work'], ...over };
}

function errorOf(f: () => unknown): FaultlineError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(FaultlineError);
    return e as FaultlineError;
  }
  throw new Error('expected a FaultlineError');
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'faultline-record-test-'));
  tracefs = fakeTracefs(join(dir, 'tracing'), DEFAULT_EVENTS);
  bin = join(dir, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'work'), '#!/bin/sh\necho "{\\"label\\": \\"start\\"}"\nexit 0\n');
  chmodSync(join(bin, 'work'), 0o755);
  writeFileSync(join(bin, 'notexec'), 'data');
  writeFileSync(join(dir, 'paranoid'), '2\n');
  // A fake perf: `record ... -o DATA ... -- CMD` runs CMD and leaves DATA; `script` prints canned perf script lines.
  writeFileSync(
    join(bin, 'perf'),
    [
      '#!/bin/sh',
      'if [ "$1" = record ]; then',
      '  shift; out=""',
      '  while [ "$1" != "--" ]; do [ "$1" = "-o" ] && out="$2"; shift; done; shift',
      '  echo data > "$out"; "$@"; exit $?',
      'fi',
      'if [ "$1" = script ]; then',
      '  echo "     work  10/10  [000]   1.000000100: exceptions:page_fault_user: address=0x1000 ip=0x2000 error_code=0x6"',
      '  echo "     work  10/10  [000]   1.000000200: PERF_RECORD_LOST lost 7"',
      '  echo "     work  10/10  [001]   1.000000300: PERF_RECORD_LOST lost 5"',
      '  exit 0',
      'fi',
      'exit 9',
    ].join('\n') + '\n',
  );
  chmodSync(join(bin, 'perf'), 0o755);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('parseEventList', () => {
  it('accepts system:name, system/name and bare known names, without duplicates', () => {
    expect(parseEventList('kmem:rss_stat, exceptions/page_fault_user page_fault_kernel,kmem:rss_stat')).toEqual([
      'kmem:rss_stat',
      'exceptions:page_fault_user',
      'exceptions:page_fault_kernel',
    ]);
  });
  it('rejects unknown bare names and malformed entries with a one-line hint', () => {
    expect(errorOf(() => parseEventList('frobnicate')).message).toMatch(/needs its system.*system:name/);
    expect(errorOf(() => parseEventList('a:b:c')).message).toMatch(/bad event 'a:b:c'/);
    expect(errorOf(() => parseEventList(' , ')).message).toMatch(/--events is empty/);
  });
  it('default set covers faults, rss_stat, every mm syscall pair and the task events', () => {
    for (const c of ['mmap', 'munmap', 'mprotect', 'madvise', 'brk', 'mremap', 'mlock', 'mlock2', 'munlock', 'mlockall', 'clone', 'clone3', 'execve', 'exit_group']) {
      expect(DEFAULT_EVENTS).toContain(`syscalls:sys_enter_${c}`);
      expect(DEFAULT_EVENTS).toContain(`syscalls:sys_exit_${c}`);
    }
    // sched_switch: the off-CPU part of a fork and of its return (analyze/latency/measured.ts)
    for (const e of ['exceptions:page_fault_user', 'exceptions:page_fault_kernel', 'kmem:rss_stat', 'sched:sched_process_fork', 'sched:sched_process_exec', 'sched:sched_process_exit', 'task:task_newtask', 'sched:sched_switch']) {
      expect(DEFAULT_EVENTS).toContain(e);
    }
  });
});

describe('findExecutable', () => {
  it('searches PATH like execvp and skips non-executables', () => {
    expect(findExecutable('work', `/nonexistent:${bin}`)).toBe(join(bin, 'work'));
    expect(findExecutable('notexec', bin)).toBeNull();
    expect(findExecutable(join(bin, 'work'), '')).toBe(join(bin, 'work'));
    expect(findExecutable('nothere', bin)).toBeNull();
  });
});

describe('checkPrerequisites', () => {
  it('names a missing command, with exit code 127', () => {
    const e = errorOf(() => checkPrerequisites(opts({ command: ['no-such-cmd'] }), host()));
    expect(e.message).toBe('command not found or not executable: no-such-cmd (check the name, or give its path)');
    expect(e.exitCode).toBe(127);
  });
  it('refuses an output file it could not write, before running anything', () => {
    expect(errorOf(() => checkPrerequisites(opts({ output: join(dir, 'no', 'such', 'dir', 't.txt') }), host())).message).toBe(
      `cannot write ${join(dir, 'no', 'such', 'dir', 't.txt')}: directory ${join(dir, 'no', 'such', 'dir')} does not exist`,
    );
    expect(errorOf(() => checkPrerequisites(opts({ truthFile: bin }), host())).message).toBe(`cannot write ${bin}: it is a directory`);
  });
  it('says how to install perf when it is missing', () => {
    const e = errorOf(() => checkPrerequisites(opts(), host({ path: join(dir, 'empty') + ':' + bin, perf: join(dir, 'nope') })));
    expect(e.message).toMatch(/perf not found .*apt-get install linux-perf.*--backend ftrace/);
  });
  it('refuses perf for a non-root user under perf_event_paranoid 2 and says what to change', () => {
    const e = errorOf(() => checkPrerequisites(opts(), host({ euid: 1000 })));
    expect(e.message).toMatch(/perf_event_paranoid is 2.*run as root.*sysctl kernel\.perf_event_paranoid=-1/);
    writeFileSync(join(dir, 'paranoid-1'), '-1\n');
    expect(() => checkPrerequisites(opts(), host({ euid: 1000, perfEventParanoid: join(dir, 'paranoid-1') }))).not.toThrow();
  });
  it('gives the mount command when tracefs is not mounted', () => {
    const empty = join(dir, 'unmounted');
    mkdirSync(empty, { recursive: true });
    for (const backend of ['perf', 'ftrace'] as const) {
      const e = errorOf(() => checkPrerequisites(opts({ backend }), host({ tracefs: empty })));
      expect(e.message).toBe(`tracefs is not mounted at ${empty}: run \`mount -t tracefs nodev ${empty}\` as root`);
    }
  });
  it('says to run as root when the ftrace instances directory is not writable', () => {
    const ro = fakeTracefs(join(dir, 'ro-tracing'), ['kmem:rss_stat']);
    chmodSync(join(ro, 'instances'), 0o555);
    const e = errorOf(() => checkPrerequisites(opts({ backend: 'ftrace' }), host({ tracefs: ro, euid: 1000 })));
    expect(e.message).toMatch(/cannot create a tracing instance .*permission denied.*run as root/);
  });
  it('skips events the kernel lacks, and refuses a kernel without fault or rss_stat events', () => {
    const partial = fakeTracefs(join(dir, 'partial'), ['kmem:rss_stat', 'sched:sched_process_exit']);
    const r = checkPrerequisites(opts({ backend: 'ftrace' }), host({ tracefs: partial }));
    expect(r.events).toEqual(['kmem:rss_stat', 'sched:sched_process_exit']);
    expect(r.skipped.length).toBe(DEFAULT_EVENTS.length - 2);
    const none = fakeTracefs(join(dir, 'nofaults'), ['sched:sched_process_exit']);
    expect(errorOf(() => checkPrerequisites(opts({ backend: 'ftrace' }), host({ tracefs: none }))).message).toMatch(
      /none of exceptions:page_fault_user, kmem:rss_stat/,
    );
  });
});

describe('removeStaleInstances', () => {
  it('removes faultline-<pid> instances whose recorder is gone, and nothing else', () => {
    const tf = fakeTracefs(join(dir, 'stale'), []);
    for (const n of ['faultline-111', 'faultline-222', 'other-333', 'faultline-x']) mkdirSync(join(tf, 'instances', n));
    const removed = removeStaleInstances(tf, (pid) => pid === 222);
    expect(removed).toEqual(['faultline-111']);
    expect(readdirSync(join(tf, 'instances')).sort()).toEqual(['faultline-222', 'faultline-x', 'other-333']);
  });
});

describe('defaultBufferKb', () => {
  it('gives 128 MiB per CPU on small machines and caps the total at 1 GiB, never below 16 MiB', () => {
    expect(defaultBufferKb(2)).toBe(131072);
    expect(defaultBufferKb(8)).toBe(131072);
    expect(defaultBufferKb(32)).toBe(32768);
    expect(defaultBufferKb(256)).toBe(16384);
  });
});

describe('ftraceLosses', () => {
  it('sums overrun and dropped events over every per_cpu/cpuN/stats file', () => {
    const inst = join(dir, 'inst');
    for (const [cpu, overrun, dropped] of [[0, 3, 0], [1, 0, 4], [2, 10, 1]] as const) {
      mkdirSync(join(inst, 'per_cpu', `cpu${cpu}`), { recursive: true });
      // Real layout of the stats file (kernel/trace/trace.c: tracing_stats_read).
      writeFileSync(
        join(inst, 'per_cpu', `cpu${cpu}`, 'stats'),
        `entries: 5\noverrun: ${overrun}\ncommit overrun: 0\nbytes: 400\noldest event ts:  1.000000\nnow ts:  2.000000\ndropped events: ${dropped}\nread events: 0\n`,
      );
    }
    expect(ftraceLosses(inst)).toBe(3 + 4 + 10 + 1);
    expect(ftraceLosses(join(dir, 'no-instance'))).toBe(0);
  });
});

describe('record with a fake perf', () => {
  it('captures the truth, gzips the trace, and counts PERF_RECORD_LOST lines', async () => {
    const out = join(dir, 'trace.txt.gz');
    const truth = join(dir, 'truth.jsonl');
    const lines: string[] = [];
    const res = await record({ ...opts({ output: out, truthFile: truth }), host: host({ perf: join(bin, 'perf') }), log: (l) => lines.push(l) });
    const text = gunzipSync(readFileSync(out)).toString();
    expect(text.split('\n').filter(Boolean)).toHaveLength(3);
    expect(text).toContain('exceptions:page_fault_user: address=0x1000');
    expect(res.bytesWritten).toBe(Buffer.byteLength(text));
    expect(res.lostEvents).toBe(12);
    expect(lines.some((l) => /warning: perf lost 12 events/.test(l))).toBe(true);
    expect(readFileSync(truth, 'utf8')).toBe('{"label": "start"}\n');
    expect(res.commandStatus).toBe(0);
    expect(res.toolCommand).toContain('mono');
  });
  it('reports the command exit status', async () => {
    writeFileSync(join(bin, 'fail3'), '#!/bin/sh\nexit 3\n');
    chmodSync(join(bin, 'fail3'), 0o755);
    const res = await record({ ...opts({ command: ['fail3'] }), host: host({ perf: join(bin, 'perf') }) });
    expect(res.commandStatus).toBe(3);
    expect(readFileSync(join(dir, 'out.txt'), 'utf8')).toContain('PERF_RECORD_LOST');
  });
});
