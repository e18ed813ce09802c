// Bad input: one-line user errors naming the file, counted skipped lines with examples, never a stack trace.
import { describe, expect, it, beforeAll } from 'vitest';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTrace } from './read.js';
import { traceInfo } from './info.js';
import { FaultlineError } from './errors.js';
import type { TraceEvent } from './events.js';

let dir = '';
const FORMATS = new URL('./fixtures/formats/', import.meta.url).pathname;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'faultline-bad-'));
});

function file(name: string, content: string | Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

async function fails(path: string): Promise<FaultlineError> {
  try {
    await readTrace(path, () => {});
  } catch (err) {
    expect(err).toBeInstanceOf(FaultlineError);
    const e = err as FaultlineError;
    expect(e.message).not.toContain('\n');
    expect(e.message.startsWith(path)).toBe(true);
    return e;
  }
  throw new Error('expected a FaultlineError');
}

const PERF_LINE = '            tiny 14414 [001]  1276.270839:    exceptions:page_fault_user: address=0x7f4d1716fb70 ip=0x7f4d1716fb70 error_code=0x14';

describe('files that cannot be read as a trace', () => {
  it('missing, empty, directory', async () => {
    expect((await fails(join(dir, 'nope.txt'))).message).toContain('no such file');
    expect((await fails(file('empty.txt', ''))).message).toContain('empty file');
    expect((await fails(file('empty.gz', gzipSync(Buffer.alloc(0))))).message).toContain('empty');
    expect((await fails(dir)).message).toContain('directory');
  });
  it('binary perf.data and trace.dat say which command converts them', async () => {
    const perf = Buffer.concat([Buffer.from('PERFILE2'), Buffer.alloc(200)]);
    expect((await fails(file('perf.data', perf))).message).toContain('perf script -i');
    const dat = Buffer.concat([Buffer.from([0x17, 0x08, 0x44]), Buffer.from('tracing6'), Buffer.alloc(100)]);
    expect((await fails(file('trace.dat', dat))).message).toContain('trace-cmd report -i');
    // gzip of a perf.data is caught after decompression
    expect((await fails(file('perf.data.gz', gzipSync(perf)))).message).toContain('perf script -i');
  });
  it('undetectable text and corrupt gzip', async () => {
    expect((await fails(file('prose.txt', 'hello\nworld\n'))).message).toContain('--format');
    const gz = gzipSync(Buffer.from(PERF_LINE + '\n' + PERF_LINE + '\n'));
    expect((await fails(file('cut.gz', gz.subarray(0, gz.length - 12)))).message).toMatch(/gzip/);
  });
  it('an HTML page without ftrace data', async () => {
    const p = file('page.html', '<!DOCTYPE html>\n<html><body><script class="trace-data" type="application/text">\n{"traceEvents":[]}\n</script></body></html>\n');
    expect((await fails(p)).message).toContain('no ftrace text');
  });
});

describe('lines that cannot be used', () => {
  it('garbage lines are counted, the first few kept as file:line: why, good lines still read', async () => {
    const lines = [PERF_LINE, 'garbage one', PERF_LINE, '\u0001\u0002 junk', 'tiny 1 [000] 1.5: exceptions:page_fault_user: ip=0x1', PERF_LINE];
    for (let i = 0; i < 10; i++) lines.push(`more garbage ${i}`);
    const p = file('garbage.txt', lines.join('\n') + '\n');
    const events: TraceEvent[] = [];
    const r = await readTrace(p, (e) => events.push(e));
    expect(r.format).toBe('perf-script');
    expect(events.length).toBe(3);
    expect(r.skippedLines).toBe(13);
    expect(r.skippedExamples.length).toBe(5);
    expect(r.skippedExamples.map((s) => s.line)).toEqual([2, 4, 5, 7, 8]);
    expect(r.skippedExamples[2].reason).toContain('address');
    expect(r.skippedExamples.every((s) => s.file === p)).toBe(true);
    // Counted by cause in the stats catalogue: 12 lines of no known shape, one fault without its address.
    expect(r.stats).toEqual({ line_not_event: 12, event_fields_unreadable: 1 });
    expect(r.skippedExamples.map((s) => s.stat)).toEqual(['line_not_event', 'line_not_event', 'event_fields_unreadable', 'line_not_event', 'line_not_event']);
  });
  it('a truncated last line is reported; a complete one without newline is read with a warning', async () => {
    const cut = file('cut.txt', PERF_LINE + '\n' + PERF_LINE.slice(0, 60));
    const a = await readTrace(cut, () => {});
    expect(a.events).toBe(1);
    expect(a.skippedLines).toBe(1);
    expect(a.skippedExamples[0].reason).toContain('truncated last line');
    const nonl = file('nonl.txt', PERF_LINE + '\n' + PERF_LINE);
    const b = await readTrace(nonl, () => {});
    expect(b.events).toBe(2);
    expect(b.warnings?.[0]).toContain(`${nonl}:2:`);
    expect(b.stats).toEqual({ last_line_unterminated: 1 });
  });
  it('a trace with none of the events faultline needs is readable but flagged unusable', async () => {
    const p = file('sched.txt', '            bash 100 [000]  10.000001:  sched:sched_switch: prev_comm=bash prev_pid=100 next_comm=swapper/0 next_pid=0\n');
    const i = await traceInfo(p);
    expect(i.usable).toBe(false);
    expect(i.events).toEqual({ sched_switch: 1 });
  });
  it('--format forces a reader: a perf trace read as ftrace skips every line', async () => {
    const p = join(FORMATS, 'perf_script.default.txt');
    const n = readFileSync(p, 'utf8').split('\n').filter((l) => l.trim()).length;
    const r = await readTrace(p, () => {}, { format: 'ftrace' });
    expect(r.events).toBe(0);
    expect(r.skippedLines).toBe(n);
  });
});

describe('streaming', () => {
  it('lines across 1 MiB chunk boundaries and CRLF are read whole', async () => {
    // ~3 MiB of the same line: every chunk boundary falls inside some line.
    const n = 25_000;
    const body = Array.from({ length: n }, (_, i) => PERF_LINE.replace('1276.270839', `${1276 + i}.270839`)).join('\r\n') + '\r\n';
    const p = file('big.txt', body);
    let k = 0;
    let bad = 0;
    const r = await readTrace(p, (e) => {
      if (e.kind !== 'fault' || e.address !== 0x7f4d1716fb70 || e.time !== (1276 + k) * 1e9 + 270839000) bad++;
      k++;
    });
    expect(r.bytes).toBeGreaterThan(2 * 1024 * 1024);
    expect(k).toBe(n);
    expect(bad).toBe(0);
    expect(r.skippedLines).toBe(0);
  });
  it('a line spanning several chunks, a UTF-8 BOM and a multi-byte comm are read whole', async () => {
    const long = 'x'.repeat(3 * 1024 * 1024 + 7);
    const utf = PERF_LINE.replace('            tiny', '  Größe Ärger');
    const p = file('long.txt', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from([PERF_LINE, long, utf, PERF_LINE].join('\n') + '\n')]));
    const events: TraceEvent[] = [];
    const r = await readTrace(p, (e) => events.push(e));
    expect(r.lines).toBe(4);
    expect(events.map((e) => [e.line, e.comm])).toEqual([
      [1, 'tiny'],
      [3, 'Größe Ärger'],
      [4, 'tiny'],
    ]);
    expect(r.skippedLines).toBe(1);
    expect(r.skippedExamples[0].line).toBe(2);
  });
  it('a field longer than three chunks keeps every byte (the chunk buffers are reused in turn)', async () => {
    // Each 1 KiB block says where it is: a piece of the line taken from a reused buffer would show another block.
    const msg = Array.from({ length: 3500 }, (_, i) => `<${String(i).padStart(6, '0')}>`.padEnd(1024, 'abcdefgh'[i % 8])).join('');
    const other = '            bash   100/100   [000]  10.000002:  sched:sched_foo: msg=' + msg;
    const p = file('longfield.txt', [PERF_LINE, other, PERF_LINE.replace('1276.270839', '1276.270840')].join('\n') + '\n');
    const events: TraceEvent[] = [];
    const r = await readTrace(p, (e) => events.push(e));
    expect(r.bytes).toBeGreaterThan(3 * 1024 * 1024);
    expect(events.map((e) => e.line).sort()).toEqual([1, 2, 3]);
    const e = events.find((x) => x.line === 2)!;
    expect(e.kind === 'other' && e.fields.msg).toBe(msg);
  });
  it('reports progress', async () => {
    const p = join(FORMATS, 'perf_script.default.txt');
    const seen: number[] = [];
    await readTrace(p, () => {}, { onProgress: (done, total) => seen.push(done / total) });
    expect(seen[seen.length - 1]).toBe(1);
  });
});
