// decode.ts's fault and rss_stat bodies read from bytes (traces/bytes.ts), for the text readers' byte paths: the kernel's
// own field order only, to the values decode.ts gives; null for anything else (the reader then takes its string path).
// The task and CPU come from the line start the reader matched (line_heads.ts).
import { RSS_MEMBER_NAMES, type FaultEvent, type RssStatEvent } from './events.js';
import * as B from './bytes.js';
import type { Head } from './line_heads.js';

const ADDRESS = B.asciiLit('address=');
const IP = B.asciiLit(' ip=');
const ERROR_CODE = B.asciiLit(' error_code=');
const MM_ID = B.asciiLit('mm_id=');
const CURR = B.asciiLit(' curr=');
const TYPE = B.asciiLit(' type=');
const SIZE = B.asciiLit(' size=');
const MEMBERS = RSS_MEMBER_NAMES.map((m) => B.asciiLit(m));

/** A fault from `address=0x.. ip=0x.. error_code=0x..` at f (arch/x86/include/asm/trace/exceptions.h), else null. */
export function faultAt(v: DataView, u: Uint8Array, f: number, z: number, name: string, system: string, user: boolean, time: number, h: Head, line: number): FaultEvent | null {
  const address = B.numAfter(v, u, f, z, ADDRESS);
  if (address !== address) return null;
  const ip = B.numAfter(v, u, B.byteEnd, z, IP);
  if (ip !== ip) return null;
  const errorCode = B.numAfter(v, u, B.byteEnd, z, ERROR_CODE);
  if (errorCode !== errorCode) return null;
  return { kind: 'fault', name, system, time, cpu: h.cpu, pid: h.pid, tid: h.tid, comm: h.comm, line, user, address, ip, errorCode };
}

/** An rss_stat from `mm_id=N curr=N type=NAME size=NB` at f (include/trace/events/kmem.h since 6.2), else null. */
export function rssStatAt(v: DataView, u: Uint8Array, f: number, z: number, name: string, system: string, throttled: boolean, time: number, h: Head, line: number): RssStatEvent | null {
  const mmId = B.numAfter(v, u, f, z, MM_ID);
  if (mmId !== mmId) return null;
  const curr = B.numAfter(v, u, B.byteEnd, z, CURR);
  if (curr !== curr || !B.litAt(v, u, B.byteEnd, z, TYPE)) return null;
  const t = B.byteEnd + 6;
  let member = -1;
  let p = 0;
  for (let m = 0; m < MEMBERS.length; m++) {
    const nm = MEMBERS[m]!;
    const e = t + nm.b.length;
    if (B.litAt(v, u, t, z, nm) && (e === z || u[e] === 32)) {
      member = m;
      p = e;
      break;
    }
  }
  if (member < 0 || !B.litAt(v, u, p, z, SIZE)) return null;
  const size = B.signedAt(u, p + 6, z);
  if (size !== size) return null;
  return { kind: 'rss_stat', name, system, time, cpu: h.cpu, pid: h.pid, tid: h.tid, comm: h.comm, line, mmId, curr: curr !== 0, member, size, throttled };
}
