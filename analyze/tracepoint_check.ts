// A query probe naming a tracepoint the kernel does not define: refused as bpftrace refuses a probe it cannot attach
// ("tracepoint not found"), when the trace held none of it either; a real one the trace lacks gets a warning instead.
import { parseProbe } from './probes.js';
import { PARTIAL_SYSTEMS, TRACEPOINTS, TRACEPOINTS_KERNEL } from './kernel_tracepoints.js';

/** Systems of events made at run time (perf probe / kprobe_events / uprobe_events, USDT) or by ftrace itself: not in any header. */
const DYNAMIC_SYSTEM = /^(probe|probe_\w+|kprobes|uprobes|sdt_\w+|ftrace|fprobes|tracepoint)$/;

/** Levenshtein distance, cut off above `max` (names are short: a plain two-row table). */
function distance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

/** The closest of `names` to `name` within a third of its length (at least 2 edits), or null. */
function nearest(name: string, names: readonly string[]): string | null {
  const max = Math.max(2, Math.floor(name.length / 3));
  let best: string | null = null, d = max + 1;
  for (const n of names) {
    const e = distance(name, n, max);
    if (e < d) (d = e), (best = n);
  }
  return best;
}

const eventsOf = (system: string): string[] => (TRACEPOINTS[system] ?? '').split(' ').filter(Boolean);

/**
 * Why the probe `text` (as written, matched no event of the trace) names no tracepoint at all, with the likeliest
 * meant one; null when it names a real one, a dynamic or out-of-tree one, or a glob.
 */
export function unknownTracepoint(text: string): string | null {
  let exact: string | null;
  try {
    const t = parseProbe(text);
    exact = t.type === 'tracepoint' ? t.exact : null;
  } catch {
    return null; // the compiler reported it already
  }
  if (!exact) return null;
  const [system, name] = exact.split(':') as [string, string];
  const where = `Linux ${TRACEPOINTS_KERNEL} defines no such tracepoint (faultline's list from its sources) and this trace has no such events`;
  if (system in TRACEPOINTS) {
    if (PARTIAL_SYSTEMS.includes(system) || eventsOf(system).includes(name)) return null;
    const home = Object.keys(TRACEPOINTS).find((s) => eventsOf(s).includes(name));
    const meant = home ? `${home}:${name}` : (() => { const n = nearest(name, eventsOf(system)); return n ? `${system}:${n}` : null; })();
    return `${text}: ${where}${meant ? `; did you mean tracepoint:${meant}?` : ''}`;
  }
  if (DYNAMIC_SYSTEM.test(system)) return null;
  // an unknown system: a typo when the name is some known system's event (else an out-of-tree module's: not refused)
  const homes = Object.keys(TRACEPOINTS).filter((s) => eventsOf(s).includes(name));
  if (homes.length === 0) return null;
  const home = homes.length === 1 ? homes[0]! : nearest(system, homes) ?? homes[0]!;
  return `${text}: ${where}; did you mean tracepoint:${home}:${name}?`;
}

let homes: Map<string, string> | null = null;

/** The one system that defines event `name` ('' when none or several): ftrace text prints bare event names. */
export function systemOfEvent(name: string): string {
  if (!homes) {
    homes = new Map();
    for (const s of Object.keys(TRACEPOINTS)) for (const n of eventsOf(s)) homes.set(n, homes.has(n) ? '' : s);
  }
  return homes.get(name) ?? '';
}

/** The warning for a probe that names a real tracepoint the trace has no events of. */
export function absentTracepointHint(text: string): string {
  try {
    const t = parseProbe(text);
    if (t.type === 'tracepoint' && t.exact) return `: none happened, or the recording did not enable ${t.exact} (perf record -e ${t.exact})`;
  } catch {
    // reported by the compiler
  }
  return '';
}
