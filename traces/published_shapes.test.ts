// Trace shapes from other people's machines (issue 19), each from the lines quoted there: read right, or counted and said.
import { describe, expect, it, beforeAll } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { deflateSync, gzipSync } from 'node:zlib';
import { Readable } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTrace, STDIN } from './read.js';
import { traceInfo } from './info.js';
import { detectFormat } from './detect.js';
import type { ReadResult, TraceEvent } from './events.js';

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'faultline-shapes-'));
});

function file(name: string, content: string | Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

async function read(p: string): Promise<{ events: TraceEvent[]; r: ReadResult }> {
  const events: TraceEvent[] = [];
  const r = await readTrace(p, (e) => events.push(e));
  return { events, r };
}

const FTRACE = [
  '# tracer: nop',
  '#',
  '           <...>-19161 (-----) [001] ...1 683201.354908: tracing_mark_write: trace_event_clock_sync: parent_ts=683201.375000',
  ' ndroid.systemui-13580 (13580) [001] ...1 683202.104223: tracing_mark_write: S|13580|deliverInputEvent|263',
  '           <...>-18926 (-----) [000] ...1 683202.104223: tracing_mark_write: B|18926|deliverInputEvent',
  '',
].join('\n');

describe('atrace -z: a TRACE: line, then one zlib stream', () => {
  it('is inflated and read as ftrace text', async () => {
    const p = file('z.txt', Buffer.concat([Buffer.from('TRACE:\n'), deflateSync(Buffer.from(FTRACE))]));
    const { events, r } = await read(p);
    expect(r.format).toBe('ftrace');
    expect(events.map((e) => e.tid)).toEqual([19161, 13580, 18926]);
    expect(r.skippedLines).toBe(0);
  });
  it('uncompressed atrace output: the TRACE: line is not an event and not a skip', async () => {
    const { events, r } = await read(file('plain.txt', 'TRACE:\n' + FTRACE));
    expect(events.length).toBe(3);
    expect(r.skippedLines).toBe(0);
  });
  it("atrace markers name the writer's TGID (B|pid|, S|pid|) where the TGID column says (-----)", async () => {
    const { events } = await read(file('tgid.txt', FTRACE));
    expect(events.map((e) => e.pid)).toEqual([-1, 13580, 18926]);
  });
});

describe('perf PMU-qualified event names', () => {
  const lines = [
    'build.sh 2286197 649962.189031:          1 apple_avalanche_pmu/cycles/Pu: ',
    '\t    ffff0db42ac0 _start+0x0 (/usr/lib/ld-linux-aarch64.so.1)',
    '',
    'bash 2286198 649962.189686:          1  apple_blizzard_pmu/cycles/Pu: ',
    '\t    fffec3b76a74 _Fork+0x34 (/usr/lib64/libc.so.6)',
    '',
    'stress 4242 650000.000001:     100003 cpu_core/cycles/: ',
    '\t    55d0c0de0010 main+0x10 (/usr/bin/stress)',
    '',
  ].join('\n');
  it('are detected as perf script and counted under their full name', async () => {
    expect(detectFormat(lines)).toBe('perf-script');
    const { events, r } = await read(file('pmu.txt', lines));
    expect(events.map((e) => [e.name, e.tid])).toEqual([
      ['apple_avalanche_pmu/cycles/Pu', 2286197],
      ['apple_blizzard_pmu/cycles/Pu', 2286198],
      ['cpu_core/cycles/', 4242],
    ]);
    expect(r.skippedLines).toBe(0);
  });
});

describe('perf page-faults samples without an address (perf record -e page-faults -g, no -d)', () => {
  const lines = [
    'perf 47118 [011] 51499.088689:          1 page-faults: ',
    '\t    7f0e0d2c4b39 __memset_avx2_unaligned_erms+0x39 (/usr/lib/x86_64-linux-gnu/libc.so.6)',
    '\t    55b0b7a0c2a1 [unknown] (/usr/bin/perf)',
    '',
    'perf 47118 [011] 51499.088701:          1 page-faults: ',
    '\t    7f0e0d2c4b39 __memset_avx2_unaligned_erms+0x39 (/usr/lib/x86_64-linux-gnu/libc.so.6)',
    '\t    55b0b7a0c2a1 [unknown] (/usr/bin/perf)',
    '',
  ].join('\n');
  it('are kept as events with their call stack, and counted as what the model cannot replay', async () => {
    const { events, r } = await read(file('pf.txt', lines));
    expect(r.skippedLines).toBe(0);
    expect(events.length).toBe(2);
    expect(events[0]).toMatchObject({ kind: 'other', name: 'page-faults', tid: 47118, cpu: 11, fields: { stack: '__memset_avx2_unaligned_erms;[unknown]', depth: 2 } });
    expect(r.stats.fault_sample_no_address).toBe(2);
  });
});

describe('tracefs syscall lines from older kernels: hex without 0x', () => {
  const line = (args: string): string => `            bash-2425  [001] ....  1024.500000: sys_clone(${args})\n`;
  it('reads every argument as hex, including ones that happen to be all decimal digits', async () => {
    const { events, r } = await read(file('clone.txt', line('clone_flags: 1200011, newsp: 0, parent_tidptr: 0, child_tidptr: 7fe6196caa10, tls: 0')));
    expect(r.skippedLines).toBe(0);
    expect(events[0]).toMatchObject({ kind: 'sys_enter', call: 'clone', args: { clone_flags: 0x1200011, newsp: 0, child_tidptr: 0x7fe6196caa10, tls: 0 } });
    expect(r.stats.syscall_args_bare_hex).toBe(1);
  });
  it('len: 21000 is 0x21000 bytes; a newer kernel printing 0x is read the same', async () => {
    const p = file('mmap.txt', [
      '            bash-2425  [001] ....  1024.500000: sys_mmap(addr: 0, len: 21000, prot: 3, flags: 22, fd: ffffffffffffffff, off: 0)',
      '            bash-2425  [001] ....  1024.500001: sys_mmap(addr: 0x0, len: 0x21000, prot: 0x3, flags: 0x22, fd: 0xffffffffffffffff, off: 0x0)',
      '',
    ].join('\n'));
    const { events, r } = await read(p);
    const want = { addr: 0, len: 0x21000, prot: 3, flags: 0x22, fd: -1, off: 0 };
    expect(events.map((e) => (e.kind === 'sys_enter' ? e.args : null))).toEqual([want, want]);
    expect(r.stats.syscall_args_bare_hex).toBe(1);
  });
});

describe('tracefs stack traces (options/stacktrace)', () => {
  it('frames belong to the <stack trace> entry, kept as one kernel_stack event; no frame is a skipped line', async () => {
    const p = file('stack.txt', [
      '# tracer: nop',
      '            bash-2425  [001] d...  1024.500000: page_fault_user: address=0x7f0e0d2c4000 ip=0x7f0e0d2c4b39 error_code=0x6',
      '            bash-2425  [001] d...  1024.500001: <stack trace>',
      ' => exc_page_fault',
      ' => asm_exc_page_fault',
      '            bash-2425  [001] d...  1024.500002: <user stack trace>',
      ' => <00007f0e0d2c4b39>',
      '            bash-2425  [001] d...  1024.500010: page_fault_user: address=0x7f0e0d2c5000 ip=0x7f0e0d2c4b39 error_code=0x6',
      '',
    ].join('\n'));
    const { events, r } = await read(p);
    expect(r.skippedLines).toBe(0);
    expect(events.map((e) => e.name)).toEqual(['page_fault_user', 'kernel_stack', 'user_stack', 'page_fault_user']);
    expect(events[1]).toMatchObject({ kind: 'other', tid: 2425, fields: { stack: 'exc_page_fault;asm_exc_page_fault', depth: 2 } });
    expect(events[2]).toMatchObject({ fields: { stack: '<00007f0e0d2c4b39>', depth: 1 } });
  });
});

describe('trace-cmd report: version line and trace_printk text holding a newline', () => {
  it('neither is a skipped line', async () => {
    const p = file('tc.txt', [
      'version = 6',
      'cpus=6',
      '              ls-4734  [002] 106439.675571: bprint:               select_task_rq_fair: fig: cpu=0',
      ' gid=4',
      '              ls-4734  [002] 106439.675591: sched_switch:         trace-cmd:4734 [120] R ==> migration/2:18 [0]',
      '',
    ].join('\n'));
    expect(detectFormat('version = 6\n')).toBe('trace-cmd');
    const { events, r } = await read(p);
    expect(r.format).toBe('trace-cmd');
    expect(events.map((e) => e.name)).toEqual(['bprint', 'sched_switch']);
    expect(r.skippedLines).toBe(0);
    expect(r.stats.message_continuation_line).toBe(1);
  });
});

describe('systrace HTML from the 2014-2021 viewers', () => {
  const viewerJs = [
    '<!DOCTYPE html>',
    '<html><head><script>',
    '  var m = /^  <script class="trace-data" type="application\\/text">$/;',
    '  if (text.indexOf(\'var linuxPerfData = "\') >= 0) { legacy(); }',
    '</script></head><body>',
  ];
  const page = [
    ...viewerJs,
    '  <script class="trace-data" type="application/text">',
    '# tracer: nop',
    '#           TASK-PID   CPU#  ||||    TIMESTAMP  FUNCTION',
    '     surfaceflinger-301   [000] ...1  5000.000100: tracing_mark_write: B|301|onMessageReceived',
    '          Binder_2-895   [001] ...1  5000.000200: tracing_mark_write: E',
    '       RenderThread-1702 [001] ...1  5000.000300: sched_wakeup: comm=surfaceflinger pid=301 prio=120 success=1 target_cpu=000',
    '           <...>-0     [000] ...1     0.000000: tracing_mark_write: trace_event_clock_sync: parent_ts=0.0',
    '  </script>',
    '  <script class="trace-data" type="application/text">',
    'PROCESS DUMP',
    'USER           PID  PPID     VSZ    RSS WCHAN            PC S NAME',
    'system         301     1  123456  4567 0                   0 S surfaceflinger',
    'system         880     1  223456  5567 0                   0 S system_server',
    'u0_a12        1650   600  323456  6567 0                   0 S com.android.chrome',
    'USER           PID   TID CMD',
    'system         880   895 Binder_2',
    'u0_a12        1650  1702 RenderThread',
    '  </script>',
    '</body></html>',
  ].join('\n');
  it('the markers inside the viewer JavaScript start no block; the process dump is no ftrace text', async () => {
    const { events, r } = await read(file('old.html', page));
    expect(r.format).toBe('systrace');
    expect(r.skippedLines).toBe(0);
    expect(events.length).toBe(4);
    expect(r.threadGroups).toEqual(new Map([[301, 301], [880, 880], [1650, 1650], [895, 880], [1702, 1650]]));
  });
  it('processes come from the TGIDs the dump names; the clock-sync marker at time 0 does not stretch the span', async () => {
    const i = await traceInfo(file('old2.html', page));
    // threads 301, 895, 1702 are in processes 301, 880, 1650
    expect(i.threads).toBe(3);
    expect(i.processes).toBe(3);
    expect(i.stats.find((s) => s.name === 'thread_tgid_unknown')).toBeUndefined();
    expect(i.spanNs).toBe(200_000);
    expect(i.stats.find((s) => s.name === 'clock_sync_at_zero')?.value).toBe(1);
  });
});

describe('rss_stat from Android phones (kernel 4.19/5.x)', () => {
  it('a negative size and member=4 are read as printed, and counted', async () => {
    const p = file('rss.txt', [
      '     Binder_2-895   ( 880) [001] ....  5000.000100: rss_stat: mm_id=1075408569 curr=1 member=1 size=-35966976B',
      '     Binder_2-895   ( 880) [001] ....  5000.000200: rss_stat: mm_id=1075408569 curr=1 member=4 size=8192B',
      '',
    ].join('\n'));
    const { events, r } = await read(p);
    expect(r.skippedLines).toBe(0);
    expect(events.map((e) => (e.kind === 'rss_stat' ? [e.member, e.size, e.pid] : null))).toEqual([[1, -35966976, 880], [4, 8192, 880]]);
    expect(r.stats.rss_stat_negative).toBe(1);
    expect(r.stats.rss_stat_member_beyond_shmem).toBe(1);
  });
});

describe('perf script --show-lost-events (issue 12)', () => {
  // Recorded here: perf record -m 1 -e exceptions:page_fault_user -- python3 -c "b=bytearray(300*1024*1024)"
  it('PERF_RECORD_LOST lines are lost events with their count, not events', async () => {
    const p = file('lost.txt', [
      '         python3  2783 [001]  4481.252255: exceptions:page_fault_user: address=0x7fbba3f6cb70 ip=0x7fbba3f6cb70 error_code=0x14',
      '         python3  2783 [001]  4481.267457: PERF_RECORD_LOST lost 50',
      '         python3  2783 [001]  4481.252261: exceptions:page_fault_user: address=0x7fbba3f85e06 ip=0x7fbba3f6d7ad error_code=0x6',
      '            bash  2836 [001]  4481.501298: PERF_RECORD_LOST lost 176',
      '',
    ].join('\n'));
    const { events, r } = await read(p);
    expect(r.events).toBe(2);
    expect(r.lostEvents).toBe(226);
    expect(r.stats.ring_buffer_lost).toBe(226);
    expect(events.filter((e) => e.kind === 'lost').map((e) => (e.kind === 'lost' ? e.count : 0))).toEqual([50, 176]);
    expect(r.skippedLines).toBe(0);
  });
});

describe('stdin: perf script | faultline info - (issue 12)', () => {
  const perf = [
    '         python3  2783 [001]  4481.252255: exceptions:page_fault_user: address=0x7fbba3f6cb70 ip=0x7fbba3f6cb70 error_code=0x14',
    '         python3  2783 [001]  4481.252261: exceptions:page_fault_user: address=0x7fbba3f85e06 ip=0x7fbba3f6d7ad error_code=0x6',
    '',
  ].join('\n');
  for (const [kind, bytes] of [
    ['plain', Buffer.from(perf)],
    ['gzip', gzipSync(Buffer.from(perf))],
    ['atrace -z', Buffer.concat([Buffer.from('TRACE:\n'), deflateSync(Buffer.from(FTRACE))])],
  ] as const) {
    it(`${kind} is sniffed and read like a file`, async () => {
      const events: TraceEvent[] = [];
      // in small pieces, as a pipe delivers them
      const pieces = Array.from({ length: Math.ceil(bytes.length / 97) }, (_, i) => bytes.subarray(i * 97, (i + 1) * 97));
      const r = await readTrace(STDIN, (e) => events.push(e), { stdin: Readable.from(pieces) });
      expect(r.file).toBe('<stdin>');
      expect(r.format).toBe(kind === 'atrace -z' ? 'ftrace' : 'perf-script');
      expect(events.length).toBe(kind === 'atrace -z' ? 3 : 2);
      expect(r.skippedLines).toBe(0);
    });
  }
  it('empty input is a one-line error naming <stdin>', async () => {
    await expect(readTrace(STDIN, () => {}, { stdin: Readable.from([]) })).rejects.toThrow(/^<stdin>: empty input/);
  });
});
