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

let index: Map<string, string[]> | null = null;

/** The systems that define event `name`, in the list's order (one index of the list, built on first use). */
function systemsOf(name: string): readonly string[] {
  if (!index) {
    index = new Map();
    for (const s of Object.keys(TRACEPOINTS))
      for (const n of eventsOf(s)) {
        const l = index.get(n);
        if (!l) index.set(n, [s]);
        else if (!l.includes(s)) l.push(s);
      }
  }
  return index.get(name) ?? [];
}

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
    const home = systemsOf(name)[0]; // (not `system`: it lacks the name)
    const near = home ? null : nearest(name, eventsOf(system));
    const meant = home ? `${home}:${name}` : near ? `${system}:${near}` : null;
    return `${text}: ${where}${meant ? `; did you mean tracepoint:${meant}?` : ''}`;
  }
  if (DYNAMIC_SYSTEM.test(system)) return null;
  // an unknown system: a typo when the name is some known system's event (else an out-of-tree module's: not refused)
  const homes = systemsOf(name);
  if (homes.length === 0) return null;
  const home = homes.length === 1 ? homes[0]! : nearest(system, homes) ?? homes[0]!;
  return `${text}: ${where}; did you mean tracepoint:${home}:${name}?`;
}

/** The one system that defines event `name` ('' when none or several): ftrace text prints bare event names. */
export function systemOfEvent(name: string): string {
  const homes = systemsOf(name);
  return homes.length === 1 ? homes[0]! : '';
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
