// The one progress display: a bar on stderr while a long trace is read, only when stderr is a terminal.
import { basename } from 'node:path';
import type { ReadOptions } from '../traces/events.js';

/** A one-line progress bar on stderr, only when stderr is a terminal, and only for traces that take a while. */
export function progressBar(
  file: string,
  out: { isTTY?: boolean; write(s: string): unknown } = process.stderr,
  now: () => number = Date.now,
): { onProgress: ReadOptions['onProgress']; done(): void } {
  if (!out.isTTY) return { onProgress: undefined, done() {} };
  const start = now();
  let last = 0;
  let shown = false;
  return {
    onProgress(read, total) {
      const t = now();
      if (t - start < 1000 || t - last < 100) return; // short traces stay silent; at most 10 updates a second
      last = t;
      shown = true;
      const f = total > 0 ? Math.min(1, read / total) : 0;
      const w = 30;
      const bar = '#'.repeat(Math.round(f * w)).padEnd(w, ' ');
      out.write(`\r${basename(file)} [${bar}] ${(f * 100).toFixed(0).padStart(3)}% ${(read / 1048576).toFixed(0)} MiB`);
    },
    done() {
      if (shown) out.write('\r\x1b[K');
    },
  };
}
