// bpftrace as the oracle: programs recorded live with Debian's bpftrace 0.17 while perf recorded the same run
// (analyze/fixtures/oracle, README there); each runs through faultline over perf's recording and must print the
// same bytes in text and -f json. Only normalisation: bpftrace's first line (`Attaching N probes...` in text,
// `{"type": "attached_probes", ...}` in JSON), which a recorded trace has no counterpart for. CI never runs bpftrace.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readTrace } from '../traces/read.js';
import { compileProgram } from './run.js';

const dir = (p: string) => fileURLToPath(new URL(`./fixtures/oracle/${p}`, import.meta.url));
const programs = readdirSync(dir('programs')).filter((f) => f.endsWith('.bt')).sort();

/** bpftrace's output without its attach line (the documented normalisation). */
function expected(name: string, ext: 'txt' | 'json'): string {
  const text = readFileSync(dir(`out/${name}.${ext}`), 'utf8');
  const first = text.indexOf('\n');
  const head = text.slice(0, first);
  expect(ext === 'txt' ? /^Attaching \d+ probes?\.\.\.$/.test(head) : /^\{"type": "attached_probes"/.test(head)).toBe(true);
  return text.slice(first + 1);
}

async function faultline(src: string, format: 'text' | 'json'): Promise<string> {
  const p = compileProgram(src, { format, bpftrace: '0.17' });
  p.begin();
  await readTrace(dir('perf.txt.gz'), p.traceSink);
  p.end();
  return p.output();
}

describe('byte for byte against bpftrace 0.17 on the same run', () => {
  it('has at least 40 recorded programs', () => {
    expect(programs.length).toBeGreaterThanOrEqual(40);
  });
  for (const f of programs) {
    const name = f.replace(/\.bt$/, '');
    it(`${name}: text and -f json`, async () => {
      const src = readFileSync(dir(`programs/${f}`), 'utf8');
      expect(await faultline(src, 'text')).toBe(expected(name, 'txt'));
      expect(await faultline(src, 'json')).toBe(expected(name, 'json'));
    });
  }
});
