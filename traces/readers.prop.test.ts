// Property tests: random and mutated lines thrown at every reader. No throw; every line is either an event,
// a counted skip (with its line number), or one of the few line kinds a format legitimately ignores;
// good lines around the garbage still parse to the same events.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LineCtx } from './decode.js';
import type { TraceEvent } from './events.js';
import type { LineFn } from './lines.js';
import { createPerfScriptParser } from './perf_script.js';
import { createFtraceParser } from './ftrace_text.js';
import { createTraceCmdParser } from './trace_cmd.js';
import { createSystraceParser } from './systrace_html.js';
import { readTrace } from './read.js';
import { FaultlineError } from './errors.js';

const FORMATS = new URL('./fixtures/formats/', import.meta.url).pathname;

interface Outcome {
  pushed: TraceEvent[];
  skipped: Map<number, string>;
  lost: number[];
  /** Lines read as part of the event before them (counted, not skipped). */
  counted: number[];
}

type Make = (ctx: LineCtx) => LineFn;

const READERS: { name: string; make: Make; fixture: string; ignorable: RegExp }[] = [
  {
    name: 'perf-script',
    make: (c) => createPerfScriptParser(c).line,
    fixture: 'perf_script.default.txt',
    // blank, '#' header, call-chain continuation lines
    ignorable: /^\s*$|^\s*#|^\s+[0-9a-f]/,
  },
  { name: 'ftrace', make: (c) => createFtraceParser(c).line, fixture: 'ftrace.tgid.txt', ignorable: /^\s*$|^\s*#/ },
  { name: 'trace-cmd', make: (c) => createTraceCmdParser(c).line, fixture: 'trace_cmd.default.txt', ignorable: /^\s*$|^\s*#|^\s*cpus=|^\s*CPU.* is empty/ },
];

function run(make: Make, lines: string[]): Outcome {
  const o: Outcome = { pushed: [], skipped: new Map(), lost: [], counted: [] };
  const ctx: LineCtx = {
    push: (e) => o.pushed.push(e),
    skip: (line, _stat, reason) => {
      expect(o.skipped.has(line)).toBe(false);
      expect(typeof reason).toBe('string');
      expect(reason.length).toBeGreaterThan(0);
      o.skipped.set(line, reason);
    },
    // A line read as part of the event before it (message text holding a newline) is counted, not skipped.
    count: (_stat, _n, line) => {
      if (line !== undefined) o.counted.push(line);
    },
    thread: () => {},
    lost: (_n, _cpu, line) => o.lost.push(line),
    cpus: () => {},
  };
  const fn = make(ctx);
  // Feed lines inside one chunk string, as the line splitter does.
  const text = lines.join('\n');
  let pos = 0;
  lines.forEach((l, i) => {
    fn(text, pos, pos + l.length, i + 1);
    pos += l.length + 1;
  });
  return o;
}

function realLines(fixture: string): string[] {
  return readFileSync(join(FORMATS, fixture), 'utf8').split('\n').filter((l) => l.trim() && !l.startsWith('#'));
}

/** Events are well-formed: integer times, finite numbers, the line they came from. */
function checkEvent(e: TraceEvent, nLines: number): void {
  expect(Number.isInteger(e.time)).toBe(true);
  expect(e.line).toBeGreaterThanOrEqual(1);
  expect(e.line).toBeLessThanOrEqual(nLines);
  expect(Number.isInteger(e.cpu)).toBe(true);
  expect(Number.isInteger(e.tid)).toBe(true);
  if (e.kind === 'fault') {
    expect(Number.isSafeInteger(e.address)).toBe(true);
    expect(Number.isSafeInteger(e.ip)).toBe(true);
    expect(Number.isSafeInteger(e.errorCode)).toBe(true);
  } else if (e.kind === 'rss_stat') {
    for (const v of [e.mmId, e.member, e.size]) expect(Number.isSafeInteger(v)).toBe(true);
  } else if (e.kind === 'sys_exit') {
    expect(Number.isSafeInteger(e.ret)).toBe(true);
  } else if (e.kind === 'sys_enter') {
    for (const v of Object.values(e.args)) expect(Number.isSafeInteger(v)).toBe(true);
  }
}

/** Mutations of a real line: cut it, drop a span, insert junk, swap a digit for a letter. */
function mutated(lines: string[]): fc.Arbitrary<string> {
  return fc
    .tuple(fc.constantFrom(...lines), fc.nat(), fc.nat(), fc.string({ maxLength: 8 }), fc.integer({ min: 0, max: 3 }))
    .map(([l, a, b, junk, op]) => {
      const i = a % (l.length + 1);
      const j = Math.min(l.length, i + (b % 12));
      if (op === 0) return l.slice(0, i);
      if (op === 1) return l.slice(0, i) + l.slice(j);
      if (op === 2) return l.slice(0, i) + junk + l.slice(i);
      return l.replace(/\d/g, (d, k: number) => (k === i % l.length ? 'z' : d));
    });
}

const randomLine = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: fc.constantFrom(' ', '[', ']', '(', ')', ':', '-', '.', '0', '1', 'x', 'f', '=', ',', 'a'), maxLength: 60 }),
).map((s) => s.replace(/[\r\n]/g, ' '));

for (const r of READERS) {
  describe(`${r.name} reader under random input`, () => {
    const good = realLines(r.fixture);

    it('never throws; each line is an event, a counted skip, or legitimately ignored', () => {
      fc.assert(
        fc.property(fc.array(fc.oneof(randomLine, mutated(good), fc.constantFrom(...good)), { maxLength: 40 }), (lines) => {
          const o = run(r.make, lines);
          const evLines = new Set(o.pushed.map((e) => e.line));
          const lostLines = new Set([...o.lost, ...o.counted]);
          for (const e of o.pushed) checkEvent(e, lines.length);
          lines.forEach((l, i) => {
            const n = i + 1;
            const outcomes = (evLines.has(n) ? 1 : 0) + (o.skipped.has(n) ? 1 : 0) + (lostLines.has(n) ? 1 : 0);
            if (outcomes === 0) expect(l, `line ${n} vanished: ${JSON.stringify(l)}`).toMatch(r.ignorable);
            else expect(outcomes).toBe(1);
          });
        }),
        { numRuns: 300 },
      );
    });

    it('good lines between garbage parse exactly as they do alone', () => {
      const alone = run(r.make, good).pushed;
      fc.assert(
        fc.property(fc.array(fc.oneof(randomLine, mutated(good)), { minLength: good.length, maxLength: good.length }), (junk) => {
          const mixed: string[] = [];
          const where: number[] = [];
          good.forEach((g, i) => {
            mixed.push(junk[i]);
            mixed.push(g);
            where.push(mixed.length);
          });
          const o = run(r.make, mixed);
          const fromGood = o.pushed.filter((e) => where.includes(e.line));
          // same events, in the same order, apart from the line number
          expect(fromGood.length).toBe(alone.length);
          fromGood.forEach((e, i) => {
            expect({ ...e, line: 0, comm: e.comm }).toEqual({ ...alone[i], line: 0 });
          });
        }),
        { numRuns: 20 },
      );
    });
  });
}

describe('systrace reader under random input', () => {
  it('never throws and reports garbage inside the trace-data block', () => {
    const good = realLines('ftrace.tgid.txt');
    fc.assert(
      fc.property(fc.array(fc.oneof(randomLine, fc.constantFrom(...good)), { maxLength: 30 }), fc.array(randomLine, { maxLength: 5 }), (inside, page) => {
        const lines = [...page.map((l) => l.replace(/<\/?script/gi, '')), '<script class="trace-data" type="application/text">', ...inside, '</script>'];
        const o: Outcome = { pushed: [], skipped: new Map(), lost: [], counted: [] };
        const p = createSystraceParser({ push: (e) => o.pushed.push(e), skip: (l, _stat, why) => o.skipped.set(l, why), count: () => {}, thread: () => {}, lost: (_n, _c, l) => o.lost.push(l), cpus: () => {} });
        const text = lines.join('\n');
        let pos = 0;
        lines.forEach((l, i) => {
          p.line(text, pos, pos + l.length, i + 1);
          pos += l.length + 1;
        });
        const evLines = new Set(o.pushed.map((e) => e.line));
        // Lines of the page outside the block are never events nor skips.
        for (let n = 1; n <= page.length; n++) expect(evLines.has(n) || o.skipped.has(n)).toBe(false);
        // A block whose first text is '{' or '[' is the JSON part of the page: skipped whole, nothing reported.
        const first = inside.find((l) => l.trim() !== '');
        if (first !== undefined && /^\s*[{[]/.test(first)) {
          expect(o.pushed.length + o.skipped.size).toBe(0);
          return;
        }
        inside.forEach((l, i) => {
          const n = page.length + 2 + i;
          if (!evLines.has(n) && !o.skipped.has(n) && !o.lost.includes(n)) expect(l).toMatch(/^\s*$|^\s*#/);
        });
      }),
      { numRuns: 200 },
    );
  });
});

describe('whole files of random bytes', () => {
  it('readTrace either reads them (counting bad lines) or refuses with a FaultlineError', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'faultline-prop-'));
    let k = 0;
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 2000 }), fc.array(fc.constantFrom(...realLines('perf_script.default.txt')), { maxLength: 5 }), async (bytes, good) => {
        const p = join(dir, `f${k++}.txt`);
        writeFileSync(p, Buffer.concat([Buffer.from(good.join('\n') + '\n'), Buffer.from(bytes)]));
        try {
          const r = await readTrace(p, () => {});
          expect(r.events + r.skippedLines).toBeLessThanOrEqual(r.lines);
        } catch (err) {
          expect(err).toBeInstanceOf(FaultlineError);
        }
      }),
      { numRuns: 100 },
    );
  });
});
