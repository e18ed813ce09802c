// How kprobe/kretprobe events are named by perf (`probe:f`, `probe:f__return`) and ftrace (`p_f_0`, `r_f_0`,
// `f_ret`, the kprobes/kretprobes systems): which function an event probes, and whether it is the return.
import type { OtherEvent } from './events.js';

/** A kretprobe event's base name: perf `probe:f__return`, ftrace `r_f`/`f_ret`/`f_return`, or system kretprobes. */
function kretBase(e: OtherEvent): string | null {
  const m = /^(.*?)(?:__return|_return|_ret)$/.exec(e.name);
  if (m) return m[1];
  if (/^r_/.test(e.name)) return e.name.slice(2);
  if (e.system === 'kretprobes') return e.name;
  return null;
}

function isProbe(e: OtherEvent): boolean {
  return e.system === 'probe' || e.system === 'kprobes' || e.system === 'kretprobes' || /^probe/.test(e.system);
}

function probeFunc(base: string): string {
  return base.replace(/^p_/, '').replace(/_\d+$/, ''); // ftrace's automatic names: p_handle_mm_fault_0
}

/** The probed function and whether this is its return (kretprobe); null when the event is not a probe. */
export function probeCall(e: OtherEvent): { func: string; ret: boolean } | null {
  if (!isProbe(e)) return null;
  const base = kretBase(e);
  return { func: probeFunc(base ?? e.name), ret: base !== null };
}
