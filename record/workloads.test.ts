// The C workloads compile with plain cc, run unprivileged, and print JSON checkpoints that obey kernel rules
// stated independently here (small sizes; no THP assertions, since CI's THP settings are unknown).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWorkloads, WORKLOAD_NAMES } from './workloads.js';
import { parseWorkloadOutput, type Checkpoint, type Region } from './fixtures.js';


let out: string;
let bins: Record<string, string>;

beforeAll(() => {
  out = mkdtempSync(join(tmpdir(), 'faultline-workloads-'));
  bins = buildWorkloads(WORKLOAD_NAMES, out);
});
afterAll(() => rmSync(out, { recursive: true, force: true }));

function run(name: string, ...args: string[]): { cps: Checkpoint[]; regions: Region[] } {
  const r = spawnSync(bins[name]!, args, { encoding: 'utf8', env: { ...process.env, FAULTLINE_TRACE_MARKER: 'off' }, cwd: out });
  expect(r.status, `${name} ${args.join(' ')}: ${r.stderr}`).toBe(0);
  const { checkpoints, regions } = parseWorkloadOutput(r.stdout, name);
  return { cps: checkpoints, regions };
}

const at = (cps: Checkpoint[], label: string, pid?: number): Checkpoint => {
  const c = cps.find((x) => x.label === label && (pid === undefined || x.pid === pid));
  if (!c) throw new Error(`no checkpoint ${label}`);
  return c;
};
const delta = (cps: Checkpoint[], from: string, to: string, key: keyof Checkpoint, pid?: number): number =>
  (at(cps, to, pid)[key] as number) - (at(cps, from, pid)[key] as number);

describe('workloads', () => {
  it('all compile and every checkpoint line carries the /proc fields as integers', () => {
    expect(Object.keys(bins).sort()).toEqual([...WORKLOAD_NAMES].sort());
    const { cps } = run('write_touch', '64');
    expect(cps.map((c) => c.label)).toEqual(['start', 'mapped', 'written', 'rewritten', 'end']);
    for (const c of cps) {
      for (const k of ['t_mono_ns', 'pid', 'rss_anon_kb', 'rss_file_kb', 'vm_pte_kb', 'vm_rss_kb', 'minflt'] as const) {
        expect(Number.isInteger(c[k]), `${c.label}.${k}`).toBe(true);
      }
      expect(c.vm_rss_kb).toBeGreaterThanOrEqual(c.rss_anon_kb + c.rss_file_kb);
    }
    // CLOCK_MONOTONIC checkpoints only move forward.
    for (let i = 1; i < cps.length; i++) expect(cps[i]!.t_mono_ns).toBeGreaterThan(cps[i - 1]!.t_mono_ns);
  });

  it('write_touch: N pages give N minor faults and +4N KiB anon, a rewrite gives none (mm/memory.c: do_anonymous_page)', () => {
    const n = 1024;
    const { cps, regions } = run('write_touch', String(n));
    expect(regions[0]!.len).toBe(n * 4096);
    expect(regions[0]!.addr % (2 << 20)).toBe(0);
    expect(delta(cps, 'mapped', 'written', 'minflt')).toBeGreaterThanOrEqual(n);
    expect(delta(cps, 'mapped', 'written', 'minflt')).toBeLessThanOrEqual(n + 4);
    expect(Math.abs(delta(cps, 'mapped', 'written', 'rss_anon_kb') - 4 * n)).toBeLessThanOrEqual(16);
    // 4 MiB, 2 MiB-aligned: two PTE tables (plus at most one PMD table for a new GiB).
    expect(delta(cps, 'mapped', 'written', 'vm_pte_kb')).toBeGreaterThanOrEqual(8);
    expect(delta(cps, 'mapped', 'written', 'vm_pte_kb')).toBeLessThanOrEqual(12);
    expect(delta(cps, 'written', 'rewritten', 'minflt')).toBe(0);
    expect(delta(cps, 'written', 'end', 'rss_anon_kb')).toBe(-4 * n);
  });

  it('populate: MAP_POPULATE counts its GUP faults in minflt and later writes do not fault (mm/gup.c)', () => {
    const n = 512;
    const { cps } = run('populate', String(n));
    expect(delta(cps, 'start', 'populated', 'minflt')).toBeGreaterThanOrEqual(n);
    expect(delta(cps, 'populated', 'written', 'minflt')).toBe(0);
    expect(delta(cps, 'populated', 'end', 'rss_anon_kb')).toBe(-4 * n);
  });

  it('fork: the child reports its own pid, the same anon RSS, and times fork() (kernel/fork.c: dup_mmap)', () => {
    const n = 512;
    const { cps } = run('fork', String(n), 'all', 'all', '0');
    const parent = at(cps, 'parent_after_fork');
    const child = at(cps, 'child_after_fork');
    expect(child.pid).not.toBe(parent.pid);
    expect(parent.child_pid).toBe(child.pid);
    expect(child.parent_pid).toBe(parent.pid);
    expect(Number(parent.fork_ns)).toBeGreaterThan(0);
    expect(Math.abs(child.rss_anon_kb - at(cps, 'parent_written').rss_anon_kb)).toBeLessThanOrEqual(64);
    // Each child write to a shared page is a COW fault: at least N of them.
    expect(delta(cps, 'child_after_fork', 'child_written', 'minflt', child.pid)).toBeGreaterThanOrEqual(n);
    expect(cps.map((c) => c.label)).toEqual(expect.arrayContaining(['child_exited', 'parent_rewritten', 'end']));
  });

  it('dontneed: MADV_DONTNEED drops the RSS of the zapped half, and re-touching faults it back', () => {
    const n = 2048; // 8 MiB: the first 4 MiB (two whole 2 MiB blocks) is zapped
    const { cps } = run('dontneed', String(n));
    expect(delta(cps, 'written', 'dontneed', 'rss_anon_kb')).toBe(-2 * n);
    expect(at(cps, 'dontneed').dontneed_len).toBe((n * 4096) / 2);
    expect(delta(cps, 'dontneed', 'retouched', 'minflt')).toBe(n / 2);
    expect(delta(cps, 'retouched', 'unmapped', 'rss_anon_kb')).toBe(-4 * n);
  });

  it('threads and file_private run and print their phases', () => {
    expect(run('threads', '256').cps.map((c) => c.label)).toEqual(['start', 'mapped', 'written', 'end']);
    const f = run('file_private', '256', out).cps;
    expect(f.map((c) => c.label)).toEqual(['start', 'mapped', 'read_half', 'wrote_read_half', 'wrote_unread_half', 'end']);
    // Writing the unread half of a private file mapping gives anonymous copies: +4 KiB per page.
    expect(delta(f, 'wrote_read_half', 'wrote_unread_half', 'rss_anon_kb')).toBe(4 * 128);
  });

  it('rejects bad arguments with a one-line message and exit 2', () => {
    for (const [name, args, msg] of [
      ['write_touch', ['12x'], /argument 1 must be a non-negative integer, got '12x'/],
      ['fork', ['16', 'some'], /child mode must be all\|half\|sparse\|none/],
      ['thp', ['sideways'], /mode must be read\|write/],
    ] as const) {
      const r = spawnSync(bins[name]!, [...args], { encoding: 'utf8' });
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});
