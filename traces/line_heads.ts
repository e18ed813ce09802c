// The line starts (everything before the timestamp: task, pid, CPU, flags) a text reader's string path read, kept for its
// byte path: a later line with the same bytes there parses to the same task and CPU, so it needs only a compare.
import { asciiLit, litAt, sameLit, type Lit } from './bytes.js';

/** A line start the string path read: its bytes up to the timestamp, and the CPU, pid, tid and comm it read from them. */
export interface Head {
  lit: Lit;
  cpu: number;
  pid: number;
  tid: number;
  comm: string;
}

/** The known line start at a of u (v views u) with something after it before z, moved to the front; null when none. */
export function headAt(hs: Head[], v: DataView, u: Uint8Array, a: number, z: number): Head | null {
  for (let k = 0; k < hs.length; k++) {
    const h = hs[k]!;
    if (a + h.lit.b.length < z && litAt(v, u, a, z, h.lit)) {
      if (k > 0) (hs[k] = hs[0]!), (hs[0] = h);
      return h;
    }
  }
  return null;
}

/** Keep the line start `text` the string path read (at most `max`, the newest first); not when known, nor when not ASCII. */
export function learnHead(hs: Head[], max: number, text: string, cpu: number, pid: number, tid: number, comm: string): void {
  const lit = asciiLit(text);
  if (lit.b.length === 0 || hs.some((h) => sameLit(h.lit, lit))) return;
  if (hs.length === max) hs.pop();
  hs.unshift({ lit, cpu, pid, tid, comm });
}
