// src/heap_growing.ts: 20% old-generation headroom set at start, V8's own factor back once RSS passes the line, and a
// user's own heap flag left alone; the CLI's output the same with the policy and without it. (What it does to the peak
// is the bench's to show: npm run bench prints the peak rows with it and without it.)
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { keepHeapGrowingSmall, SMALL_PROCESS_RSS } from './heap_growing.js';

const ROOT = join(import.meta.dirname, '..');
const CLI = join(ROOT, 'dist/src/cli.js');
const FIX = join(ROOT, 'traces/fixtures/workloads/mthp_64k/perf.txt.gz');

describe('keepHeapGrowingSmall', () => {
  it('sets 20% at start and hands back to V8 (0) once RSS passes 256 MiB, once', async () => {
    const set: string[] = [];
    let rss = 100 << 20;
    const p = keepHeapGrowingSmall({ setFlags: (f) => set.push(f), rss: () => rss, nodeArgs: [], every: 5 });
    expect(p.active).toBe(true);
    expect(set).toEqual(['--heap-growing-percent=20']);
    await new Promise((r) => setTimeout(r, 30));
    expect(set).toEqual(['--heap-growing-percent=20']); // still small
    rss = SMALL_PROCESS_RSS + 1;
    await new Promise((r) => setTimeout(r, 30));
    expect(set).toEqual(['--heap-growing-percent=20', '--heap-growing-percent=0']);
    p.stop(); // already stopped: nothing more set
    rss = 0;
    await new Promise((r) => setTimeout(r, 20));
    expect(set).toHaveLength(2);
  });

  it("leaves the user's own heap flag (or --low-memory's node) alone", () => {
    for (const a of ['--heap-growing-percent=50', '--heap_growing_percent=5', '--optimize-for-size']) {
      const set: string[] = [];
      const p = keepHeapGrowingSmall({ setFlags: (f) => set.push(f), rss: () => 0, nodeArgs: ['--max-old-space-size=4096', a], every: 5 });
      expect(p.active).toBe(false);
      expect(set).toEqual([]);
    }
  });

  it('stop() hands growing back to V8 at once', () => {
    const set: string[] = [];
    const p = keepHeapGrowingSmall({ setFlags: (f) => set.push(f), rss: () => 0, nodeArgs: [], every: 1000 });
    p.stop();
    expect(set).toEqual(['--heap-growing-percent=20', '--heap-growing-percent=0']);
  });
});

describe('the CLI with the policy', { timeout: 60_000 }, () => {
  it("replays the same as under node's own --heap-growing-percent (the policy skipped)", () => {
    const run = (node: string[]) => spawnSync(process.execPath, [...node, CLI, 'replay', FIX, '--json', '--profile', 'none'], { encoding: 'utf8' });
    const a = run([]);
    const b = run(['--heap-growing-percent=50']);
    expect(a.status).toBe(0);
    expect(b.status).toBe(0);
    expect(JSON.parse(a.stdout).variants[0].name).toBe('mainline');
    expect(b.stdout).toBe(a.stdout);
  });
});
