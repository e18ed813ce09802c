// The counted-warnings catalogue: every skipped line, loss and read-time remark is counted under one name here
// (Perfetto trace_processor's `stats` table: src/trace_processor/storage/stats.h, name + severity + source + description).

/** info: worth knowing, nothing missing; data_loss: the trace itself lacks data; error: faultline could not read data that is there. */
export type StatSeverity = 'info' | 'data_loss' | 'error';

/** trace: the recording says so (a ring-buffer loss); analysis: faultline found it while reading. */
export type StatSource = 'trace' | 'analysis';

export interface StatDef {
  readonly severity: StatSeverity;
  readonly source: StatSource;
  readonly description: string;
}

export const STATS = {
  line_not_event: {
    severity: 'error',
    source: 'analysis',
    description: 'A line in no shape the reader knows (not an event, header or loss marker of the format): skipped.',
  },
  event_fields_unreadable: {
    severity: 'error',
    source: 'analysis',
    description: 'An event faultline types (page fault, rss_stat, fork/exec/exit, newtask, mm syscall) whose fields could not be read: skipped, not guessed.',
  },
  reader_exception: {
    severity: 'error',
    source: 'analysis',
    description: 'The reader failed on a line (a faultline bug: please report the line): skipped.',
  },
  last_line_unterminated: {
    severity: 'data_loss',
    source: 'trace',
    description: 'The file ends without a newline (cut off?): its last line was read as it is.',
  },
  merge_out_of_order: {
    severity: 'error',
    source: 'analysis',
    description: 'Events arrived later than the per-CPU merge window allows and were passed on out of time order.',
  },
  ring_buffer_lost: {
    severity: 'data_loss',
    source: 'trace',
    description: 'Events the ring buffer dropped ([LOST n EVENTS], [n EVENTS DROPPED], entries-written > entries-in-buffer, perf script --show-lost-events PERF_RECORD_LOST lost n); a marker without a count counts 1.',
  },
  perfetto_packet_unreadable: {
    severity: 'error',
    source: 'analysis',
    description: 'A Perfetto trace packet, or one ftrace event in it, that did not decode (damaged bytes, a field past its message): skipped.',
  },
  perfetto_packet_cut: {
    severity: 'data_loss',
    source: 'trace',
    description: 'The Perfetto trace ends inside a packet (file cut off?): that packet was not read.',
  },
  perfetto_unknown_packet_field: {
    severity: 'info',
    source: 'analysis',
    description: 'TracePacket fields faultline does not read (track events, process stats, ...): skipped, counted per field.',
  },
  perfetto_unknown_ftrace_event: {
    severity: 'info',
    source: 'analysis',
    description: 'Ftrace events of a typed kind faultline has no definition for (FtraceEvent field numbers in the warning): skipped.',
  },
  perfetto_zstd_packets: {
    severity: 'error',
    source: 'analysis',
    description: 'zstd_compressed_packets faultline cannot decompress: the events inside are missing (`traceconv decompress_packets` first).',
  },
  message_continuation_line: {
    severity: 'info',
    source: 'analysis',
    description: 'A line continuing the text of a message event (trace_printk/trace_marker text holding a newline): not an event, not skipped.',
  },
  thread_tgid_unknown: {
    severity: 'info',
    source: 'analysis',
    description: 'Threads whose process (TGID) the trace never names (no TGID column, pid/tid, atrace marker or newtask): each is counted as its own process.',
  },
  syscall_args_bare_hex: {
    severity: 'info',
    source: 'analysis',
    description: 'Syscall lines whose arguments tracefs printed in hex without 0x (kernel/trace/trace_syscalls.c: print_syscall_enter `%s: %lx`, 6.12 and older; newer kernels print 0x): read as hex, as the kernel printed them.',
  },
  fault_sample_no_address: {
    severity: 'data_loss',
    source: 'trace',
    description: 'perf page-fault samples without a data address (perf record -e page-faults without -d): kept as events with their call stack for query, but the model cannot replay a fault without its address; record with -d.',
  },
  clock_sync_at_zero: {
    severity: 'info',
    source: 'analysis',
    description: "systrace clock-sync markers (trace_event_clock_sync) stamped at time 0: counted as events but left out of the time span, which they would stretch back to the clock's origin.",
  },
  rss_stat_negative: {
    severity: 'info',
    source: 'trace',
    description: 'rss_stat events with a negative size: kernels before 6.2 keep per-task RSS deltas (SPLIT_RSS_COUNTING) and fold them into the mm counter every 64 events and at exit (sync_mm_rss), so the shared counter can dip below zero; compare such counters within that drift.',
  },
  rss_stat_member_beyond_shmem: {
    severity: 'info',
    source: 'trace',
    description: 'rss_stat events for a counter past MM_SHMEMPAGES (member 4 and up: Android kernels add counters to NR_MM_COUNTERS): read and kept, but the model has no such counter.',
  },
} as const satisfies Record<string, StatDef>;

/** Closed: a reader can only count what the catalogue names. */
export type StatName = keyof typeof STATS;

export const STAT_NAMES = Object.keys(STATS) as StatName[];

/** Counts per stat name (absent: zero). */
export type StatCounts = Partial<Record<StatName, number>>;

/** One row of the stats table, as `info --json` prints it. */
export interface StatRow {
  name: StatName;
  severity: StatSeverity;
  source: StatSource;
  value: number;
  description: string;
}

/** The non-zero stats in catalogue order. */
export function statRows(counts: StatCounts): StatRow[] {
  const rows: StatRow[] = [];
  for (const name of STAT_NAMES) {
    const value = counts[name] ?? 0;
    if (value > 0) rows.push({ name, severity: STATS[name].severity, source: STATS[name].source, value, description: STATS[name].description });
  }
  return rows;
}
