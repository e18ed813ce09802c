// Bounded aggregation: fault probes -> fixed-size bins, long series -> thinned points, many processes -> top N.
// Memory is bounded by the bins (time bins x VMA rows x slices per tracked process), not by the trace.
import type { FaultRecord, ForkRecord, ReplayProbes, ReplayResult, SeriesPoint, VariantResult } from '../model/types.js';
import type { DeferredFaults, FaultBins, ForkSample, HeatCell, HeatVma } from './types.js';
import { logBin, logBinTop } from '../model/quantiles.js';

export interface CollectorOptions {
  /** Variant whose faults feed the heatmap; default: the first variant a fault arrives for. */
  heatVariant?: string;
  /**
   * Variant the others are compared with; default: the first variant a fault arrives for. The replay runs its
   * engines in variant order on each event, so the baseline's fault for an event arrives just before the others'.
   */
  baseVariant?: string;
  /** Processes shown in the heatmap. */
  topProcesses?: number;
  /** Processes whose heatmap cells are kept while streaming (first seen). */
  trackedProcesses?: number;
  /** Time bins across the heatmap (the bin width doubles as the trace grows). */
  timeBins?: number;
  /**
   * VMA rows kept per process. Past that, a new VMA takes the row of the one with the fewest faults (space-saving:
   * any VMA with more than 1/vmaRows of the process's faults keeps its row, unmapped or not).
   */
  vmaRows?: number;
  /** Address slices per VMA row. */
  slices?: number;
  /** Fork records kept per variant. */
  maxForks?: number;
}

export interface ReportCollector {
  probes: ReplayProbes;
  result(): { faults: FaultBins; forks: ForkSample };
}

/** Latency histogram resolution: bins per doubling (2^(1/8): about 9% wide), up to 2^48 ns. */
export const LATENCY_SUBBINS = 8;
const LAT_BINS = 48 * LATENCY_SUBBINS;

interface Tracked {
  pid: number;
  comm: string;
  faults: number;
  /** start -> end -> row. */
  vmaIndex: Map<number, Map<number, number>>;
  /** faults: placed in the row; est: the space-saving count (faults plus what the evicted row had). */
  vmas: { start: number; end: number; flags: number; faults: number; est: number }[];
  /** Per row: key = tbin * slices + slice -> faults. */
  cells: Map<number, number>[];
}

/** Log latency bin b holds [2^(b/8), 2^((b+1)/8)) ns; 0 and 1 ns go in bin 0. */
export function latencyBin(ns: number): number {
  if (!(ns > 1)) return 0;
  const b = logBin(ns, LATENCY_SUBBINS);
  return b >= LAT_BINS ? LAT_BINS - 1 : b;
}

/** Upper bound of latency bin b, ns. */
export function latencyBinTop(b: number): number {
  return logBinTop(b, LATENCY_SUBBINS);
}

export function createReportCollector(opts: CollectorOptions = {}): ReportCollector {
  const topN = opts.topProcesses ?? 4;
  const maxTracked = Math.max(topN, opts.trackedProcesses ?? 32);
  const maxTimeBins = opts.timeBins ?? 120;
  const rows = opts.vmaRows ?? 32;
  const slices = opts.slices ?? 8;
  const maxForks = opts.maxForks ?? 200;
  let heatVariant = opts.heatVariant ?? '';
  let t0 = -1;
  let binNs = 1_000_000; // 1 ms to start; doubles as needed
  const tracked = new Map<number, Tracked>();
  const untrackedFaults = new Map<number, number>();
  const lat = new Map<string, Map<string, Float64Array>>();
  const faultsSeen: Record<string, number> = {};
  const forks: ForkRecord[] = [];
  const forkTotal: Record<string, number> = {};
  const forksKept: Record<string, number> = {};
  let baseVariant = opts.baseVariant ?? '';
  // The baseline's latest fault, as scalars: the same event's fault in another variant is compared with it.
  let baseTime = -1;
  let baseTid = -1;
  let baseAddr = -1;
  let baseNs = 0;
  let basePath = '';
  const deferred = new Map<string, DeferredFaults>();

  // Faults that copy a shared PTE table (cow-pte: mm/memory.c: break_cow_pte): one running sum per variant.
  function onDeferred(r: FaultRecord): void {
    let d = deferred.get(r.variant);
    if (!d) deferred.set(r.variant, (d = { variant: r.variant, faults: 0, tables: 0, ns: 0, matched: 0, matchedNs: 0, baseNs: 0, basePaths: {} }));
    d.faults++;
    d.tables += r.tablesCopied ?? 0;
    d.ns += r.latencyNs;
    if (r.time !== baseTime || r.tid !== baseTid || r.address !== baseAddr) return;
    d.matched++;
    d.matchedNs += r.latencyNs;
    d.baseNs += baseNs;
    d.basePaths[basePath] = (d.basePaths[basePath] ?? 0) + 1;
  }

  // Widen time bins by `factor` (a power of two) and re-key every cell: keeps the map size bounded.
  function widen(factor: number): void {
    binNs *= factor;
    for (const tr of tracked.values()) {
      tr.cells = tr.cells.map((m) => {
        const next = new Map<number, number>();
        for (const [key, n] of m) {
          const k = Math.floor(Math.floor(key / slices) / factor) * slices + (key % slices);
          next.set(k, (next.get(k) ?? 0) + n);
        }
        return next;
      });
    }
  }

  function onFault(r: FaultRecord): void {
    faultsSeen[r.variant] = (faultsSeen[r.variant] ?? 0) + 1;
    let byPath = lat.get(r.variant);
    if (!byPath) lat.set(r.variant, (byPath = new Map()));
    let h = byPath.get(r.path);
    if (!h) byPath.set(r.path, (h = new Float64Array(LAT_BINS)));
    h[latencyBin(r.latencyNs)]++;
    if (baseVariant === '') baseVariant = r.variant;
    if (r.variant === baseVariant) {
      baseTime = r.time;
      baseTid = r.tid;
      baseAddr = r.address;
      baseNs = r.latencyNs;
      basePath = r.path;
    } else if ((r.tablesCopied ?? 0) > 0) onDeferred(r);

    if (heatVariant === '') heatVariant = r.variant;
    if (r.variant !== heatVariant) return;
    if (t0 < 0) t0 = r.time;
    let tr = tracked.get(r.pid);
    if (!tr) {
      if (tracked.size >= maxTracked) {
        untrackedFaults.set(r.pid, (untrackedFaults.get(r.pid) ?? 0) + 1);
        return;
      }
      tr = { pid: r.pid, comm: r.comm, faults: 0, vmaIndex: new Map(), vmas: [], cells: [] };
      tracked.set(r.pid, tr);
    }
    tr.faults++;
    if (tr.comm !== r.comm) tr.comm = r.comm;
    let byEnd = tr.vmaIndex.get(r.vmaStart);
    if (!byEnd) tr.vmaIndex.set(r.vmaStart, (byEnd = new Map()));
    let row = byEnd.get(r.vmaEnd);
    if (row === undefined) {
      if (tr.vmas.length < rows) {
        row = tr.vmas.length;
        tr.vmas.push({ start: r.vmaStart, end: r.vmaEnd, flags: r.vmaFlags, faults: 0, est: 0 });
        tr.cells.push(new Map());
      } else {
        // space-saving (Metwally et al. 2005): take the row with the least estimated faults; its cells are dropped
        row = 0;
        for (let i = 1; i < tr.vmas.length; i++) if (tr.vmas[i].est < tr.vmas[row].est) row = i;
        const old = tr.vmas[row];
        tr.vmaIndex.get(old.start)?.delete(old.end);
        tr.vmas[row] = { start: r.vmaStart, end: r.vmaEnd, flags: r.vmaFlags, faults: 0, est: old.est };
        tr.cells[row] = new Map();
      }
      byEnd.set(r.vmaEnd, row);
    }
    const v = tr.vmas[row];
    v.faults++;
    v.est++;
    const span = v.end - v.start;
    let slice = span > 0 ? Math.floor(((r.address - v.start) / span) * slices) : 0;
    if (slice < 0) slice = 0;
    else if (slice >= slices) slice = slices - 1;
    const dt = r.time - t0;
    let tb = dt > 0 ? Math.floor(dt / binNs) : 0;
    if (tb >= maxTimeBins) {
      let f = 1;
      while (Math.floor(dt / (binNs * f)) >= maxTimeBins) f *= 2;
      widen(f);
      tb = Math.floor(dt / binNs);
    }
    const cm = tr.cells[row];
    const key = tb * slices + slice;
    cm.set(key, (cm.get(key) ?? 0) + 1);
  }

  function onFork(r: ForkRecord): void {
    forkTotal[r.variant] = (forkTotal[r.variant] ?? 0) + 1;
    const kept = forksKept[r.variant] ?? 0;
    if (kept >= maxForks) return;
    forksKept[r.variant] = kept + 1;
    forks.push({ ...r }); // the probe reuses its record
  }

  function result(): { faults: FaultBins; forks: ForkSample } {
    const busiest = [...tracked.values()].sort((a, b) => b.faults - a.faults || a.pid - b.pid).slice(0, topN);
    const vmas: HeatVma[] = [];
    const cells: HeatCell[] = [];
    for (const tr of busiest) {
      // Rows sorted by address so the y axis reads like /proc/PID/maps.
      const order = tr.vmas.map((_, i) => i).sort((a, b) => tr.vmas[a].start - tr.vmas[b].start || tr.vmas[a].end - tr.vmas[b].end);
      const rank = new Int32Array(order.length);
      order.forEach((old, i) => {
        rank[old] = i;
        const v = tr.vmas[old];
        vmas.push({ pid: tr.pid, index: i, start: v.start, end: v.end, flags: v.flags, faults: v.faults });
      });
      tr.cells.forEach((cm, row) => {
        for (const [key, count] of cm) cells.push({ pid: tr.pid, t: Math.floor(key / slices) * binNs, vma: rank[row], slice: key % slices, count });
      });
    }
    cells.sort((a, b) => a.pid - b.pid || a.t - b.t || a.vma - b.vma || a.slice - b.slice);
    const latency: FaultBins['latency'] = [];
    for (const [variant, byPath] of lat) {
      for (const [path, h] of byPath) {
        for (let b = 0; b < LAT_BINS; b++) if (h[b] > 0) latency.push({ variant, path, bin: b, count: h[b] });
      }
    }
    return {
      faults: {
        heatVariant,
        timeBinNs: binNs,
        slices,
        processes: busiest.map((t) => ({ pid: t.pid, comm: t.comm, faults: t.faults })),
        vmas,
        cells,
        latency,
        faultsSeen: { ...faultsSeen },
        baseVariant,
        deferred: [...deferred.values()].map((d) => ({ ...d, basePaths: { ...d.basePaths } })),
      },
      forks: { records: forks.slice(), total: { ...forkTotal } },
    };
  }

  return { probes: { fault: onFault, fork: onFork }, result };
}

/** An empty FaultBins, for a report made without probes. */
export function emptyFaultBins(): FaultBins {
  return { heatVariant: '', timeBinNs: 1, slices: 1, processes: [], vmas: [], cells: [], latency: [], faultsSeen: {}, baseVariant: '', deferred: [] };
}

/** ns -> seconds rounded to the microsecond: shorter JSON, and no chart needs finer. */
export function seconds(ns: number): number {
  return Math.round(ns / 1e3) / 1e6;
}

/** Earliest time in the replay's series and marks: the charts' time zero. */
export function timeOrigin(replay: ReplayResult): number {
  let t0 = Infinity;
  for (const v of replay.variants) {
    for (const pts of Object.values(v.series)) if (pts.length > 0 && pts[0].t < t0) t0 = pts[0].t;
    for (const m of v.marks) if (m.t < t0) t0 = m.t;
  }
  return Number.isFinite(t0) ? t0 : 0;
}

export interface TotalPoint {
  /** Seconds since the time origin. */
  t: number;
  rss_anon_kb: number;
  rss_file_kb: number;
  pgtables_kb: number;
}

/**
 * Exact sum over processes of a variant's step series (an exit drops the process to 0), then thinned to at most
 * `maxPoints` by keeping, per time bin, the maximum of each field: peaks survive thinning.
 */
export function totalSeries(v: VariantResult, t0: number, maxPoints = 400): TotalPoint[] {
  const ev: { t: number; pid: number; p: SeriesPoint | null }[] = [];
  for (const [pidStr, pts] of Object.entries(v.series)) {
    const pid = Number(pidStr);
    for (const p of pts) ev.push({ t: p.t, pid, p });
  }
  for (const m of v.marks) if (m.kind === 'exit' && v.series[String(m.pid)]) ev.push({ t: m.t, pid: m.pid, p: null });
  // Stable: at equal times, series points before exit marks.
  ev.sort((a, b) => a.t - b.t || (a.p === null ? 1 : 0) - (b.p === null ? 1 : 0));
  const cur = new Map<number, SeriesPoint>();
  let anon = 0;
  let file = 0;
  let pgt = 0;
  const exact: TotalPoint[] = [];
  let lastNs = NaN;
  for (const e of ev) {
    const old = cur.get(e.pid);
    if (old) {
      anon -= old.rss_anon_kb;
      file -= old.rss_file_kb;
      pgt -= old.pgtables_kb;
    }
    if (e.p) {
      cur.set(e.pid, e.p);
      anon += e.p.rss_anon_kb;
      file += e.p.rss_file_kb;
      pgt += e.p.pgtables_kb;
    } else cur.delete(e.pid);
    const pt = { t: seconds(e.t - t0), rss_anon_kb: anon, rss_file_kb: file, pgtables_kb: pgt };
    // one point per instant (the state after every change at that ns); distinct instants stay distinct points even
    // when they round to the same µs, so a short peak is not overwritten (thinMax then keeps it)
    if (e.t === lastNs) exact[exact.length - 1] = pt;
    else exact.push(pt);
    lastNs = e.t;
  }
  return thinMax(exact, maxPoints);
}

/** At most `maxPoints` points: per equal-width time bin, the last time and the max of each field. */
export function thinMax<P extends { t: number }>(pts: P[], maxPoints: number): P[] {
  if (pts.length <= maxPoints) return pts;
  const lo = pts[0].t;
  const hi = pts[pts.length - 1].t;
  const w = (hi - lo) / maxPoints || 1;
  const out: P[] = [];
  let bin = -1;
  for (const p of pts) {
    const b = Math.min(maxPoints - 1, Math.floor((p.t - lo) / w));
    if (b !== bin) {
      out.push({ ...p });
      bin = b;
      continue;
    }
    const last = out[out.length - 1] as Record<string, number>;
    for (const [k, val] of Object.entries(p)) {
      if (k === 't') last.t = val as number;
      else if (typeof val === 'number' && val > last[k]) last[k] = val;
    }
  }
  return out;
}

/** The `n` processes with the largest peak of `field` across all variants (pid, comm of the first variant that has it). */
export function topProcesses(replay: ReplayResult, field: 'pgtables_peak_kb' | 'rss_anon_peak_kb', n: number): { pid: number; comm: string }[] {
  const best = new Map<number, { pid: number; comm: string; peak: number }>();
  for (const v of replay.variants) {
    for (const p of v.processes) {
      const b = best.get(p.pid);
      if (!b) best.set(p.pid, { pid: p.pid, comm: p.comm, peak: p[field] });
      else if (p[field] > b.peak) b.peak = p[field];
    }
  }
  return [...best.values()].sort((a, b) => b.peak - a.peak || a.pid - b.pid).slice(0, n).map(({ pid, comm }) => ({ pid, comm }));
}

/** At most `n` items, evenly spaced through the list (first and last kept). */
export function evenSample<T>(items: T[], n: number): T[] {
  if (items.length <= n) return items;
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(items[Math.round((i * (items.length - 1)) / (n - 1))]);
  return out;
}
