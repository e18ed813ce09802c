// A query whose trace feeds nothing else takes faults and rss_stat by their parts (Program.traceRows, one event object
// refilled per row): every program prints what it prints from the readers' own objects.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { compileProgram } from './run.js';
import { readTrace } from '../traces/read.js';
import { isUserError } from '../traces/errors.js';

const FIXTURES = new URL('../traces/fixtures/', import.meta.url).pathname;

async function run(src: string, path: string, rows: boolean): Promise<{ out: string; rowsUsed: number }> {
  const p = compileProgram(src);
  let rowsUsed = 0;
  const counting = {
    fault: (...a: Parameters<typeof p.traceRows.fault>) => (rowsUsed++, p.traceRows.fault(...a)),
    rss: (...a: Parameters<typeof p.traceRows.rss>) => (rowsUsed++, p.traceRows.rss(...a)),
  };
  p.begin();
  await readTrace(path, p.traceSink, rows ? { rows: counting } : {});
  try {
    p.end();
  } catch (err) {
    if (!isUserError(err)) throw err;
    return { out: `${p.output()}\nrefused: ${err.message}`, rowsUsed };
  }
  return { out: p.output(), rowsUsed };
}

const PROGRAMS = [
  't:exceptions:page_fault_user { @[args.error_code] = count(); }',
  't:exceptions:page_fault_* { @[comm, pid, tid, cpu] = count(); @a = sum(args.address & 0xfff); } t:exceptions:page_fault_user { @ip[args.ip] = count(); } t:kmem:rss_stat /args.curr/ { @m[args.member] = sum(args.size); @mm = count(); }',
  't:kmem:rss_stat { printf("%d %s %d %d %d\\n", nsecs, comm, args.mm_id, args.member, args.size); }',
  't:exceptions:page_fault_kernel { @k[comm] = count(); } t:exceptions:page_fault_user /args.error_code & 2/ { @w = count(); }',
  // two (name, system) pairs a handler cache keyed by name alone would mix up
  't:exceptions:page_fault_user { @u = count(); } t:kmem:rss_stat { @r = count(); } t:syscalls:sys_enter_munmap { @m = count(); }',
  'i:ms:100 { @ticks = count(); } t:exceptions:page_fault_user { @f = count(); } t:syscalls:sys_enter_mmap { @mm = count(); }',
];

describe('query by rows (ReadOptions.rows) prints what query by objects prints', () => {
  for (const [i, src] of PROGRAMS.entries()) {
    it(`program ${i + 1}`, async () => {
      let rowsUsed = 0;
      for (const f of ['workloads/dontneed_munmap/perf.txt.gz', 'corpus/perf_a_threads/trace.txt.gz', 'formats/perf_script.default.txt']) {
        const byRows = await run(src, join(FIXTURES, f), true);
        const byObjects = await run(src, join(FIXTURES, f), false);
        expect(byRows.out, f).toBe(byObjects.out);
        expect(byRows.out).not.toMatch(/refused/);
        expect(byRows.out.length).toBeGreaterThan(0);
        rowsUsed += byRows.rowsUsed;
      }
      expect(rowsUsed).toBeGreaterThan(1000);
    });
  }
});

describe('handlers per (name, system)', () => {
  it('one name under two systems, alternating: each event runs its own system\'s block', () => {
    const p = compileProgram('t:a:ev { @a = count(); } t:b:ev { @b = count(); }');
    p.begin();
    for (let i = 0; i < 5; i++) {
      for (const system of ['a', 'b', 'b']) p.traceSink({ kind: 'other', name: 'ev', system, time: i, cpu: 0, pid: 1, tid: 1, comm: 'x', line: 1, fields: {} });
    }
    p.end();
    expect(p.output()).toContain('@a: 5');
    expect(p.output()).toContain('@b: 10');
  });
});
