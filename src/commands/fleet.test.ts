// A generated fleet (real recordings sliced and re-timed) through the built CLI: a batch killed halfway resumes without
// redoing finished traces; processes per trace equal an independent count from the raw lines; `faultline sql`
// (DuckDB) answers the README's question with the numbers hyparquet reads from the same files.
import { describe, expect, it, beforeAll } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { fleetSources, generateFleet } from '../../record/fleet_gen.js';
import { partFiles, readTable } from '../../analyze/fleet/read_parquet.suite.js';
import { runSql } from './sql.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const CLI = join(ROOT, 'dist/src/cli.js');
const built = existsSync(CLI);
const SOURCES = fleetSources(ROOT).filter((p) => /\/(fork_child_half|sparse_1g|thp_write_first)\//.test(p));
const COUNT = 24;
const ARGS = ['--patch', 'cow-pte', '--machine-no-zero-page'];

/** Thread groups in the raw text, by regex from the formats' documentation (not faultline's readers). */
function rawProcesses(file: string): number {
  const tgids = new Set<string>();
  for (const line of gunzipSync(readFileSync(file)).toString('utf8').split('\n')) {
    const perf = /^\s*.+?\s+(\d+)\/(\d+)\s+\[\d+\]\s+\d+\.\d+:/.exec(line); // comm PID/TID [CPU] TIME:
    if (perf) {
      if (perf[1] !== '0') tgids.add(perf[1]!);
      continue;
    }
    const ft = /^\s*.+?-(\d+)\s+\(\s*(\d+|-+)\)\s+\[\d+\]/.exec(line); // comm-TID (TGID) [CPU]
    if (ft) {
      const tgid = /^\d+$/.test(ft[2]!) ? ft[2]! : ft[1]!;
      if (tgid !== '0') tgids.add(tgid);
    }
  }
  return tgids.size;
}

const cli = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });

describe('generateFleet', () => {
  it('deletes trace files of an earlier set in its folder and keeps anything else', () => {
    const dir = mkdtempSync(join(tmpdir(), 'faultline-fleet-gen-'));
    writeFileSync(join(dir, 'trace-0999-gone_perf-1of1.txt.gz'), '');
    writeFileSync(join(dir, 'notes.txt'), 'kept');
    const made = generateFleet(2, dir, SOURCES);
    expect(readdirSync(dir).sort()).toEqual([...made.map((p) => basename(p)), 'notes.txt'].sort());
  });
});

describe.skipIf(!built)('faultline batch on a generated fleet (built CLI: run npm run build first)', () => {
  let inputs: string[];
  let genDir: string;
  let out: string;
  beforeAll(() => {
    genDir = mkdtempSync(join(tmpdir(), 'faultline-fleet-in-'));
    out = mkdtempSync(join(tmpdir(), 'faultline-fleet-out-'));
    inputs = generateFleet(COUNT, genDir, SOURCES);
  });

  it('killed halfway, a re-run skips the traces that were finished and does only the rest', async () => {
    const child = spawn(process.execPath, [CLI, 'batch', genDir, '-o', out, '--jobs', '2', ...ARGS], { stdio: 'ignore' });
    let gone = false;
    const exited = new Promise((res) => child.on('exit', () => res((gone = true))));
    const done = (): string[] => partFiles(out, 'traces');
    while (done().length < COUNT / 3 && !gone) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGKILL');
    await exited;
    const finished = done();
    expect(finished.length).toBeGreaterThanOrEqual(COUNT / 3);
    expect(finished.length).toBeLessThan(COUNT);
    const mtimes = finished.map((f) => statSync(f).mtimeMs);
    const r = cli(['batch', genDir, '-o', out, '--jobs', '2', ...ARGS]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`batch: ${COUNT} traces, ${COUNT - finished.length} ok, 0 failed, ${finished.length} skipped`);
    expect(finished.map((f) => statSync(f).mtimeMs)).toEqual(mtimes);
    expect(done()).toHaveLength(COUNT);
  }, 300_000);

  it('--stats: each trace CPU is its worker thread figure, not the main thread one; the process CPU covers them all', () => {
    const some = inputs.slice(0, 3);
    const dir = mkdtempSync(join(tmpdir(), 'faultline-fleet-stats-'));
    const r = cli(['batch', ...some, '-o', join(dir, 'out'), '--jobs', '2', '--stats', join(dir, 's.json'), ...ARGS]);
    expect(r.status).toBe(0);
    const s = JSON.parse(readFileSync(join(dir, 's.json'), 'utf8'));
    expect(s.per_trace.map((t: { file: string }) => t.file).sort()).toEqual([...some].sort());
    for (const t of s.per_trace) expect(t.cpu_ms).toBeGreaterThan(0);
    // the jobs ran on two workers: the main thread only dispatched them
    expect(s.main_thread_cpu_ms).toBeLessThan(s.jobs_cpu_ms);
    expect(s.process_cpu_ms).toBeGreaterThanOrEqual(s.jobs_cpu_ms + s.main_thread_cpu_ms - 20);
  }, 300_000);

  it('processes per trace equal an independent count of thread groups in the raw lines, for every variant', async () => {
    const traces = await readTable(out, 'traces');
    expect(traces.map((t) => t.file).sort()).toEqual(inputs);
    const procs = await readTable(out, 'processes');
    for (const t of traces) {
      const want = rawProcesses(String(t.file));
      for (const v of ['mainline', 'cow-pte']) expect(procs.filter((p) => p.trace_hash === t.trace_hash && p.variant === v), `${t.file} ${v}`).toHaveLength(want);
    }
    const viaSql = await runSql(out, "SELECT count(*) FROM processes WHERE variant = 'mainline'");
    expect(viaSql.rows[0]![0]).toBe(inputs.reduce((s, f) => s + rawProcesses(f), 0));
  });

  it("faultline sql answers the README's question with the numbers hyparquet reads", async () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const query = /faultline sql fleet "([^"]+)"/s.exec(readme)?.[1];
    expect(query, 'README has a faultline sql fleet "..." example').toBeDefined();
    const r = await runSql(out, query!);
    expect(r.columns.slice(0, 3)).toEqual(['file', 'pte_saved_bytes', 'write_faults']);
    // the same figures from the Parquet files through hyparquet, summed here
    const procs = await readTable(out, 'processes');
    const paths = await readTable(out, 'fault_paths');
    const traces = await readTable(out, 'traces');
    const sum = (rows: Record<string, unknown>[], col: string): number => rows.reduce((s, x) => s + Number(x[col]), 0);
    const expected = traces.map((t) => {
      const p = (v: string) => procs.filter((x) => x.trace_hash === t.trace_hash && x.variant === v);
      const w = (v: string) => paths.filter((x) => x.trace_hash === t.trace_hash && x.variant === v && String(x.path).startsWith('wp_page_'));
      return { file: String(t.file), saved: sum(p('mainline'), 'pgtables_peak_bytes') - sum(p('cow-pte'), 'pgtables_peak_bytes'), writes: sum(w('mainline'), 'count'), added: sum(w('cow-pte'), 'time_ns') - sum(w('mainline'), 'time_ns'), has: w('mainline').length > 0 && w('cow-pte').length > 0 };
    });
    const top = expected.filter((e) => e.has).sort((a, b) => b.saved - a.saved || (a.file < b.file ? -1 : 1)).slice(0, 10);
    expect(r.rows.map((row) => [row[0], row[1], row[2], row[3]])).toEqual(top.map((e) => [e.file, e.saved, e.writes, e.added]));
    expect(top[0]!.saved).toBeGreaterThan(0); // slices with a fork: shared page tables do save memory
  });
});
