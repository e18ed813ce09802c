// cow-pte: expected states derived by hand from the COW PTE series (seed 004; model/README.md: COW page tables): fork shares PTE tables
// wholly inside one anonymous VMA (child VmPTE excludes them; RFC v1/v2: no per-page work, so no child RSS), the
// first fault in a shared table breaks it by copying (refcount > 1: +4 KiB and, v1/v2, the table's pages charged to
// the breaker) or by reusing it (refcount 1), page-level COW follows, and a whole-table zap only drops a reference.
import { describe, expect, it } from 'vitest';
import { buildVariants } from '../variants.js';
import { BASE, MIB, PAGE, faultsOf, proc, seq, type Seq } from './event_seq.testlib.js';
import * as F from '../flags.js';

/** Parent 10 maps 4 MiB (two PTE tables) and writes every page, then forks child 11. */
function forked(opts: { patch?: string[]; patchOption?: string[] }): Seq {
  const vs = buildVariants(opts);
  const s = seq(vs[vs.length - 1]!);
  s.mmap(10, BASE, 4 * MIB);
  for (let a = BASE; a < BASE + 4 * MIB; a += PAGE) s.write(10, a);
  s.fork(10, 11);
  return s;
}

describe('cow-pte', () => {
  it('mainline fork copies both tables: child VmPTE = parent VmPTE, child RSS = parent RSS', () => {
    const s = forked({});
    const r = s.finish();
    expect(proc(r, 10).pgtables_peak_kb).toBe(16); // PUD + PMD + 2 PTE tables
    expect(proc(r, 11).pgtables_peak_kb).toBe(16);
    expect(proc(r, 11).rss_anon_peak_kb).toBe(4096);
    expect(s.forks[0]).toMatchObject({ ptesCopied: 1024, tablesShared: 0 });
  });

  it('RFC v1/v2 fork shares both tables: child has only its PUD and PMD tables and no RSS', () => {
    const s = forked({ patch: ['cow-pte'] });
    const r = s.finish();
    expect(s.forks[0]).toMatchObject({ ptesCopied: 0, tablesShared: 2 });
    expect(proc(r, 11).pgtables_peak_kb).toBe(8);
    expect(proc(r, 11).rss_anon_peak_kb).toBe(0);
    expect(proc(r, 10).pgtables_peak_kb).toBe(16); // the owner stays charged
    expect(s.breaks).toEqual([]);
  });

  it('the first child write copies the table (charged to the child), then page-level COW copies the page', () => {
    const s = forked({ patch: ['cow-pte'] });
    s.write(11, BASE, true);
    s.write(11, BASE + PAGE, true); // same table, now the child's own: plain COW
    const r = s.finish();
    const c = proc(r, 11);
    expect(s.breaks).toEqual([expect.objectContaining({ pid: 11, address: BASE, how: 'copy', cause: 'fault' })]);
    expect(c.pgtables_peak_kb).toBe(12); // + the copied table
    expect(c.rss_anon_peak_kb).toBe(2048); // the 512 pages of the copied table, charged at the break
    expect(faultsOf(c)).toEqual({ wp_page_copy: 2 });
  });

  it('after the child broke away and exited, the parent reuses the table and its pages', () => {
    const s = forked({ patch: ['cow-pte'] });
    s.write(11, BASE, true); // child copies table 0 and COWs page 0
    s.exit(11); // table 1 is still shared: the child's exit only drops its reference
    s.write(10, BASE, true); // parent: table 0 has refcount 1 -> reuse; page 0 refcount 1 -> reuse
    s.write(10, BASE + 2 * MIB, true); // table 1: refcount 1 again -> reuse; the page stayed exclusive
    const r = s.finish();
    expect(s.breaks.map((b) => [b.pid, b.address, b.how, b.cause])).toEqual([
      [11, BASE, 'copy', 'fault'],
      [10, BASE, 'reuse', 'fault'],
      [10, BASE + 2 * MIB, 'reuse', 'fault'],
    ]);
    const p = proc(r, 10);
    expect(faultsOf(p).wp_page_reuse).toBe(1); // page 0 after the child's copy
    expect(p.pgtables_peak_kb).toBe(16);
    expect(p.rss_anon_final_kb).toBe(4096);
    expect(proc(r, 11).rss_anon_final_kb).toBe(2048); // just before exit: the one table it copied
  });

  it('the parent breaking first keeps its charge; the child is charged when it takes the old table over', () => {
    const s = forked({ patch: ['cow-pte'] });
    s.write(10, BASE, true); // owner copies table 0: no new charge for the parent
    s.write(11, BASE + PAGE, true); // child: table 0 refcount 1 -> reuse, charged now
    const r = s.finish();
    expect(s.breaks.map((b) => [b.pid, b.how])).toEqual([[10, 'copy'], [11, 'reuse']]);
    expect(proc(r, 10).pgtables_peak_kb).toBe(16);
    expect(proc(r, 11).pgtables_peak_kb).toBe(12);
    expect(proc(r, 11).rss_anon_peak_kb).toBe(2048);
    expect(faultsOf(proc(r, 10))).toEqual({ anon_alloc: 1024, wp_page_copy: 1 });
    expect(faultsOf(proc(r, 11))).toEqual({ wp_page_copy: 1 });
  });

  it('mprotect breaks every shared table it touches; munmap of a whole shared table only drops the reference', () => {
    const s = forked({ patch: ['cow-pte'] });
    s.munmap(11, BASE + 2 * MIB, 2 * MIB); // child drops table 1 (no copy, no probe)
    expect(s.breaks).toEqual([]);
    s.engine.handle({ kind: 'sys_enter', name: 'sys_enter_mprotect', system: 'syscalls', time: 9e9, cpu: 0, pid: 11, tid: 11, comm: 'work', line: 0, call: 'mprotect', args: { start: BASE, len: PAGE, prot: F.PROT_READ } }, null);
    s.engine.handle({ kind: 'sys_exit', name: 'sys_exit_mprotect', system: 'syscalls', time: 9e9 + 1, cpu: 0, pid: 11, tid: 11, comm: 'work', line: 0, call: 'mprotect', ret: 0, enter: { kind: 'sys_enter', name: 'sys_enter_mprotect', system: 'syscalls', time: 9e9, cpu: 0, pid: 11, tid: 11, comm: 'work', line: 0, call: 'mprotect', args: { start: BASE, len: PAGE, prot: F.PROT_READ } } }, null);
    expect(s.breaks.map((b) => [b.pid, b.address, b.how, b.cause])).toEqual([[11, BASE, 'copy', 'mprotect']]);
    const r = s.finish();
    expect(proc(r, 11).pgtables_final_kb).toBe(12);
    expect(proc(r, 11).rss_anon_final_kb).toBe(2048);
  });

  it('v3 (--patch-option cow-pte=v3) charges the child RSS at fork; breaks add only the table', () => {
    const s = forked({ patch: ['cow-pte'], patchOption: ['cow-pte=v3'] });
    expect(s.forks[0]).toMatchObject({ ptesCopied: 1024, tablesShared: 2 });
    s.write(11, BASE, true);
    const r = s.finish();
    const c = proc(r, 11);
    expect(c.rss_anon_peak_kb).toBe(4096);
    expect(c.pgtables_peak_kb).toBe(12);
    expect(faultsOf(c)).toEqual({ wp_page_copy: 1 });
  });

  it('does not share tables of brk, of shared memory, or a table a VMA covers only partly', () => {
    const vs = buildVariants({ patch: ['cow-pte'] });
    const s = seq(vs[1]!);
    s.mmap(10, BASE, 3 * MIB); // table 1 is only half inside this VMA
    for (let a = BASE; a < BASE + 3 * MIB; a += 64 * PAGE) s.write(10, a);
    s.fork(10, 11);
    expect(s.forks[0]).toMatchObject({ tablesShared: 1, ptesCopied: 4 }); // table 1: 1 MiB in the VMA / 64 pages

    const h = seq(vs[1]!);
    const heap = 0x5555_5560_0000; // 2 MiB-aligned break: two whole tables inside the heap VMA
    h.brk(10, heap);
    h.brk(10, heap + 4 * MIB);
    for (let a = heap; a < heap + 4 * MIB; a += 64 * PAGE) h.write(10, a);
    h.fork(10, 11);
    expect(h.forks[0]).toMatchObject({ tablesShared: 0, ptesCopied: 16 }); // RFC v1: brk excluded, copied as usual
  });

  it('pages and counters return to zero once both mms unmap the range, whichever goes first', () => {
    for (const order of [[10, 11], [11, 10]] as const)
      for (const opt of [[], ['cow-pte=v3']]) {
        const s = forked({ patch: ['cow-pte'], patchOption: opt });
        s.write(11, BASE, true); // table 0 copied by the child, table 1 still shared
        s.munmap(order[0], BASE, 4 * MIB);
        s.munmap(order[1], BASE, 4 * MIB);
        const ctx = s.engine.ctx;
        const mapped = [...ctx.pages.refcount.subarray(1, ctx.pages.next)].filter((x) => x > 0);
        expect(mapped, `order ${order} ${opt}`).toEqual([]);
        const r = s.finish();
        for (const pid of [10, 11]) {
          expect(proc(r, pid).rss_anon_final_kb, `pid ${pid} order ${order} ${opt}`).toBe(0);
          expect(proc(r, pid).pgtables_final_kb, `pid ${pid} order ${order} ${opt}`).toBe(0); // no neighbouring VMA: free_pgd_range frees PUD and PMD too
        }
      }
  });

  it('rejects an unknown series version in --patch-option', () => {
    expect(() => forked({ patch: ['cow-pte'], patchOption: ['cow-pte=v9'] })).toThrow(/^cow-pte option 'v9': expected a series version, v1 to v5/);
  });

  it("a read fault on a none PTE in a shared table breaks it too (the zero page goes into the reader's copy)", () => {
    const vs = buildVariants({ patch: ['cow-pte'] });
    const s = seq(vs[1]!);
    s.mmap(10, BASE, 2 * MIB);
    for (let a = BASE; a < BASE + MIB; a += PAGE) s.write(10, a); // the first half written, the rest none
    s.fork(10, 11);
    s.read(11, BASE + MIB); // child reads a none PTE: handle_cow_pte_fault copies, then do_anonymous_page maps zero
    s.read(10, BASE + MIB + PAGE); // parent: now the sole user, takes the table back
    const r = s.finish();
    expect(s.breaks.map((b) => [b.pid, b.how, b.cause])).toEqual([[11, 'copy', 'fault'], [10, 'reuse', 'fault']]);
    expect(faultsOf(proc(r, 11))).toEqual({ anon_zero_page: 1 });
    expect(proc(r, 11).pgtables_peak_kb).toBe(12);
    expect(proc(r, 11).rss_anon_peak_kb).toBe(1024); // the 256 written pages, charged at the break
    // the parent's table did not get the child's zero-page PTE: its own read faulted and mapped one
    expect(faultsOf(proc(r, 10))).toEqual({ anon_alloc: 256, anon_zero_page: 1 });
  });
});
