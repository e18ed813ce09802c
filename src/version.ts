// faultline's own version, from package.json: for --version and for the report's provenance.

import { readFileSync } from 'node:fs';

/** The package version; 'unknown' when no faultline package.json is found above this module. */
export function packageVersion(): string {
  // src/version.ts and dist/src/version.js sit at different depths below package.json.
  for (const up of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as { name?: string; version: string };
      if (pkg.name === 'faultline') return pkg.version;
    } catch {
      /* try the next level */
    }
  }
  return 'unknown';
}
