// What the tool itself doubts about a replay's figures: one catalogue of caveats, each naming the variant and the
// figures it qualifies, so the CLI's notes and the HTML page's marks come from the same place.
import type { ReplayResult, VariantResult } from '../model/types.js';

/** The figures a caveat can qualify (the summary's columns and the headline's deltas belong to one each). */
export type Figure = 'faults' | 'anon_rss' | 'file_rss' | 'page_tables' | 'fault_time' | 'fork_time';

export const ALL_FIGURES: readonly Figure[] = ['faults', 'anon_rss', 'file_rss', 'page_tables', 'fault_time', 'fork_time'];

/** Closed list of caveat kinds; `lowerBound` ones say the true figure is at least the one shown. */
export const CAVEAT_KINDS = {
  thp_lower_bound: { lowerBound: true, about: 'a variant that maps 4K where the recording kernel mapped a THP sees one traced access per 2 MiB' },
  lost_events: { lowerBound: true, about: 'the ring buffer dropped events while recording' },
  skipped_lines: { lowerBound: false, about: 'lines of the trace could not be read' },
  no_profile: { lowerBound: false, about: 'no cost profile: modelled times are 0' },
  model_disagrees: { lowerBound: false, about: "the model's rss counters disagree with the kernel's rss_stat" },
  profile_exceeds_span: { lowerBound: false, about: "the cost profile models more fault time than a thread's span in the trace allows" },
  page_size_what_if: { lowerBound: false, about: 'a page size the trace was not recorded with: its accesses replayed in larger (or smaller) pages, what the program would do differently left out' },
  page_size_mismatch: { lowerBound: false, about: "the trace's rss_stat sizes disagree with the page size the replay assumed" },
} as const;
export type CaveatKind = keyof typeof CAVEAT_KINDS;

export interface Caveat {
  kind: CaveatKind;
  /** The variant it qualifies; '' for every variant. */
  variant: string;
  figures: readonly Figure[];
  /** One line, as the CLI prints it after "note: ". */
  text: string;
}

const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const thpFaults = (v: VariantResult): number => (v.totals.faults['thp_alloc'] ?? 0) + (v.totals.faults['thp_zero'] ?? 0);

/** Caveats on a replay's own figures (validation's are added by validateCaveat). */
export function replayCaveats(r: ReplayResult): Caveat[] {
  const out: Caveat[] = [];
  const base = r.variants[0];
  if (r.lost_events !== 0)
    out.push({ kind: 'lost_events', variant: '', figures: ALL_FIGURES, text: `the trace lost ${r.lost_events < 0 ? 'some' : int(r.lost_events)} events while recording: every figure may be low` });
  if (r.skipped_lines > 0) out.push({ kind: 'skipped_lines', variant: '', figures: [], text: `${int(r.skipped_lines)} unreadable lines of the trace were skipped` });
  if (base && r.variants.every((v) => v.totals.fault_latency_ns === 0 && v.totals.fork_latency_ns === 0) && r.variants.some((v) => v.totals.forks > 0 || Object.keys(v.totals.faults).length > 0))
    out.push({ kind: 'no_profile', variant: '', figures: ['fault_time', 'fork_time'], text: 'no modelled times: no cost profile loaded; see faultline calibrate' });
  // a variant that maps 4K where mainline mapped 2 MiB sees one traced access per THP: its figures there are low
  for (const v of base ? r.variants.slice(1) : [])
    if (thpFaults(v) < thpFaults(base!))
      out.push({
        kind: 'thp_lower_bound', variant: v.name, figures: ['faults', 'anon_rss', 'page_tables', 'fault_time'],
        text: `${v.name} takes ${int(thpFaults(base!) - thpFaults(v))} fewer THP faults than mainline; the trace holds one access per 2 MiB ` +
          'there (the recording kernel mapped a THP), so its 4K faults and RSS in those blocks are lower bounds',
      });
  if (r.page_size_note) out.push({ kind: 'page_size_mismatch', variant: '', figures: ALL_FIGURES, text: r.page_size_note });
  for (const v of r.variants)
    if (v.spec.pageSize)
      out.push({
        kind: 'page_size_what_if', variant: v.name, figures: ALL_FIGURES,
        text: `${v.name} replays a ${v.spec.machinePageSize ?? '4k'}-page trace in ${v.spec.pageSize} pages (docs/page_size.md): each fault maps a whole ` +
          `${v.spec.pageSize} page and later accesses inside it do not trap, but the trace cannot tell what the program and kernel would do ` +
          'differently: allocators (malloc arenas, jemalloc/scudo size classes, Java heaps) and ELF segments aligned to the larger page, ' +
          'file readahead and fault-around in larger pages, mappings the trace shows 4K-aligned (kept as traced); a larger page\'s clear is priced as 4 KiB clears (page_fill_4k), TLB reach not at all',
      });
  return out;
}

/** The model-vs-kernel caveat of a validate run (below 99% of rss_stat events matched), or null. */
export function validateCaveat(v: { compared: number; match_ratio: number } | null, variant: string): Caveat | null {
  if (!v || v.compared === 0 || v.match_ratio >= 0.99) return null;
  return { kind: 'model_disagrees', variant, figures: ['anon_rss', 'file_rss', 'page_tables'], text: `rss_stat match ratio ${(v.match_ratio * 100).toFixed(2)}%: the model and the kernel disagree` };
}

/** The profile-vs-trace caveat (analyze/latency/sanity.ts: sanityText), or null when every thread's faults fit. */
export function sanityCaveat(text: string): Caveat | null {
  return text ? { kind: 'profile_exceeds_span', variant: '', figures: ['fault_time'], text } : null;
}

/** The caveats that qualify one figure of one variant. */
export function caveatsFor(all: readonly Caveat[], variant: string, figure: Figure): Caveat[] {
  return all.filter((c) => (c.variant === '' || c.variant === variant) && c.figures.includes(figure));
}

/** Whether a caveat of this kind bounds the figure from below (the true value is at least the one shown). */
export function isLowerBound(c: Caveat): boolean {
  return CAVEAT_KINDS[c.kind].lowerBound;
}
