// A trace with rss_stat but no page-fault events (an arm64 phone's: no fault tracepoint), made by removing the faults
// from real recordings and encoding them as Perfetto traces: replay takes the kernel's counters, says so, and its
// RssAnon per process at every workload checkpoint is within 1% of the workload's own /proc figure.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTrace } from '../traces/read.js';
import { rawText } from '../traces/independent_count.suite.js';
import { encodePerfetto, parseFtraceText } from '../traces/perfetto_encode.suite.js';
import type { Truth } from '../record/fixtures.js';
import { createReplay, defaultVariant } from './replay.js';
import type { RssRecord } from './types.js';

const DIR = join(import.meta.dirname, '..', 'traces', 'fixtures', 'workloads');
const TMP = mkdtempSync(join(tmpdir(), 'faultline-counters-'));

describe.each(['fork_child_half', 'threads', 'dontneed_munmap', 'populate', 'file_private'])('%s without its page-fault events', (fixture) => {
  it('replays from the kernel\'s counters, says so, and RssAnon at each checkpoint is within 1% of /proc', async () => {
    const truth = JSON.parse(readFileSync(join(DIR, fixture, 'truth.ftrace.json'), 'utf8')) as Truth;
    const src = parseFtraceText(rawText(join(DIR, fixture, 'ftrace.txt.gz')));
    const noFaults = { ...src, events: src.events.filter((e) => !e.name.startsWith('page_fault_')) };
    expect(noFaults.events.length).toBeLessThan(src.events.length);
    const file = join(TMP, `${fixture}.nofaults.pftrace`);
    writeFileSync(file, encodePerfetto(noFaults));

    const anon = new Map<number, { t: number[]; pages: number[] }>();
    const probe = (r: RssRecord): void => {
      if (r.member !== 1) return;
      let s = anon.get(r.pid);
      if (!s) anon.set(r.pid, (s = { t: [], pages: [] }));
      s.t.push(r.time);
      s.pages.push(r.value);
    };
    const rp = createReplay([defaultVariant({ useZeroPage: !truth.kernel_cmdline_mm.includes('pvm_no_zero_page=1') })], { rss: probe });
    const result = rp.finish(await readTrace(file, rp.sink));
    const v = result.variants[0]!;
    // every rss_stat event set a counter; no fault path was modelled (page tables only where a syscall populates)
    expect(v.rss_from_counters).toBe(noFaults.events.filter((e) => e.name === 'rss_stat').length);
    expect(Object.values(v.totals.faults).reduce((a, b) => a + b, 0)).toBe(Object.keys(v.totals.faults).includes('populate') ? v.totals.faults.populate : 0);
    let checked = 0;
    for (const c of truth.checkpoints) {
      if (c.label === 'start' || c.label === 'end') continue; // before/after the workload's mm activity
      const s = anon.get(c.pid);
      expect(s, `${c.label}: no figures for pid ${c.pid}`).toBeDefined();
      let i = s!.t.length - 1;
      while (i >= 0 && s!.t[i]! > c.t_mono_ns) i--;
      const kb = i >= 0 ? s!.pages[i]! * 4 : 0;
      expect(Math.abs(kb - c.rss_anon_kb), `${c.label} RssAnon ${kb} vs /proc ${c.rss_anon_kb}`).toBeLessThanOrEqual(c.rss_anon_kb * 0.01);
      checked++;
    }
    expect(checked).toBeGreaterThan(0);
  });
});

it('a trace with its page-fault events is replayed by the model, not from the counters', async () => {
  const rp = createReplay([defaultVariant({ useZeroPage: false })]);
  const result = rp.finish(await readTrace(join(DIR, 'threads', 'ftrace.txt.gz'), rp.sink));
  expect(result.variants[0]!.rss_from_counters).toBeUndefined();
  expect(result.variants[0]!.totals.pgtables_peak_kb).toBeGreaterThan(0);
});
