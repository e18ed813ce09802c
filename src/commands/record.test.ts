// `faultline record` argument handling: usage errors are one line with exit 2, a missing command 127, no stack.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './run_cli.suite.js';
import { registerRecord } from './record.js';

const dir = mkdtempSync(join(tmpdir(), 'faultline-record-cli-'));
const run = async (args: string[]): Promise<{ code: number; err: string }> => {
  const r = await runCli(registerRecord, ['record', ...args]);
  return { code: r.code, err: r.err };
};

describe('faultline record (CLI)', () => {
  it('needs -o and a command, and validates the backend, each as one line', async () => {
    let r = await run(['--', 'true']);
    expect(r).toEqual({ code: 2, err: 'faultline: record needs -o FILE: faultline record -o trace.txt.gz -- CMD ARGS...\n' });
    r = await run(['-o', join(dir, 'x.txt')]);
    expect(r.err).toBe('faultline: record needs a command after --: faultline record -o trace.txt -- CMD ARGS...\n');
    r = await run(['-o', join(dir, 'x.txt'), '--backend', 'dtrace', '--', 'true']);
    expect(r).toEqual({ code: 2, err: "faultline: --backend must be perf or ftrace, got 'dtrace'\n" });
    r = await run(['-o', join(dir, 'x.txt'), '--backend', 'ftrace', '--buffer-kb', '12k', '--', 'true']);
    expect(r.err).toBe("faultline: --buffer-kb must be a positive integer, got '12k'\n");
    r = await run(['-o', join(dir, 'x.txt'), '--events', 'nosuch', '--', 'true']);
    expect(r.err).toMatch(/^faultline: event 'nosuch' needs its system/);
    expect(r.err.split('\n').filter(Boolean)).toHaveLength(1);
  });
  it('reports a missing command with exit 127 and no stack', async () => {
    const r = await run(['-o', join(dir, 'x.txt'), '--', 'definitely-not-a-command-xyz']);
    expect(r.code).toBe(127);
    expect(r.err).toBe('faultline: command not found or not executable: definitely-not-a-command-xyz (check the name, or give its path)\n');
  });
});
