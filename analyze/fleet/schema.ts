// The fleet tables' schema: every table, column, Parquet type and meaning, in one closed catalogue (docs/fleet.md is
// generated from it and checked by a test, so the documented schema and the written files cannot drift apart).

/** The tables `faultline batch` writes, one Parquet file per trace and table. */
export type FleetTable = 'traces' | 'processes' | 'fault_paths' | 'validation';

/** Parquet physical types used (INT64 for every ns, byte and event count: no 2^31 overflow, no float rounding). */
export type ColumnType = 'INT64' | 'INT32' | 'DOUBLE' | 'STRING' | 'BOOLEAN';

export interface ColumnDef {
  name: string;
  type: ColumnType;
  /** Null allowed (e.g. a failed trace has no format; a path without a cost profile has no percentiles). */
  nullable: boolean;
  doc: string;
}

export interface TableDef {
  name: FleetTable;
  /** One row per ... */
  grain: string;
  /** Hive partition keys in the path after table=NAME (the value is also a column of the file). */
  partitions: readonly ('variant')[];
  columns: readonly ColumnDef[];
}

/** Bumped when a column changes meaning or type (added columns keep the version: readers select by name). */
export const SCHEMA_VERSION = 1;

const c = (name: string, type: ColumnType, doc: string, nullable = false): ColumnDef => ({ name, type, nullable, doc });
const HASH = c('trace_hash', 'STRING', 'first 16 hex digits of the SHA-256 of the input file as stored (compressed bytes for .gz): the join key, and the part file name');
const VARIANT = c('variant', 'STRING', "variant name as in `faultline replay`: 'mainline', 'cow-pte', 'thp=never', 'refpage+thp=always', ...");

export const TABLES: Record<FleetTable, TableDef> = {
  traces: {
    name: 'traces',
    grain: 'input trace (failed ones too)',
    partitions: [],
    columns: [
      HASH,
      c('file', 'STRING', 'input path as given to faultline batch'),
      c('status', 'STRING', "'ok', or 'failed' (then only error, bytes and the settings are set)"),
      c('error', 'STRING', 'one-line reason the trace failed (file and line where known)', true),
      c('bytes', 'INT64', 'size of the input file as stored'),
      c('format', 'STRING', "detected format: 'perf-script', 'ftrace', 'trace-cmd', 'systrace'", true),
      c('lines', 'INT64', 'text lines read (decompressed)', true),
      c('events', 'INT64', 'events parsed (lost markers excluded)', true),
      c('first_ns', 'INT64', 'timestamp of the first event, ns (the trace clock)', true),
      c('span_ns', 'INT64', 'last minus first event timestamp, ns', true),
      c('lost_events', 'INT64', 'events the ring buffer lost (a trace with losses fails unless --allow-lost)', true),
      c('skipped_lines', 'INT64', 'lines no reader could parse', true),
      c('processes', 'INT32', 'thread groups seen in the trace (faultline info)', true),
      c('threads', 'INT32', 'threads seen in the trace (faultline info)', true),
      c('cpus', 'INT32', 'distinct CPUs the events came from (detected from the trace)', true),
      c('rss_stat_events', 'INT64', 'kmem:rss_stat events (what validation compares against)', true),
      c('kernel', 'STRING', 'kernel rules applied (--kernel)'),
      c('machine_thp', 'STRING', "the traced machines' THP policy given to validation (--machine-thp), or 'detected': each trace's own, from its faults' rss_stat"),
      c('machine_zero_page', 'BOOLEAN', 'whether the traced machine had a zero page (false with --machine-no-zero-page)'),
      c('variants', 'STRING', 'comma-separated variants replayed, mainline first'),
      c('profile', 'STRING', "cost profile that priced the trace: 'trace-fitted (base NAME)' (the default, fitted to its own timing), NAME where it times nothing or one was named, 'none'; a failed trace: the --profile asked for ('trace')"),
      c('faultline_version', 'STRING', 'faultline package version that wrote the row'),
      c('schema_version', 'INT32', 'this schema version (analyze/fleet/schema.ts SCHEMA_VERSION)'),
    ],
  },
  processes: {
    name: 'processes',
    grain: 'trace x variant x process (thread group), as `faultline replay` lists them',
    partitions: ['variant'],
    columns: [
      HASH,
      VARIANT,
      c('pid', 'INT32', 'thread group id'),
      c('comm', 'STRING', 'command name (last seen)'),
      c('mm_id', 'INT64', "the kernel's mm_id from rss_stat, when the trace has one for this process", true),
      c('rss_anon_peak_bytes', 'INT64', 'peak RssAnon, bytes'),
      c('rss_anon_final_bytes', 'INT64', 'RssAnon just before exit or at trace end, bytes'),
      c('rss_file_peak_bytes', 'INT64', 'peak RssFile, bytes'),
      c('rss_file_final_bytes', 'INT64', 'final RssFile, bytes'),
      c('rss_shmem_peak_bytes', 'INT64', 'peak RssShmem, bytes'),
      c('rss_shmem_final_bytes', 'INT64', 'final RssShmem, bytes'),
      c('pgtables_peak_bytes', 'INT64', 'peak page-table memory (VmPTE + VmPMD), bytes'),
      c('pgtables_final_bytes', 'INT64', 'final page-table memory, bytes'),
      c('minflt', 'INT64', 'minor faults as the kernel would count them (getrusage)'),
      c('faults', 'INT64', "page-fault traps this variant takes: every path but 'not_taken' and 'populate' (model/fault_paths.ts faultsTaken)"),
      c('faults_by_path', 'STRING', 'JSON object path -> count (the fault_paths table has one row per path)'),
      c('forks', 'INT32', 'forks by this process'),
      c('exits', 'INT32', 'exits of this process (0 or 1)'),
      c('fault_time_ns', 'INT64', 'modelled time in page faults, ns (sum over paths; 0 without a profile)'),
      c('fork_time_ns', 'INT64', 'modelled time in fork, ns'),
      c('inferred_vmas', 'INT32', 'VMAs inferred from faults (the process predates the trace)'),
      c('validation_compared', 'INT64', "rss_stat events of this process's mms compared with the model (validate: mainline under the machine settings); null on other variants", true),
      c('validation_matched', 'INT64', 'of those, events where the model agreed', true),
      c('validation_divergences', 'INT64', 'runs of disagreement: each starts at a mismatch and ends at the next match (validate --json divergences)', true),
    ],
  },
  fault_paths: {
    name: 'fault_paths',
    grain: 'trace x variant x process x fault path',
    partitions: ['variant'],
    columns: [
      HASH,
      VARIANT,
      c('pid', 'INT32', 'thread group id'),
      c('comm', 'STRING', 'command name'),
      c('path', 'STRING', "kernel path that handled the fault: 'anon_alloc', 'wp_page_copy', 'cow_pte_break', ... (faultline patches)"),
      c('count', 'INT64', 'faults on this path'),
      c('time_ns', 'INT64', 'modelled time on this path, ns (0 without a profile)'),
      c('p50_ns', 'INT64', 'modelled latency median, ns', true),
      c('p90_ns', 'INT64', 'modelled latency 90th percentile, ns', true),
      c('p99_ns', 'INT64', 'modelled latency 99th percentile, ns', true),
    ],
  },
  validation: {
    name: 'validation',
    grain: 'trace x rss counter (member) that had events compared',
    partitions: [],
    columns: [
      HASH,
      c('member', 'STRING', "rss_stat member: 'MM_FILEPAGES', 'MM_ANONPAGES', 'MM_SWAPENTS', 'MM_SHMEMPAGES'"),
      c('compared', 'INT64', 'rss_stat events compared with the model'),
      c('matched', 'INT64', 'events where the model held the same value'),
      c('divergences', 'INT64', 'runs of mismatches (one wrong page is one divergence, not every later event)'),
      c('hinted', 'INT64', "compared events the replay had read as a fault's hint (told by the trace, not predicted)"),
      c('hinted_matched', 'INT64', 'of those, events where the model agreed'),
    ],
  },
};

export const TABLE_NAMES: readonly FleetTable[] = ['traces', 'processes', 'fault_paths', 'validation'];

/** A row: column name -> value (number for INT32/DOUBLE, bigint or number for INT64, null where nullable). */
export type Row = Record<string, string | number | bigint | boolean | null>;

/** The schema as Markdown tables (docs/fleet.md embeds exactly this). */
export function schemaMarkdown(): string {
  const out: string[] = [];
  for (const t of TABLE_NAMES) {
    const d = TABLES[t];
    const part = d.partitions.length ? `, partitioned by ${d.partitions.join(', ')}` : '';
    out.push(`### ${t}`, '', `One row per ${d.grain}${part}: \`table=${t}/${d.partitions.map((p) => `${p}=V/`).join('')}part-<trace_hash>.parquet\`.`, '');
    out.push('| column | type | null | meaning |', '|---|---|---|---|');
    for (const col of d.columns) out.push(`| ${col.name} | ${col.type} | ${col.nullable ? 'yes' : ''} | ${col.doc.replace(/\|/g, '\\|')} |`);
    out.push('');
  }
  return out.join('\n');
}
