// The committed workload fixtures: every trace has its truth file, the truth obeys kernel rules stated here by hand,
// and the traces agree with the truth (fault counts per phase, CLOCK_MONOTONIC alignment, ftrace markers).
// The traces are scanned with a tiny regex here, independent of faultline's readers.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { FIXTURES, readTruth, type Checkpoint, type FixtureSpec, type Region, type Truth } from './fixtures.js';
import type { RecordBackend } from './options.js';
import { repoRoot } from './workloads.js';

const DIR = join(repoRoot(), 'traces', 'fixtures', 'workloads');
const MB = 1024 * 1024;
const BACKENDS: readonly RecordBackend[] = ['perf', 'ftrace'];

const cp = (t: Truth, label: string, pid?: number): Checkpoint => {
  const c = t.checkpoints.find((x) => x.label === label && (pid === undefined || x.pid === pid));
  if (!c) throw new Error(`${t.fixture}: no checkpoint ${label}`);
  return c;
};
/** Change of a /proc figure between two checkpoints of the same process. */
const d = (t: Truth, from: string, to: string, key: keyof Checkpoint, pid?: number): number =>
  (cp(t, to, pid)[key] as number) - (cp(t, from, pid)[key] as number);
const within = (v: number, lo: number, hi: number, what: string): void => {
  expect(v, what).toBeGreaterThanOrEqual(lo);
  expect(v, what).toBeLessThanOrEqual(hi);
};

/** One trace line, as far as these tests need it. */
interface Line {
  tid: number;
  timeNs: number;
  event: string;
  rest: string;
}

// perf script -F comm,pid,tid,cpu,time,event,trace --ns:  `comm  PID/TID [CPU] S.NNNNNNNNN: sys:event: fields`
const PERF = /^\s*.+?\s+(\d+)\/(\d+)\s+\[\d+\]\s+(\d+)\.(\d{9}):\s+(?:\w+:)?(\w+):\s?(.*)$/;
// tracefs trace with record-tgid:  `comm-TID (TGID) [CPU] flags S.UUUUUU: event: fields`
const FTRACE = /^\s*.+?-(\d+)\s+\(\s*[\d-]+\)\s+\[\d+\]\s+\S+\s+(\d+)\.(\d{6}):\s+(\w+):\s?(.*)$/;

const lineCache = new Map<string, Line[]>();
function lines(name: string, backend: string): Line[] {
  const key = `${name}/${backend}`;
  const hit = lineCache.get(key);
  if (hit) return hit;
  const out: Line[] = [];
  for (const l of gunzipSync(readFileSync(join(DIR, name, `${backend}.txt.gz`))).toString('utf8').split('\n')) {
    if (backend === 'perf') {
      const m = PERF.exec(l);
      if (m) out.push({ tid: +m[2]!, timeNs: +m[3]! * 1e9 + +m[4]!, event: m[5]!, rest: m[6]! });
    } else {
      const m = FTRACE.exec(l);
      if (m) out.push({ tid: +m[1]!, timeNs: +m[2]! * 1e9 + +m[3]! * 1e3, event: m[4]!, rest: m[5]! });
    }
  }
  lineCache.set(key, out);
  return out;
}

/** page_fault_user events inside a region between two checkpoint times, optionally for one tid. */
function faultsIn(ls: Line[], r: Region, fromNs: number, toNs: number, tid?: number): { n: number; codes: Set<string>; tids: Map<number, number> } {
  const codes = new Set<string>();
  const tids = new Map<number, number>();
  let n = 0;
  for (const l of ls) {
    if (l.event !== 'page_fault_user' || (tid !== undefined && l.tid !== tid)) continue;
    const m = /address=0x([0-9a-f]+) .*error_code=(0x[0-9a-f]+)/.exec(l.rest);
    if (!m) continue;
    const a = Number.parseInt(m[1]!, 16);
    if (a < r.addr || a >= r.addr + r.len) continue;
    // ftrace prints microseconds: allow the truncation at both ends.
    if (l.timeNs < fromNs - 1000 || l.timeNs > toNs + 1000) continue;
    n++;
    codes.add(m[2]!);
    tids.set(l.tid, (tids.get(l.tid) ?? 0) + 1);
  }
  return { n, codes, tids };
}

const LABELS: Record<string, string[]> = {
  write_touch: ['start', 'mapped', 'written', 'rewritten', 'end'],
  read_then_write: ['start', 'mapped', 'read', 'written', 'rewritten', 'end'],
  sparse: ['start', 'mapped', 'per_2m_written', 'far_mapped', 'per_1g_written', 'end'],
  fork: ['start', 'mapped', 'parent_written', 'parent_after_fork', 'child_after_fork', 'child_written', 'child_exited', 'parent_rewritten', 'end'],
  'thp:read': ['start', 'mapped', 'read', 'written', 'end'],
  'thp:write': ['start', 'mapped', 'written', 'rewritten', 'end'],
  populate: ['start', 'populated', 'written', 'end'],
  dontneed: ['start', 'mapped', 'written', 'dontneed', 'retouched', 'unmapped', 'end'],
  pattern_init: ['start', 'mapped', 'memset_done', 'memset_used', 'sparse_used', 'end'],
  threads: ['start', 'mapped', 'written', 'end'],
  file_private: ['start', 'mapped', 'read_half', 'wrote_read_half', 'wrote_unread_half', 'end'],
  mthp: ['start', 'mapped', 'sparse_written', 'dense_written', 'small_written', 'read', 'parent_after_fork', 'child_after_fork', 'child_written', 'child_exited', 'parent_rewritten', 'punched', 'end'],
  pt_reclaim: ['start', 'mapped', 'half_done', 'looped', 'end'],
  thp_shrink: ['start', 'mapped', 'touched', 'reclaimed', 'rewritten', 'end'],
  guard: ['start', 'mapped', 'written', 'guarded', 'touched_guards', 'dontneed', 'removed', 'rewritten', 'unmapped', 'droppable_written', 'end'],
};
/** zygote: the parent's phases around one child_start/child_read/child_wrote + forked per child (args[0] children). */
const zygoteLabels = (children: number): string[] => [
  'start', 'mapped', 'preloaded', 'heap_written',
  ...Array.from({ length: children }, () => ['child_start', 'child_read', 'child_wrote', 'forked']).flat(),
  'children_exited', 'end',
];
const labelsFor = (s: FixtureSpec): string[] =>
  s.workload === 'zygote' ? zygoteLabels(Number(s.args[0])) : LABELS[s.workload === 'thp' ? `thp:${s.args[0]}` : s.workload]!;

/** a is b with some items left out (same order; an item appears at most as often as in b). */
function isSubsequence(a: string[], b: string[]): boolean {
  let j = 0;
  for (const x of a) {
    while (j < b.length && b[j] !== x) j++;
    if (j++ >= b.length) return false;
  }
  return true;
}

const runs = FIXTURES.flatMap((s) => s.backends.map((b) => [s, b] as const));

describe('workload fixtures: files and metadata', () => {
  it('every fixture has a trace and a truth file per backend, within the size budget', () => {
    let total = 0;
    for (const [s, b] of runs) {
      const trace = join(DIR, s.name, `${b}.txt.gz`);
      expect(existsSync(trace), trace).toBe(true);
      expect(existsSync(join(DIR, s.name, `truth.${b}.json`)), `${s.name} truth.${b}.json`).toBe(true);
      const size = statSync(trace).size;
      expect(size, trace).toBeLessThan(15 * MB);
      expect(readFileSync(trace).subarray(0, 2).toString('hex'), `${trace} is gzip`).toBe('1f8b');
      total += size;
    }
    expect(total).toBeLessThan(60 * MB);
    // The COW-PTE thread's 1 GiB case is there, recorded with perf at least.
    expect(runs.some(([s, b]) => s.name === 'fork_1g' && b === 'perf')).toBe(true);
  });

  it.each(runs.map(([s, b]) => [`${s.name}/${b}`, s, b] as const))('%s: truth metadata and checkpoint labels', (_n, s, b) => {
    const t = readTruth(s.name, b);
    expect(t.fixture).toBe(s.name);
    expect(t.backend).toBe(b);
    expect(t.command[0]).toBe(`traces/workloads/bin/${s.workload}`);
    expect(t.command.length).toBe(s.args.length + 1);
    expect(t.uname_r).toMatch(/^\d+\.\d+/);
    expect(t.thp.enabled).toMatch(/\[(always|madvise|never)\]/);
    expect(t.lost_events).toBe(0);
    expect(t.command_status).toBe(0);
    expect(t.events).toContain('exceptions:page_fault_user');
    const got = t.checkpoints.map((c) => c.label);
    expect([...got].sort()).toEqual([...labelsFor(s)].sort());
    // Per process, checkpoints come in program order and on the monotonic clock.
    for (const pid of new Set(t.checkpoints.map((c) => c.pid))) {
      const mine = t.checkpoints.filter((c) => c.pid === pid);
      // in program order (zygote repeats its per-child labels: a subsequence, not a filter, of the list)
      expect(isSubsequence(mine.map((c) => c.label), labelsFor(s)), mine.map((c) => c.label).join(',')).toBe(true);
      for (let i = 1; i < mine.length; i++) expect(mine[i]!.t_mono_ns).toBeGreaterThan(mine[i - 1]!.t_mono_ns);
    }
  });
});

/** Kernel rules per fixture, hand-derived (model/README.md: Invariants and the cited kernel functions). */
describe.each(BACKENDS)('workload fixtures: /proc truth obeys kernel rules (%s)', (b) => {
  const has = (name: string): boolean => FIXTURES.find((f) => f.name === name)!.backends.includes(b);
  const noZeroPage = (t: Truth): boolean => t.kernel_cmdline_mm.includes('pvm_no_zero_page=1');
  const N = 16384;

  it('write_touch: N faults, +4N KiB anon, +4 KiB VmPTE per 2 MiB; rewrite free (mm/memory.c: do_anonymous_page)', () => {
    const t = readTruth('write_touch', b);
    within(d(t, 'mapped', 'written', 'minflt'), N, N + 4, 'minflt');
    within(d(t, 'mapped', 'written', 'rss_anon_kb'), 4 * N - 16, 4 * N + 16, 'anon');
    within(d(t, 'mapped', 'written', 'vm_pte_kb'), 128, 132, 'VmPTE: 32 tables (+ a PMD table)');
    expect(d(t, 'written', 'rewritten', 'minflt')).toBe(0);
    expect(d(t, 'rewritten', 'end', 'rss_anon_kb')).toBe(-4 * N);
    within(d(t, 'rewritten', 'end', 'vm_pte_kb'), -132, -128, 'munmap frees the tables (mm/mmap.c: free_pgtables)');
  });

  it('read_then_write: N read faults; the zero page decides where the RSS appears (mm/memory.c: do_anonymous_page)', () => {
    const t = readTruth('read_then_write', b);
    within(d(t, 'mapped', 'read', 'minflt'), N, N + 4, 'read faults');
    within(d(t, 'mapped', 'read', 'vm_pte_kb'), 128, 132, 'VmPTE');
    if (noZeroPage(t)) {
      // This machine boots with pvm_no_zero_page=1: a read fault allocates a zeroed page, the later write is free.
      within(d(t, 'mapped', 'read', 'rss_anon_kb'), 4 * N - 16, 4 * N + 16, 'anon after read');
      expect(d(t, 'read', 'written', 'minflt')).toBe(0);
    } else {
      within(d(t, 'mapped', 'read', 'rss_anon_kb'), 0, 16, 'zero page: no anon');
      within(d(t, 'read', 'written', 'minflt'), N, N + 4, 'do_wp_page from the zero page');
      within(d(t, 'read', 'written', 'rss_anon_kb'), 4 * N - 16, 4 * N + 16, 'anon after write');
    }
    expect(d(t, 'written', 'rewritten', 'minflt')).toBe(0);
  });

  it('sparse_1g: a PTE table per touched 2 MiB block, a PMD table per touched GiB', () => {
    const t = readTruth('sparse_1g', b);
    within(d(t, 'mapped', 'per_2m_written', 'minflt'), 512, 516, 'one fault per block');
    within(d(t, 'mapped', 'per_2m_written', 'rss_anon_kb'), 2048 - 16, 2048 + 16, 'anon');
    within(d(t, 'mapped', 'per_2m_written', 'vm_pte_kb'), 512 * 4, 512 * 4 + 8, '512 PTE tables + PMD table');
    // 8 GiB far region, 3 bytes per GiB: 8 PMD tables + 24 PTE tables.
    within(d(t, 'far_mapped', 'per_1g_written', 'minflt'), 24, 26, 'far faults');
    within(d(t, 'far_mapped', 'per_1g_written', 'vm_pte_kb'), (8 + 24) * 4, (8 + 24) * 4 + 4, 'far tables');
  });

  it.each([['fork_child_all', N], ['fork_child_half', N / 2]] as const)(
    '%s: the child copies the PTEs and RSS; each write to a shared page is a COW fault (kernel/fork.c, mm/memory.c: do_wp_page)',
    (name, childWrites) => {
      const t = readTruth(name, b);
      const parent = cp(t, 'parent_after_fork');
      const child = cp(t, 'child_after_fork');
      expect(parent.child_pid).toBe(child.pid);
      within(child.vm_pte_kb - parent.vm_pte_kb, -8, 8, 'child VmPTE = parent VmPTE');
      within(child.rss_anon_kb - parent.rss_anon_kb, -16, 16, 'child RssAnon = parent RssAnon');
      within(d(t, 'child_after_fork', 'child_written', 'minflt', child.pid), childWrites, childWrites + 32, 'child COW faults');
      within(d(t, 'child_after_fork', 'child_written', 'rss_anon_kb', child.pid), -64, 64, 'a COW copy replaces the shared page in the RSS');
      // After the child exits, the parent's PTEs are still write-protected: one reuse fault per page.
      within(d(t, 'child_exited', 'parent_rewritten', 'minflt', parent.pid), N, N + 4, 'parent reuse faults');
      within(d(t, 'child_exited', 'parent_rewritten', 'rss_anon_kb', parent.pid), -16, 16, 'reuse allocates nothing');
      expect(Number(parent.fork_ns)).toBeGreaterThan(0);
    },
  );

  it('fork_thp: one fault per 2 MiB to populate and to reuse after the child exits (mm/huge_memory.c: do_huge_pmd_wp_page)', () => {
    const t = readTruth('fork_thp', b);
    const got = d(t, 'mapped', 'parent_written', 'thp_fault_alloc');
    expect(got, 'all 32 blocks got a THP (system-wide counter; nothing else allocates THPs here)').toBeGreaterThanOrEqual(32);
    within(d(t, 'mapped', 'parent_written', 'minflt'), 32, 36, 'THP write faults');
    within(d(t, 'mapped', 'parent_written', 'vm_pte_kb'), 128, 132, 'a deposited table per THP');
    within(cp(t, 'child_after_fork').vm_pte_kb - cp(t, 'parent_after_fork').vm_pte_kb, -8, 8, 'child VmPTE');
    within(d(t, 'child_exited', 'parent_rewritten', 'minflt'), 32, 36, 'parent reuse: 1 per 2 MiB');
  });

  it('fork_1g: 1 GiB of 4K pages; the child starts with ~2 MiB of page tables (COW-PTE thread, seed 004)', () => {
    if (!has('fork_1g')) return;
    const t = readTruth('fork_1g', b);
    within(d(t, 'mapped', 'parent_written', 'minflt'), 262144, 262148, 'parent faults');
    within(d(t, 'mapped', 'parent_written', 'rss_anon_kb'), 1048576 - 16, 1048576 + 16, 'parent anon');
    const child = cp(t, 'child_after_fork');
    within(child.vm_pte_kb, 2048 + 4, 2048 + 160, 'child VmPTE ~ 512 PTE tables');
    within(d(t, 'child_after_fork', 'child_written', 'minflt', child.pid), 512, 512 + 32, 'one COW per 2 MiB');
  });

  it('thp_write_first / thp_read_first: one fault per 2 MiB block, a deposited table each (mm/huge_memory.c)', () => {
    const w = readTruth('thp_write_first', b);
    expect(d(w, 'mapped', 'written', 'thp_fault_alloc')).toBeGreaterThanOrEqual(32);
    within(d(w, 'mapped', 'written', 'minflt'), 32, 36, 'write-first faults');
    within(d(w, 'mapped', 'written', 'rss_anon_kb'), 65536 - 16, 65536 + 16, 'anon');
    within(d(w, 'mapped', 'written', 'vm_pte_kb'), 128, 132, 'deposits');
    expect(d(w, 'written', 'rewritten', 'minflt')).toBe(0);
    const r = readTruth('thp_read_first', b);
    within(d(r, 'mapped', 'read', 'minflt'), 32, 36, 'read-first faults');
    within(d(r, 'mapped', 'read', 'vm_pte_kb'), 128, 132, 'deposits');
    if (noZeroPage(r)) {
      within(d(r, 'mapped', 'read', 'rss_anon_kb'), 65536 - 16, 65536 + 16, 'no huge zero page: a THP per read');
      expect(d(r, 'read', 'written', 'minflt')).toBe(0);
    } else {
      within(d(r, 'mapped', 'read', 'rss_anon_kb'), 0, 16, 'huge zero page');
      within(d(r, 'read', 'written', 'minflt'), 32, 36, 'write after huge zero page');
    }
  });

  it('populate: MAP_POPULATE faults are counted in minflt but are not traps; later writes are free (mm/gup.c)', () => {
    const t = readTruth('populate', b);
    within(d(t, 'start', 'populated', 'minflt'), N, N + 16, 'GUP faults');
    within(d(t, 'start', 'populated', 'rss_anon_kb'), 4 * N - 32, 4 * N + 32, 'anon');
    expect(d(t, 'populated', 'written', 'minflt')).toBe(0);
    const r = t.regions[0]!;
    expect(faultsIn(lines('populate', b), r, 0, Number.MAX_SAFE_INTEGER).n).toBe(0);
  });

  it('dontneed_munmap: DONTNEED of whole 2 MiB blocks frees RSS and, with PT_RECLAIM, the PTE tables (mm/memory.c: zap_pte_range)', () => {
    const t = readTruth('dontneed_munmap', b);
    expect(cp(t, 'dontneed').dontneed_len).toBe((N * 4096) / 2);
    expect(d(t, 'written', 'dontneed', 'rss_anon_kb')).toBe(-2 * N);
    expect(d(t, 'written', 'dontneed', 'vm_pte_kb')).toBe(-64); // 16 blocks; CONFIG_PT_RECLAIM=y on the recording kernel
    within(d(t, 'dontneed', 'retouched', 'minflt'), N / 2, N / 2 + 4, 'retouch faults');
    expect(d(t, 'dontneed', 'retouched', 'vm_pte_kb')).toBe(64);
    expect(d(t, 'retouched', 'unmapped', 'rss_anon_kb')).toBe(-4 * N);
    expect(d(t, 'retouched', 'unmapped', 'vm_pte_kb')).toBe(-128);
  });

  it.runIf(has('pt_reclaim'))('pt_reclaim: 16 faults per 2 MiB block over 8 GiB, RssAnon back to where it was, VmPTE only the PMD tables (mm/pt_reclaim.c)', () => {
    const t = readTruth('pt_reclaim', b);
    within(d(t, 'mapped', 'looped', 'minflt'), 4096 * 16, 4096 * 16 + 4, 'faults: 4096 blocks x 16 pages');
    expect(d(t, 'mapped', 'looped', 'rss_anon_kb')).toBe(0);
    // 8 PMD tables (one per GiB) stay, plus at most one PTE table in flight; without CONFIG_PT_RECLAIM it would be
    // 4096 PTE tables (16384 kB) more
    within(d(t, 'mapped', 'looped', 'vm_pte_kb'), 32, 40, 'VmPTE: PMD tables only');
    expect(d(t, 'looped', 'end', 'vm_pte_kb')).toBe(-32); // munmap frees the 8 PMD tables (free_pgtables)
  });

  it.runIf(has('zygote'))('zygote: each child faults the file pages into PTE tables of its own, one per 2 MiB the mappings span; fork copied none (mm/memory.c: vma_needs_copy)', () => {
    const t = readTruth('zygote', b);
    const files = t.regions.filter((r) => r.region === 'boot_image' || r.region === 'lib');
    expect(files.length).toBe(3);
    const PMD = 2 * 1024 * 1024;
    // distinct 2 MiB blocks: two mappings may meet inside one (one table for both)
    const blocks = new Set<number>();
    for (const r of files) for (let k = Math.floor(r.addr / PMD); k < Math.ceil((r.addr + r.len) / PMD); k++) blocks.add(k);
    const tables = blocks.size;
    const children = t.checkpoints.filter((c) => c.label === 'child_read');
    expect(children.length).toBe(8);
    for (const c of children) {
      const start = t.checkpoints.find((s) => s.label === 'child_start' && s.pid === c.pid)!;
      expect(c.vm_pte_kb - start.vm_pte_kb, `child ${c.pid}`).toBe(4 * tables);
      // fault-around maps 16 pages per read fault (page cache all there, 4 KiB folios): about one fault per 64 KiB
      const pages = files.reduce((a, r) => a + Math.ceil(r.len / 4096), 0);
      within(c.minflt - start.minflt, pages / 16, pages / 16 + 2 * tables + 8, `child ${c.pid} read faults`);
    }
    // the parent built the same tables once before forking (plus, in some runs, one more of its own: 416 here, 412
    // untraced)
    within(d(t, 'mapped', 'preloaded', 'vm_pte_kb'), 4 * tables, 4 * tables + 4, 'parent file tables');
  });

  it.runIf(has('thp_shrinker'))('thp_shrinker: reclaim of its cgroup split all 32 THPs as underused, 504 subpages each to the zero page (mm/huge_memory.c: deferred_split_scan)', () => {
    const t = readTruth('thp_shrinker', b);
    expect(t.thp.enabled).toContain('[always]');
    expect(t.thp['khugepaged/max_ptes_none']).toBe('409');
    const x = (label: string, k: string): number => (cp(t, label) as Checkpoint & Record<string, number>)[k]!;
    expect(x('reclaimed', 'thp_underused_split_page') - x('touched', 'thp_underused_split_page')).toBe(32);
    expect(d(t, 'mapped', 'touched', 'rss_anon_kb')).toBe(32 * 2048); // 32 THPs
    expect(d(t, 'touched', 'reclaimed', 'rss_anon_kb')).toBe(-32 * 504 * 4);
    expect(d(t, 'reclaimed', 'rewritten', 'minflt')).toBe(0); // the written subpages stayed mapped: no fault
  });

  it.runIf(has('guard_regions'))('guard_regions: markers cost tables, not RSS; DONTNEED keeps them; MAP_DROPPABLE counts as anon (mm/madvise.c: madvise_guard_install)', () => {
    const t = readTruth('guard_regions', b);
    // 4 x 2 MiB written; a guard over the first block zaps it; one over the untouched 8 MiB allocates 4 PTE tables
    expect(d(t, 'written', 'guarded', 'rss_anon_kb')).toBe(-2048);
    expect(d(t, 'written', 'guarded', 'vm_pte_kb')).toBe(16);
    expect((cp(t, 'touched_guards') as Checkpoint & { segv?: number }).segv).toBe(4);
    // DONTNEED of all 16 MiB: the three written blocks' tables empty and go (PT_RECLAIM); the five with markers stay
    expect(d(t, 'touched_guards', 'dontneed', 'rss_anon_kb')).toBe(-6144);
    expect(d(t, 'touched_guards', 'dontneed', 'vm_pte_kb')).toBe(-12);
    expect(d(t, 'dontneed', 'removed', 'vm_pte_kb')).toBe(0); // GUARD_REMOVE clears entries, frees no table
    expect(d(t, 'removed', 'rewritten', 'rss_anon_kb')).toBe(2048);
    expect(d(t, 'unmapped', 'droppable_written', 'rss_anon_kb')).toBe(1024);
  });

  it('pattern_init: memset faults every page of every allocation, sparse use faults two pages each', () => {
    const t = readTruth('pattern_init', b);
    // The workload's xorshift32 allocation sizes, recomputed here: 1..64 pages each.
    let rng = 1;
    let pages = 0;
    let touched = 0;
    for (let i = 0; i < 256; i++) {
      rng = (rng ^ (rng << 13)) >>> 0;
      rng = (rng ^ (rng >>> 17)) >>> 0;
      rng = (rng ^ (rng << 5)) >>> 0;
      const p = (rng % 64) + 1;
      pages += p;
      touched += p === 1 ? 1 : 2; // header page and middle page coincide only for a one-page allocation
    }
    expect(t.regions[0]!.len).toBe(pages * 4096);
    within(d(t, 'mapped', 'memset_done', 'minflt'), pages, pages + 4, 'memset faults');
    within(d(t, 'mapped', 'memset_done', 'rss_anon_kb'), 4 * pages - 16, 4 * pages + 16, 'memset anon');
    expect(d(t, 'memset_done', 'memset_used', 'minflt')).toBe(0);
    within(d(t, 'memset_used', 'sparse_used', 'minflt'), touched, touched + 4, 'sparse faults');
    within(d(t, 'memset_used', 'sparse_used', 'rss_anon_kb'), 4 * touched - 16, 4 * touched + 16, 'sparse anon');
  });

  it('file_private: fault-around maps up to 16 pages per read fault; writes copy into anon (mm/memory.c: do_read_fault, wp_page_copy, do_cow_fault)', () => {
    const t = readTruth('file_private', b);
    const half = 2048;
    within(d(t, 'mapped', 'read_half', 'minflt'), half / 16, half / 16 + 4, 'read faults with 64 KiB fault-around');
    within(d(t, 'mapped', 'read_half', 'rss_file_kb'), 4 * half - 16, 4 * half + 16, 'file RSS');
    within(d(t, 'read_half', 'wrote_read_half', 'minflt'), half, half + 4, 'wp_page_copy faults');
    within(d(t, 'read_half', 'wrote_read_half', 'rss_anon_kb'), 4 * half - 16, 4 * half + 16, 'anon +');
    within(d(t, 'read_half', 'wrote_read_half', 'rss_file_kb'), -4 * half - 16, -4 * half + 16, 'file -');
    within(d(t, 'wrote_read_half', 'wrote_unread_half', 'minflt'), half, half + 4, 'do_cow_fault faults');
    within(d(t, 'wrote_read_half', 'wrote_unread_half', 'rss_anon_kb'), 4 * half - 16, 4 * half + 16, 'anon +');
    within(d(t, 'wrote_read_half', 'wrote_unread_half', 'rss_file_kb'), -16, 16, 'no file RSS');
  });
});

describe.each(BACKENDS)('workload fixtures: the trace agrees with the truth (%s)', (b) => {
  const N = 16384;

  it('write_touch: N write faults (0x6) in the region, all between the two checkpoints; one rss_stat per fault', () => {
    const t = readTruth('write_touch', b);
    const r = t.regions[0]!;
    const ls = lines('write_touch', b);
    const f = faultsIn(ls, r, cp(t, 'mapped').t_mono_ns, cp(t, 'written').t_mono_ns);
    expect(f.n).toBe(d(t, 'mapped', 'written', 'minflt'));
    expect([...f.codes]).toEqual(['0x6']);
    expect(faultsIn(ls, r, 0, Number.MAX_SAFE_INTEGER).n, 'none outside the phase: the clocks agree').toBe(N);
    const rss = ls.filter((l) => l.event === 'rss_stat' && /curr=1 type=MM_ANONPAGES/.test(l.rest) &&
      l.timeNs > cp(t, 'mapped').t_mono_ns && l.timeNs < cp(t, 'written').t_mono_ns);
    expect(rss.length).toBe(N);
  });

  it('read_then_write: N read faults (0x4) in the read phase', () => {
    const t = readTruth('read_then_write', b);
    const f = faultsIn(lines('read_then_write', b), t.regions[0]!, cp(t, 'mapped').t_mono_ns, cp(t, 'read').t_mono_ns);
    expect(f.n).toBe(N);
    expect([...f.codes]).toEqual(['0x4']);
  });

  it('fork_child_all: the child takes N protection write faults (0x7) in the shared region', () => {
    const t = readTruth('fork_child_all', b);
    const child = cp(t, 'child_after_fork');
    const f = faultsIn(lines('fork_child_all', b), t.regions[0]!, child.t_mono_ns, cp(t, 'child_written').t_mono_ns, child.pid);
    expect(f.n).toBe(N);
    expect([...f.codes]).toEqual(['0x7']);
  });

  it('fork_child_all: fork copies PTE tables with curr=0 rss_stat in the parent; child COW of anon pages emits no MM_ANONPAGES rss_stat', () => {
    const t = readTruth('fork_child_all', b);
    const parent = cp(t, 'parent_after_fork');
    const child = cp(t, 'child_after_fork');
    const ls = lines('fork_child_all', b);
    const inPhase = (l: Line, from: Checkpoint, to: Checkpoint): boolean => l.timeNs >= from.t_mono_ns - 1000 && l.timeNs <= to.t_mono_ns + 1000;
    // kernel/fork.c: copy_pte_range adds the copied pages to the child's mm once per PTE-table piece (64 MiB: 32 tables).
    const forkCopies = ls.filter((l) => l.event === 'rss_stat' && l.tid === parent.pid && /curr=0/.test(l.rest) &&
      inPhase(l, cp(t, 'parent_written'), parent));
    expect(forkCopies.length).toBeGreaterThanOrEqual(32);
    // mm/memory.c: wp_page_copy changes the counters only when the old page was not anonymous.
    const childAnon = ls.filter((l) => l.event === 'rss_stat' && l.tid === child.pid && /type=MM_ANONPAGES/.test(l.rest) &&
      inPhase(l, child, cp(t, 'child_written')));
    expect(childAnon).toHaveLength(0);
  });

  it('threads: two tids fault half the region each', () => {
    const t = readTruth('threads', b);
    const f = faultsIn(lines('threads', b), t.regions[0]!, cp(t, 'mapped').t_mono_ns, cp(t, 'written').t_mono_ns);
    expect(f.n).toBe(N);
    expect([...f.tids.values()].sort()).toEqual([N / 2, N / 2]);
    expect(f.tids.has(cp(t, 'start').pid)).toBe(false);
  });

  it('exit-time rss_stat: ftrace sees the teardown (curr=0, down to 0 B), per-task perf does not (kernel/exit.c)', () => {
    const ls = lines('write_touch', b);
    const exit = ls.findIndex((l) => l.event === 'sched_process_exit');
    expect(exit).toBeGreaterThan(0);
    const after = ls.slice(exit).filter((l) => l.event === 'rss_stat');
    if (b === 'perf') expect(after).toHaveLength(0);
    else {
      expect(after.length).toBeGreaterThan(0);
      expect(after.every((l) => /curr=0/.test(l.rest))).toBe(true);
      expect(after.some((l) => /type=MM_ANONPAGES size=0B/.test(l.rest))).toBe(true);
    }
  });

  it('checkpoint markers: ftrace has one print per checkpoint, just after its CLOCK_MONOTONIC time; perf has none', () => {
    for (const name of ['write_touch', 'fork_child_half']) {
      const t = readTruth(name, b);
      const marks = lines(name, b).filter((l) => l.event === 'tracing_mark_write');
      if (b === 'perf') {
        expect(marks).toHaveLength(0);
        continue;
      }
      expect(marks).toHaveLength(t.checkpoints.length);
      for (const c of t.checkpoints) {
        const m = marks.find((x) => x.rest.includes(`label=${c.label} pid=${c.pid} `));
        expect(m, `${name} marker ${c.label}`).toBeDefined();
        expect(m!.rest).toContain(`t_mono_ns=${c.t_mono_ns}`);
        within(m!.timeNs - Math.floor(c.t_mono_ns / 1000) * 1000, 0, 5_000_000, `${name} ${c.label} marker delay (ns)`);
      }
    }
  });
});
