// `faultline batch` in-process on recorded fixtures: the Parquet rows (read back with hyparquet, not the writer) equal
// `replay --json` and `validate --json` run separately; a failing trace is one row; resume, changed inputs, shards.
import { describe, expect, it, beforeAll } from 'vitest';
import { copyFileSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './run_cli.suite.js';
import { registerBatch } from './batch.js';
import { registerReplay } from './replay.js';
import { registerValidate } from './validate.js';
import { readTable, partFiles, columnTypes } from '../../analyze/fleet/read_parquet.suite.js';
import { TABLES } from '../../analyze/fleet/schema.js';
import { expandInputs, shardOf } from '../batch/inputs.js';

const FIX = new URL('../../traces/fixtures/workloads/', import.meta.url).pathname;
const A0 = FIX + 'fork_child_half/perf.txt.gz';
const B0 = FIX + 'thp_write_first/ftrace.txt.gz';
let A = A0;
let B = B0;
const run = (args: string[]) => runCli((p) => (registerBatch(p), registerReplay(p), registerValidate(p)), args);
const tmp = (): string => mkdtempSync(join(tmpdir(), 'faultline-batch-'));

describe('faultline batch', () => {
  let dir: string;
  let bad: string;
  let first: Awaited<ReturnType<typeof run>>;
  let inputs: string;
  beforeAll(async () => {
    dir = tmp();
    // inputs run in sorted path order: the bad file is the second of three
    inputs = tmp();
    copyFileSync(A0, (A = join(inputs, '1.txt.gz')));
    writeFileSync((bad = join(inputs, '2.txt')), 'this is not a trace\nnor is this\n');
    copyFileSync(B0, (B = join(inputs, '3.txt.gz')));
    first = await run(['batch', inputs, '-o', dir, '--patch', 'cow-pte', '--machine-no-zero-page', '--jobs', '1']);
  });

  it('a failing trace in the middle is one failed row with a one-line reason; the batch goes on and exits 0', async () => {
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/^batch: 3 traces, 2 ok, 1 failed, 0 skipped/m);
    const traces = await readTable(dir, 'traces');
    expect(traces).toHaveLength(3);
    const failed = traces.filter((t) => t.status === 'failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.file).toBe(bad);
    expect(String(failed[0]!.error)).toMatch(/2\.txt/);
    expect(first.err).toMatch(/^faultline: failed: .*2\.txt/m);
    expect(String(failed[0]!.error)).not.toMatch(/\n/);
    expect(failed[0]!.format).toBeNull();
    const strict = await run(['batch', A, bad, '-o', tmp(), '--machine-no-zero-page', '--jobs', '1', '--strict', '--profile', 'none']);
    expect(strict.code).toBe(1);
  });

  it('processes rows equal replay --json run on its own (both variants), in bytes and int64', async () => {
    const rows = (await readTable(dir, 'processes')).filter((r) => String(r._file).includes('variant=')); // every part is partitioned
    // both default to the profile fitted to the trace itself: the same profile on both sides
    const rep = JSON.parse((await run(['replay', A, '--json', '--patch', 'cow-pte', '--machine-no-zero-page'])).out);
    const rowA = (await readTable(dir, 'traces')).find((t) => t.file === A)!;
    expect(rowA.profile).toMatch(/^trace-fitted \(base /); // A times its faults: priced by its own fit, as replay does
    const hashA = rowA.trace_hash;
    for (const v of rep.variants) {
      const mine = rows.filter((r) => r.trace_hash === hashA && r.variant === v.name);
      expect(mine.map((r) => r.pid).sort()).toEqual(v.processes.map((p: { pid: number }) => p.pid).sort());
      for (const p of v.processes) {
        const r = mine.find((x) => x.pid === p.pid)!;
        expect(r.pgtables_peak_bytes).toBe(BigInt(p.pgtables_peak_kb * 1024));
        expect(r.rss_anon_peak_bytes).toBe(BigInt(p.rss_anon_peak_kb * 1024));
        expect(r.rss_file_final_bytes).toBe(BigInt(p.rss_file_final_kb * 1024));
        expect(r.forks).toBe(p.forks);
        expect(JSON.parse(String(r.faults_by_path))).toEqual(p.faults);
        expect(r.fork_time_ns).toBe(BigInt(Math.round(p.latency_ns.fork?.total_ns ?? 0)));
      }
      expect(String(mine[0]!._file)).toContain(`variant=${encodeURIComponent(v.name)}`);
    }
    const types = await columnTypes(partFiles(dir, 'processes')[0]!);
    for (const c of TABLES.processes.columns) expect(types[c.name]).toBe(c.type === 'STRING' ? 'BYTE_ARRAY' : c.type);
  });

  it('validation rows and per-process agreement equal validate --json run on its own', async () => {
    const val = JSON.parse((await run(['validate', B, '--json', '--machine-no-zero-page'])).out);
    const hashB = (await readTable(dir, 'traces')).find((t) => t.file === B)!.trace_hash;
    const rows = (await readTable(dir, 'validation')).filter((r) => r.trace_hash === hashB);
    type M = { compared: number; matched: number; divergences: number; hinted: number; hinted_matched: number };
    const want = Object.entries(val.by_member as Record<string, M>).filter(([, m]) => m.compared > 0);
    expect(rows.map((r) => [r.member, r.compared, r.matched, r.divergences, r.hinted, r.hinted_matched]).sort()).toEqual(
      want.map(([k, m]) => [k, BigInt(m.compared), BigInt(m.matched), BigInt(m.divergences), BigInt(m.hinted), BigInt(m.hinted_matched)]).sort(),
    );
    expect(want.some(([, m]) => m.hinted > 0)).toBe(true);
    const procs = (await readTable(dir, 'processes')).filter((r) => r.trace_hash === hashB && r.variant === 'mainline');
    expect(procs.reduce((s, r) => s + Number(r.validation_compared ?? 0), 0)).toBe(val.compared);
    expect(procs.reduce((s, r) => s + Number(r.validation_divergences ?? 0), 0)).toBe(val.divergences);
    const cow = (await readTable(dir, 'processes')).filter((r) => r.trace_hash === hashB && r.variant === 'cow-pte');
    expect(cow.every((r) => r.validation_compared === null)).toBe(true);
  });

  it('a re-run skips every trace it already wrote (the failed one too) and leaves the files alone', async () => {
    const before = partFiles(dir, 'processes').map((f) => statSync(f).mtimeMs);
    const again = await run(['batch', inputs, '-o', dir, '--patch', 'cow-pte', '--machine-no-zero-page', '--jobs', '1']);
    expect(again.out).toMatch(/3 traces, 0 ok, 0 failed, 3 skipped/);
    expect(partFiles(dir, 'processes').map((f) => statSync(f).mtimeMs)).toEqual(before);
  });

  it('refuses to mix settings in one output directory', async () => {
    const other = await run(['batch', A, '-o', dir, '--patch', 'refpage', '--machine-no-zero-page', '--jobs', '1']);
    expect(other.code).toBe(2);
    expect(other.err).toMatch(/other settings/);
  });
});

describe('faultline batch inputs', () => {
  it('a changed input is redone and its old parts are gone', async () => {
    const d = tmp();
    const out = tmp();
    const f = join(d, 't.txt.gz');
    copyFileSync(B0, f);
    const opts = ['-o', out, '--machine-no-zero-page', '--jobs', '1', '--profile', 'none'];
    await run(['batch', d, ...opts]);
    const h1 = (await readTable(out, 'traces'))[0]!.trace_hash;
    copyFileSync(FIX + 'thp_read_first/ftrace.txt.gz', f);
    const r = await run(['batch', d, ...opts]);
    expect(r.out).toMatch(/1 traces, 1 ok, 0 failed, 0 skipped/);
    const traces = await readTable(out, 'traces');
    expect(traces).toHaveLength(1);
    expect(traces[0]!.trace_hash).not.toBe(h1);
    expect(partFiles(out, 'processes').some((p) => p.includes(String(h1)))).toBe(false);
  });

  it('directories are walked for trace names, globs expand, and the shards partition the sorted list', () => {
    const all = expandInputs([FIX]);
    // an independent count: the recordings in each workload folder (truth.*.json, meta and README.md are not traces)
    const recorded = readdirSync(FIX, { withFileTypes: true }).filter((d) => d.isDirectory())
      .flatMap((d) => readdirSync(join(FIX, d.name)).filter((n) => n === 'perf.txt.gz' || n === 'ftrace.txt.gz'));
    expect(recorded.length).toBeGreaterThanOrEqual(28);
    expect(all.length).toBe(recorded.length);
    expect(all).toEqual([...all].sort());
    expect(expandInputs([FIX + '*/perf.txt.gz'])).toEqual(all.filter((p) => p.endsWith('/perf.txt.gz')));
    expect(expandInputs([FIX + '**/ftrace.txt.gz'])).toEqual(all.filter((p) => p.endsWith('/ftrace.txt.gz')));
    const shards = [0, 1, 2].map((i) => shardOf(all, i, 3));
    expect(shards.flat().sort()).toEqual(all);
    expect(new Set(shards.flat()).size).toBe(all.length);
  });

  it('bad --shard and --jobs are one-line usage errors', async () => {
    for (const bad of [['--shard', '3/3'], ['--shard', 'x'], ['--jobs', '0']]) {
      const r = await run(['batch', A, '-o', tmp(), ...bad]);
      expect(r.code).toBe(2);
      expect(r.err.trim().split('\n')).toHaveLength(1);
    }
  });
});
