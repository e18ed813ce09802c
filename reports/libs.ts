// Finds and reads the vega, vega-lite and vega-embed browser builds in node_modules, for inlining.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { userError } from '../traces/errors.js';

export const LIB_FILES = ['vega/build/vega.min.js', 'vega-lite/build/vega-lite.min.js', 'vega-embed/build/vega-embed.min.js'] as const;

const cache = new Map<string, string>();

/** Walk up from this module (reports/ or dist/reports/) to the node_modules that holds `rel`. */
export function findModuleFile(rel: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const p = join(dir, 'node_modules', rel);
    if (existsSync(p)) return p;
    const up = dirname(dir);
    if (up === dir) throw userError(`cannot find node_modules/${rel}`, { hint: 'install faultline with its dependencies: npm ci' });
    dir = up;
  }
}

/** The library's source minus its sourceMappingURL comment (a page opened offline must not ask for a .map). */
export function libSource(rel: string): string {
  let s = cache.get(rel);
  if (s === undefined) {
    s = readFileSync(findModuleFile(rel), 'utf8').replace(/\n?\/\/# sourceMappingURL=\S*\s*$/, '\n');
    cache.set(rel, s);
  }
  return s;
}
