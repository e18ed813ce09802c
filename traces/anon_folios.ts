// Large anonymous folios a trace shows without a model: a fault whose own rss_stat (same task, curr=1) rose
// MM_ANONPAGES by more than one page at once, by size, and the MADV_HUGEPAGE calls it holds (faultline info).
import { MM_ANONPAGES, type TraceEvent } from './events.js';

/** include/uapi/asm-generic/mman-common.h: MADV_HUGEPAGE. */
const MADV_HUGEPAGE = 14;

export interface AnonFolios {
  /** Faults by the KiB their rss_stat added in one update (mm/memory.c: alloc_anon_folio's +nr, huge_memory.c's +512). */
  faultsByKib: Record<string, number>;
  /** sys_enter_madvise(MADV_HUGEPAGE) calls; -1 when the trace has no sys_enter_madvise at all. */
  madvHugepage: number;
}

export interface AnonFolioCollector {
  sink(e: TraceEvent): void;
  /** sink's work for a fault, by its parts (info's RowSink). */
  fault(tid: number): void;
  /** sink's work for an rss_stat, by its parts. */
  rss(tid: number, mmId: number, curr: boolean, member: number, size: number): void;
  finish(): AnonFolios;
}

export function createAnonFolioCollector(): AnonFolioCollector {
  // tids whose latest event was a page fault: `one`, and the Set for any more (a task's fault is mostly followed by its
  // own rss_stat, so the Set is rarely asked); a tid may sit in both, and leaving removes it from both
  let one = NaN; // (NaN: none; a tid may be -1 where the trace has none)
  const lastFault = new Set<number>();
  const prev = new Map<number, number>(); // mm_id -> MM_ANONPAGES bytes
  const byKib = new Map<number, number>();
  let madvise = -1;
  const fault = (tid: number): void => {
    if (one !== one || one === tid) one = tid;
    else lastFault.add(tid);
  };
  const left = (tid: number): void => {
    if (one === tid) one = NaN;
    if (lastFault.size !== 0) lastFault.delete(tid);
  };
  const rss = (tid: number, mmId: number, curr: boolean, member: number, size: number): void => {
    if (member === MM_ANONPAGES) {
      const before = prev.get(mmId);
      prev.set(mmId, size);
      const kib = before === undefined ? 0 : (size - before) / 1024;
      // one folio's count right after the task's own fault: an anon THP order, 16 KiB .. 2 MiB (THP_ORDERS_ALL_ANON has
      // no order 1: a +2 pages is two updates the trace shows as one, e.g. another thread's in between)
      if (curr && (one === tid || lastFault.has(tid)) && kib >= 16 && kib <= 2048 && Number.isInteger(Math.log2(kib))) byKib.set(kib, (byKib.get(kib) ?? 0) + 1);
    }
    left(tid);
  };
  return {
    fault,
    rss,
    sink(e) {
      if (e.kind === 'lost') return;
      if (e.kind === 'fault') return fault(e.tid);
      if (e.kind === 'rss_stat') return rss(e.tid, e.mmId, e.curr, e.member, e.size);
      if (e.kind === 'sys_enter' && e.call === 'madvise') madvise = Math.max(madvise, 0) + (e.args.behavior === MADV_HUGEPAGE ? 1 : 0);
      left(e.tid);
    },
    finish() {
      const sizes = [...byKib.keys()].sort((a, b) => b - a);
      return { faultsByKib: Object.fromEntries(sizes.map((k) => [String(k), byKib.get(k)!])), madvHugepage: madvise };
    },
  };
}

/** What the counts say about the THP setting, in one line ('' when the trace shows no large folio). */
export function describeAnonFolios(a: AnonFolios): string {
  const sizes = Object.entries(a.faultsByKib).sort((x, y) => Number(y[0]) - Number(x[0]));
  if (!sizes.length) return '';
  const list = sizes.map(([k, n]) => `${n} of ${k} KiB`).join(', ');
  const thp = a.faultsByKib['2048'] ?? 0;
  const madv = a.madvHugepage < 0 ? 'the trace has no sys_enter_madvise' : `${a.madvHugepage} MADV_HUGEPAGE call${a.madvHugepage === 1 ? '' : 's'} in the trace`;
  const verdict = thp === 0 ? 'mTHP sizes in use (hugepages-<size>kB/enabled)'
    : a.madvHugepage === 0 ? 'THP enabled=always (no VMA was madvised)'
    : a.madvHugepage > 0 ? 'THP enabled=madvise or always'
    : 'THP enabled=always, or madvise with calls the trace did not record';
  return `${list} in one rss_stat right after a fault; ${madv}: ${verdict} (replay and validate decide per VMA and print it)`;
}
