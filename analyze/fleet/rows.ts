// Table rows from one trace's info + replay + validate results: one builder per fleet table (schema.ts).
import type { TraceInfo } from '../../traces/info.js';
import type { ReplayResult } from '../../model/types.js';
import { faultsTaken } from '../../model/fault_paths.js';
import type { ProcessFigures, ValidateResult } from '../../model/validate.js';
import { SCHEMA_VERSION, TABLE_NAMES, type FleetTable, type Row } from './schema.js';

/** What a batch applied to every trace (the same for the whole output directory). */
export interface BatchSettings {
  kernel: string;
  machineThp: string;
  machineZeroPage: boolean;
  /** Variant names, mainline first. */
  variants: string[];
  /** The --profile asked for ('trace': fitted per trace, the default). */
  profile: string;
  faultlineVersion: string;
}

interface TraceId {
  file: string;
  hash: string;
  bytes: number;
}

/** A trace that went through info, replay and validate. */
export interface TraceDone extends TraceId {
  status: 'ok';
  info: TraceInfo;
  cpus: number;
  /** The profile that priced this trace: fitted to it, or the base one where it times nothing ('none': no profile). */
  profile: string;
  replay: ReplayResult;
  validate: ValidateResult;
  /** Validation tallies per process (createValidator's byProcess). */
  validateByProcess: ReadonlyMap<number, ProcessFigures>;
}

/** A trace that could not be used: one row in `traces` with its reason. */
export interface TraceFailed extends TraceId {
  status: 'failed';
  error: string;
}

export type TraceOutcome = TraceDone | TraceFailed;

export type FleetRows = Record<FleetTable, Row[]>;

const bytesOfKb = (kb: number): bigint => BigInt(Math.round(kb * 1024));
const int64 = (n: number): bigint => BigInt(Math.round(n));

export function traceRow(t: TraceOutcome, s: BatchSettings): Row {
  const settings: Row = {
    kernel: s.kernel,
    machine_thp: s.machineThp,
    machine_zero_page: s.machineZeroPage,
    variants: s.variants.join(','),
    profile: s.profile,
    faultline_version: s.faultlineVersion,
    schema_version: SCHEMA_VERSION,
  };
  const base: Row = { trace_hash: t.hash, file: t.file, bytes: BigInt(t.bytes) };
  if (t.status === 'failed') {
    const none = { format: null, lines: null, events: null, first_ns: null, span_ns: null, lost_events: null, skipped_lines: null, processes: null, threads: null, cpus: null, rss_stat_events: null };
    return { ...base, status: 'failed', error: t.error, ...none, ...settings };
  }
  const i = t.info;
  return {
    ...base,
    status: 'ok',
    error: null,
    format: i.format,
    lines: BigInt(i.lines),
    events: BigInt(i.totalEvents),
    first_ns: int64(i.firstNs),
    span_ns: int64(i.spanNs),
    lost_events: BigInt(i.lostEvents),
    skipped_lines: BigInt(i.skippedLines),
    processes: i.processes,
    threads: i.threads,
    cpus: t.cpus,
    rss_stat_events: BigInt(t.validate.rss_stat_events),
    ...settings,
    profile: t.profile,
  };
}

export function processRows(t: TraceDone): Row[] {
  const rows: Row[] = [];
  t.replay.variants.forEach((v, vi) => {
    for (const p of v.processes) {
      let faultNs = 0;
      for (const [path, l] of Object.entries(p.latency_ns)) if (path !== 'fork') faultNs += l.total_ns;
      // validation replays mainline under the machine's settings: its agreement belongs to the first variant only
      const val = vi === 0 ? t.validateByProcess.get(p.pid) : undefined;
      rows.push({
        trace_hash: t.hash,
        variant: v.name,
        pid: p.pid,
        comm: p.comm,
        mm_id: p.mm_id === null ? null : BigInt(p.mm_id),
        rss_anon_peak_bytes: bytesOfKb(p.rss_anon_peak_kb),
        rss_anon_final_bytes: bytesOfKb(p.rss_anon_final_kb),
        rss_file_peak_bytes: bytesOfKb(p.rss_file_peak_kb),
        rss_file_final_bytes: bytesOfKb(p.rss_file_final_kb),
        rss_shmem_peak_bytes: bytesOfKb(p.rss_shmem_peak_kb),
        rss_shmem_final_bytes: bytesOfKb(p.rss_shmem_final_kb),
        pgtables_peak_bytes: bytesOfKb(p.pgtables_peak_kb),
        pgtables_final_bytes: bytesOfKb(p.pgtables_final_kb),
        minflt: BigInt(p.minflt),
        faults: BigInt(faultsTaken(p.faults)),
        faults_by_path: JSON.stringify(Object.fromEntries(Object.entries(p.faults).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))),
        forks: p.forks,
        exits: p.exits,
        fault_time_ns: int64(faultNs),
        fork_time_ns: int64(p.latency_ns.fork?.total_ns ?? 0),
        inferred_vmas: p.inferred_vmas,
        validation_compared: val ? BigInt(val.compared) : null,
        validation_matched: val ? BigInt(val.matched) : null,
        validation_divergences: val ? BigInt(val.divergences) : null,
      });
    }
  });
  return rows;
}

export function faultPathRows(t: TraceDone): Row[] {
  const rows: Row[] = [];
  for (const v of t.replay.variants)
    for (const p of v.processes)
      for (const path of Object.keys(p.faults).sort()) {
        const l = p.latency_ns[path];
        rows.push({
          trace_hash: t.hash,
          variant: v.name,
          pid: p.pid,
          comm: p.comm,
          path,
          count: BigInt(p.faults[path]!),
          time_ns: int64(l?.total_ns ?? 0),
          p50_ns: l ? int64(l.p50_ns) : null,
          p90_ns: l ? int64(l.p90_ns) : null,
          p99_ns: l ? int64(l.p99_ns) : null,
        });
      }
  return rows;
}

export function validationRows(t: TraceDone): Row[] {
  const rows: Row[] = [];
  for (const [member, m] of Object.entries(t.validate.by_member)) {
    if (m.compared === 0) continue;
    rows.push({
      trace_hash: t.hash,
      member,
      compared: BigInt(m.compared),
      matched: BigInt(m.matched),
      divergences: BigInt(m.divergences),
      hinted: BigInt(m.hinted),
      hinted_matched: BigInt(m.hinted_matched),
    });
  }
  return rows;
}

/** Every table's rows for one trace (a failed trace has its traces row only). */
export function buildRows(t: TraceOutcome, s: BatchSettings): FleetRows {
  const out = Object.fromEntries(TABLE_NAMES.map((n) => [n, [] as Row[]])) as FleetRows;
  out.traces.push(traceRow(t, s));
  if (t.status === 'ok') {
    out.processes = processRows(t);
    out.fault_paths = faultPathRows(t);
    out.validation = validationRows(t);
  }
  return out;
}
