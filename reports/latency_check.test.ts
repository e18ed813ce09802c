// The report's modelled-vs-measured table: rows from validate's latency join, escaped, absent when nothing was timed.
import { describe, expect, it } from 'vitest';
import { sampleInput } from './sample_input.testlib.js';
import { latencyCheckHtml } from './latency_check.js';
import type { LatencySummary } from '../model/types.js';

const sum = (count: number, p50: number, total = count * p50): LatencySummary => ({ count, total_ns: total, p50_ns: p50, p90_ns: p50 * 2, p99_ns: p50 * 3 });

describe('latencyCheckHtml', () => {
  it('one row per measured path and one for forks, with both sides in data attributes and µs in the cells', () => {
    const input = sampleInput();
    input.validate!.latency = {
      profile: 'x86_64-kvm-6.18',
      faults: {
        fault_to_rss_stat: {
          // the modelled kernel part (13 150 less a 11 830 trap share) against the measured: 1.08, not off
          anon_alloc: { count: 3, modelled: sum(3, 13_150), modelled_kernel: sum(3, 1_320), trap_share: 'own', measured: sum(3, 1_430), ratio_p50: 1_430 / 1_320 },
          // no trap share in the profile: the ratio is against the full cost, and 0.11 is off
          file_read: { count: 40, modelled: sum(40, 13_150), modelled_kernel: null, trap_share: 'none', measured: sum(40, 1_430), ratio_p50: 1_430 / 13_150 },
          '<evil>': { count: 1, modelled: sum(1, 5), modelled_kernel: sum(1, 4), trap_share: 'anon_alloc', measured: sum(1, 7), ratio_p50: 1.4 },
        },
      },
      forks: { count: 1, modelled: sum(1, 59_450_000), measured: sum(1, 55_910_000), ratio_total: 55.91 / 59.45, wait_total_ns: 0, ratio_less_wait: 55.91 / 59.45, pairs: [] },
      unjoined: 0,
    };
    const html = latencyCheckHtml(input);
    expect(html).toContain('profile x86_64-kvm-6.18');
    expect(html).toMatch(/data-path="anon_alloc" data-modelled-p50="13150" data-modelled-kernel-p50="1320" data-measured-p50="1430"/);
    expect(html).toMatch(/<td>13\.2<\/td><td>1\.32<\/td><td>1\.43<\/td><td>2\.86<\/td><td>4\.29<\/td>/); // µs: 13150 ns -> 13.2, 1430 -> 1.43
    expect(html).toMatch(/data-path="file_read"[^\n]*<td>13\.2<\/td><td>-<\/td><td>1\.43<\/td>/);
    expect(html).toMatch(/data-path="&lt;evil&gt;"[^\n]*<td>0\.00\*<\/td>/);
    expect(html).toMatch(/Σ modelled 59\.45 ms, Σ measured 55\.91 ms/);
    expect(html).toContain('&lt;evil&gt;');
    expect(html).not.toContain('<evil>');
    // measured/modelled next to every figure; 0.11 is more than 2x off and says so, 1.4 and the fork's 0.94 do not
    expect(html).toMatch(/data-path="anon_alloc"[^\n]*<td class="ratio" data-ratio="1\.083[0-9]*">1\.08<\/td><\/tr>/);
    expect(html).toMatch(/data-path="file_read"[^\n]*<td class="ratio off" data-ratio="0\.108[0-9]*">0\.11 ⚠<\/td><\/tr>/);
    expect(html).toMatch(/data-path="&lt;evil&gt;"[^\n]*<td class="ratio" data-ratio="1\.4">1\.40<\/td><\/tr>/);
    expect(html).toMatch(/id="latency-off">⚠ modelled and measured differ by more than 2x for file_read \(fault → its rss_stat\):/);
    expect(html).toContain('the profile names no trap share');
    expect(html).not.toMatch(/latency-off[^\n]*fork/);
  });
  it("a fork's wait inside the copy is named, and the ratio leaves it out", () => {
    const input = sampleInput();
    input.validate!.latency = {
      profile: 'p',
      faults: {},
      // 16.8 ms measured, 12.2 of them one wait: 4.6 / 4.7 is not off, 16.8 / 4.7 would be
      forks: { count: 1, modelled: sum(1, 4_700_000), measured: sum(1, 16_800_000), ratio_total: 16.8 / 4.7, wait_total_ns: 12_200_000, ratio_less_wait: 4.6 / 4.7, pairs: [] },
      unjoined: 0,
    };
    const html = latencyCheckHtml(input);
    expect(html).toContain('of which 12.20 ms waited inside the copy');
    expect(html).toMatch(/data-path="fork"[^\n]*<td class="ratio" data-ratio="0\.97[0-9]*">0\.98<\/td><\/tr>/);
    expect(html).not.toContain('id="latency-off"');
  });
  it("the return after the clone is its own row: off-CPU known or said to be unknown, its ratio shown but never flagged", () => {
    const input = sampleInput();
    const forks = (ret: object) => ({ count: 1, modelled: sum(1, 55_910_000), measured: sum(1, 55_910_000), ratio_total: 1, wait_total_ns: 0, ratio_less_wait: 1, wait_from: 'longest_gap' as const, return: ret as never, pairs: [] });
    // fork_1g's figures: 94.01 ms after the clone against 17.57 ms modelled, 5.35x, with no sched_switch to split it
    input.validate!.latency = { profile: 'p', faults: {}, forks: forks({ count: 1, measured_ns: 94_010_000, off_cpu_ns: null, modelled_ns: 17_570_000, ratio: 5.35 }), unjoined: 0 };
    let html = latencyCheckHtml(input);
    expect(html).toMatch(/data-path="fork return"[^\n]*off-CPU part unknown: no sched_switch recorded[^\n]*17\.57 ms: host resync/);
    expect(html).toMatch(/data-path="fork return"[^\n]*<td class="ratio" data-ratio="5\.35">5\.35<\/td><\/tr>/);
    expect(html).not.toContain('id="latency-off"');
    input.validate!.latency = { profile: 'p', faults: {}, forks: forks({ count: 1, measured_ns: 34_750_000, off_cpu_ns: 16_210_000, modelled_ns: null, ratio: 0 }), unjoined: 0 };
    html = latencyCheckHtml(input);
    expect(html).toMatch(/data-path="fork return"[^\n]*of which 16\.21 ms switched out[^\n]*the profile prices no return/);
  });
  it('a ratio over fewer than 20 faults is shown but not flagged, and the note says why', () => {
    const input = sampleInput();
    const c = (count: number, ratio: number) => ({ count, modelled: sum(count, 13_900), modelled_kernel: sum(count, 1_290), trap_share: 'own' as const, measured: sum(count, 3_960), ratio_p50: ratio });
    input.validate!.latency = { profile: 'p', faults: { fault_to_rss_stat: { file_cow: c(1, 3.08), anon_alloc: c(550, 1.0) } }, forks: null, unjoined: 0 };
    let html = latencyCheckHtml(input);
    expect(html).toMatch(/data-path="file_cow"[^\n]*<td class="ratio" data-ratio="3\.08">3\.08<\/td><\/tr>/);
    expect(html).not.toContain('id="latency-off"');
    expect(html).toContain('a ratio over fewer than 20 faults is shown but not judged');
    input.validate!.latency.faults.fault_to_rss_stat!.file_cow = c(20, 3.08);
    html = latencyCheckHtml(input);
    expect(html).toMatch(/id="latency-off"[^\n]*file_cow/);
  });
  it('nothing when validate did not run, or it timed nothing', () => {
    const input = sampleInput();
    expect(latencyCheckHtml(input)).toBe('');
    input.validate!.latency = { profile: 'p', faults: {}, forks: null, unjoined: 0 };
    expect(latencyCheckHtml(input)).toBe('');
    expect(latencyCheckHtml({ ...input, validate: null })).toBe('');
  });
});
