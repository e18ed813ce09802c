// The text readers' byte paths (perf_script.ts and ftrace_text.ts byteLine, over traces/bytes.ts): taken for the common
// line, reading the kernel's field order to exact values, and giving what the string path gives on every perf, ftrace
// and trace-cmd recording here.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTrace } from './read.js';
import { gunzipSync } from 'node:zlib';
import type { LineCtx } from './decode.js';
import type { TraceEvent } from './events.js';
import { createPerfScriptParser } from './perf_script.js';
import { createFtraceParser } from './ftrace_text.js';
import { detectFormat } from './detect.js';
import type { LineFn } from './lines.js';

const FIXTURES = new URL('./fixtures/', import.meta.url).pathname;

interface Outcome {
  events: TraceEvent[];
  skipped: [number, string][];
}

type Make = (ctx: LineCtx) => { line: LineFn; flush(): void };
const perf: Make = (c) => createPerfScriptParser(c);

/** Lines through one parser, as lines.ts hands them: one chunk string, and its bytes when `bytes` (ASCII only). */
function parse(lines: string[], bytes: boolean, make: Make = perf): Outcome {
  const o: Outcome = { events: [], skipped: [] };
  const ctx: LineCtx = {
    push: (e) => o.events.push(e),
    skip: (line, _stat, reason) => o.skipped.push([line, reason]),
    count: () => {},
    thread: () => {},
    lost: () => {},
    cpus: () => {},
  };
  const p = make(ctx);
  const text = lines.join('\n');
  const u = bytes && /^[\x00-\x7f]*$/.test(text) ? Buffer.from(text, 'latin1') : null;
  let pos = 0;
  lines.forEach((l, i) => {
    p.line(text, pos, pos + l.length, i + 1, u, 0);
    pos += l.length + 1;
  });
  p.flush();
  return o;
}

/** The events of `lines` fed with their text and `bytes` as their bytes (a test makes the two disagree to see which is read). */
function feed(make: Make, lines: string[], bytes: string): TraceEvent[] {
  const events: TraceEvent[] = [];
  const p = make({ push: (e) => events.push(e), skip: () => {}, count: () => {}, thread: () => {}, lost: () => {}, cpus: () => {} });
  const text = lines.join('\n');
  const u = Buffer.from(bytes, 'latin1');
  let pos = 0;
  lines.forEach((l, i) => {
    p.line(text, pos, pos + l.length, i + 1, u, 0);
    pos += l.length + 1;
  });
  return events;
}

const FAULT = '  python3 4242/4243 [001]  1544.809262983:  exceptions:page_fault_user: address=0x7f8094b46110 ip=0x55e97f22c0d4 error_code=0x6';
const RSS = '  python3 4242/4243 [001]  1544.809295324:                 kmem:rss_stat: mm_id=3656693795 curr=1 type=MM_ANONPAGES size=-8192B';

describe('perf script byte path', () => {
  it('reads the kernel field order to exact values', () => {
    const o = parse([FAULT, RSS, FAULT.replace('1544.809262983', '1544.8093'), RSS.replace('MM_ANONPAGES', 'MM_SHMEMPAGES')], true);
    expect(o.skipped).toEqual([]);
    expect(o.events.map((e) => e.time)).toEqual([1544809262983, 1544809295324, 1544809300000, 1544809295324]);
    const f = o.events[0]!;
    expect(f).toMatchObject({ kind: 'fault', name: 'page_fault_user', system: 'exceptions', cpu: 1, pid: 4242, tid: 4243, comm: 'python3', line: 1, user: true });
    if (f.kind !== 'fault') throw new Error('not a fault');
    expect([f.address, f.ip, f.errorCode]).toEqual([0x7f8094b46110, 0x55e97f22c0d4, 6]);
    expect(o.events[1]).toMatchObject({ kind: 'rss_stat', mmId: 3656693795, curr: true, member: 1, size: -8192, throttled: false, line: 2 });
    expect(o.events[3]).toMatchObject({ kind: 'rss_stat', member: 3, line: 4 });
  });

  it('is the path the common line takes (its bytes decide where they and the text disagree)', () => {
    // the first line of a thread goes the string way (it learns the header and the event's tail); the next ones the byte way
    const lines = [FAULT, FAULT, RSS, RSS];
    const events = feed(perf, lines, lines.join('\n').replaceAll('0x7f8094b46110', '0x7f8094b47220').replaceAll('3656693795', '3656693796'));
    expect(events.map((e) => (e.kind === 'fault' ? e.address : e.kind === 'rss_stat' ? e.mmId : -1))).toEqual([0x7f8094b46110, 0x7f8094b47220, 3656693795, 3656693796]);
  });

  it('keeps the last four headers: threads that interleave (perf record -a) stay on the byte path', () => {
    const a = FAULT, b = FAULT.replace('4242/4243', '4242/4244').replace('[001]', '[000]');
    const lines = [a, b, a, b, a, b];
    // in the bytes, every line from the third on faults one page higher: the text's address where the string path read it
    const events = feed(perf, lines, lines.map((l, i) => (i >= 2 ? l.replace('0x7f8094b46110', '0x7f8094b47110') : l)).join('\n'));
    expect(events.map((e) => (e.kind === 'fault' ? [e.tid, e.cpu, e.address] : []))).toEqual([
      [4243, 1, 0x7f8094b46110], [4244, 0, 0x7f8094b46110],
      [4243, 1, 0x7f8094b47110], [4244, 0, 0x7f8094b47110], [4243, 1, 0x7f8094b47110], [4244, 0, 0x7f8094b47110],
    ]);
  });

  it('passes on what it does not read: a kernel-symbol ip, a field out of order, a huge value, an unknown member', () => {
    const odd = [
      FAULT.replace('ip=0x55e97f22c0d4', 'ip=elf_load'),
      FAULT.replace('address=0x7f8094b46110 ip=0x55e97f22c0d4', 'ip=0x55e97f22c0d4 address=0x7f8094b46110'),
      FAULT.replace('0x7f8094b46110', '0xffffffffffff0000'),
      RSS.replace('MM_ANONPAGES', 'MM_NOPAGES'),
      RSS.replace(' curr=1', ''),
      RSS.replace('size=-8192B', 'size=8192'),
      FAULT.replace('error_code=0x6', 'error_code=0X6'),
    ];
    const lines = odd.flatMap((l) => [FAULT, RSS, l]);
    const bytes = parse(lines, true);
    expect(bytes).toEqual(parse(lines, false));
    // (values written out: the string path's own reading of these lines)
    const third = (k: number): TraceEvent | undefined => bytes.events.find((e) => e.line === 3 * k + 3);
    expect(third(0)).toMatchObject({ kind: 'fault', ip: -1, errorCode: 6 });
    expect(third(1)).toMatchObject({ kind: 'fault', address: 0x7f8094b46110, ip: -1 }); // ip= looked for after address= only
    expect(third(2)).toBeUndefined(); // not a user address: a counted skip
    expect(bytes.skipped.map(([l]) => l)).toEqual([9, 12, 15]);
    expect(third(6)).toMatchObject({ kind: 'fault', errorCode: 6 });
  });

  it('gives the string path\'s events on the first 10k lines of every perf, ftrace and trace-cmd recording here', () => {
    const files: string[] = [];
    const walk = (d: string): void => {
      for (const e of readdirSync(d)) {
        const p = join(d, e);
        if (statSync(p).isDirectory()) walk(p);
        else if (/\.txt(\.gz)?$/.test(e)) files.push(p);
      }
    };
    walk(FIXTURES);
    const makes: Record<string, Make> = { 'perf-script': perf, ftrace: (c) => createFtraceParser(c), 'trace-cmd': (c) => createFtraceParser(c, { traceCmd: true }) };
    const events: Record<string, number> = { 'perf-script': 0, ftrace: 0, 'trace-cmd': 0 };
    for (const f of files) {
      const raw = readFileSync(f);
      // the first 10k lines of each (all 1.8M perf lines took vitest 26 s; the shapes repeat)
      const lines = (f.endsWith('.gz') ? gunzipSync(raw) : raw).toString('latin1').split('\n', 10000);
      const format = detectFormat(lines.slice(0, 200).join('\n'));
      const make = format === null ? undefined : makes[format];
      if (make === undefined) continue;
      const a = parse(lines, true, make);
      const b = parse(lines, false, make);
      // (as JSON: the first differing event is what a failure needs)
      const ja = a.events.map((e) => JSON.stringify(e)), jb = b.events.map((e) => JSON.stringify(e));
      const k = ja.findIndex((x, i) => x !== jb[i]);
      expect(k < 0 ? null : [f, ja[k], jb[k]]).toBeNull();
      expect([ja.length, a.skipped], f).toEqual([jb.length, b.skipped]);
      events[format!]! += a.events.length;
    }
    expect(events['perf-script']).toBeGreaterThan(200000);
    expect(events.ftrace).toBeGreaterThan(20000);
    expect(events['trace-cmd']).toBeGreaterThan(20000);
  });

  it('reads ftrace and trace-cmd lines to exact values on their bytes', () => {
    const ft = '            bash-21557   (  21550) [001] d....   807.353496: page_fault_user: address=0x559650684850 ip=0x7f4f3752309b error_code=0x7';
    const rs = '            bash-21557   (  21550) [001] ...1.   807.353499: rss_stat: mm_id=4 curr=1 type=MM_FILEPAGES size=4096B';
    const tc = 'faultline-tc-2688:             tiny-15271 [000]  1322.204380227: rss_stat:             mm_id=3109365208 curr=0 type=MM_ANONPAGES size=12288B';
    const o = parse([ft, rs, ft, rs], true, (c) => createFtraceParser(c));
    expect(o.events).toEqual(parse([ft, rs, ft, rs], false, (c) => createFtraceParser(c)).events);
    expect(o.events[2]).toMatchObject({ kind: 'fault', system: 'exceptions', time: 807353496000, cpu: 1, pid: 21550, tid: 21557, comm: 'bash', address: 0x559650684850, errorCode: 7, line: 3 });
    expect(o.events[3]).toMatchObject({ kind: 'rss_stat', system: 'kmem', mmId: 4, member: 0, size: 4096, line: 4 });
    const t = parse([tc, tc], true, (c) => createFtraceParser(c, { traceCmd: true }));
    expect(t.events[1]).toMatchObject({ kind: 'rss_stat', time: 1322204380227, cpu: 0, pid: -1, tid: 15271, comm: 'tiny', mmId: 3109365208, curr: false, size: 12288 });
    // the second line of a known start goes the byte way: its bytes decide where they and the text disagree
    const got = feed((c) => createFtraceParser(c), [ft, ft], ft + '\n' + ft.replace('0x559650684850', '0x559650684999'));
    expect(got.map((e) => (e.kind === 'fault' ? e.address : -1))).toEqual([0x559650684850, 0x559650684999]);
  });

  it('agrees with the string path on mutated lines', () => {
    const mutate = fc.tuple(fc.integer({ min: 0, max: RSS.length - 1 }), fc.constantFrom(' ', '=', 'x', '0', '-', ':', 'A', '9'), fc.boolean());
    fc.assert(
      fc.property(mutate, mutate, ([i, c, rss], [j, d, rss2]) => {
        const base = rss ? RSS : FAULT;
        const m1 = base.slice(0, Math.min(i, base.length - 1)) + c + base.slice(Math.min(i, base.length - 1) + 1);
        const base2 = rss2 ? RSS : FAULT;
        const m2 = base2.slice(0, Math.min(j, base2.length - 1)) + d + base2.slice(Math.min(j, base2.length - 1) + 1);
        const lines = [FAULT, RSS, m1, FAULT, m2, RSS];
        expect(parse(lines, true)).toEqual(parse(lines, false));
      }),
      { numRuns: 2000 },
    );
  });

  it('reads a file whose chunk holds a UTF-8 comm: that chunk the string way, the rest on bytes, every value the same', async () => {
    // lines.ts hands bytes only with an ASCII chunk: 20k ASCII lines (several 32 KiB pieces), one line with a UTF-8 comm
    // in the middle (its chunk decoded as UTF-8), 20k more; perf script's own time order
    const line = (i: number, comm = 'python3'): string =>
      `  ${comm} 4242/4243 [001]  ${1000 + i}.000000500:  exceptions:page_fault_user: address=0x${(0x7f0000000000 + i * 4096).toString(16)} ip=0x55e97f22c0d4 error_code=0x6`;
    const lines = Array.from({ length: 40001 }, (_, i) => (i === 20000 ? line(i, 'Wëb Content') : line(i)));
    const dir = mkdtempSync(join(tmpdir(), 'faultline-bytes-'));
    const file = join(dir, 'perf.txt');
    writeFileSync(file, lines.join('\n') + '\n', 'utf8');
    const got: TraceEvent[] = [];
    const r = await readTrace(file, (e) => got.push(e), { format: 'perf-script' });
    expect(r.skippedLines).toBe(0);
    expect(got.length).toBe(40001);
    const bad = got.findIndex((e, i) => e.kind !== 'fault' || e.address !== 0x7f0000000000 + i * 4096 || e.time !== (1000 + i) * 1e9 + 500 || e.line !== i + 1 || e.comm !== (i === 20000 ? 'Wëb Content' : 'python3'));
    expect(bad).toBe(-1);
  });
});
