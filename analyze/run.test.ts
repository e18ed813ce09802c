// Programs over hand-written events and model records: probe matching, predicates, builtins, intervals, errors.
import { describe, expect, it } from 'vitest';
import type { TraceEvent } from '../traces/events.js';
import type { FaultRecord, ForkRecord } from '../model/types.js';
import { compileProgram } from './run.js';
import { FaultlineError } from '../traces/errors.js';

const hdr = (name: string, system: string, time: number, comm: string, pid: number, line: number) => ({ name, system, time, cpu: line % 2, pid, tid: pid, comm, line });
const fault = (t: number, comm: string, pid: number, address: number, errorCode: number, system = 'exceptions'): TraceEvent =>
  ({ ...hdr('page_fault_user', system, t, comm, pid, t), kind: 'fault', user: true, address, ip: 0x401000, errorCode });
const mmap = (t: number, len: number): TraceEvent =>
  ({ ...hdr('sys_enter_mmap', 'syscalls', t, 'a.out', 7, t), kind: 'sys_enter', call: 'mmap', args: { addr: 0, len, prot: 3, flags: 0x22, fd: -1, off: 0 } });
const rss = (t: number, member: number, size: number): TraceEvent =>
  ({ ...hdr('rss_stat', 'kmem', t, 'a.out', 7, t), kind: 'rss_stat', mmId: 0x1234, curr: true, member, size, throttled: false });
const fork = (t: number, parent: string, child: number): TraceEvent =>
  ({ ...hdr('sched_process_fork', 'sched', t, parent, 7, t), kind: 'fork', parentPid: 7, parentComm: parent, childPid: child, childComm: parent });

function run(src: string, events: TraceEvent[], format: 'text' | 'json' = 'text'): string {
  const p = compileProgram(src, { format });
  p.begin();
  for (const e of events) p.traceSink(e);
  p.end();
  return p.output();
}

describe('trace probes', () => {
  const evs = [
    fault(100, 'bash', 1, 0x7f0000000000, 6),
    fault(200, 'bash', 1, 0x7f0000001000, 4),
    fault(300, 'cc1', 2, 0x7f0000002000, 7),
    fault(400, 'cc1', 2, 0x7f0000003000, 6, ''), // ftrace text with no subsystem: inferred
    mmap(500, 4096),
    mmap(600, 3 * 4096),
    rss(700, 1, 8192),
    rss(800, 1, 12288),
    rss(900, 0, 4096),
    fork(1000, 'bash', 3),
  ];

  it('faults by error code, abbreviated probe names and args-> syntax', () => {
    expect(run('t:exceptions:page_fault_user { @[args->error_code] = count(); }', evs)).toBe('\n\n@[4]: 1\n@[7]: 1\n@[6]: 2\n');
  });

  it('predicate with a bitwise test, comm keys', () => {
    expect(run('tracepoint:exceptions:page_fault_user /args.error_code & 2/ { @w[comm] = count(); }', evs)).toBe('\n\n@w[bash]: 1\n@w[cc1]: 2\n');
  });

  it('wildcards, probe builtin, several probes in one block', () => {
    const out = run('t:kmem:rss_stat, t:sched:* { @[probe] = count(); } t:exceptions:page_fault_* { @f = count(); }', evs);
    expect(out).toBe('\n\n@[tracepoint:sched:sched_process_fork]: 1\n@[tracepoint:kmem:rss_stat]: 3\n@f: 4\n');
  });

  it('rss_stat by member, mmap sums, fork counts', () => {
    const out = run(
      't:kmem:rss_stat { @r[args.member] = max(args.size); } t:syscalls:sys_enter_mmap { @len = sum(args.len); } t:sched:sched_process_fork { @forks[args.parent_comm] = count(); }',
      evs,
    );
    expect(out).toBe('\n\n@forks[bash]: 1\n@len: 16384\n@r[0]: 4096\n@r[1]: 12288\n');
  });

  it('scratch variables, ternary, if/else, printf, nsecs/elapsed', () => {
    const out = run(
      't:exceptions:page_fault_user { $w = args.error_code & 2 ? "W" : "R"; if (comm == "bash") { printf("%s %d %lx %d\\n", $w, pid, args.address, elapsed); } else { @other++; } }',
      evs,
    );
    expect(out).toBe('W 1 7f0000000000 0\nR 1 7f0000001000 100\n\n\n@other: 2\n');
  });

  it('interval probes fire in trace time, exit() stops the stream and END still runs', () => {
    const out = run('t:exceptions:page_fault_user { @n = count(); } interval:ms:1 { @i = count(); } END { printf("end\\n"); }', evs);
    expect(out).toBe('end\n\n\n@n: 4\n');
    const ticks: TraceEvent[] = [0, 1, 2, 3, 4, 5].map((i) => fault(1_000_000_000 + i * 400_000_000, 'x', 1, 0, 6));
    // 0 .. 2.0 s of trace: interval:s:1 boundaries at 1.0 s and 2.0 s are crossed (the event at 2.0 s crosses the second)
    expect(run('interval:s:1 { @i = count(); }', ticks)).toBe('\n\n@i: 2\n');
    expect(run('i:500ms { @i = count(); }', ticks)).toBe('\n\n@i: 4\n');
    expect(run('t:exceptions:page_fault_user { @n = count(); if (@n == 3) { exit(); } }', ticks)).toBe('\n\n@n: 3\n');
  });

  it('bitwise operators stay exact above 2^32 (addresses)', () => {
    const out = run('t:exceptions:page_fault_user /pid == 2/ { @[args.address >> 12 & 0xff, args.address & ~0xfff] = count(); }', evs);
    expect(out).toBe(`\n\n@[2, ${0x7f0000002000}]: 1\n@[3, ${0x7f0000003000}]: 1\n`);
  });
});

describe('model probes', () => {
  it('records with variant and path, per-probe dispatch', () => {
    const p = compileProgram('model:fault { @[variant, path] = count(); @pages = sum(args.pages_allocated); } model:fork /args.tables_shared > 0/ { @shared = count(); }');
    expect(p.needsModel).toBe(true);
    expect(p.needsTrace).toBe(false);
    expect(p.modelProbes).toEqual(['fault', 'fork']);
    const f: FaultRecord = {
      variant: 'mainline', time: 10, cpu: 0, pid: 5, tid: 5, comm: 'a', address: 0x1000, errorCode: 6, path: 'anon_alloc',
      vmaStart: 0, vmaEnd: 0x10000, vmaFlags: 0, pagesAllocated: 1, tablesAllocated: 0, latencyNs: 0, inferred: false,
    };
    p.probes.fault!(f);
    p.probes.fault!({ ...f, variant: 'cow-pte', path: 'cow_pte_break', pagesAllocated: 0 });
    p.probes.fault!(f);
    const k: ForkRecord = { variant: 'cow-pte', time: 11, pid: 5, comm: 'a', childPid: 6, ptesCopied: 0, tablesCopied: 0, tablesShared: 3, pmdsCopied: 1, latencyNs: 0 };
    p.probes.fork!(k);
    p.probes.fork!({ ...k, tablesShared: 0 });
    expect(p.probes.exit).toBeUndefined();
    p.end();
    expect(p.output()).toBe('\n\n@[cow-pte, cow_pte_break]: 1\n@[mainline, anon_alloc]: 2\n@pages: 2\n@shared: 1\n');
  });

  it('fractional model values (modelled latency) become integers, as every bpftrace value is', () => {
    const p = compileProgram('model:fault { @s = stats(args.latency_ns); @b = sum(latency_ns); }');
    const f = { variant: 'mainline', time: 1, cpu: 0, pid: 1, tid: 1, comm: 'a', address: 0, errorCode: 6, path: 'anon_alloc', vmaStart: 0, vmaEnd: 0, vmaFlags: 0, pagesAllocated: 1, tablesAllocated: 0, latencyNs: 1000.7, inferred: false };
    p.probes.fault!(f);
    p.probes.fault!({ ...f, latencyNs: 2000.9 });
    p.end();
    expect(p.output()).toBe('\n\n@b: 3000\n@s: count 2, average 1500, total 3000\n');
  });
});

describe('errors point at the source like bpftrace', () => {
  function error(src: string): string {
    try {
      compileProgram(src);
    } catch (e) {
      expect(e).toBeInstanceOf(FaultlineError);
      return (e as FaultlineError).detail;
    }
    throw new Error('expected a query error');
  }

  it('live-only probes are refused with the reason and a ~~~ span', () => {
    const src = 'kprobe:do_page_fault { @ = count(); }';
    const d = error(src).split('\n');
    expect(d[0]).toMatch(/^stdin:1:1-21: ERROR: kprobes \(kprobe:\) attach to a live kernel or process; faultline reads recorded traces/);
    expect(d[1]).toBe(src);
    expect(d[2]).toBe('~'.repeat('kprobe:do_page_fault'.length));
  });

  it('unknown tracepoint field, column of args.field on line 2', () => {
    const src = 'BEGIN { }\nt:kmem:rss_stat { @[args.nope] = count(); }';
    const col = src.split('\n')[1].indexOf('args.nope') + 1;
    const d = error(src).split('\n');
    expect(d[0]).toBe(`stdin:2:${col}-${col + 9}: ERROR: tracepoint:kmem:rss_stat has no field 'nope' (fields: mm_id, curr, member, size)`);
    expect(d[2]).toBe(' '.repeat(col - 1) + '~'.repeat(9));
  });

  it('live-only functions and builtins, type errors, syntax errors', () => {
    expect(error('BEGIN { system("ls"); }')).toContain('system() runs commands on the live machine');
    expect(error('t:exceptions:page_fault_user { @[kstack] = count(); }')).toContain('needs a live system: kstack');
    expect(error('t:exceptions:page_fault_user { @[ksym(args.ip)] = count(); }')).toContain('ksym() resolves addresses against the live kernel');
    expect(error('BEGIN { @x = count(); @x = 1; }')).toContain("Type mismatch for @x");
    expect(error('t:exceptions:page_fault_user { @x[comm] = count(); @x[pid] = count(); }')).toContain('Argument mismatch for @x');
    expect(error('BEGIN { @h = hist(1); @y = @h + 1; }')).toContain('@h holds hist() values, which cannot be read');
    expect(error('BEGIN { @y = @never + 1; }')).toContain('Undefined map: @never');
    expect(error('BEGIN { printf("%d\\n", "s"); }')).toContain('%d specifier expects a value of type integer');
    expect(error('BEGIN { printf("%d %d\\n", 1); }')).toContain('Number of arguments (1) does not match');
    const bad = 'BEGIN { @x = 1 + ; }';
    const semi = bad.indexOf(';') + 1;
    expect(error(bad).split('\n')[0]).toBe(`stdin:1:${semi}-${semi + 1}: ERROR: syntax error, unexpected ;`);
    expect(error(bad).split('\n')[2]).toBe(' '.repeat(semi - 1) + '^');
    expect(error('BEGIN { @x = str(5); }')).toContain('str() of an integer reads process memory');
    expect(error('t:exceptions:page_fault_user { @[$undefined] = count(); }')).toContain('Undefined or undeclared variable: $undefined');
    expect(error('t:exceptions:page_fault_user { @ = lhist(1, 10, 5, 1); }')).toContain('max must be greater than min');
    expect(error('model:faults { @ = count(); }')).toContain("no model probe matches 'faults'");
    expect(error('software:page-faults { @[args.address] = count(); }')).toContain('software probes carry no args');
  });
});

describe('string functions and probe coverage', () => {
  it('strncmp, strcontains, strlen', () => {
    const evs = [fault(1, 'kworker/0:1', 9, 0x1000, 6), fault(2, 'bash', 1, 0x2000, 6), fault(3, 'kworker/1:0', 9, 0x3000, 6)];
    const out = run('t:exceptions:page_fault_user /strncmp(comm, "kworker", 7) == 0/ { @k = count(); } t:exceptions:page_fault_user /strcontains(comm, "as")/ { @len = sum(strlen(comm)); }', evs);
    expect(out).toBe('\n\n@k: 2\n@len: 4\n');
  });

  it('pid is the thread group: from the event, else from task_newtask (CLONE_THREAD), else the tid', () => {
    const nt = (t: number, tid: number, newPid: number, cloneFlags: number): TraceEvent =>
      ({ ...hdr('task_newtask', 'task', t, 'app', -1, t), tid, kind: 'newtask', newPid, newComm: 'app', cloneFlags });
    const f = (t: number, tid: number): TraceEvent => ({ ...fault(t, 'app', -1, 0x1000, 6), tid });
    const evs = [nt(1, 100, 101, 0x3d0f00), nt(2, 101, 102, 0x11), f(3, 101), f(4, 102), f(5, 100), f(6, 999)];
    // 0x3d0f00 has CLONE_THREAD (0x10000): 101 is a thread of 100; 0x11 (SIGCHLD|...) makes 102 a new process
    expect(run('t:exceptions:page_fault_user { @[pid] = count(); }', evs)).toBe('\n\n@[102]: 1\n@[999]: 1\n@[100]: 2\n');
  });

  it('a map read before its assignment takes the assigned type (string maps too)', () => {
    expect(run('BEGIN { @a = @s; @s = "str"; @n = @c + 1; } t:exceptions:page_fault_user { @c = count(); } END { @after = @c; }', [fault(1, 'a', 1, 0, 6)])).toBe(
      '\n\n@a: \n@after: 1\n@c: 1\n@n: 1\n@s: str\n',
    );
  });

  it('a block that is also BEGIN/END reads args as 0 there', () => {
    expect(run('BEGIN, t:exceptions:page_fault_user { @[args.error_code] = count(); }', [fault(1, 'a', 1, 0x1000, 6)])).toBe('\n\n@[0]: 1\n@[6]: 1\n');
  });

  it('loss markers are not tracepoint hits, even for t:*:*', () => {
    const lost: TraceEvent = { kind: 'lost', name: 'lost', system: '', time: 5, cpu: 1, pid: -1, tid: -1, comm: '', line: 1, count: 10 };
    expect(run('t:*:* { @[probe] = count(); }', [lost, fault(6, 'a', 1, 0x1000, 6)])).toBe('\n\n@[tracepoint:exceptions:page_fault_user]: 1\n');
  });

  it('names the trace probes that matched nothing (a typo must not look like zero events)', () => {
    const p = compileProgram('t:exceptions:page_fault_usr { @a = count(); } t:exceptions:page_fault_user, t:sched:* { @b = count(); }');
    p.traceSink(fault(1, 'x', 1, 0x1000, 6));
    p.end();
    expect(p.unmatchedProbes()).toEqual(['t:exceptions:page_fault_usr', 't:sched:*']);
  });
});

describe('zero() and min/max', () => {
  it('zero() keeps keys with 0 values; min/max restart from the next value', () => {
    const p = compileProgram('BEGIN { @mn["a"] = min(5); @mx["a"] = max(-5); @c["k"] = count(); zero(@mn); zero(@mx); zero(@c); print(@mn); print(@mx); print(@c); @mn["a"] = min(9); @mx["a"] = max(-9); }');
    p.begin();
    p.end();
    // print() output during the run, then the blank pair and the maps at exit (0.26 text.cpp: TextOutput::end)
    expect(p.output()).toBe('@mn[a]: 0\n@mx[a]: 0\n@c[k]: 0\n' + '\n\n@c[k]: 0\n@mn[a]: 9\n@mx[a]: -9\n');
  });
});
