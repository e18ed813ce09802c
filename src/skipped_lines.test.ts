// Every command that reads a trace says, on stderr, how many lines it skipped and where the first was.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { runCli } from './commands/run_cli.suite.js';
import { registerInfo } from './commands/info.js';
import { registerReplay } from './commands/replay.js';
import { registerValidate } from './commands/validate.js';
import { registerQuery } from './commands/query.js';

const SRC = new URL('../traces/fixtures/workloads/fork_child_all/perf.txt.gz', import.meta.url).pathname;

/** The fixture's first 3000 lines with one line no reader knows put in at line 1000. */
function traceWithGarbage(): string {
  const lines = gunzipSync(readFileSync(SRC)).toString('latin1').split('\n').slice(0, 3000);
  lines.splice(999, 0, 'this is not a trace line');
  const p = join(mkdtempSync(join(tmpdir(), 'fl-skip-')), 't.txt');
  writeFileSync(p, lines.join('\n') + '\n', 'latin1');
  return p;
}

describe('a skipped line is reported by every command', () => {
  const t = traceWithGarbage();
  const cases: [string, (p: import('commander').Command) => void, string[]][] = [
    ['info', registerInfo, ['info', t]],
    ['replay', registerReplay, ['replay', t, '--profile', 'x86_64-kvm-6.18']],
    ['validate', registerValidate, ['validate', t, '--profile', 'x86_64-kvm-6.18']],
    ['query', registerQuery, ['query', t, 'tracepoint:exceptions:page_fault_user { @ = count(); }']],
  ];
  for (const [name, register, argv] of cases) {
    it(name, async () => {
      const r = await runCli(register, argv);
      expect(r.err).toContain(`faultline: warning: ${t}: skipped 1 unreadable line (first: ${t}:1000: `);
    });
  }
});
