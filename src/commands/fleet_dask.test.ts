// The Dask recipe (tools/fleet_dask.py) on a LocalCluster of 2 workers over a generated fleet: every shard runs as a
// `faultline batch --shard I/N` task, and the aggregate summed from the shards' partials equals `faultline sql`'s.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fleetSources, generateFleet } from '../../record/fleet_gen.js';
import { readTable } from '../../analyze/fleet/read_parquet.suite.js';
import { runSql } from './sql.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const CLI = join(ROOT, 'dist/src/cli.js');

/** Debian's python3 with python3-distributed (a pyenv or venv python3 first on PATH may lack it). */
function pythonWithDask(): string | null {
  for (const py of ['python3', '/usr/bin/python3']) {
    const r = spawnSync(py, ['-c', 'import distributed'], { encoding: 'utf8' });
    if (r.status === 0) return py;
  }
  return null;
}
const PY = pythonWithDask();
const why = !PY ? 'SKIPPED: python3-distributed is not installed (apt-get install -y python3-distributed)' : !existsSync(CLI) ? 'SKIPPED: no dist/ (npm run build)' : '';

describe.skipIf(why !== '')(`Dask LocalCluster runs faultline batch shards ${why}`, () => {
  it('2 workers, 5 shards over 20 traces: one aggregate equal to faultline sql over the same Parquet', async () => {
    const inputs = mkdtempSync(join(tmpdir(), 'faultline-dask-in-'));
    const out = mkdtempSync(join(tmpdir(), 'faultline-dask-out-'));
    const sources = fleetSources(ROOT).filter((p) => /\/(sparse_1g|thp_write_first|thp_read_first)\//.test(p));
    const files = generateFleet(20, inputs, sources);
    const r = spawnSync(PY!, [join(ROOT, 'tools/fleet_dask.py'), '--workers', '2', '--shards', '5', '-o', out, inputs, '--', '--patch', 'cow-pte', '--machine-no-zero-page'], {
      encoding: 'utf8',
      env: { ...process.env, FAULTLINE: `${process.execPath} ${CLI}` },
      timeout: 240_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout) as { shards: string[]; traces: number; workers: number; aggregate: Record<string, Record<string, number>> };
    expect(res.workers).toBe(2);
    expect(res.traces).toBe(20);
    expect(res.shards).toHaveLength(5);
    for (const s of res.shards) expect(s).toMatch(/^batch: 4 traces, 4 ok, 0 failed/);
    expect((await readTable(out, 'traces')).map((t) => t.file).sort()).toEqual(files);
    const whole = await runSql(out, 'SELECT variant, count(*), sum(pgtables_peak_bytes), sum(faults) FROM processes GROUP BY variant ORDER BY variant');
    expect(Object.entries(res.aggregate).map(([v, a]) => [v, a.processes, a.pgtables_peak_bytes, a.faults])).toEqual(whole.rows);
  }, 300_000);
});
