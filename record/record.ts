// The recorder: run a command under perf or a private ftrace instance with the events faultline needs, and write
// the text trace (gzipped when the file ends in .gz). One file per backend (perf.ts, ftrace.ts).
// Both use CLOCK_MONOTONIC, so a workload's clock_gettime(CLOCK_MONOTONIC) checkpoints line up with trace times.
import { recordFtrace } from './ftrace.js';
import { defaultHost, type RecordOptions, type RecordResult } from './options.js';
import { recordPerf } from './perf.js';
import { checkPrerequisites } from './prerequisites.js';

/** Records one command; resolves when the trace file is complete. */
export async function record(opts: RecordOptions): Promise<RecordResult> {
  const host = opts.host ?? defaultHost();
  const { events, skipped, perf, command } = checkPrerequisites(opts, host);
  const log = opts.log ?? (() => {});
  if (skipped.length) log(`warning: ${skipped.length} event(s) not available on this kernel, skipped: ${skipped.join(', ')}`);
  // Run the command by the path we checked, so PATH lookups cannot differ between the check and the exec.
  const resolved = { ...opts, command };
  return opts.backend === 'perf'
    ? recordPerf(resolved, host, perf!, events, skipped, log)
    : recordFtrace(resolved, host, events, skipped, log);
}
