// The README's `perf record -e ...` line for users without faultline's recorder asks for exactly the recorder's events.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { DEFAULT_EVENTS } from './events.js';

describe('README: Recording without faultline\'s recorder', () => {
  it('its perf record line names every event of DEFAULT_EVENTS and nothing else', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const at = readme.indexOf('## Recording without faultline\'s recorder');
    expect(at).toBeGreaterThan(0);
    const block = readme.slice(readme.indexOf('```sh', at), readme.indexOf('```\n', readme.indexOf('```sh', at) + 5));
    const listed = [...block.matchAll(/-e (\S+)/g)].map((m) => m[1]!.replace(/'/g, ''));
    expect([...listed].sort()).toEqual([...DEFAULT_EVENTS].sort());
  });
});
