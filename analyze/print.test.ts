// hist/lhist/map text and JSON checked against bpftrace's formatting rules, with expected strings built by hand.
import { describe, expect, it } from 'vitest';
import { compileProgram } from './run.js';
import { barWidth } from './print.js';
import { toCsv } from './tables.js';

// One bpftrace hist line: header left-aligned in 16, count right-aligned in 8, ' |', bar padded to 52, '|'.
const line = (header: string, count: number, bar: number) =>
  header + ' '.repeat(16 - header.length) + ' '.repeat(8 - String(count).length) + String(count) + ' |' + '@'.repeat(bar) + ' '.repeat(52 - bar) + '|\n';

/** Run a program whose BEGIN block feeds the values (no trace needed). */
function runBegin(body: string, format: 'text' | 'json' = 'text'): string {
  const p = compileProgram(`BEGIN { ${body} }`, { format });
  p.begin();
  p.end();
  return p.output();
}

describe('hist() text', () => {
  it('buckets, edges, K suffixes and bar scaling', () => {
    const vals = [0, 1, 1, 2, 3, 5, 1024, 1500, 2047, 2048, -5];
    const out = runBegin(vals.map((v) => `@h = hist(${v});`).join(' '));
    // Hand-derived: max count 3 (the [1K, 2K) bucket); 1 -> 52/3 = 17.33 -> 17, 2 -> 34.67 -> 34.
    const expected =
      '\n\n@h:\n' +
      line('(..., 0)', 1, 17) +
      line('[0]', 1, 17) +
      line('[1]', 2, 34) +
      line('[2, 4)', 2, 34) +
      line('[4, 8)', 1, 17) +
      line('[8, 16)', 0, 0) +
      line('[16, 32)', 0, 0) +
      line('[32, 64)', 0, 0) +
      line('[64, 128)', 0, 0) +
      line('[128, 256)', 0, 0) +
      line('[256, 512)', 0, 0) +
      line('[512, 1K)', 0, 0) +
      line('[1K, 2K)', 3, 52) +
      line('[2K, 4K)', 1, 17) +
      '\n';
    expect(out).toBe(expected);
  });

  it('M and G suffixes, trimmed to the non-empty range', () => {
    const out = runBegin(`@h = hist(${3 * 1048576}); @h = hist(${1073741824}); @h = hist(${1073741824 + 5});`);
    const lines = out.split('\n');
    expect(lines.slice(0, 3)).toEqual(['', '', '@h:']);
    lines.splice(0, 2);
    expect(lines[1]).toBe(line('[2M, 4M)', 1, 26).trimEnd());
    expect(lines[lines.length - 3]).toBe(line('[1G, 2G)', 2, 52).trimEnd());
    expect(lines.filter((l) => l.startsWith('[')).length).toBe(30 - 21 + 1); // 2^21 .. 2^30
  });

  it('keyed hists print one block per key, sorted by total count, blank line after each', () => {
    const out = runBegin('@h["b"] = hist(4); @h["b"] = hist(4); @h["a"] = hist(1);');
    expect(out).toBe('\n\n@h[a]:\n' + line('[1]', 1, 52) + '\n' + '@h[b]:\n' + line('[4, 8)', 2, 52) + '\n');
  });

  it('bar width uses single-precision arithmetic like bpftrace (values from a C program)', () => {
    // gcc: int f = c/(float)max*52 -> (15,52)=15 (double would give 14), (15,26)=30, (45,78)=30, (1,3)=17, (5,7)=37, (99,100)=51
    expect(barWidth(15, 52)).toBe(15);
    expect(barWidth(15, 26)).toBe(30);
    expect(barWidth(45, 78)).toBe(30);
    expect(barWidth(1, 3)).toBe(17);
    expect(barWidth(5, 7)).toBe(37);
    expect(barWidth(99, 100)).toBe(51);
  });
});

describe('lhist() text', () => {
  it('under, in-range and over buckets with empty buckets kept between', () => {
    const vals = [5, 15, 15, 99, 100, 150, -3];
    const out = runBegin(vals.map((v) => `@l = lhist(${v}, 0, 100, 10);`).join(' '));
    // codegen: v < min -> 0; v > max -> 1 + (max-min)/step; else 1 + (v-min)/step. 100 == max -> bucket 11 = [100, ...)
    let expected = '\n\n@l:\n' + line('(..., 0)', 1, 26) + line('[0, 10)', 1, 26) + line('[10, 20)', 2, 52);
    for (let lo = 20; lo < 90; lo += 10) expected += line(`[${lo}, ${lo + 10})`, 0, 0);
    expected += line('[90, 100)', 1, 26) + line('[100, ...)', 2, 52) + '\n';
    expect(out).toBe(expected);
  });

  it('K/M labels only when the step is a multiple of 1024', () => {
    const k = runBegin('@l = lhist(1500, 0, 4096, 1024); @l = lhist(5000, 0, 4096, 1024);');
    expect(k).toBe('\n\n@l:\n' + line('[1K, 2K)', 1, 52) + line('[2K, 3K)', 0, 0) + line('[3K, 4K)', 0, 0) + line('[4K, ...)', 1, 52) + '\n');
    const plain = runBegin('@l = lhist(1500, 0, 4096, 512);');
    expect(plain).toBe('\n\n@l:\n' + line('[1024, 1536)', 1, 52) + '\n');
    const mega = runBegin('@l = lhist(3145728, 1048576, 8388608, 1048576);');
    expect(mega).toBe('\n\n@l:\n' + line('[3M, 4M)', 1, 52) + '\n');
  });
});

describe('maps at exit', () => {
  it('sorted ascending by value, string keys unquoted, maps in name order, blank line after each', () => {
    const out = runBegin('@c["x"] = count(); @c["y"] = count(); @c["y"] = count(); @c["a"] = count(); @b = 7; @a[1, "p"] = sum(5); @a[2, "q"] = sum(-2);');
    expect(out).toBe('\n\n@a[2, q]: -2\n@a[1, p]: 5\n@b: 7\n@c[a]: 1\n@c[x]: 1\n@c[y]: 2\n');
  });

  it('ties keep key order: integers numerically, strings bytewise', () => {
    expect(runBegin('@n[10] = count(); @n[9] = count(); @n[-1] = count();')).toBe('\n\n@n[-1]: 1\n@n[9]: 1\n@n[10]: 1\n');
    expect(runBegin('@s["b"] = count(); @s["B"] = count(); @s["a"] = count();')).toBe('\n\n@s[B]: 1\n@s[a]: 1\n@s[b]: 1\n');
  });

  it('stats, avg (integer division), min, max', () => {
    const out = runBegin('@s = stats(3); @s = stats(4); @s = stats(6); @v = avg(7); @v = avg(8); @mn = min(9); @mn = min(-4); @mx = max(2); @mx = max(11);');
    // stats: count 3, total 13, average 13/3 = 4; avg 15/2 = 7
    expect(out).toBe('\n\n@mn: -4\n@mx: 11\n@s: count 3, average 4, total 13\n@v: 7\n');
  });

  it('print(@m, top) keeps the largest entries; delete and clear', () => {
    const p = compileProgram('BEGIN { @m[1] = 10; @m[2] = 30; @m[3] = 20; print(@m, 2); delete(@m[2]); print(@m); clear(@m); print(@m); }');
    p.begin();
    expect(p.output()).toBe('@m[3]: 20\n@m[2]: 30\n@m[1]: 10\n@m[3]: 20\n');
  });
});

describe('json output (bpftrace -f json)', () => {
  it('map, hist, stats and printf messages', () => {
    const out = runBegin('printf("a\\"b %d\\n", 1); @[ "x", 2 ] = count(); @h = hist(3); @h = hist(0); @s = stats(5); @l = lhist(1, 2, 10, 4);', 'json');
    expect(out.split('\n')).toEqual([
      '{"type": "printf", "data": "a\\"b 1\\n"}',
      '{"type": "map", "data": {"@": {"x,2": 1}}}',
      // 0.26 json.cpp: JsonEmitter<Histogram> separates buckets with ',' (0.17: ', ')
      '{"type": "hist", "data": {"@h": [{"min": 0, "max": 0, "count": 1},{"min": 1, "max": 1, "count": 0},{"min": 2, "max": 3, "count": 1}]}}',
      '{"type": "hist", "data": {"@l": [{"max": 1, "count": 1}]}}',
      '{"type": "stats", "data": {"@s": {"count": 1, "average": 5, "total": 5}}}',
      '',
    ]);
  });
});

describe('csv output', () => {
  it('one header and one row per entry, fields with commas quoted', () => {
    const p = compileProgram('BEGIN { @[ "a,b", 1 ] = count(); @[ "c", 2 ] = count(); @[ "c", 2 ] = count(); }', { format: 'csv', csv: toCsv });
    p.begin();
    p.end();
    expect(p.output()).toBe('map,key0,key1,value\n@,"a,b",1,1\n@,c,2,2\n\n');
  });

  it('asks for its writer: CSV without one is a programming error, not an empty answer', () => {
    expect(() => compileProgram('BEGIN { @ = count(); }', { format: 'csv' })).toThrow(/needs opts.csv/);
  });
});
