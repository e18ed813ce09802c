// Opt-in live recording (root, perf and tracefs needed): FAULTLINE_RECORD_TESTS=1 npx vitest run record/record.live.test.ts
// CI does not run it (it may lack perf); it checks the recorder end to end against a workload's own fault count.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { record } from './record.js';
import { parseWorkloadOutput } from './fixtures.js';
import { buildWorkloads } from './workloads.js';

const live = process.env.FAULTLINE_RECORD_TESTS === '1';
const dir = mkdtempSync(join(tmpdir(), 'faultline-live-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!live).each(['perf', 'ftrace'] as const)('live recording with %s', (backend) => {
  it('records every write fault of write_touch between its checkpoints, and leaves no instance behind', async () => {
    const bin = buildWorkloads(['write_touch'], join(dir, 'bin')).write_touch!;
    const out = join(dir, `${backend}.txt.gz`);
    const truthFile = join(dir, `${backend}.jsonl`);
    const res = await record({ output: out, backend, command: [bin, '512'], truthFile });
    expect(res.commandStatus).toBe(0);
    expect(res.lostEvents).toBe(0);
    const { checkpoints, regions } = parseWorkloadOutput(readFileSync(truthFile, 'utf8'), truthFile);
    const from = checkpoints.find((c) => c.label === 'mapped')!;
    const to = checkpoints.find((c) => c.label === 'written')!;
    const r = regions[0]!;
    let n = 0;
    for (const line of gunzipSync(readFileSync(out)).toString().split('\n')) {
      const m = /\s(\d+)\.(\d+):\s+(?:exceptions:)?page_fault_user: address=0x([0-9a-f]+)/.exec(line);
      if (!m) continue;
      const a = Number.parseInt(m[3]!, 16);
      const t = Number(m[1]) * 1e9 + Number(m[2]!.padEnd(9, '0'));
      if (a >= r.addr && a < r.addr + r.len && t >= from.t_mono_ns - 1000 && t <= to.t_mono_ns + 1000) n++;
    }
    expect(n).toBe(512);
    expect(to.minflt - from.minflt).toBe(512);
    expect(readdirSync('/sys/kernel/tracing/instances').filter((x) => x.startsWith(`faultline-${process.pid}`))).toEqual([]);
  });
});
