// Every committed fixture: per-event counts from the reader equal an independent regex count over the raw lines.
import { describe, expect, it } from 'vitest';
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { countIndependently, rawText } from './independent_count.suite.js';
import { readTrace } from './read.js';
import { traceInfo } from './info.js';
import type { TraceEvent, TraceFormat } from './events.js';

const HERE = new URL('.', import.meta.url).pathname;
const FORMATS = join(HERE, 'fixtures/formats');
const WORKLOADS = join(HERE, 'fixtures/workloads');

function formatOfName(file: string): TraceFormat {
  if (file.startsWith('perf')) return 'perf-script';
  if (file.startsWith('trace_cmd')) return 'trace-cmd';
  if (file.startsWith('systrace')) return 'systrace';
  return 'ftrace';
}

async function collect(path: string): Promise<{ events: TraceEvent[]; result: Awaited<ReturnType<typeof readTrace>> }> {
  const events: TraceEvent[] = [];
  const result = await readTrace(path, (e) => events.push(e));
  return { events, result };
}

describe('format fixtures: counts equal an independent count of the raw lines', () => {
  for (const file of readdirSync(FORMATS).filter((f) => /\.(txt|html)(\.gz)?$/.test(f))) {
    it(file, async () => {
      const path = join(FORMATS, file);
      const format = formatOfName(file);
      const want = countIndependently(rawText(path), format);
      const info = await traceInfo(path);
      expect(info.format).toBe(format);
      expect(info.events).toEqual(want.events);
      expect(info.lostEvents).toBe(want.lostSum);
      expect(info.skippedLines).toBe(0);
    });
  }
});

describe('normalised values (hand-derived from the raw lines)', () => {
  it('perf script: exact ns times, fault fields, kernel-symbol ip is -1', async () => {
    const { events } = await collect(join(FORMATS, 'perf_script.default.txt'));
    // line 1: tiny 14414 [001]  1276.270438:  exceptions:page_fault_kernel: address=0x564406f62050 ip=elf_load error_code=0x2
    const e0 = events[0];
    expect(e0).toMatchObject({ kind: 'fault', name: 'page_fault_kernel', system: 'exceptions', time: 1276270438000, cpu: 1, pid: -1, tid: 14414, comm: 'tiny', line: 1, user: false, address: 0x564406f62050, ip: -1, errorCode: 2 });
    const u = events.find((e) => e.kind === 'fault' && e.user);
    expect(u).toMatchObject({ address: 0x7f4d1716fb70, ip: 0x7f4d1716fb70, errorCode: 0x14, time: 1276270839000 });
  });

  it('perf script: a failed mmap returns -EINVAL (tiny.c maps MAP_FIXED at address 1) and exits carry their enter', async () => {
    const { events } = await collect(join(FORMATS, 'perf_script.default.txt'));
    const exits = events.filter((e) => e.kind === 'sys_exit' && e.call === 'mmap');
    const failed = exits.find((e) => e.kind === 'sys_exit' && e.ret < 0);
    expect(failed).toBeDefined();
    if (failed?.kind !== 'sys_exit') throw new Error('unreachable');
    expect(failed.ret).toBe(-22);
    expect(failed.enter?.args).toEqual({ addr: 1, len: 0x1000, prot: 1, flags: 0x32, fd: 0xffffffff, off: 0 });
    for (const x of exits) {
      if (x.kind !== 'sys_exit') continue;
      expect(x.enter?.call).toBe('mmap');
      expect(x.enter!.time).toBeLessThanOrEqual(x.time);
    }
    const clones = events.filter((e) => e.kind === 'sys_exit' && e.call === 'clone');
    // The parent's exit returns the child's pid and has the enter; the child's exit returns 0 with none.
    expect(clones.map((e) => (e.kind === 'sys_exit' ? [e.ret, e.enter !== null] : null))).toEqual([[14416, true], [0, false]]);
  });

  it('rss_stat in both spellings; fork/newtask/exit fields', async () => {
    const def = (await collect(join(FORMATS, 'trace_cmd.default.txt'))).events.filter((e) => e.kind === 'rss_stat');
    const raw = (await collect(join(FORMATS, 'trace_cmd.R.txt'))).events.filter((e) => e.kind === 'rss_stat');
    // type=MM_ANONPAGES size=8192B and member=1 size=8192 are the same record.
    expect(def[0]).toMatchObject({ mmId: 3109365208, curr: true, member: 1, size: 8192, throttled: false });
    expect(raw.map((e) => [e.time, e.kind === 'rss_stat' && e.member, e.kind === 'rss_stat' && e.size])).toEqual(
      def.map((e) => [e.time, e.kind === 'rss_stat' && e.member, e.kind === 'rss_stat' && e.size]),
    );
    const { events } = await collect(join(FORMATS, 'ftrace.tgid.txt'));
    expect(events.find((e) => e.kind === 'newtask')).toMatchObject({ newPid: 14913, newComm: 'tiny', cloneFlags: 0x1200000, pid: 14911, tid: 14911 });
    expect(events.find((e) => e.kind === 'fork')).toMatchObject({ parentPid: 14911, parentComm: 'tiny', childPid: 14913, childComm: 'tiny' });
    expect(events.filter((e) => e.kind === 'exit').map((e) => e.kind === 'exit' && [e.exitPid, e.groupDead])).toEqual([
      [14913, true],
      [14911, true],
    ]);
    const sys = events.find((e) => e.kind === 'sys_enter' && e.call === 'mmap');
    expect(sys).toMatchObject({ name: 'sys_enter_mmap', system: 'syscalls', args: { addr: 0, len: 0x2000, prot: 3, flags: 0x22, fd: 0xffffffff, off: 0 } });
  });

  it('trace-cmd -t keeps nanoseconds exactly', async () => {
    const { events } = await collect(join(FORMATS, 'trace_cmd.t.txt'));
    const line = rawText(join(FORMATS, 'trace_cmd.t.txt')).split('\n').findIndex((l) => l.includes('1322.205232267:')) + 1;
    expect(events.find((e) => e.line === line)?.time).toBe(1322205232267);
  });

  it('perf software page-faults: address from -F +addr, ip from the second address, kernel ip -1', async () => {
    const { events } = await collect(join(FORMATS, 'perf_script.pagefaults_addr.txt'));
    // tiny 14485  1278.310112:  1 page-faults:  56301779e050 __TMC_END__+0x0 (/tmp/fl/tiny) ffffffff81775b9a elf_load+0x28a ([kernel.kallsyms])
    expect(events[0]).toMatchObject({ kind: 'fault', name: 'page-faults', system: 'software', address: 0x56301779e050, ip: -1, errorCode: -1, user: true });
    expect(events[2]).toMatchObject({ address: 0x7f08f6b3ab70, ip: 0x7f08f6b3ab70 });
    const noaddr = await collect(join(FORMATS, 'perf_script.pagefaults_noaddr.txt'));
    expect(noaddr.events.every((e) => e.kind === 'other')).toBe(true);
  });

  it('comm names with spaces and colons, PID/TID', async () => {
    const { events } = await collect(join(FORMATS, 'perf_script.comm_spaces.edited.txt'));
    expect(events.slice(0, 3).map((e) => [e.comm, e.pid, e.tid, e.cpu])).toEqual([
      ['Web Content', 4242, 4242, 0],
      ['Chrome_ChildIOT', 4242, 4251, 1],
      ['kworker/u4:1', 77, 77, 1],
    ]);
  });

  it('ftrace without TGID column and irq flags; 4-char flags; Android (-----) TGID', async () => {
    const a = (await collect(join(FORMATS, 'ftrace.notgid_noirq.txt'))).events;
    expect(a[0]).toMatchObject({ pid: -1, tid: 14935, cpu: 1, comm: 'tiny', time: 1304483027000 });
    const b = (await collect(join(FORMATS, 'ftrace.flags4.edited.txt'))).events;
    const c = (await collect(join(FORMATS, 'ftrace.tgid.txt'))).events;
    expect(b.map((e) => [e.name, e.time, e.tid, e.pid])).toEqual(c.map((e) => [e.name, e.time, e.tid, e.pid]));
    const s = (await collect(join(FORMATS, 'systrace.edited.html'))).events;
    expect(s.filter((e) => e.kind === 'rss_stat' && e.throttled).length).toBe(rawText(join(FORMATS, 'systrace.edited.html')).split('rss_stat_throttled:').length - 1);
    expect(s.some((e) => e.pid === -1)).toBe(true);
    // The old catapult page (a JS string) holds the same lines as the plain file.
    const legacy = (await collect(join(FORMATS, 'systrace.legacy.edited.html'))).events;
    expect(legacy.map((e) => [e.name, e.time, e.tid, e.cpu])).toEqual(a.map((e) => [e.name, e.time, e.tid, e.cpu]));
  });

  it('out-of-order CPUs come out in time order, each CPU keeping its own order', async () => {
    const path = join(FORMATS, 'ftrace.ooo_cpus.edited.txt');
    const { events } = await collect(path);
    for (let i = 1; i < events.length; i++) expect(events[i].time).toBeGreaterThanOrEqual(events[i - 1].time);
    for (const cpu of [0, 1]) {
      const lines = events.filter((e) => e.cpu === cpu).map((e) => e.line);
      expect(lines).toEqual([...lines].sort((x, y) => x - y));
    }
    // The file really is out of order (else this test proves nothing).
    const fileTimes = rawText(path).split('\n').filter((l) => !l.startsWith('#') && l.trim()).map((l) => Number(/ (\d+\.\d+):/.exec(l)![1]));
    expect(fileTimes.some((t, i) => i > 0 && t < fileTimes[i - 1])).toBe(true);
  });

  it('lost markers: ring-buffer overwrite header, [LOST n EVENTS], [n EVENTS DROPPED]', async () => {
    const o = await collect(join(FORMATS, 'ftrace.overwrite.txt'));
    expect(o.result.lostEvents).toBe(6263 - 280);
    expect(o.events[0]).toMatchObject({ kind: 'lost', count: 5983 });
    const p = await collect(join(FORMATS, 'ftrace.pipe_lost.txt'));
    expect(p.result.lostEvents).toBe(5983);
    const d = await collect(join(FORMATS, 'trace_cmd.dropped.edited.txt'));
    const lost = d.events.filter((e) => e.kind === 'lost');
    expect(lost.map((e) => e.kind === 'lost' && [e.cpu, e.count]).sort()).toEqual([
      [0, -1],
      [1, 12],
    ]);
    // Each marker stands just before the next event of its CPU in the file, at that event's time.
    for (const l of lost) {
      const next = d.events.find((e) => e.kind !== 'lost' && e.cpu === l.cpu && e.line > l.line);
      expect(l.time).toBe(next!.time);
    }
    expect(d.result.lostEvents).toBe(13);
  });

  it('a .gz reads the same as the plain file', async () => {
    for (const [gz, plain] of [
      ['perf_script.default.txt.gz', 'perf_script.default.txt'],
      ['ftrace.tgid.txt.gz', 'ftrace.tgid.txt'],
      ['systrace.edited.html.gz', 'systrace.edited.html'],
    ]) {
      const a = await collect(join(FORMATS, gz));
      const b = await collect(join(FORMATS, plain));
      expect(a.events).toEqual(b.events.map((e) => ({ ...e })));
      expect(a.result.lines).toBe(b.result.lines);
    }
  });
});

describe('generic events keep their fields', () => {
  it('other syscalls, trace-cmd print events and unknown tracepoints', async () => {
    const { events } = await collect(join(FORMATS, 'perf_script.default.txt'));
    // syscalls:sys_enter_read: fd: 0x00000003, buf: 0x7ffe21c0fa08, count: 0x00000340
    expect(events.find((e) => e.name === 'sys_enter_read')).toMatchObject({ kind: 'other', system: 'syscalls', fields: { fd: 3, buf: 0x7ffe21c0fa08, count: 0x340 } });
    const tc = (await collect(join(FORMATS, 'trace_cmd.default.txt'))).events;
    const prints = tc.filter((e) => e.name === 'print');
    // print: tracing_mark_write: faultline: hello 621852889607
    // (read in the `name: value` form syscall events use)
    expect(prints[0]).toMatchObject({ kind: 'other', fields: { tracing_mark_write: 'faultline: hello 621852889607' } });
    // print: tracing_mark_write: faultline_checkpoint: label=start pid=8092 t_mono_ns=801820486121
    expect(prints[1]).toMatchObject({ kind: 'other', fields: { label: 'start', pid: 8092, t_mono_ns: 801820486121 } });
  });
});
