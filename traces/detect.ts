// Format detection from the first KiBs of a (decompressed) trace by the readers' sniffs, and the binary files people hand in by mistake.
import type { TraceFormat } from './events.js';
import { READERS } from './readers.js';

/** perf.data and trace.dat magics, checked on the raw bytes before any text decoding. */
export function binaryKind(head: Uint8Array): 'perf.data' | 'trace.dat' | 'binary' | null {
  const ascii = (s: string, at = 0): boolean => {
    for (let i = 0; i < s.length; i++) if (head[at + i] !== s.charCodeAt(i)) return false;
    return head.length >= at + s.length;
  };
  if (ascii('PERFILE2') || ascii('PERFFILE')) return 'perf.data';
  // trace-cmd's trace.dat: \x17\x08\x44 "tracing"
  if (head[0] === 0x17 && head[1] === 0x08 && head[2] === 0x44 && ascii('tracing', 3)) return 'trace.dat';
  let nul = 0;
  const n = Math.min(head.length, 4096);
  for (let i = 0; i < n; i++) if (head[i] === 0) nul++;
  return nul > 0 ? 'binary' : null;
}

/** The format of a text trace from its first lines, or null when no line looks like any format. */
export function detectFormat(head: string): TraceFormat | null {
  for (const r of READERS) if (r.sniff.marker?.(head)) return r.name;
  const score = READERS.map(() => 0);
  const lines = head.split('\n');
  // A partial last line would mislead: drop it unless it is the only one.
  if (lines.length > 1) lines.pop();
  let seen = 0;
  for (const raw of lines) {
    const line = raw.replace(/\r$/, '');
    let header = false;
    for (let i = 0; i < READERS.length && !header; i++) {
      const pts = READERS[i].sniff.header?.(line) ?? 0;
      if (pts > 0) {
        score[i] += pts;
        header = true;
      }
    }
    if (header || line.trim() === '' || line.startsWith('#')) continue;
    if (seen++ > 200) break;
    for (let i = 0; i < READERS.length; i++) {
      if (READERS[i].sniff.event?.(line)) {
        score[i]++;
        break;
      }
    }
  }
  for (let i = 0; i < READERS.length; i++) if (READERS[i].sniff.decisive && score[i] > 0) return READERS[i].name;
  // Otherwise the most lines wins; a tie goes to the reader listed first.
  let best = -1;
  for (let i = 0; i < READERS.length; i++) if (score[i] > 0 && (best < 0 || score[i] > score[best])) best = i;
  return best < 0 ? null : READERS[best].name;
}
