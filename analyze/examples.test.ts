// bpftrace's own tracepoint-only examples (fixtures/examples): every one parses, and each either compiles and runs
// over a recording or is refused with a one-line reason; none fails inside faultline.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isUserError } from '../traces/errors.js';
import { readTrace } from '../traces/read.js';
import { compileProgram } from './run.js';

const dir = (p: string) => fileURLToPath(new URL(`./fixtures/examples/${p}`, import.meta.url));
const examples: [string, string][] = [
  ...readFileSync(dir('oneliners.txt'), 'utf8').split('\n').filter(Boolean).map((s, i): [string, string] => [`oneliner ${i + 1}`, s]),
  ...readdirSync(dir('tools')).sort().map((f): [string, string] => [f, readFileSync(dir(`tools/${f}`), 'utf8')]),
];

/** 'ok' or the refusal's first line. */
function compileOutcome(src: string): string {
  try {
    compileProgram(src);
    return 'ok';
  } catch (e) {
    if (!isUserError(e)) throw e;
    return (e.detail || e.message).split('\n')[0];
  }
}

describe("bpftrace's tracepoint-only examples", () => {
  const outcomes = examples.map(([name, src]) => [name, compileOutcome(src)] as const);

  it('all 59 parse; refusals are one line with a reason, never a syntax error', () => {
    expect(examples.length).toBe(59);
    for (const [name, o] of outcomes) {
      expect(o, name).not.toMatch(/syntax error|invalid character|unterminated/);
      expect(o, name).toMatch(/^ok$|^stdin(:\d+)+(-\d+)?: ERROR: .{10,}/);
    }
  });

  it('23 compile; 36 are refused, most for needing a live system', () => {
    const ok = outcomes.filter(([, o]) => o === 'ok').map(([n]) => n);
    expect(ok.length).toBe(23);
    expect(ok).toContain('biolatency.bt');
    expect(ok).toContain('bitesize.bt');
    expect(outcomes.filter(([, o]) => /needs a live system/.test(o)).length).toBe(24);
  });

  it('the ones that compile run over a recording: output, or a refusal naming the field the trace lacks', async () => {
    for (const [name, src] of examples) {
      if (compileOutcome(src) !== 'ok') continue;
      const p = compileProgram(src);
      p.begin();
      await readTrace(fileURLToPath(new URL('./fixtures/oracle/perf.txt.gz', import.meta.url)), p.traceSink);
      try {
        p.end();
      } catch (e) {
        expect(isUserError(e), name).toBe(true);
      }
    }
  });

  it('the BEGIN-only ones print what bpftrace 0.17 printed live (fixtures/examples/live, attach line dropped)', () => {
    const live = readdirSync(dir('live')).sort();
    expect(live.length).toBe(7);
    for (const f of live) {
      const n = Number(/oneliner-(\d+)\.txt/.exec(f)![1]);
      const want = readFileSync(dir(`live/${f}`), 'utf8');
      const p = compileProgram(examples[n - 1][1], { bpftrace: '0.17' });
      p.begin();
      p.end();
      expect(p.output(), f).toBe(want.slice(want.indexOf('\n') + 1));
    }
  });
});
