// mshare-transparent on the zygote recordings (traces/fixtures/workloads/zygote: a parent maps 207 MiB of read-only
// files, reads them, forks 8 children without exec that read them again; zygote_libs: the same with ~500 of this
// machine's real shared libraries, 213 MiB): the shape of Android's "upwards of 200 MB of redundant page tables per
// device". Mainline gives every child PTE tables of its own for the same file pages
// (fork copies none for a file VMA without anon_vma: mm/memory.c: vma_needs_copy); sharing them (model/patches/
// mshare.ts, after mm/hugetlb.c: huge_pmd_share) leaves one set per system, so the per-system saving grows by one
// child's file-mapping tables per child alive. The expected per-child figure comes from /proc, not from the model.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { readTrace } from '../../traces/read.js';
import { createReplay } from '../replay.js';
import { buildVariants } from '../variants.js';
import type { Truth } from '../../record/fixtures.js';
import { systemByProcesses } from '../../reports/pgtables_per_system.js';

// Android's figure is per device: the per-child saving times the Zygote-forked processes alive. That count is not
// known here (no source for a typical device's process count in reach); the test prints how many processes of the
// recorded shape 200 MB would take, which is what a reader can hold against a device's own `ps` count.
const ANDROID_MB = 200;

describe.each(['zygote', 'zygote_libs'])('%s: page tables per system with shared file-mapping tables', async (fixture) => {
  const DIR = new URL(`../../traces/fixtures/workloads/${fixture}/`, import.meta.url).pathname;
  const truth = JSON.parse(readFileSync(DIR + 'truth.perf.json', 'utf8')) as Truth;
  // the recording's machine has no zero page (pvm_no_zero_page=1 in its truth)
  expect(truth.kernel_cmdline_mm).toContain('pvm_no_zero_page=1');
  const rep = createReplay(buildVariants({ patch: ['mshare-transparent'], baseZeroPage: false }), {});
  const r = rep.finish(await readTrace(DIR + 'perf.txt.gz', rep.sink));
  const [main, shared] = r.variants;
  const children = truth.checkpoints.filter((c) => c.label === 'child_read');
  // one child's own tables for the file mappings, from /proc: VmPTE after reading them minus right after fork
  const perChild = children.map((c) => c.vm_pte_kb - truth.checkpoints.find((s) => s.label === 'child_start' && s.pid === c.pid)!.vm_pte_kb);
  const mainN = new Map(systemByProcesses(main!).map((p) => [p.processes, p.kb]));
  const sharedN = new Map(systemByProcesses(shared!).map((p) => [p.processes, p.kb]));
  const rows: string[] = [];
  for (let n = 1; n <= children.length + 1; n++) {
    rows.push(`  ${n} alive: mainline ${mainN.get(n)} KiB, mshare-transparent ${sharedN.get(n)} KiB, saved ${mainN.get(n)! - sharedN.get(n)!} KiB`);
  }
  const taken = (v: typeof main) => Object.entries(v!.totals.faults).reduce((a, [k, n]) => a + (k === 'not_taken' ? 0 : n), 0);
  const mapped = truth.checkpoints.find((c) => c.label === 'mapped') as (typeof truth.checkpoints)[number] & { libs?: number; lib_bytes?: number };
  const perChildModel = (mainN.get(2)! - sharedN.get(2)!); // one child alive: what sharing saves per process
  console.log(
    `${fixture} (${children.length} children${mapped.libs ? `; ${mapped.libs} shared libraries, ${(mapped.lib_bytes! / 1048576).toFixed(0)} MiB` : ''}; each child's file-mapping tables per /proc: ${[...new Set(perChild)].join('/')} KiB)\n` +
      `  per process saved (model, one child alive): ${perChildModel} KiB; per system with ${children.length} children: ${mainN.get(children.length + 1)! - sharedN.get(children.length + 1)!} KiB\n` +
      `  Android's ${ANDROID_MB} MB per device at this shape: ${Math.round((ANDROID_MB * 1024) / perChildModel)} processes of this shape (the device's count of Zygote-forked processes is not known here)\n` +
      `  whole system peak: mainline ${main!.totals.system_pgtables_peak_kb} KiB, mshare-transparent ${shared!.totals.system_pgtables_peak_kb} KiB ` +
      `(saved ${main!.totals.system_pgtables_peak_kb - shared!.totals.system_pgtables_peak_kb} KiB)\n` +
      `  faults taken: mainline ${taken(main)}, mshare-transparent ${taken(shared)} (not taken ${shared!.totals.faults['not_taken'] ?? 0})\n` +
      rows.join('\n'),
  );

  it('the recording has the shape: 8 children, each with a few hundred KiB of its own file-mapping tables', () => {
    expect(children.length).toBe(8);
    for (const k of perChild) expect(k).toBeGreaterThan(300);
    if (fixture === 'zygote_libs') expect(mapped.libs).toBeGreaterThan(400); // a distribution's libraries, not two
  });

  it('one child alive: sharing saves that child\'s own file-mapping tables as /proc counted them (within 8 KiB)', () => {
    expect(Math.abs(perChildModel - perChild[0]!)).toBeLessThanOrEqual(8);
  });

  it('the per-system saving grows with the processes alive, by about one child\'s file-mapping tables each', () => {
    let prev = -1;
    for (let n = 1; n <= children.length + 1; n++) {
      const saved = mainN.get(n)! - sharedN.get(n)!;
      expect(saved, `${n} alive`).toBeGreaterThan(prev);
      prev = saved;
      // n - 1 children share the parent's tables; a table per block where a child's VMA layout differs stays its own
      expect(Math.abs(saved - (n - 1) * perChild[0]!), `${n} alive: saved ${saved} KiB`).toBeLessThanOrEqual(8 * (n - 1) + 8);
    }
  });

  it('the whole-system peak falls by about 8 children\'s tables; no page is lost: RssFile and faults are accounted alike', () => {
    const saved = main!.totals.system_pgtables_peak_kb - shared!.totals.system_pgtables_peak_kb;
    expect(Math.abs(saved - 8 * perChild[0]!)).toBeLessThanOrEqual(8 * 8 + 8);
    // every traced fault the children took on mainline for pages the parent had mapped is not taken when shared
    expect(shared!.totals.faults['not_taken'] ?? 0).toBeGreaterThan(0);
    expect(taken(shared) + (shared!.totals.faults['not_taken'] ?? 0)).toBe(taken(main) + (main!.totals.faults['not_taken'] ?? 0));
    const file = (v: typeof main) => v!.processes.reduce((a, p) => a + p.rss_file_peak_kb, 0);
    expect(file(shared)).toBe(file(main));
  });
});
