// The committed workload fixtures: which workload each records and how, and their ground truth (the workload's
// printed /proc checkpoints and regions, with the machine's kernel and THP settings): types, reading and writing.
import { userError } from '../traces/errors.js';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RecordBackend } from './options.js';
import { repoRoot } from './workloads.js';

export interface FixtureSpec {
  name: string;
  workload: string;
  args: string[];
  backends: RecordBackend[];
  /** What it shows, for the README and the truth file. */
  about: string;
  /** /sys/kernel/mm/transparent_hugepage files to set for the recording (restored after), e.g. per-size THP. */
  thpKnobs?: Readonly<Record<string, string>>;
}

const BOTH: RecordBackend[] = ['perf', 'ftrace'];

/** Every fixture: 64 MiB regions unless said otherwise; fork_1g is the COW-PTE thread's 1 GiB case. */
export const FIXTURES: readonly FixtureSpec[] = [
  { name: 'write_touch', workload: 'write_touch', args: ['16384'], backends: BOTH, about: 'write one byte in each of 16384 fresh 4K pages' },
  { name: 'read_then_write', workload: 'read_then_write', args: ['16384'], backends: BOTH, about: 'read 16384 fresh pages, then write them' },
  { name: 'sparse_1g', workload: 'sparse', args: ['1', '8', '3'], backends: BOTH, about: 'one byte per 2 MiB over 1 GiB, then 3 bytes per GiB over 8 GiB' },
  { name: 'fork_child_all', workload: 'fork', args: ['16384', 'all', 'all', '0'], backends: BOTH, about: 'parent writes 64 MiB, forks; child writes all; parent writes again' },
  { name: 'fork_child_half', workload: 'fork', args: ['16384', 'half', 'all', '0'], backends: BOTH, about: 'parent writes 64 MiB, forks; child writes half; parent writes again' },
  { name: 'fork_thp', workload: 'fork', args: ['16384', 'half', 'all', '1'], backends: BOTH, about: 'the fork_child_half workload on a MADV_HUGEPAGE region' },
  { name: 'fork_1g', workload: 'fork', args: ['262144', 'sparse', 'none', '0'], backends: BOTH, about: 'parent writes 1 GiB of 4K pages, forks; child writes one byte per 2 MiB' },
  { name: 'thp_read_first', workload: 'thp', args: ['read', '32'], backends: BOTH, about: 'MADV_HUGEPAGE, read each 2 MiB block then write it' },
  { name: 'thp_write_first', workload: 'thp', args: ['write', '32'], backends: BOTH, about: 'MADV_HUGEPAGE, write each 2 MiB block first' },
  { name: 'populate', workload: 'populate', args: ['16384'], backends: BOTH, about: 'MAP_POPULATE 64 MiB, then write it (no faults)' },
  { name: 'dontneed_munmap', workload: 'dontneed', args: ['16384'], backends: BOTH, about: 'write 64 MiB, MADV_DONTNEED the first 32 MiB, re-touch, munmap' },
  { name: 'pattern_init', workload: 'pattern_init', args: ['256', '1'], backends: BOTH, about: 'memset 0xAA over 256 allocations vs touching two bytes of each' },
  { name: 'threads', workload: 'threads', args: ['16384'], backends: BOTH, about: 'two threads write disjoint halves of one 64 MiB mapping' },
  { name: 'file_private', workload: 'file_private', args: ['4096', '@bindir'], backends: BOTH, about: 'MAP_PRIVATE file: read half, write it, write the unread half' },
  { name: 'pt_reclaim', workload: 'pt_reclaim', args: ['8', '16'], backends: ['perf'], about: 'PT_RECLAIM cover letter loop over 8 GiB: per 2 MiB block write 16 pages, MADV_DONTNEED the block' },
  {
    name: 'zygote',
    workload: 'zygote',
    args: ['8', '64', '@bindir', '/usr/lib/x86_64-linux-gnu/libicudata.so.72.1', '/usr/lib/x86_64-linux-gnu/libLLVM-15.so.1'],
    backends: ['perf'],
    about: "Android's Zygote shape: a 64 MiB read-only file and two real libraries (libicudata 30 MiB, libLLVM-15 112 MiB), their page cache refilled with 4 KiB folios, mapped PROT_READ MAP_PRIVATE and read by the parent, then 8 children forked without exec, one at a time, each reading every page again into page tables of its own and COW-writing every 8th page of a 4 MiB heap; all alive until the last is forked",
  },
  {
    name: 'zygote_libs',
    workload: 'zygote',
    args: ['8', '1', '@bindir', '@so-dir:/usr/lib/x86_64-linux-gnu:16'],
    backends: ['perf'],
    about: "Zygote with a distribution's shared libraries (issue 16's Zygote-inherited ELF mappings, scaled): the parent maps every regular *.so* file of /usr/lib/x86_64-linux-gnu up to 16 MiB whose page cache it can drop (hundreds of them; the mapped checkpoint counts mapped and skipped), each whole PROT_READ MAP_PRIVATE with 4 KiB folios, plus a 1 MiB file, reads every page, then forks 8 children without exec, one at a time, each reading every page again into page tables of its own and COW-writing every 8th page of a 4 MiB heap; all alive until the last is forked",
  },
  {
    name: 'thp_shrinker',
    workload: 'thp_shrink',
    args: ['32', '8'],
    backends: ['perf'],
    about: 'THP shrinker (6.12) under reclaim: enabled=always and khugepaged/max_ptes_none=409 (set by the recorder, restored after); 32 THPs faulted by writing 8 pages of each, then reclaim of the workload\'s own memory cgroup (v1 memory.force_empty here: this machine\'s memory controller is on cgroup v1) splits every one as underused and maps its 504 zero-filled subpages to the zero page',
    thpKnobs: { enabled: 'always', 'khugepaged/max_ptes_none': '409' },
  },
  {
    name: 'thp_shrinker_4k',
    workload: 'thp_shrink',
    args: ['32', '8'],
    backends: ['perf'],
    about: 'the thp_shrinker workload with enabled=madvise (this machine\'s default; max_ptes_none=409 as there): 4 KiB pages, every write traced, nothing for the shrinker: the 4 KiB trace that --patch thp-shrinker+thp=always replays',
    thpKnobs: { 'khugepaged/max_ptes_none': '409' },
  },
  { name: 'guard_regions', workload: 'guard', args: ['4'], backends: ['perf'], about: 'MADV_GUARD_INSTALL over a written block and an untouched 8 MiB, SIGSEGV on guards, DONTNEED, GUARD_REMOVE, then MAP_DROPPABLE' },
  {
    name: 'mthp_64k',
    workload: 'mthp',
    args: ['1024', '32'],
    backends: BOTH,
    about: 'recorded under chrt -f 10 (a loaded 2-vCPU machine otherwise splits the PTE walks on need_resched); hugepages-64kB and -16kB enabled=always: sparse (1 byte per 256 KiB over 1 GiB) and dense (32 MiB) writes, a 48 KiB mapping, reads, fork with subpage COW, reuse, a punched folio',
    thpKnobs: { 'hugepages-64kB/enabled': 'always', 'hugepages-16kB/enabled': 'always' },
  },
  {
    name: 'mthp_4k',
    workload: 'mthp',
    args: ['1024', '32'],
    backends: BOTH,
    about: 'the mthp_64k workload with every mTHP size never (this machine\'s default): the 4 KiB trace --mthp what-ifs start from (recorded under chrt -f 10 likewise)',
    thpKnobs: { 'hugepages-64kB/enabled': 'never', 'hugepages-16kB/enabled': 'never' },
  },
];

export function readOr(file: string, dflt = ''): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return dflt;
  }
}

/**
 * THP sysfs settings as the kernel prints them (selected value in brackets), with every per-size
 * hugepages-<size>kB/enabled the machine lists (6.8+: mm/huge_memory.c: thpsize_create), smallest first.
 */
export function thpSettings(root = '/sys/kernel/mm/transparent_hugepage'): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of ['enabled', 'defrag', 'use_zero_page', 'hpage_pmd_size', 'shmem_enabled', 'khugepaged/defrag', 'hugepages-2048kB/enabled', 'khugepaged/max_ptes_none', 'shrink_underused']) {
    out[k] = readOr(join(root, k));
  }
  let sizes: string[] = [];
  try {
    sizes = readdirSync(root).filter((d) => /^hugepages-\d+kB$/.test(d));
  } catch {
    // no THP on this kernel: the keys above read as ''
  }
  for (const d of sizes.sort((a, b) => parseInt(a.slice(10)) - parseInt(b.slice(10)))) {
    const v = readOr(join(root, d, 'enabled'));
    if (v) out[`${d}/enabled`] = v; // hugepages-8kB has no anon enabled file (only shmem_enabled)
  }
  return out;
}

/** Kernel command-line words that change mm behaviour (e.g. pvm_no_zero_page=1, transparent_hugepage=). */
export function mmCmdline(): string[] {
  return readOr('/proc/cmdline').split(/\s+/).filter((w) => /zero_page|hugepage|thp|mitigations|pti=/.test(w));
}

/** One checkpoint line printed by a workload (traces/workloads/fl_common.h: fl_checkpoint_x). */
export interface Checkpoint {
  label: string;
  /** clock_gettime(CLOCK_MONOTONIC) in ns: the trace clock of both backends. */
  t_mono_ns: number;
  pid: number;
  rss_anon_kb: number;
  rss_file_kb: number;
  rss_shmem_kb: number;
  vm_pte_kb: number;
  vm_rss_kb: number;
  /** getrusage(RUSAGE_SELF): this process only (threads included, children not). */
  minflt: number;
  majflt: number;
  /** /proc/vmstat, system-wide: compare deltas only. */
  thp_fault_alloc: number;
  fork_ns?: number;
  child_pid?: number;
  parent_pid?: number;
  dontneed_len?: number;
}

/** A mapping under test (fl_region): faults in [addr, addr+len) belong to it. */
export interface Region {
  region: string;
  addr: number;
  len: number;
  pid: number;
}

export interface Truth {
  fixture: string;
  about: string;
  backend: RecordBackend;
  trace: string;
  workload: string;
  command: string[];
  tool_command: string[];
  uname_r: string;
  kernel_cmdline_mm: string[];
  thp: Record<string, string>;
  perf_version: string;
  recorded_at: string;
  events: string[];
  skipped_events: string[];
  lost_events: number;
  command_status: number;
  checkpoints: Checkpoint[];
  regions: Region[];
}

/** Where a committed fixture lives: its trace and truth files for one backend. */
export function fixtureFiles(name: string, backend: RecordBackend): { trace: string; truth: string } {
  const dir = join(repoRoot(), 'traces', 'fixtures', 'workloads', name);
  return { trace: join(dir, `${backend}.txt.gz`), truth: join(dir, `truth.${backend}.json`) };
}

/** Reads a committed fixture's ground truth. */
export function readTruth(name: string, backend: RecordBackend): Truth {
  return JSON.parse(readFileSync(fixtureFiles(name, backend).truth, 'utf8')) as Truth;
}

/** Splits a workload's stdout into checkpoints and regions; any other line is an error naming the line. */
export function parseWorkloadOutput(text: string, source: string): { checkpoints: Checkpoint[]; regions: Region[] } {
  const checkpoints: Checkpoint[] = [];
  const regions: Region[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      throw userError(`${source}:${i + 1}: workload output is not a JSON line: ${line.slice(0, 60)}`);
    }
    const o = v as Record<string, unknown>;
    if (typeof o.label === 'string') checkpoints.push(o as unknown as Checkpoint);
    else if (typeof o.region === 'string') regions.push(o as unknown as Region);
    else throw userError(`${source}:${i + 1}: JSON line has neither "label" nor "region"`);
  });
  return { checkpoints, regions };
}

/** One key per line, and one checkpoint or region per line, so diffs between recordings stay readable. */
export function formatTruth(t: Truth): string {
  const lines = Object.entries(t).map(([k, v]) => {
    const body = Array.isArray(v) && v.some((x) => typeof x === 'object')
      ? `[\n${v.map((x) => `  ${JSON.stringify(x)}`).join(',\n')}\n ]`
      : JSON.stringify(v);
    return ` ${JSON.stringify(k)}: ${body}`;
  });
  return `{\n${lines.join(',\n')}\n}\n`;
}
