// `faultline report --fleet DIR` on a small batch: the page holds the fleet charts (valid Vega-Lite), the figures
// from the tables, and links to single-trace reports of the extremes that exist beside it.
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { compile } from 'vega-lite';
import { runCli } from './run_cli.suite.js';
import { registerBatch } from './batch.js';
import { registerReport } from './report.js';
import { readTable } from '../../analyze/fleet/read_parquet.suite.js';

const FIX = new URL('../../traces/fixtures/workloads/', import.meta.url).pathname;
const run = (args: string[]) => runCli((p) => (registerBatch(p), registerReport(p)), args);

describe('faultline report --fleet', () => {
  it('writes the fleet page with its charts, and the extremes get their own reports', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'faultline-fleet-report-'));
    const out = join(dir, 'fleet');
    const inputs = ['fork_thp/perf.txt.gz', 'sparse_1g/ftrace.txt.gz', 'thp_write_first/perf.txt.gz'].map((f) => FIX + f);
    expect((await run(['batch', ...inputs, '-o', out, '--patch', 'cow-pte', '--machine-no-zero-page', '--jobs', '1'])).code).toBe(0);
    const page = join(dir, 'fleet.html');
    const r = await run(['report', '--fleet', out, '-o', page]);
    expect(r.code, r.err).toBe(0);
    const html = readFileSync(page, 'utf8');
    const specs = JSON.parse(/<script type="application\/json" id="faultline-specs">([\s\S]*?)<\/script>/.exec(html)![1]!) as { id: string; spec: object }[];
    expect(specs.map((s) => s.id)).toEqual(['fleet_deltas', 'fleet_validation']);
    for (const s of specs) expect(() => compile(s.spec as never)).not.toThrow();
    // every trace has one tick per metric for cow-pte, and the headline counts what the validation table holds
    const deltas = (specs[0]!.spec as { data: { values: { variant: string }[] } }).data.values;
    expect(deltas.filter((d) => d.variant === 'cow-pte')).toHaveLength(3 * 4);
    const val = await readTable(out, 'validation');
    const compared = val.reduce((s, v) => s + Number(v.compared), 0);
    expect(html).toContain(`rss_stat events matched ${val.reduce((s, v) => s + Number(v.matched), 0)} of ${compared}`);
    const links = [...html.matchAll(/<a href="([^"]+)">/g)].map((m) => m[1]!);
    expect(links.length).toBe(3);
    for (const l of links) expect(existsSync(join(dirname(page), l)), l).toBe(true);
  });

  it('a directory that is not a batch output is one line and exit 2', async () => {
    const r = await run(['report', '--fleet', tmpdir(), '-o', join(tmpdir(), 'x.html')]);
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
  });
});
