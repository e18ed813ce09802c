// A field the trace does not carry is refused, never read as 0 or '': perf's unnamed fields, pointers, symbolic
// values, missing fields; and a field the trace does carry is read even when no table lists it (prio).
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTrace } from '../traces/read.js';
import { isUserError } from '../traces/errors.js';
import { compileProgram } from './run.js';

/** A perf script file (the field list recorder.ts asks perf for) of the given event lines. */
function perfTrace(lines: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'fl-refuse-'));
  const f = join(dir, 'perf.txt');
  const body = lines.map((l, i) => `       fl_oracle 100/100 [000]  10.${String(100 + i).padStart(9, '0')}: ${l}`);
  writeFileSync(f, body.join('\n') + '\n');
  return f;
}

async function query(src: string, lines: string[]): Promise<string> {
  const p = compileProgram(src);
  p.begin();
  await readTrace(perfTrace(lines), p.traceSink);
  p.end();
  return p.output();
}

async function refusal(src: string, lines: string[]): Promise<string> {
  try {
    const out = await query(src, lines);
    return `no refusal; printed ${JSON.stringify(out)}`;
  } catch (e) {
    if (!isUserError(e)) throw e;
    return e.message;
  }
}

const RAW = 'raw_syscalls:sys_enter: NR 9 (0, 2000, 3, 22, ffffffff, 0)';
const BLOCK = 'block:block_rq_issue: 8,0 WS 4096 () 123456 + 8 [kworker/1:1]';
const WRITEBACK = 'writeback:writeback_start: bdi 8:0: sb_dev 0:0 nr_pages=1024 sync_mode=0 kupdate=0 range_cyclic=1 background=1 reason=background cgroup_ino=1';
const OPENAT = 'syscalls:sys_enter_openat: dfd: 0xffffff9c, filename: 0x7ffd1234, flags: 0x00000000, mode: 0x00000000';
const EXIT = 'sched:sched_process_exit: comm=fl_oracle pid=100 prio=120 group_dead=true';
const FAULT = 'exceptions:page_fault_user: address=0x7f0000001000 ip=0x401000 error_code=0x6';

describe('fields the trace does not carry are refused', () => {
  it('raw_syscalls id: perf prints NR positionally, so args.id is refused with the reason', async () => {
    const m = await refusal('tracepoint:raw_syscalls:sys_enter { @[args.id] = count(); }', [RAW]);
    expect(m).toMatch(/line 1: tracepoint:raw_syscalls:sys_enter: args\.id is not in the trace .*without names.*refuses rather than read it as 0/);
  });

  it('block bytes and sector: unnamed in perf script, refused', async () => {
    expect(await refusal('tracepoint:block:block_rq_issue { @ = hist(args.bytes); }', [BLOCK])).toMatch(/args\.bytes is not in the trace/);
    expect(await refusal('tracepoint:block:block_rq_issue { @ = sum(args.sector); }', [BLOCK])).toMatch(/args\.sector is not in the trace/);
  });

  it("writeback's symbolic reason is refused, not read as 0", async () => {
    const m = await refusal('tracepoint:writeback:writeback_start { @[args.reason] = count(); }', [WRITEBACK]);
    expect(m).toMatch(/args\.reason is printed as 'background' in the trace, not as a number/);
  });

  it('str() of a pointer argument is refused (the string is in process memory)', async () => {
    const m = await refusal('tracepoint:syscalls:sys_enter_openat { printf("%s\\n", str(args.filename)); }', [OPENAT]);
    expect(m).toMatch(/args\.filename is a number in the trace \(0x7ffd1234\), not the string/);
  });

  it('a field no event carries (args.nosuch) is refused: at compile time for decoded events, at the first event otherwise', async () => {
    expect(() => compileProgram('t:exceptions:page_fault_user { @ = sum(args.nosuch); }')).toThrow(/has no field 'nosuch'/);
    expect(await refusal('tracepoint:writeback:writeback_start { @ = sum(args.nosuch); }', [WRITEBACK])).toMatch(
      /args\.nosuch is not in the trace \(fields it carries: .*nr_pages.*reason/,
    );
  });

  it('fields the trace does carry are read: sched_process_exit prio, writeback nr_pages, the exec filename', async () => {
    expect(await query('t:sched:sched_process_exit { @[args.prio] = count(); }', [EXIT])).toBe('\n\n@[120]: 1\n');
    expect(await query('t:writeback:writeback_start { @ = sum(args.nr_pages); }', [WRITEBACK])).toBe('\n\n@: 1024\n');
    expect(await query('t:exceptions:page_fault_user { @[args.error_code] = count(); }', [FAULT])).toBe('\n\n@[6]: 1\n');
  });
});
