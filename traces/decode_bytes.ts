// decode.ts's fault and rss_stat bodies read from bytes (traces/bytes.ts), for the text readers' byte paths: the kernel's
// own field order only, to the values decode.ts gives; false for anything else (the reader then takes its string path).
// The task and CPU come from the line start the reader matched (line_heads.ts); the event goes out by its parts where
// the context takes them (LineCtx.fault/rss: no object per line in the parse worker).
import { RSS_MEMBER_NAMES } from './events.js';
import type { LineCtx } from './decode.js';
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

/** The fields faultAt and rssStatAt read, for pushFault and pushRss (the byte path's one record: nothing per line). */
const got = { address: 0, ip: 0, errorCode: 0, mmId: 0, curr: false, member: 0, size: 0 };

/** Whether `address=0x.. ip=0x.. error_code=0x..` is at f (arch/x86/include/asm/trace/exceptions.h): the fields kept for pushFault. */
export function faultAt(v: DataView, u: Uint8Array, f: number, z: number): boolean {
  const address = B.numAfter(v, u, f, z, ADDRESS);
  if (address !== address) return false;
  const ip = B.numAfter(v, u, B.byteEnd, z, IP);
  if (ip !== ip) return false;
  const errorCode = B.numAfter(v, u, B.byteEnd, z, ERROR_CODE);
  if (errorCode !== errorCode) return false;
  got.address = address;
  got.ip = ip;
  got.errorCode = errorCode;
  return true;
}

/** Whether `mm_id=N curr=N type=NAME size=NB` is at f (include/trace/events/kmem.h since 6.2): the fields kept for pushRss. */
export function rssStatAt(v: DataView, u: Uint8Array, f: number, z: number): boolean {
  const mmId = B.numAfter(v, u, f, z, MM_ID);
  if (mmId !== mmId) return false;
  const curr = B.numAfter(v, u, B.byteEnd, z, CURR);
  if (curr !== curr || !B.litAt(v, u, B.byteEnd, z, TYPE)) return false;
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
  if (member < 0 || !B.litAt(v, u, p, z, SIZE)) return false;
  const size = B.signedAt(u, p + 6, z);
  if (size !== size) return false;
  got.mmId = mmId;
  got.curr = curr !== 0;
  got.member = member;
  got.size = size;
  return true;
}

/** The fault faultAt read, to `ctx`: by its parts where the context takes them, else as the object decode.ts builds. */
export function pushFault(ctx: LineCtx, name: string, system: string, user: boolean, time: number, h: Head, line: number): void {
  if (ctx.fault !== undefined) ctx.fault(name, system, time, h.cpu, h.pid, h.tid, h.comm, line, user, got.address, got.ip, got.errorCode);
  else ctx.push({ kind: 'fault', name, system, time, cpu: h.cpu, pid: h.pid, tid: h.tid, comm: h.comm, line, user, address: got.address, ip: got.ip, errorCode: got.errorCode });
}

/** The rss_stat rssStatAt read, to `ctx` (as pushFault). */
export function pushRss(ctx: LineCtx, name: string, system: string, throttled: boolean, time: number, h: Head, line: number): void {
  if (ctx.rss !== undefined) ctx.rss(name, system, time, h.cpu, h.pid, h.tid, h.comm, line, got.mmId, got.curr, got.member, got.size, throttled);
  else ctx.push({ kind: 'rss_stat', name, system, time, cpu: h.cpu, pid: h.pid, tid: h.tid, comm: h.comm, line, mmId: got.mmId, curr: got.curr, member: got.member, size: got.size, throttled });
}
