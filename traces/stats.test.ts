import { describe, expect, it } from 'vitest';
import { STATS, STAT_NAMES, statRows } from './stats.js';

describe('stats catalogue', () => {
  it('every entry has a severity from the closed set and a one-line description', () => {
    for (const n of STAT_NAMES) {
      expect(['info', 'data_loss', 'error']).toContain(STATS[n].severity);
      expect(['trace', 'analysis']).toContain(STATS[n].source);
      expect(STATS[n].description.length).toBeGreaterThan(20);
      expect(STATS[n].description).not.toContain('\n');
      expect(n).toMatch(/^[a-z0-9_]+$/);
    }
  });
  it('rows are the non-zero counts in catalogue order, with what the catalogue says of each', () => {
    const rows = statRows({ ring_buffer_lost: 7, line_not_event: 2, reader_exception: 0 });
    expect(rows.map((r) => [r.name, r.value, r.severity])).toEqual([
      ['line_not_event', 2, 'error'],
      ['ring_buffer_lost', 7, 'data_loss'],
    ]);
  });
});
