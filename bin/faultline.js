#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm run build` (run by `npm ci` through `prepare`).
import('../dist/src/cli.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND') {
    process.stderr.write('faultline: dist/ is missing; run `npm ci` (or `npm run build`) in the faultline folder first\n');
    process.exit(2);
  }
  throw err;
});
