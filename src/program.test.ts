// The program as a user meets it: which command argv runs, exit statuses of usage, user and internal errors.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildProgram, invoked } from './program.js';
import { reportError } from './errors.js';
import { readdirSync, readFileSync } from 'node:fs';
import { userError } from '../traces/errors.js';

const FIXTURE = new URL('../traces/fixtures/formats/perf_script.default.txt', import.meta.url).pathname;

afterEach(() => vi.restoreAllMocks());

function capture(): { out: string[]; err: string[] } {
  const c = { out: [] as string[], err: [] as string[] };
  vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => (c.out.push(String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => (c.err.push(String(s)), true));
  return c;
}

/** Run `faultline ...argv` as cli.ts does and return the exit status. */
async function main(argv: string[]): Promise<number> {
  process.exitCode = 0;
  try {
    await (await buildProgram(argv)).parseAsync(['node', 'faultline', ...argv]);
    return Number(process.exitCode ?? 0);
  } catch (e) {
    return reportError(e);
  } finally {
    process.exitCode = 0;
  }
}

describe('faultline program', () => {
  it('loads only the command argv names', () => {
    expect(invoked(['replay', 't.txt', '--json'])).toBe('replay');
    expect(invoked(['help', 'query'])).toBe('query');
    expect(invoked(['--version'])).toBeNull();
    expect(invoked(['nosuch', 'x'])).toBeNull();
  });

  it('usage errors exit 2: unknown option, unknown command, missing argument', async () => {
    const c = capture();
    expect(await main(['replay', FIXTURE, '--bogus'])).toBe(2);
    expect(c.err.join('')).toContain("unknown option '--bogus'");
    expect(await main(['nosuch'])).toBe(2);
    expect(await main(['info'])).toBe(2);
    expect(c.err.join('')).toContain("missing required argument 'trace'");
  });

  it('--help and --version exit 0', async () => {
    const c = capture();
    expect(await main(['--version'])).toBe(0);
    expect(c.out.join('')).toMatch(/^\d+\.\d+\.\d+\n$/);
    expect(await main(['replay', '--help'])).toBe(0);
    expect(c.out.join('')).toContain('Examples:');
  });

  it('--kernel the model does not know is rejected with the known versions', async () => {
    const c = capture();
    expect(await main(['replay', FIXTURE, '--kernel', '99.1'])).toBe(2);
    expect(c.err.join('')).toBe(
      'faultline: --kernel: 99.1 is newer than the newest modelled kernel (6.18): its mm rules are not known\n' +
        '  hint: known: 5.0 to 6.18 (rules change at 5.8, 6.2, 6.8, 6.9, 6.13, 6.14, 6.15)\n',
    );
    expect(await main(['validate', FIXTURE, '--kernel', '4.19'])).toBe(2);
    expect(await main(['replay', FIXTURE, '--kernel', '6.18.3', '--json'])).toBe(0);
  });

  it('a user error is one line and its hint; anything else is a bug report with the stack, exit 70', () => {
    const c = capture();
    expect(reportError(userError('bad thing', { file: 't.txt', line: 7, hint: 'do this' }))).toBe(2);
    expect(c.err.join('')).toBe('faultline: t.txt:7: bad thing\n  hint: do this\n');
    c.err.length = 0;
    expect(reportError(new TypeError('x is undefined'))).toBe(70);
    const text = c.err.join('');
    expect(text.split('\n')[0]).toBe('faultline: internal error: x is undefined');
    expect(text).toMatch(/please report it/);
    expect(text).toMatch(/\n\s+at .*program\.test\.ts/);
  });

  it('every shared option is declared once, in src/options.ts: no command writes its flag itself', () => {
    const shared = ['--json', '--format', '--kernel', '--machine-no-zero-page', '--allow-lost', '--profile', '--patch ', '--thp', '--no-zero-page', '--select', '--patch-option', '--base-thp'];
    const dir = new URL('./commands/', import.meta.url);
    const bad: string[] = [];
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts') && !n.includes('.test.') && !n.includes('.suite.'))) {
      const text = readFileSync(new URL(f, dir), 'utf8');
      for (const m of text.matchAll(/\.(?:option|requiredOption)\(\s*'([^']*)'/g)) {
        const flags = m[1]!;
        // validate's --thp is the traced machine's policy (replay's --base-thp), not the variant option
        if (f === 'validate.ts' && flags.startsWith('--thp')) continue;
        if (shared.some((s) => flags.split(/[ ,]+/).includes(s.trim()))) bad.push(`${f}: ${flags}`);
      }
    }
    expect(bad).toEqual([]);
  });
});
