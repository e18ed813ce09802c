// Text written by faultline's bpftrace recorder (record/bpftrace/faultline.bt): a `# faultline bpftrace 1` header,
// then NSECS<TAB>CPU<TAB>PID<TAB>TID<TAB>COMM<TAB>EVENT<TAB>FIELDS per event, the fields in the tracepoints' own
// names (so decode.ts reads them as it reads ftrace's), and bpftrace's own `Attaching N probes...` / `Lost N events`.
import type { LineFn } from './lines.js';
import { decodeEvent, eventCode, type LineCtx } from './decode.js';
import { charIn, lastCharIn, longAt, scanEnd } from './fields.js';
import type { LineReader } from './reader.js';

export const BPFTRACE_HEADER = '# faultline bpftrace 1';

export function createBpftraceParser(ctx: LineCtx): { line: LineFn } {
  const cols: number[] = [0, 0, 0, 0, 0, 0];

  function line(s: string, start: number, end: number, lineNo: number): void {
    if (start === end || s.charCodeAt(start) === 35) return; // blank, or the header
    if (s.startsWith('Attaching ', start)) return; // bpftrace's own first line
    if (s.startsWith('Lost ', start)) {
      // bpftrace prints `Lost N events` when its perf ring buffer overflowed (src/output.cpp: lost_events)
      const n = longAt(s, start + 5, end);
      ctx.lost(n === n && s.startsWith(' events', scanEnd) ? n : -1, -1, lineNo);
      return;
    }
    let p = start;
    for (let k = 0; k < 6; k++) {
      const t = charIn(s, 9, p, end);
      if (t < 0) {
        ctx.skip(lineNo, 'line_not_event', 'not a faultline bpftrace line (expected 7 tab-separated columns)');
        return;
      }
      cols[k] = t;
      p = t + 1;
    }
    const time = longAt(s, start, cols[0]);
    const cpu = longAt(s, cols[0] + 1, cols[1]);
    const pid = longAt(s, cols[1] + 1, cols[2]);
    const tid = longAt(s, cols[2] + 1, cols[3]);
    if (time !== time || cpu !== cpu || pid !== pid || tid !== tid || time < 0) {
      ctx.skip(lineNo, 'line_not_event', 'bad NSECS/CPU/PID/TID column');
      return;
    }
    const comm = s.slice(cols[3] + 1, cols[4]);
    // a multi-probe block prints the probe (`tracepoint:syscalls:sys_exit_mmap`): the event is after the last ':',
    // its subsystem between the two (kept, so `tracepoint:block:*` matches events the reader cannot name a system for)
    const colon = lastCharIn(s, 58, cols[4] + 1, cols[5] - 1);
    const name = s.slice(colon >= 0 ? colon + 1 : cols[4] + 1, cols[5]);
    const first = colon >= 0 ? charIn(s, 58, cols[4] + 1, colon) : -1;
    const system = first >= 0 && first < colon ? s.slice(first + 1, colon) : '';
    const e = decodeEvent(eventCode(name), system, name, s, cols[5] + 1, end, time, cpu, pid, tid, comm, lineNo);
    if (typeof e === 'string') ctx.skip(lineNo, 'event_fields_unreadable', e);
    else ctx.push(e);
  }

  return { line };
}

export const bpftraceReader: LineReader<'bpftrace'> = {
  name: 'bpftrace',
  title: 'faultline bpftrace text',
  lastLineNeedsNewline: true,
  // bpftrace drains one CPU's perf buffer at a time and the text does not say how many CPUs there are: a CPU's batch
  // can trail the others' (3824 events past the default merge on a 2.3 s system-wide recording here), so hold 2 s
  merge: { windowNs: 2_000_000_000, windowOnly: true },
  sniff: { marker: (head) => head.startsWith(BPFTRACE_HEADER) || head.includes('\n' + BPFTRACE_HEADER + '\n') },
  create: (ctx) => createBpftraceParser(ctx),
};
