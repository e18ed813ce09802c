// The machine page size from a Perfetto trace's SystemInfo (src/machine_page_size.ts), through `faultline replay`.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { encodePerfetto, parseFtraceText } from '../traces/perfetto_encode.suite.js';
import { runReplay } from './commands/replay.js';

const TMP = mkdtempSync(join(tmpdir(), 'faultline-sysinfo-'));
const SRC = new URL('../traces/fixtures/workloads/write_touch/ftrace.txt.gz', import.meta.url).pathname;
const src = parseFtraceText(gunzipSync(readFileSync(SRC)).toString('utf8'));
const file = (name: string, bytes: Uint8Array): string => {
  const p = join(TMP, name);
  writeFileSync(p, bytes);
  return p;
};

describe('machine page size from SystemInfo', () => {
  it('replay takes the machine page size from it (a 16 KiB claim on this 4 KiB recording: the rss_stat steps then disagree, and replay says so); --machine-page-size wins', async () => {
    const err: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((s: string) => (err.push(String(s)), true)) as typeof process.stderr.write;
    try {
      const t16 = file('t16.pftrace', encodePerfetto(src, { systemInfo: { pageSize: 16384, machine: 'aarch64' } }));
      const r16 = await runReplay(t16, { profile: 'none' } as Parameters<typeof runReplay>[1]);
      expect(r16.result.variants[0]!.spec.machinePageSize).toBe('16k');
      expect(r16.result.page_size_note).toBeDefined();
      expect(err.join('')).toContain("machine page size 16k: from the trace's SystemInfo page_size 16384 (aarch64)");
      const t4 = file('t4.pftrace', encodePerfetto(src, { systemInfo: { pageSize: 4096 } }));
      const r4 = await runReplay(t4, { profile: 'none' } as Parameters<typeof runReplay>[1]);
      expect(r4.result.variants[0]!.spec.machinePageSize).toBe('4k');
      expect(r4.result.page_size_note).toBeUndefined();
      err.length = 0;
      const over = await runReplay(t16, { profile: 'none', machinePageSize: '4k' } as Parameters<typeof runReplay>[1]);
      expect(over.result.variants[0]!.spec.machinePageSize).toBe('4k');
      expect(err.join('')).toContain("--machine-page-size 4k overrides the trace's SystemInfo page_size 16384");
    } finally {
      process.stderr.write = write;
    }
  });
});
