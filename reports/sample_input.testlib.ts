// A hand-built report input (two variants, a forking server) for tests and for trying the page without a trace.
import type { FaultPath, FaultRecord, ForkRecord, ProcessResult, ReplayResult, SeriesPoint, VariantResult, VariantSpec } from '../model/types.js';
import { createReportCollector } from './aggregate.js';
import type { ReportInput } from './types.js';

const T0 = 5_000_000_000; // trace clock at the first event, ns
/** cow-pte: faults per worker that copy a shared PTE table, and the modelled cost each adds. */
export const TABLE_BREAKS = 2;
export const TABLE_COPY_NS = 2000;

function spec(name: string, patches: string[]): VariantSpec {
  return { name, patches, thp: 'madvise', useZeroPage: true, kernel: '6.18', select: '', patchOptions: {} };
}

function proc(pid: number, comm: string, anon: number, file: number, pgt: number, faults: Record<string, number>, forks: number): ProcessResult {
  return {
    pid, comm, mm_id: pid * 16,
    rss_anon_peak_kb: anon, rss_anon_final_kb: anon - 8, rss_file_peak_kb: file, rss_file_final_kb: file,
    rss_shmem_peak_kb: 0, rss_shmem_final_kb: 0, pgtables_peak_kb: pgt, pgtables_final_kb: pgt,
    faults, minflt: Object.values(faults).reduce((a, b) => a + b, 0), forks, exits: 1,
    latency_ns: {}, inferred_vmas: 0,
  };
}

function series(start: number, n: number, anonStep: number, file: number, pgt: number): SeriesPoint[] {
  const out: SeriesPoint[] = [];
  for (let i = 0; i < n; i++) out.push({ t: T0 + start + i * 10_000_000, rss_anon_kb: anonStep * (i + 1), rss_file_kb: file, pgtables_kb: pgt + 4 * Math.floor(i / 4) });
  return out;
}

function variant(name: string, patches: string[], pgtChild: number, cowCopy: number, forkNs: number): VariantResult {
  const server = proc(100, 'server', 400, 1200, 48, { anon_alloc: 90, file_read: 30, wp_page_copy: 10 }, 3);
  // Only the patch has a cow_pte_break path: the tables must show a 0 for mainline there.
  const workerFaults = (): Record<string, number> => (patches.includes('cow-pte') ? { wp_page_copy: cowCopy, anon_alloc: 6, cow_pte_break: 2 } : { wp_page_copy: cowCopy, anon_alloc: 6 });
  const workers = [101, 102, 103].map((pid) => proc(pid, 'worker', 64, 1200, pgtChild, workerFaults(), 0));
  const procs = [server, ...workers];
  const faults: Record<string, number> = {};
  for (const p of procs) for (const [k, n] of Object.entries(p.faults)) faults[k] = (faults[k] ?? 0) + n;
  const s: Record<string, SeriesPoint[]> = { '100': series(0, 40, 10, 1200, 32) };
  for (const [i, w] of workers.entries()) s[String(w.pid)] = series(100_000_000 + i * 50_000_000, 8, 8, 1200, pgtChild - 12);
  const marks: VariantResult['marks'] = [];
  for (const [i, w] of workers.entries()) {
    marks.push({ t: T0 + 100_000_000 + i * 50_000_000, pid: w.pid, kind: 'fork', comm: 'server' });
    marks.push({ t: T0 + 100_000_000 + i * 50_000_000 + 1_000_000, pid: w.pid, kind: 'exec', comm: 'worker' });
    marks.push({ t: T0 + 190_000_000 + i * 50_000_000, pid: w.pid, kind: 'exit', comm: 'worker' });
  }
  const lat = (count: number, p50: number, p99: number) => ({ count, total_ns: count * p50, p50_ns: p50, p90_ns: p99, p99_ns: p99 });
  const latency_ns: VariantResult['latency_ns'] = {
    anon_alloc: lat(faults.anon_alloc, 1000, 4000),
    wp_page_copy: lat(faults.wp_page_copy, 1500, 6000),
    file_read: lat(faults.file_read, 800, 2000),
  };
  return {
    name, spec: spec(name, patches), processes: procs,
    totals: {
      faults,
      rss_anon_peak_kb: 400 + 3 * 64,
      pgtables_peak_kb: 48 + 3 * pgtChild,
      // the server and its three workers at once; the workers have exited at the end
      system_pgtables_peak_kb: 48 + 3 * pgtChild,
      system_pgtables_final_kb: 48,
      // cow-pte: plus the table copies its workers' first writes pay (see the probe loop below)
      fault_latency_ns: Object.values(latency_ns).reduce((a, l) => a + l.total_ns, 0) + (patches.includes('cow-pte') ? workers.length * TABLE_BREAKS * TABLE_COPY_NS : 0),
      fork_latency_ns: 3 * forkNs,
      forks: 3,
    },
    latency_ns, series: s, marks, inferred_faults: 0,
  };
}

/** Two variants (mainline, cow-pte) of a server that forks three workers; `comm` renames the server. */
export function sampleInput(opts: { serverComm?: string; variantName?: string } = {}): ReportInput {
  const mainline = variant('mainline', [], 24, 12, 90_000);
  const cow = variant(opts.variantName ?? 'cow-pte', ['cow-pte'], 12, 12, 30_000);
  if (opts.serverComm !== undefined) {
    for (const v of [mainline, cow]) {
      v.processes[0].comm = opts.serverComm;
      for (const m of v.marks) if (m.kind === 'fork') m.comm = opts.serverComm;
    }
  }
  const replay: ReplayResult = { trace: 'sample.trace', format: 'perf-script', lost_events: 0, skipped_lines: 2, span_ns: 400_000_000, variants: [mainline, cow] };
  const col = createReportCollector();
  const rec: FaultRecord = { variant: '', time: 0, cpu: 0, pid: 0, tid: 0, comm: '', address: 0, errorCode: 6, path: 'anon_alloc', vmaStart: 0, vmaEnd: 0, vmaFlags: 3, pagesAllocated: 1, tablesAllocated: 0, latencyNs: 0, inferred: false };
  // As the replay does: every variant's fault for one trace event, baseline first, before the next event's.
  for (const [pi, p0] of mainline.processes.entries()) {
    const paths = [...new Set(replay.variants.flatMap((v) => Object.keys(v.processes[pi].faults)))];
    let i = 0;
    for (const path of paths) {
      const most = Math.max(...replay.variants.map((v) => v.processes[pi].faults[path] ?? 0));
      for (let k = 0; k < most; k++, i++) {
        for (const v of replay.variants) {
          const p = v.processes[pi];
          if (k >= (p.faults[path] ?? 0)) continue;
          rec.variant = v.name; rec.pid = p.pid; rec.tid = p.pid; rec.comm = p.comm; rec.path = path as FaultPath; // sample paths (cow_pte_break) need not be the model's
          rec.time = T0 + (p0.pid - 100) * 50_000_000 + i * 2_000_000;
          rec.vmaStart = path === 'file_read' ? 0x7f0000000000 : 0x555500000000;
          rec.vmaEnd = rec.vmaStart + 0x100000;
          rec.vmaFlags = path === 'file_read' ? 5 : 3;
          rec.address = rec.vmaStart + ((i * 0x1000 * 7) % 0x100000);
          rec.latencyNs = (v.latency_ns[path]?.p50_ns ?? 500) * (1 + (k % 5) / 2);
          // cow-pte: each worker's first TABLE_BREAKS COW writes copy the PTE table fork left shared
          rec.tablesCopied = v.spec.patches.includes('cow-pte') && p.pid !== 100 && path === 'wp_page_copy' && k < TABLE_BREAKS ? 1 : 0;
          rec.latencyNs += rec.tablesCopied * TABLE_COPY_NS;
          col.probes.fault!(rec);
        }
      }
    }
  }
  for (const v of replay.variants) {
    const f: ForkRecord = { variant: v.name, time: 0, pid: 100, comm: v.processes[0].comm, childPid: 0, ptesCopied: 0, tablesCopied: 0, tablesShared: 0, pmdsCopied: 0, latencyNs: 0 };
    for (let w = 0; w < 3; w++) {
      f.time = T0 + 100_000_000 + w * 50_000_000; f.childPid = 101 + w;
      const cowPte = v.spec.patches.includes('cow-pte');
      f.tablesCopied = cowPte ? 1 : 6; f.tablesShared = cowPte ? 5 : 0; f.ptesCopied = cowPte ? 40 : 420;
      f.latencyNs = v.totals.fork_latency_ns / 3;
      col.probes.fork!(f);
    }
  }
  const { faults, forks } = col.result();
  return {
    replay, faults, forks,
    validate: { rss_stat_events: 1000, compared: 980, matched: 975, match_ratio: 975 / 980, by_member: { MM_ANONPAGES: { compared: 600, matched: 598 }, MM_FILEPAGES: { compared: 380, matched: 377 }, MM_SWAPENTS: { compared: 0, matched: 0 } } },
    provenance: { command: 'faultline report sample.trace --patch cow-pte -o report.html', version: '0.1.0', trace: 'sample.trace', kernelRules: '6.18', costProfile: 'none (latencies hand-set)' },
  };
}
