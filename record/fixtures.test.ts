// The fixture recorder's pure parts: workload stdout parsing and the truth file layout.
import { describe, expect, it } from 'vitest';
import { FIXTURES, formatTruth, parseWorkloadOutput, type Truth } from './fixtures.js';
import { WORKLOAD_NAMES } from './workloads.js';

describe('parseWorkloadOutput', () => {
  it('splits checkpoints from regions and skips blank lines', () => {
    const out = '{"label": "start", "pid": 1}\n\n{"region": "r", "addr": 4096, "len": 8192, "pid": 1}\n{"label": "end", "pid": 1}\n';
    const r = parseWorkloadOutput(out, 'x');
    expect(r.checkpoints.map((c) => c.label)).toEqual(['start', 'end']);
    expect(r.regions).toEqual([{ region: 'r', addr: 4096, len: 8192, pid: 1 }]);
  });
  it('names the file and line of anything that is not a checkpoint or region', () => {
    expect(() => parseWorkloadOutput('{"label": "a"}\nhello\n', 'out.txt')).toThrow('out.txt:2: workload output is not a JSON line: hello');
    expect(() => parseWorkloadOutput('{"label": "a"}\n{"x": 1}\n', 'out.txt')).toThrow(/^out\.txt:2: JSON line has neither "label" nor "region"$/);
  });
});

describe('formatTruth', () => {
  it('is valid JSON that round-trips, one checkpoint per line', () => {
    const t: Truth = {
      fixture: 'f', about: 'a', backend: 'perf', trace: 'perf.txt.gz', workload: 'w', command: ['w', '1'], tool_command: ['perf'],
      uname_r: '6.18', kernel_cmdline_mm: [], thp: { enabled: 'always [madvise] never' }, perf_version: 'perf 6.1',
      recorded_at: '2026-01-01T00:00:00.000Z', events: ['kmem:rss_stat'], skipped_events: [], lost_events: 0, command_status: 0,
      checkpoints: ['start', 'end'].map((label, i) => ({
        label, t_mono_ns: 1000 + i, pid: 1, rss_anon_kb: 4, rss_file_kb: 8, rss_shmem_kb: 0, vm_pte_kb: 12, vm_rss_kb: 12,
        minflt: 3, majflt: 0, thp_fault_alloc: 0,
      })),
      regions: [{ region: 'r', addr: 4096, len: 8192, pid: 1 }],
    };
    const text = formatTruth(t);
    expect(JSON.parse(text)).toEqual(t);
    expect(text.split('\n').filter((l) => l.includes('"label"'))).toHaveLength(2);
  });
});

describe('FIXTURES', () => {
  it('names unique fixtures whose workloads exist, each recorded with perf', () => {
    expect(new Set(FIXTURES.map((f) => f.name)).size).toBe(FIXTURES.length);
    for (const f of FIXTURES) {
      expect(WORKLOAD_NAMES as readonly string[]).toContain(f.workload);
      expect(f.backends).toContain('perf');
    }
  });
});
