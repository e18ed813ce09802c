// --low-memory (src/low_memory.ts): the command runs again in a node started with V8's --optimize-for-size, with the
// same output and exit status; a node already started with the flag runs it itself (no second restart).
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { LOW_MEMORY_V8_FLAG, wantsRestart } from './low_memory.js';

const ROOT = join(import.meta.dirname, '..');
const CLI = join(ROOT, 'dist/src/cli.js');
const FIX = join(ROOT, 'traces/fixtures/workloads/mthp_64k/perf.txt.gz');
const cli = (node: string[], args: string[]) => spawnSync(process.execPath, [...node, CLI, ...args], { encoding: 'utf8' });

describe('--low-memory', { timeout: 60_000 }, () => {
  it('restarts only when asked and not already under the flag', () => {
    expect(wantsRestart(['replay', 'T', '--low-memory'], [])).toBe(true);
    expect(wantsRestart(['replay', 'T'], [])).toBe(false);
    expect(wantsRestart(['replay', 'T', '--low-memory'], ['--max-old-space-size=4096', LOW_MEMORY_V8_FLAG])).toBe(false);
  });

  it('replay prints the same JSON with it and without', () => {
    const a = cli([], ['replay', FIX, '--json', '--profile', 'none', '--patch', 'cow-pte']);
    const b = cli([], ['replay', FIX, '--json', '--profile', 'none', '--patch', 'cow-pte', '--low-memory']);
    expect(a.status).toBe(0);
    expect(b.status).toBe(0);
    expect(JSON.parse(b.stdout).variants[1].name).toBe('cow-pte');
    expect(b.stdout).toBe(a.stdout);
  });

  it("passes the command's exit status on: validate's 1, a usage error's 2", () => {
    // mthp_64k under --kernel 6.1 (no mTHP rules): the model disagrees with the kernel's counters, validate exits 1
    const a = cli([], ['validate', FIX, '--profile', 'none', '--kernel', '6.1']);
    const b = cli([], ['validate', FIX, '--profile', 'none', '--kernel', '6.1', '--low-memory']);
    expect(a.status).toBe(1);
    expect(b.status).toBe(1);
    expect(b.stdout).toBe(a.stdout);
    expect(cli([], ['replay', '/nonexistent', '--low-memory']).status).toBe(2);
  });

  it('under the flag already, the command runs in this node', () => {
    const r = cli([LOW_MEMORY_V8_FLAG], ['replay', FIX, '--profile', 'none', '--low-memory']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('mthp_64k');
  });
});
