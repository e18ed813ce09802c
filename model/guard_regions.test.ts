// Guard regions (6.13+) and MAP_DROPPABLE (6.11+), event by event. Expected values derived by hand from mm/madvise.c
// (madvise_guard_install, guard_install_pte_entry, madvise_guard_remove), mm/memory.c (handle_pte_marker,
// zap_nonpresent_ptes, copy_pte_marker), mm/pt_reclaim.c and mm/mmap.c (do_mmap: MAP_DROPPABLE). BASE is 1 GiB aligned,
// so the first table of a mapping also costs a PUD and a PMD table: 12 KiB for one PTE table, +4 KiB per further one.
import { describe, expect, it } from 'vitest';
import { buildVariants } from './variants.js';
import { BASE, MIB, PAGE, faultsOf, proc, seq } from './patches/event_seq.testlib.js';
import * as F from './flags.js';

const mainline = (kernel?: string) => buildVariants(kernel ? { kernel } : {})[0]!;
const G_IN = F.MADV_GUARD_INSTALL, G_RM = F.MADV_GUARD_REMOVE;

describe('guard regions (MADV_GUARD_INSTALL / MADV_GUARD_REMOVE)', () => {
  it('installing over untouched memory costs page tables, no RSS; touching a guard page is a SIGSEGV fault that maps nothing', () => {
    const s = seq(mainline());
    s.mmap(10, BASE, 4 * MIB);
    s.madvise(10, BASE, 4 * MIB, G_IN);
    s.write(10, BASE + 5 * PAGE);
    s.read(10, BASE + 3 * MIB);
    const p = proc(s.finish(), 10);
    expect(p.pgtables_peak_kb).toBe(16); // PUD + PMD + two PTE tables full of markers
    expect(p.rss_anon_peak_kb).toBe(0);
    expect(faultsOf(p)).toEqual({ segv: 2 }); // handle_pte_marker: PTE_MARKER_GUARD -> VM_FAULT_SIGSEGV
  });

  it('installing over written pages zaps them (RssAnon falls, tables stay); guards already there are left alone', () => {
    const s = seq(mainline());
    s.mmap(10, BASE, 2 * MIB);
    for (let i = 0; i < 8; i++) s.write(10, BASE + i * PAGE);
    s.madvise(10, BASE, 4 * PAGE, G_IN);
    s.madvise(10, BASE, 6 * PAGE, G_IN); // pages 4 and 5 zapped now; 0-3 are markers already
    const p = proc(s.finish(), 10);
    expect(p.rss_anon_peak_kb).toBe(32);
    expect(p.rss_anon_final_kb).toBe(8); // pages 6 and 7 left
    expect(p.pgtables_final_kb).toBe(12);
  });

  it('MADV_DONTNEED keeps the markers, so PT_RECLAIM keeps their table and frees only the marker-free one', () => {
    const s = seq(mainline());
    s.mmap(10, BASE, 4 * MIB);
    s.write(10, BASE + 10 * PAGE);
    s.write(10, BASE + 2 * MIB + 10 * PAGE);
    s.madvise(10, BASE, PAGE, G_IN); // one marker in the first table
    s.madvise(10, BASE, 4 * MIB, F.MADV_DONTNEED);
    s.write(10, BASE); // still a guard
    const p = proc(s.finish(), 10);
    expect(p.rss_anon_final_kb).toBe(0);
    expect(p.pgtables_final_kb).toBe(12); // the second table reclaimed (6.14+), the first kept by its marker
    expect(s.paths.slice(-1)).toEqual(['segv']);
  });

  it('MADV_GUARD_REMOVE clears the markers, leaves the tables, and the next touch faults a page in as usual', () => {
    const s = seq(mainline());
    s.mmap(10, BASE, 2 * MIB);
    s.madvise(10, BASE, 2 * MIB, G_IN);
    s.madvise(10, BASE, 2 * MIB, G_RM);
    s.write(10, BASE + PAGE);
    const p = proc(s.finish(), 10);
    expect(p.pgtables_final_kb).toBe(12);
    expect(faultsOf(p)).toEqual({ anon_alloc: 1 });
    expect(p.rss_anon_final_kb).toBe(4);
  });

  it('munmap drops the markers (ZAP_FLAG_DROP_MARKER) in a table a neighbouring VMA keeps; a new mapping there faults normally', () => {
    const s = seq(mainline());
    s.mmap(10, BASE, 2 * MIB);
    s.madvise(10, BASE + MIB, MIB, G_IN);
    s.munmap(10, BASE + MIB, MIB); // the table stays: [BASE, BASE+1M) still maps into it
    s.mmap(10, BASE + MIB, MIB);
    s.write(10, BASE + MIB);
    const p = proc(s.finish(), 10);
    expect(faultsOf(p)).toEqual({ anon_alloc: 1 });
    expect(p.pgtables_final_kb).toBe(12);
  });

  it('fork copies the markers (the install gave the VMA an anon_vma): the child SIGSEGVs on them too', () => {
    const s = seq(mainline());
    s.mmap(10, BASE, 2 * MIB);
    s.madvise(10, BASE, 2 * PAGE, G_IN);
    s.fork(10, 11);
    s.write(11, BASE);
    const r = s.finish();
    expect(proc(r, 11).pgtables_peak_kb).toBe(12);
    expect(faultsOf(proc(r, 11))).toEqual({ segv: 1 });
  });

  it('before 6.13 the calls are -EINVAL: nothing changes; 6.13-6.14 refuse file-backed VMAs, 6.15+ accept them', () => {
    const run = (kernel: string, fd: number) => {
      const s = seq(mainline(kernel));
      s.mmap(10, BASE, 2 * MIB, fd >= 0 ? { fd, prot: F.PROT_READ } : {});
      s.madvise(10, BASE, 2 * MIB, G_IN);
      s.read(10, BASE);
      return proc(s.finish(), 10);
    };
    expect(faultsOf(run('6.12', -1))).toEqual({ anon_zero_page: 1 }); // an ordinary read fault
    expect(run('6.12', -1).pgtables_final_kb).toBe(12);
    expect(faultsOf(run('6.13', -1))).toEqual({ segv: 1 });
    expect(faultsOf(run('6.14', 3))).not.toHaveProperty('segv');
    expect(faultsOf(run('6.15', 3))).toEqual({ segv: 1 });
  });
});

describe('MAP_DROPPABLE (6.11+) and the other MAP_TYPE values', () => {
  const DROPPABLE = F.MAP_DROPPABLE | F.MAP_ANONYMOUS;

  it('faults and RSS as private anonymous memory; fork does not copy it (VM_WIPEONFORK)', () => {
    const s = seq(mainline());
    s.mmap(10, BASE, 2 * MIB, { flags: DROPPABLE });
    for (let i = 0; i < 16; i++) s.write(10, BASE + i * PAGE);
    s.fork(10, 11);
    s.write(11, BASE);
    const r = s.finish();
    expect(proc(r, 10).rss_anon_final_kb).toBe(64);
    expect(faultsOf(proc(r, 10))).toEqual({ anon_alloc: 16 });
    expect(s.forks[0]!.ptesCopied).toBe(0);
    expect(faultsOf(proc(r, 11))).toEqual({ anon_alloc: 1 }); // a fresh zero-filled page, not a COW copy
  });

  it('mlock leaves it unlocked and unpopulated (mm/mlock.c: mlock_fixup skips VM_DROPPABLE); a private mapping is populated', () => {
    const run = (flags: number) => {
      const s = seq(mainline());
      s.mmap(10, BASE, 2 * MIB, { flags });
      const hdr = (name: string, t: number) => ({ name, system: 'syscalls', time: t, cpu: 0, pid: 10, tid: 10, comm: 'work', line: t });
      const enter = { ...hdr('sys_enter_mlock', 5e9), kind: 'sys_enter', call: 'mlock', args: { start: BASE, len: 2 * MIB } } as const;
      s.engine.handle(enter as never, null);
      s.engine.handle({ ...hdr('sys_exit_mlock', 5e9 + 1000), kind: 'sys_exit', call: 'mlock', ret: 0, enter } as never, null);
      return proc(s.finish(), 10);
    };
    expect(run(F.MAP_PRIVATE | F.MAP_ANONYMOUS).rss_anon_final_kb).toBe(2048);
    expect(run(DROPPABLE).rss_anon_final_kb).toBe(0);
  });

  it('MAP_SHARED_VALIDATE is a shared mapping (anonymous: shmem), not a private one', () => {
    const s = seq(mainline());
    s.mmap(10, BASE, 2 * MIB, { flags: F.MAP_SHARED_VALIDATE | F.MAP_ANONYMOUS });
    s.write(10, BASE);
    const p = proc(s.finish(), 10);
    expect(p.rss_shmem_final_kb).toBe(4);
    expect(p.rss_anon_final_kb).toBe(0);
  });
});
