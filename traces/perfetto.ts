// Perfetto protobuf traces (.perfetto-trace / .pftrace, plain or .gz): the reader that wires the parts, streamed packet
// by packet into the same TraceEvents the text readers emit. The parts, split as trace_processor splits them:
//   perfetto_tokenizer.ts  bytes → TracePackets (and the sniff)
//   perfetto_packet.ts     TracePacket → its fields dispatched; bundles' events merged across CPUs; counts
//   perfetto_ftrace.ts     FtraceEvent → TraceEvent (typed protos and GenericFtraceEvent)
//   perfetto_compact_sched.ts  CompactSched columns → sched_switch / sched_waking
//   perfetto_tasks.ts      thread → process and comm (ProcessTree, descriptors, task events)
//   perfetto_wire.ts       varints and 64-bit values; perfetto_proto.ts: field numbers, each cited to its .proto
//   perfetto_system_info.ts  SystemInfo (page size, utsname), read from the first packets before a replay
// What a Perfetto trace does not say, and what the reader does instead:
// - FtraceEvent.pid is the thread id; the process (tgid) and comm come from ProcessTree / descriptors, from
//   task_newtask (CLONE_THREAD joins the creator's group: kernel/fork.c copy_process), sched_process_fork and
//   exec (comm = basename of the file: fs/exec.c begin_new_exec); otherwise pid -1 and comm '<...>' as ftrace prints.
// - An event's `line` is its 1-based ordinal in the file (unique, as a text line number is); a skipped packet's
//   example names the packet's number.
import type { EventSink, ReadOptions, ReadResult } from './events.js';
import type { FileReader } from './reader.js';
import type { MergeOptions } from './merge.js';
import { isPerfettoTrace } from './perfetto_tokenizer.js';

export { isPerfettoTrace } from './perfetto_tokenizer.js';

/** Read the whole trace, pushing events to `sink` in time order (per-CPU bundles merged); the decoder is imported on first use. */
export async function readPerfetto(path: string, sink: EventSink, opts: ReadOptions & { merge?: MergeOptions } = {}): Promise<ReadResult> {
  return (await import('./perfetto_read.js')).readPerfetto(path, sink, opts);
}

export const perfettoReader: FileReader<'perfetto'> = {
  name: 'perfetto',
  title: 'Perfetto protobuf',
  sniff: { bytes: isPerfettoTrace },
  read: readPerfetto,
};
