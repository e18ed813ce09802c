// The model follows the kernel's deferred split of underused THPs from the untraced -1 runs it leaves
// (model/thp_deferred_split.ts): exact event sequences, the burst rule, and deferred_split_scan's order.
import { describe, expect, it } from 'vitest';
import type { TraceEvent } from '../traces/events.js';
import { createValidator, type ValidateResult } from './validate.js';
import { defaultVariant } from './replay.js';
import { bursts, scanOrder } from './thp_deferred_split.js';
import { A, fault, hdr, mmap, READ, rss } from './validate_stream.suite.js';

const US = 1000; // ns

function validate(evs: TraceEvent[], thp: 'always' | 'madvise' = 'always'): ValidateResult {
  const v = createValidator(defaultVariant({ thp, useZeroPage: false }));
  for (const e of evs) v.sink(e);
  return v.finish(READ);
}

/** 4 THPs faulted by a write at the first page of each 2 MiB (+512 each: one rss_stat). */
function fourThps(): TraceEvent[] {
  return [...mmap(0, 4 << 21), ...[0, 1, 2, 3].flatMap((b) => [fault(10 * US + b * 100 * US, b * 512), rss(11 * US + b * 100 * US, 512 * (b + 1))])];
}

/** The shrinker's remaps: bursts of -1 (1 µs apart inside a folio, 200 µs between folios) from `from` pages down. */
function remaps(from: number, lens: number[], t0 = 1000 * US, tid = 100, curr = true): TraceEvent[] {
  const out: TraceEvent[] = [];
  let v = from, t = t0;
  for (const n of lens) {
    for (let i = 0; i < n; i++) out.push(rss((t += US), --v, 1, curr, tid));
    t += 200 * US;
  }
  return out;
}

function munmap(t: number, kernel: number[]): TraceEvent[] {
  const enter = { ...hdr('sys_enter_munmap', t), kind: 'sys_enter' as const, call: 'munmap', args: { addr: A, len: 4 << 21 } };
  return [enter, ...kernel.map((p, i) => rss(t + 1 + i, p)), { ...hdr('sys_exit_munmap', t + 100), kind: 'sys_exit' as const, call: 'munmap', ret: 0, enter }];
}

describe('following the deferred THP split (mm/huge_memory.c deferred_split_scan -> mm/migrate.c try_to_map_unused_to_zeropage)', () => {
  it('three bursts of 500 split the three newest THPs; the munmap then zaps 512 whole and 12 per split table', () => {
    // 2048 pages; the kernel remaps 3 x 500 (the newest three folios first, 6.12's list_move order): 548 left
    // munmap: block 0 still PMD-mapped (zap_huge_pmd: -512), blocks 1-3 PTE tables of 12 (zap_pte_range each)
    const r = validate([...fourThps(), ...remaps(2048, [500, 500, 500]), ...munmap(5e6, [36, 24, 12, 0])]);
    expect(r.untraced_reclaim).toMatchObject({ events: 1500, by_member: { MM_ANONPAGES: 1500 }, thp_splits: 3 });
    // compared: the 3 later THP faults (the first is the baseline of an mm that predates the trace) and the 4 zap pieces
    expect(r.by_member.MM_ANONPAGES).toMatchObject({ compared: 6, matched: 6, divergences: 0 });
  });
  it('after the split a write to a remapped subpage copies the zero page (+1); the zap then counts it in its table', () => {
    // block 3 (the first split) keeps subpages 0-11; a write at its subpage 300 is do_wp_page -> wp_page_copy
    const evs = [...fourThps(), ...remaps(2048, [500, 500, 500]), fault(3e6, 3 * 512 + 300), rss(3e6 + 1, 549), ...munmap(5e6, [37, 25, 13, 0])];
    const r = validate(evs);
    expect(r.by_member.MM_ANONPAGES).toMatchObject({ compared: 7, matched: 7, divergences: 0 });
  });
  it('an mm with no THP (madvise: 4 KiB pages) splits nothing: the run stays plain untraced reclaim', () => {
    const evs = [...mmap(0, 4 << 21), ...Array.from({ length: 20 }, (_, i) => [fault(10 * US + i * 10 * US, i), rss(11 * US + i * 10 * US, i + 1)]).flat(), ...remaps(20, [5])];
    const r = validate(evs, 'madvise');
    expect(r.untraced_reclaim).toMatchObject({ events: 5 });
    expect(r.untraced_reclaim!.thp_splits).toBeUndefined();
  });
  it('a -1 run inside a munmap is the munmap\'s, never a split (a call in flight)', () => {
    const enter = { ...hdr('sys_enter_munmap', 900 * US), kind: 'sys_enter' as const, call: 'munmap', args: { addr: A + (16 << 21), len: 4096 } };
    const r = validate([...fourThps(), enter, ...remaps(2048, [3])]);
    expect(r.untraced_reclaim).toBeUndefined();
  });
});

describe('bursts: one per folio, cut at the run\'s longest pauses', () => {
  const run = (lens: number[], noise: [number, number][] = []): number[] => {
    const t: number[] = [];
    let now = 0;
    for (const n of lens) {
      for (let i = 0; i < n; i++) t.push((now += 1));
      now += 300;
    }
    // an interrupt inside a burst: every later event shifted by the pause
    for (const [at, pause] of noise) for (let i = at; i < t.length; i++) t[i]! += pause;
    return t;
  };
  it('504 x 3 with 300-unit pauses: three bursts of 504', () => expect(bursts(run([504, 504, 504]), 512)).toEqual([504, 504, 504]));
  it('an interrupt of 60 inside a burst is shorter than any cut: still 504 x 3', () => expect(bursts(run([504, 504, 504], [[100, 60], [700, 60]]), 512)).toEqual([504, 504, 504]));
  it('unequal folios: 511, 410, 512', () => expect(bursts(run([511, 410, 512]), 512)).toEqual([511, 410, 512]));
  it('a run of at most 512 is one folio, even with a pause (the rule\'s stated limit)', () => expect(bursts(run([200, 200]), 512)).toEqual([400]));
  it('no pause at all above 512: cut everywhere the ceiling forces, at equal gaps every event', () => expect(bursts(Array.from({ length: 600 }, (_, i) => i), 512).length).toBe(600));
});

describe('scanOrder: 6.12 deferred_split_scan list_move\'s up to SHRINK_BATCH (128) folios, so each batch newest first', () => {
  it('130 queued: 127..0, then 129, 128', () => {
    const o = scanOrder(Array.from({ length: 130 }, (_, i) => i));
    expect(o.slice(0, 3)).toEqual([127, 126, 125]);
    expect(o.slice(126)).toEqual([1, 0, 129, 128]);
  });
});
