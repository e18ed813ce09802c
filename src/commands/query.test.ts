// `faultline query` argument handling: program sources, formats, and bpftrace-style errors on stderr.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runQuery } from './query.js';
import { variantsFromCli } from '../variants.js';

afterEach(() => vi.restoreAllMocks());

function captureStderr(): string[] {
  const chunks: string[] = [];
  vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
    chunks.push(String(s));
    return true;
  });
  return chunks;
}

describe('faultline query arguments', () => {
  it('a bad program prints the location line, the source line and the marks, and exits 2', async () => {
    const err = captureStderr();
    const code = await runQuery('unused.txt', 't:kmem:rss_stat { @[args.size] = count() ; system("x"); }', {});
    expect(code).toBe(2);
    const text = err.join('');
    const col = 't:kmem:rss_stat { @[args.size] = count() ; '.length + 1;
    // bpftrace marks the whole call, `system("x")`
    expect(text).toContain(`stdin:1:${col}-${col + 11}: ERROR: needs a live system: system() runs commands on the live machine`);
    expect(text.split('\n')[2]).toBe(' '.repeat(col - 1) + '~'.repeat(11));
  });

  it('-f names the file in errors', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fl-query-'));
    const f = join(dir, 'bad.bt');
    writeFileSync(f, '// a comment\nuprobe:/bin/sh:main { @ = count(); }\n');
    const err = captureStderr();
    expect(await runQuery('unused.txt', undefined, { file: f })).toBe(2);
    expect(err.join('')).toMatch(new RegExp(`^${f.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:2:1-\\d+: ERROR: uprobes \\(uprobe:\\)`));
  });

  it('usage errors: no program, two programs, conflicting formats, unreadable -f', async () => {
    await expect(runQuery('t.txt', undefined, {})).rejects.toThrow(/no program/);
    await expect(runQuery('t.txt', 'BEGIN {}', { expr: 'END {}' })).rejects.toThrow(/give the program once/);
    await expect(runQuery('t.txt', 'BEGIN {}', { json: true, csv: true })).rejects.toThrow(/conflicting output formats/);
    await expect(runQuery('t.txt', 'BEGIN {}', { outputFormat: 'xml' })).rejects.toThrow(/unknown output format 'xml'/);
    await expect(runQuery('t.txt', undefined, { file: '/nonexistent/x.bt' })).rejects.toThrow(/cannot read program file \/nonexistent\/x.bt: ENOENT/);
  });

  it('--patch and --thp add variants after mainline, as faultline report does', () => {
    expect(variantsFromCli({ patch: ['cow-pte,refpage'], thp: ['never'] }).map((v) => [v.name, v.patches, v.thp])).toEqual([
      ['mainline', [], 'madvise'],
      ['cow-pte', ['cow-pte'], 'madvise'],
      ['refpage', ['refpage'], 'madvise'],
      ['thp=never', [], 'never'],
    ]);
    expect(() => variantsFromCli({ thp: ['sometimes'] })).toThrow(/sometimes/);
    expect(variantsFromCli({ machineNoZeroPage: true }).every((v) => !v.useZeroPage)).toBe(true);
  });
});

const fixture = (p: string) => fileURLToPath(new URL(`../../traces/fixtures/formats/${p}`, import.meta.url));

function captureStdout(): string[] {
  const chunks: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
    chunks.push(String(s));
    return true;
  });
  return chunks;
}

describe('faultline query over a fixture', () => {
  it('--json prints bpftrace NDJSON whose counts match the raw lines', async () => {
    const file = fixture('perf_script.default.txt');
    const raw = readFileSync(file, 'utf8').split('\n');
    const user = raw.filter((l) => /\sexceptions:page_fault_user: address=/.test(l)).length;
    const rss = raw.filter((l) => /\skmem:rss_stat: mm_id=/.test(l)).length;
    const out = captureStdout();
    captureStderr();
    const code = await runQuery(file, undefined, { expr: 't:exceptions:page_fault_user { @u = count(); } t:kmem:rss_stat { @r = count(); }', json: true });
    expect(code).toBe(0);
    expect(out.join('')).toBe(`{"type": "map", "data": {"@r": ${rss}}}\n{"type": "map", "data": {"@u": ${user}}}\n`);
  });

  it('-f FILE.bt with --csv: rows per map entry, counts from the raw lines', async () => {
    const file = fixture('trace_cmd.default.txt');
    const raw = readFileSync(file, 'utf8').split('\n');
    const byType = new Map<string, number>();
    for (const l of raw) {
      const m = /\srss_stat:\s+mm_id=\d+ curr=\d type=(\w+) size=/.exec(l);
      if (m) byType.set(m[1], (byType.get(m[1]) ?? 0) + 1);
    }
    const member: Record<string, number> = { MM_FILEPAGES: 0, MM_ANONPAGES: 1, MM_SWAPENTS: 2, MM_SHMEMPAGES: 3 };
    const expected = [...byType.entries()]
      .map(([t, n]) => [member[t], n] as const)
      .sort((a, b) => a[1] - b[1] || a[0] - b[0])
      .map(([m, n]) => `@rss,${m},${n}`);
    const dir = mkdtempSync(join(tmpdir(), 'fl-query-'));
    const bt = join(dir, 'rss.bt');
    writeFileSync(bt, '#!/usr/bin/env bpftrace\n// rss_stat updates per counter\nt:kmem:rss_stat\n{\n  @rss[args.member] = count();\n}\n');
    const out = captureStdout();
    captureStderr();
    expect(await runQuery(file, undefined, { file: bt, csv: true })).toBe(0);
    expect(out.join('')).toBe(['map,key0,value', ...expected, '', ''].join('\n'));
  });

  it('a trace that lost events exits 3 unless --allow-lost, and says so', async () => {
    const file = fixture('ftrace.pipe_lost.txt');
    const lost = readFileSync(file, 'utf8').split('\n').reduce((a, l) => a + Number(/\[LOST (\d+) EVENTS\]/.exec(l)?.[1] ?? 0), 0);
    expect(lost).toBeGreaterThan(0);
    captureStdout();
    const err = captureStderr();
    expect(await runQuery(file, 't:exceptions:page_fault_user { @ = count(); }', {})).toBe(3);
    expect(err.join('')).toContain(`lost ${lost} events`);
    expect(await runQuery(file, 't:exceptions:page_fault_user { @ = count(); }', { allowLost: true })).toBe(0);
  });

  it('bpftrace habits: a .bt file as the argument, -f json as the output format, --bpftrace picks the layout', async () => {
    const file = fixture('perf_script.default.txt');
    const user = readFileSync(file, 'utf8').split('\n').filter((l) => /\sexceptions:page_fault_user: address=/.test(l)).length;
    const dir = mkdtempSync(join(tmpdir(), 'fl-query-'));
    const bt = join(dir, 'faults.bt');
    writeFileSync(bt, 't:exceptions:page_fault_user { @u = count(); @h = hist(1); }\n');
    const out = captureStdout();
    captureStderr();
    expect(await runQuery(file, bt, { outputFormat: 'json' })).toBe(0);
    expect(out.join('')).toBe(`{"type": "hist", "data": {"@h": [{"min": 1, "max": 1, "count": ${user}}]}}\n{"type": "map", "data": {"@u": ${user}}}\n`);
    out.length = 0;
    expect(await runQuery(file, bt, { bpftrace: '0.17' })).toBe(0);
    expect(out.join('').split('\n').slice(0, 3)).toEqual(['', '', '@h: ']);
    await expect(runQuery(file, bt, { bpftrace: '0.21' })).rejects.toThrow(/unknown --bpftrace '0.21' \(known layouts: 0.17, 0.26\)/);
    await expect(runQuery(file, join(dir, 'missing.bt'), {})).rejects.toThrow(/cannot read program file .*missing.bt/);
  });

  it('a field the trace does not carry: one line naming the trace file and line, exit 2, no maps printed', async () => {
    const file = fixture('perf_script.default.txt');
    const out = captureStdout();
    captureStderr();
    await expect(runQuery(file, 't:exceptions:page_fault_user { @[args.error_code] = count(); } t:syscalls:sys_enter_mm* { @x = sum(args.nosuch); }', {})).rejects.toThrow(
      /perf_script\.default\.txt:\d+: tracepoint:syscalls:sys_enter_mmap: args\.nosuch is not in the trace \(fields it carries: addr, len, prot, flags, fd, off\)/,
    );
    expect(out.join('')).toBe('');
  });
});

describe('faultline query on probes that match nothing', () => {
  const FORK = fileURLToPath(new URL('../../traces/fixtures/formats/ftrace.tgid.txt', import.meta.url));

  it('a probe naming no kernel tracepoint is refused (exit 2) with the one meant; nothing is printed', async () => {
    const err = captureStderr();
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    await expect(runQuery(FORK, 't:kmem:rss_stats { @ = count(); }', {})).rejects.toThrow(/ftrace\.tgid\.txt: t:kmem:rss_stats: Linux 6\.12 defines no such tracepoint .*did you mean tracepoint:kmem:rss_stat\?/);
    expect(out).not.toHaveBeenCalled();
    expect(err.join('')).toBe('');
  });

  it('a real tracepoint the trace lacks: exit 0 and a warning that says how to record it', async () => {
    const err = captureStderr();
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    expect(await runQuery(FORK, 't:kmem:mm_page_alloc { @ = count(); }', {})).toBe(0);
    expect(err.join('')).toMatch(/warning: t:kmem:mm_page_alloc matched no event in .*: none happened, or the recording did not enable kmem:mm_page_alloc \(perf record -e kmem:mm_page_alloc\)/);
  });

  it('a bare ftrace event name outside the built-in rules matches its system\'s probe (from the kernel\'s list)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fl-query-'));
    const f = join(dir, 'vmscan.txt');
    const line = (t: string, ev: string): string => `            kswapd0-90      [001] d....  ${t}: ${ev}`;
    writeFileSync(f, ['# tracer: nop', '#', line('10.000100', 'mm_vmscan_direct_reclaim_begin: order=0 gfp_flags=GFP_KERNEL'), line('10.000200', 'mm_vmscan_direct_reclaim_end: nr_reclaimed=32'), line('10.000300', 'mm_vmscan_direct_reclaim_begin: order=0 gfp_flags=GFP_KERNEL')].join('\n') + '\n');
    const err = captureStderr();
    const out: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => (out.push(String(s)), true));
    expect(await runQuery(f, 't:vmscan:mm_vmscan_direct_reclaim_begin { @[probe] = count(); }', {})).toBe(0);
    expect(out.join('')).toContain('@[tracepoint:vmscan:mm_vmscan_direct_reclaim_begin]: 2');
    expect(err.join('')).not.toMatch(/matched no event/);
  });
});
