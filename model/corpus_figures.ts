// Figures of one user-style corpus recording (traces/fixtures/corpus/<name>/): validate's rss_stat agreement, and the
// model against the recording's ground truth (/proc checkpoints of our workloads, /usr/bin/time -v of real programs).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readTrace } from '../traces/read.js';
import type { TraceEvent } from '../traces/events.js';
import { createReplay, defaultVariant } from './replay.js';
import { createValidator, type ValidateResult } from './validate.js';
import type { RssRecord, VariantSpec } from './types.js';

/** What record.sh writes as meta.json (only the fields read here). */
export interface CorpusMeta {
  name: string;
  method: 'perf' | 'perf_mono' | 'perf_a' | 'ftrace_sw' | 'tracecmd' | 'tracecmd_sw' | 'bpftrace';
  command: string[];
  events: string[];
  zero_page: boolean;
}

/** One checkpoint line of a workload (traces/workloads/fl_common.h: fl_checkpoint_x), the fields compared here. */
interface Checkpoint {
  label: string;
  t_mono_ns: number;
  pid: number;
  rss_anon_kb: number;
  vm_pte_kb: number;
}

export interface CheckpointFigure {
  label: string;
  pid: number;
  proc_rss_anon_kb: number;
  model_rss_anon_kb: number | null;
  proc_vm_pte_kb: number;
  model_vm_pte_kb: number | null;
}

export interface CorpusFigures {
  name: string;
  method: CorpusMeta['method'];
  rss_stat_events: number;
  compared: number;
  matched: number;
  anon_compared: number;
  anon_matched: number;
  /** compared / rss_stat_events */
  compared_ratio: number;
  match_ratio: number;
  anon_match_ratio: number;
  validate: ValidateResult;
  /** Workloads: the model at each checkpoint vs /proc (start and end left out: before/after the mm activity). */
  checkpoints: CheckpointFigure[];
  /** Largest |model - /proc| RssAnon over the checkpoints, as a fraction of /proc (null: no checkpoint figures). */
  worst_rss_anon_error: number | null;
  worst_vm_pte_error_kb: number | null;
  /** Real programs: /usr/bin/time -v "Maximum resident set size" and the model's largest per-process peak. */
  time_v_maxrss_kb: number | null;
  model_peak_rss_kb: number | null;
}

/** Methods that record every process on the machine, not only the command's tree. */
const SYSTEM_WIDE: ReadonlySet<CorpusMeta['method']> = new Set(['perf_a', 'ftrace_sw', 'tracecmd_sw', 'bpftrace']);

export function corpusDir(root: string): string {
  return join(root, 'traces', 'fixtures', 'corpus');
}

/** The variant a recording's machine calls for (its zero page as record.sh detected it). */
export function corpusVariant(meta: CorpusMeta, overrides?: Partial<VariantSpec>): VariantSpec {
  return defaultVariant({ useZeroPage: meta.zero_page, ...overrides });
}

const MARKER = /faultline_checkpoint: label=(\S+) pid=(\d+) t_mono_ns=(\d+)/;

/** Per pid timeline of (trace time, anon pages, page-table bytes), fed by the model's rss probe (MM_ANONPAGES and the -1 pgtables member). */
export function rssTimeline(): { tl: Map<number, { t: number[]; anon: number[]; pt: number[] }>; probe: (r: RssRecord) => void } {
  const tl = new Map<number, { t: number[]; anon: number[]; pt: number[] }>();
  const cur = new Map<number, [number, number]>();
  const probe = (r: RssRecord): void => {
    if (r.member !== 1 && r.member !== -1) return;
    const c = cur.get(r.pid) ?? [0, 0];
    c[r.member === 1 ? 0 : 1] = r.value;
    cur.set(r.pid, c);
    let s = tl.get(r.pid);
    if (!s) tl.set(r.pid, (s = { t: [], anon: [], pt: [] }));
    s.t.push(r.time);
    s.anon.push(c[0]);
    s.pt.push(c[1]);
  };
  return { tl, probe };
}

/** Replays and validates one recording and compares it with its ground truth. */
export async function corpusFigures(dir: string, overrides?: Partial<VariantSpec>, blind = false): Promise<CorpusFigures> {
  const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as CorpusMeta;
  const spec = corpusVariant(meta, overrides);
  const { tl, probe } = rssTimeline();
  // checkpoint markers (ftrace, trace-cmd): the trace time of each (pid, label), for clocks other than CLOCK_MONOTONIC
  const markers = new Map<string, number>();
  const onMarker = (e: TraceEvent): void => {
    if (e.kind !== 'other') return;
    const f = e.fields;
    // tracefs splits the marker's key=value words into fields (trace-cmd keeps print's "%ps: " caller, tracing_mark_write,
    // in msg: kernel/trace/trace_entries.h FTRACE_ENTRY(print)); other readers may keep the message whole
    if (typeof f.msg === 'string' && /(?:^|\s)faultline_checkpoint:$/.test(f.msg) && typeof f.label === 'string') markers.set(`${String(f.pid)}/${f.label}`, e.time);
    else for (const v of Object.values(f)) {
      const m = typeof v === 'string' ? MARKER.exec(v) : null;
      if (m) markers.set(`${m[2]}/${m[1]}`, e.time);
    }
  };
  // time -v's maximum is over the processes time waited for: in a system-wide recording, only /usr/bin/time's tree
  // (its exec, then every fork from a member) is compared with it, not other users' processes
  const tree = new Set<number>();
  const onTree = (e: TraceEvent): void => {
    if (e.kind === 'exec' && e.filename === '/usr/bin/time') tree.add(e.execPid);
    else if (e.kind === 'fork' && tree.has(e.parentPid)) tree.add(e.childPid);
  };
  const rp = createReplay([spec], { rss: probe }, { blind });
  const v = createValidator(spec, null, null, { blind });
  const read = await readTrace(join(dir, 'trace.txt.gz'), (e) => {
    onMarker(e);
    onTree(e);
    rp.sink(e);
    v.sink(e);
  });
  const replay = rp.finish(read);
  const val = v.finish(read);

  const checkpoints: CheckpointFigure[] = [];
  const cpFile = join(dir, 'checkpoints.jsonl');
  if (existsSync(cpFile)) {
    // perf -k mono and bpftrace's nsecs (bpf_ktime_get_ns) are CLOCK_MONOTONIC, the checkpoints' clock
    const mono = meta.method === 'perf_mono' || meta.method === 'perf_a' || meta.method === 'bpftrace';
    for (const line of readFileSync(cpFile, 'utf8').split('\n')) {
      if (!line.includes('"label"')) continue;
      const c = JSON.parse(line) as Checkpoint;
      if (c.label === 'start' || c.label === 'end') continue;
      const at = mono ? c.t_mono_ns : markers.get(`${c.pid}/${c.label}`);
      const s = tl.get(c.pid);
      let i = s && at !== undefined ? s.t.length - 1 : -1;
      while (s && at !== undefined && i >= 0 && s.t[i]! > at) i--;
      const known = s !== undefined && at !== undefined;
      checkpoints.push({
        label: c.label, pid: c.pid,
        proc_rss_anon_kb: c.rss_anon_kb, model_rss_anon_kb: known ? (i >= 0 ? s.anon[i]! * 4 : 0) : null,
        proc_vm_pte_kb: c.vm_pte_kb, model_vm_pte_kb: known ? (i >= 0 ? s.pt[i]! / 1024 : 0) : null,
      });
    }
  }
  let worstAnon: number | null = null, worstPte: number | null = null;
  for (const c of checkpoints) {
    if (c.model_rss_anon_kb === null || c.model_vm_pte_kb === null) continue;
    const ea = Math.abs(c.model_rss_anon_kb - c.proc_rss_anon_kb) / Math.max(1, c.proc_rss_anon_kb);
    const ep = Math.abs(c.model_vm_pte_kb - c.proc_vm_pte_kb);
    worstAnon = Math.max(worstAnon ?? 0, ea);
    worstPte = Math.max(worstPte ?? 0, ep);
  }
  let maxrss: number | null = null, modelPeak: number | null = null;
  const tv = join(dir, 'time-v.txt');
  if (existsSync(tv)) {
    const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(readFileSync(tv, 'utf8'));
    maxrss = m ? Number(m[1]) : null;
    const wide = SYSTEM_WIDE.has(meta.method);
    const procs = replay.variants[0]!.processes.filter((p) => !wide || tree.has(p.pid));
    modelPeak = procs.length ? Math.max(0, ...procs.map((p) => p.rss_anon_peak_kb + p.rss_file_peak_kb + p.rss_shmem_peak_kb)) : null;
  }
  const anon = val.by_member.MM_ANONPAGES!;
  return {
    name: meta.name, method: meta.method,
    rss_stat_events: val.rss_stat_events, compared: val.compared, matched: val.matched,
    anon_compared: anon.compared, anon_matched: anon.matched,
    compared_ratio: val.rss_stat_events ? val.compared / val.rss_stat_events : 1,
    match_ratio: val.match_ratio, anon_match_ratio: anon.compared ? anon.matched / anon.compared : 1,
    validate: val, checkpoints, worst_rss_anon_error: worstAnon, worst_vm_pte_error_kb: worstPte,
    time_v_maxrss_kb: maxrss, model_peak_rss_kb: modelPeak,
  };
}
