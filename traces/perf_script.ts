// `perf script` text: `COMM PID[/TID] [CPU] SECONDS: [PERIOD] [SYS:]EVENT[:MOD]: FIELDS`, with -F variations
// (no cpu, no tid), comm names holding spaces, and software page-fault samples (`perf record -d`).
import type { LineFn } from './lines.js';
import { Code, decodeEvent, eventCode, isThrottledRss, isUserFault, SOFTWARE_FAULT_EVENTS, type LineCtx } from './decode.js';
import { charIn, hexAt, indexIn, isDigit, lastCharIn, longAt, own, scanEnd, timeAt } from './fields.js';
import type { Reader } from './reader.js';
import type { OtherEvent } from './events.js';
import * as B from './bytes.js';
import { faultAt, pushFault, pushRss, rssStatAt } from './decode_bytes.js';
import { headAt, learnHead, type Head } from './line_heads.js';

interface EventToken {
  token: string;
  system: string;
  name: string;
  software: boolean;
  code: Code;
  /** Text of the last line from the timestamp's ':' up to the fields (`:  exceptions:page_fault_user: `). */
  tail: string;
  /** tail's bytes (empty until tail is set, or when it is not ASCII: the byte path then passes the line on). */
  tailB: B.Lit;
  /** name is page_fault_user / rss_stat_throttled (decode.ts's tests, made once per name for the byte path). */
  user: boolean;
  throttled: boolean;
}

const MODIFIER = /^[ukhHGpPSDIWeb]+$/;

function decodeToken(token: string): EventToken {
  // token without its final ':' : 'exceptions:page_fault_user', 'page-faults', 'page-faults:u', 'sched:sched_switch'
  const c = token.indexOf(':');
  if (c < 0) return { token, system: SOFTWARE_FAULT_EVENTS.has(token) ? 'software' : '', name: token, software: SOFTWARE_FAULT_EVENTS.has(token), code: Code.Other, tail: '', tailB: B.NO_LIT, user: false, throttled: false };
  const a = token.slice(0, c);
  const b = token.slice(c + 1);
  if (MODIFIER.test(b) && !b.includes(':')) {
    // A modifier after a hardware/software event (`page-faults:u`), not a subsystem.
    const sw = SOFTWARE_FAULT_EVENTS.has(a);
    return { token, system: sw ? 'software' : '', name: a, software: sw, code: Code.Other, tail: '', tailB: B.NO_LIT, user: false, throttled: false };
  }
  const c2 = b.indexOf(':');
  const name = c2 < 0 ? b : b.slice(0, c2);
  return { token, system: a, name, software: false, code: eventCode(name), tail: '', tailB: B.NO_LIT, user: isUserFault(name), throttled: isThrottledRss(name) };
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102);
}

/**
 * Index of the ':' that ends the timestamp (`1014.345277933:`), which must follow a space or the line start,
 * or -1. Comm names may hold ':' (`kworker/u4:1`) but never a bare `digits.digits:` after a space.
 */
function timestampColon(s: string, start: number, end: number): number {
  let p = start;
  for (;;) {
    const c = charIn(s, 58, p, end);
    if (c < 0) return -1;
    let k = c - 1;
    let digits = 0;
    while (k >= start && isDigit(s.charCodeAt(k))) {
      k--;
      digits++;
    }
    if (digits > 0 && k >= start && s.charCodeAt(k) === 46) {
      k--;
      let d2 = 0;
      while (k >= start && isDigit(s.charCodeAt(k))) {
        k--;
        d2++;
      }
      if (d2 > 0 && (k < start || s.charCodeAt(k) === 32)) return c;
    }
    p = c + 1;
  }
}

/**
 * Index of the ':' after a `digits.digits` timestamp starting at `i`, or -1.
 */
function timestampEnd(s: string, i: number, end: number): number {
  const i0 = i;
  while (i < end && isDigit(s.charCodeAt(i))) i++;
  if (i === i0 || i >= end || s.charCodeAt(i) !== 46) return -1;
  const f0 = ++i;
  while (i < end && isDigit(s.charCodeAt(i))) i++;
  if (i === f0 || i >= end || s.charCodeAt(i) !== 58) return -1;
  return i;
}

/** Where slowToken's fields start (module-level so it returns one value without allocating). */
let tokenEnd = 0;

export interface PerfParser {
  line: LineFn;
  /** After the last line: pass on a sample still collecting its call chain. */
  flush(): void;
}

/** One perf script parser's state over one file; the functions below are module-level and take it, so V8 compiles them
 *  once per thread rather than once per trace (closures made per file lost their optimized code between traces). */
interface PerfState {
  readonly ctx: LineCtx;
  readonly tokens: EventToken[];
  readonly commByTid: Map<number, string>;
  inSample: boolean;
  lastTok: EventToken | null;
  prevTok: EventToken | null;
  // The previous header line's text from the line start up to its timestamp, and what it parsed to:
  // consecutive samples of one thread repeat it byte for byte, so the next line only needs a compare.
  hdr: string;
  /** Header bytes the byte path knows (byteLine), with what the string path read from them, most recently matched first. */
  readonly heads: Head[];
  /** The line bytes' last chunk and a view of it (bytes.ts litAt). */
  bytes: Uint8Array | null;
  view: DataView;
  /** byteLine knew this line's header (it failed after it): nothing for learnHead to add. */
  headKnown: boolean;
  hdrCpu: number;
  hdrPid: number;
  hdrTid: number;
  hdrComm: string;
  // A page-fault sample without its address waits here for its call chain (`perf record -g`), kept as `stack`.
  held: OtherEvent | null;
  frames: string[];
}

/**
 * Headers kept: `perf record -a` interleaves threads (corpus perf_a_threads: the header changes on 12.4% of lines; with
 * the last 2 kept 0.5% are new, with 4 0.4%).
 */
const HEADS = 4;

function eventToken(st: PerfState, s: string, p: number, te: number): EventToken {
  // Traces alternate between a few events (fault, rss_stat): try the last two first.
  if (st.lastTok !== null && st.lastTok.token.length === te - p && s.startsWith(st.lastTok.token, p)) return st.lastTok;
  let found: EventToken | null = null;
  if (st.prevTok !== null && st.prevTok.token.length === te - p && s.startsWith(st.prevTok.token, p)) found = st.prevTok;
  else {
    for (let i = 0; i < st.tokens.length; i++) {
      const t = st.tokens[i];
      if (t.token.length === te - p && s.startsWith(t.token, p)) {
        found = t;
        break;
      }
    }
  }
  if (found === null) {
    found = decodeToken(own(s.slice(p, te)));
    if (st.tokens.length < 64) st.tokens.push(found);
  }
  st.prevTok = st.lastTok;
  st.lastTok = found;
  return found;
}

function perfFlush(st: PerfState): void {
  if (st.held === null) return;
  if (st.frames.length > 0) {
    st.held.fields.stack = st.frames.join(';');
    st.held.fields.depth = st.frames.length;
  }
  st.ctx.push(st.held);
  st.held = null;
  st.frames = [];
}

function perfLine(st: PerfState, s: string, start: number, end: number, lineNo: number, u: Uint8Array | null, base: number): void {
  if (st.held !== null) {
    let q = start;
    while (q < end && (s.charCodeAt(q) === 32 || s.charCodeAt(q) === 9)) q++;
    if (q > start && q < end && isHex(s.charCodeAt(q)) && timestampColon(s, q, end) < 0) {
      st.frames.push(frameSymbol(s, q, end));
      return;
    }
    perfFlush(st);
  }
  st.headKnown = false;
  if (u !== null) {
    if (u !== st.bytes) {
      st.bytes = u;
      st.view = B.viewOf(u);
    }
    if (byteLine(st, u, base + start, base + end, lineNo)) return;
  }
  const hl = st.hdr.length;
  if (hl > 0 && start + hl < end && s.startsWith(st.hdr, start)) {
    // Same bytes before the timestamp: the left part parses the same (no ':' in it qualified before).
    const tc = timestampEnd(s, start + hl, end);
    if (tc >= 0) {
      body(st, s, start + hl, tc, end, lineNo, st.hdrCpu, st.hdrPid, st.hdrTid, st.hdrComm);
      return;
    }
  }
  let p = start;
  while (p < end && (s.charCodeAt(p) === 32 || s.charCodeAt(p) === 9)) p++;
  if (p === end) {
    st.inSample = false;
    return;
  }
  if (s.charCodeAt(p) === 35) return; // '#' header from perf script --header
  const tc = timestampColon(s, p, end);
  if (tc < 0) {
    // Call-chain lines (`perf script -g`) follow their sample: an address, then a symbol.
    if (st.inSample && p > start && isHex(s.charCodeAt(p))) return;
    st.ctx.skip(lineNo, 'line_not_event', 'not a perf script event line (no "SECONDS:" timestamp)');
    return;
  }
  let ts = tc - 1;
  while (ts > p && s.charCodeAt(ts - 1) !== 32) ts--;
  // Left part: COMM [PID[/TID]] [[CPU]]
  let l = ts;
  while (l > p && s.charCodeAt(l - 1) === 32) l--;
  let cpu = -1;
  if (l > p && s.charCodeAt(l - 1) === 93) {
    const ob = lastCharIn(s, 91, p, l - 1);
    if (ob >= p) {
      let v = 0;
      let k = ob + 1;
      while (k < l - 1 && isDigit(s.charCodeAt(k))) v = v * 10 + (s.charCodeAt(k++) - 48);
      if (k === l - 1 && k > ob + 1) {
        cpu = v;
        l = ob;
        while (l > p && s.charCodeAt(l - 1) === 32) l--;
      }
    }
  }
  let pid = -1;
  let tid = -1;
  let k = l;
  while (k > p && s.charCodeAt(k - 1) !== 32) k--;
  // PID/TID or a lone TID (perf's default for per-task records prints the tid only).
  let a = 0;
  let b = -1;
  let i = k;
  let ok = i < l;
  while (i < l && isDigit(s.charCodeAt(i))) a = a * 10 + (s.charCodeAt(i++) - 48);
  if (i === k) ok = false;
  if (ok && i < l && s.charCodeAt(i) === 47) {
    i++;
    const bs = i;
    b = 0;
    while (i < l && isDigit(s.charCodeAt(i))) b = b * 10 + (s.charCodeAt(i++) - 48);
    if (i === bs) ok = false;
  }
  if (ok && i === l) {
    if (b >= 0) {
      pid = a;
      tid = b;
    } else tid = a;
    l = k;
    while (l > p && s.charCodeAt(l - 1) === 32) l--;
  }
  let comm = '';
  if (l > p) {
    // The previous header's comm first: consecutive lines are mostly the same thread.
    const cached = tid === st.hdrTid && st.hdrComm.length > 0 ? st.hdrComm : st.commByTid.get(tid);
    if (cached !== undefined && cached.length === l - p && s.startsWith(cached, p)) comm = cached;
    else {
      comm = own(s.slice(p, l));
      if (tid >= 0) st.commByTid.set(tid, comm);
    }
  }
  st.hdr = s.slice(start, ts);
  if (!st.headKnown) learnHead(st.heads, HEADS, st.hdr, cpu, pid, tid, comm);
  st.hdrCpu = cpu;
  st.hdrPid = pid;
  st.hdrTid = tid;
  st.hdrComm = comm;
  body(st, s, ts, tc, end, lineNo, cpu, pid, tid, comm);
}

/** The rest of an event line from its timestamp [ts, tc) on. */
function body(st: PerfState, s: string, ts: number, tc: number, end: number, lineNo: number, cpu: number, pid: number, tid: number, comm: string): void {
  const time = timeAt(s, ts, tc);
  // Fast path: the same text from the ':' to the fields as the last line of one of the two recent events.
  let tok = st.lastTok;
  let f = -1;
  if (tok !== null && tok.tail.length > 0 && tc + tok.tail.length <= end && s.startsWith(tok.tail, tc)) f = tc + tok.tail.length;
  else {
    tok = st.prevTok;
    if (tok !== null && tok.tail.length > 0 && tc + tok.tail.length <= end && s.startsWith(tok.tail, tc)) {
      f = tc + tok.tail.length;
      st.prevTok = st.lastTok;
      st.lastTok = tok;
    }
  }
  if (f < 0) {
    tok = slowToken(st, s, tc, end, lineNo, time, cpu, pid, tid, comm);
    if (tok === null) return;
    f = tokenEnd;
    // Only a tail that ends in a space is reusable: `kmem:` alone would also prefix `kmem:rss_stat:`. (Kept when the
    // token already holds this text: an event that is not one of the two recent comes here every line, an mmap say.)
    if (f > tc && s.charCodeAt(f - 1) === 32 && !(tok.tail.length === f - tc && s.startsWith(tok.tail, tc))) {
      tok.tail = own(s.slice(tc, f));
      tok.tailB = B.asciiLit(tok.tail);
    }
  }
  while (f < end && s.charCodeAt(f) === 32) f++;
  st.inSample = true;
  if (tok!.software) {
    softwareFault(st, s, f, end, tok!, time, cpu, pid, tid, comm, lineNo);
    return;
  }
  const e = decodeEvent(tok!.code, tok!.system, tok!.name, s, f, end, time, cpu, pid, tid, comm, lineNo);
  if (typeof e === 'string') st.ctx.skip(lineNo, 'event_fields_unreadable', e);
  else st.ctx.push(e);
}

/**
 * The common line on its bytes [a, z): a recent header's bytes, a stamp, one of the two recent events' tails, and a
 * fault or rss_stat body in the kernel's own field order. False (nothing changed) for anything else: the string path
 * below reads it, to the same event where both can.
 */
function byteLine(st: PerfState, u: Uint8Array, a: number, z: number, lineNo: number): boolean {
  const v = st.view;
  const h = headAt(st.heads, v, u, a, z);
  if (h === null) return false;
  st.headKnown = true;
  const tc = B.stampAt(u, a + h.lit.b.length, z);
  if (tc < 0) return false;
  const time = B.stampNs;
  let tok = st.lastTok;
  let swap = false;
  if (tok === null || tok.tailB.b.length === 0 || !B.litAt(v, u, tc, z, tok.tailB)) {
    tok = st.prevTok;
    if (tok === null || tok.tailB.b.length === 0 || !B.litAt(v, u, tc, z, tok.tailB)) return false;
    swap = true;
  }
  if (tok.software) return false;
  let f = tc + tok.tailB.b.length;
  while (f < z && u[f] === 32) f++;
  const fault = tok.code === Code.Fault;
  if (fault ? !faultAt(v, u, f, z) : tok.code !== Code.Rss || !rssStatAt(v, u, f, z)) return false;
  if (swap) {
    st.prevTok = st.lastTok;
    st.lastTok = tok;
  }
  st.inSample = true;
  if (fault) pushFault(st.ctx, tok.name, tok.system || 'exceptions', tok.user, time, h, lineNo);
  else pushRss(st.ctx, tok.name, tok.system || 'kmem', tok.throttled, time, h, lineNo);
  return true;
}

/** Reads `[PERIOD] EVENT:` after the timestamp; null when the line was handled (side-band record) or skipped. */
function slowToken(st: PerfState, s: string, tc: number, end: number, lineNo: number, time: number, cpu: number, pid: number, tid: number, comm: string): EventToken | null {
  // Right part: [PERIOD] EVENT: FIELDS
  let r = tc + 1;
  while (r < end && s.charCodeAt(r) === 32) r++;
  let q = r;
  while (q < end && isDigit(s.charCodeAt(q))) q++;
  if (q > r && q < end && s.charCodeAt(q) === 32) {
    r = q;
    while (r < end && s.charCodeAt(r) === 32) r++;
  }
  if (s.charCodeAt(r) === 80 && s.startsWith('PERF_RECORD_', r)) {
    // --show-task-events / --show-mmap-events side-band records: kept as generic events.
    let ne = r + 12;
    while (ne < end) {
      const c = s.charCodeAt(ne);
      if (c === 32 || c === 40 || c === 58) break;
      ne++;
    }
    st.inSample = true;
    if (ne - r === 16 && s.startsWith('PERF_RECORD_LOST', r)) {
      // --show-lost-events: tools/perf/util/event.c: perf_event__fprintf_lost prints ` lost %lu`
      let k = ne;
      while (k < end && s.charCodeAt(k) === 32) k++;
      const n = s.startsWith('lost ', k) ? longAt(s, k + 5, end) : NaN;
      st.ctx.lost(n === n && n > 0 ? n : -1, cpu, lineNo);
      return null;
    }
    st.ctx.push({ kind: 'other', name: s.slice(r, ne), system: 'perf', time, cpu, pid, tid, comm, line: lineNo, fields: { msg: s.slice(ne, end).trim() } });
    return null;
  }
  let te = charIn(s, 32, r, end);
  if (te < 0) te = end;
  if (te - r < 2 || s.charCodeAt(te - 1) !== 58) {
    st.ctx.skip(lineNo, 'line_not_event', 'no "EVENT:" after the timestamp');
    return null;
  }
  const tok = eventToken(st, s, r, te - 1);
  let f = te;
  while (f < end && s.charCodeAt(f) === 32) f++;
  tokenEnd = f;
  return tok;
}

/**
 * Software page-fault sample: `[ADDR [sym (dso)]] [IP [sym (dso)]]`. With `-d`/`-F +addr` the first hex is
 * the data address; a lone hex followed by a symbol is the ip of a sample printed without its address.
 */
function softwareFault(
  st: PerfState,
  s: string, f: number, end: number, tok: EventToken,
  time: number, cpu: number, pid: number, tid: number, comm: string, lineNo: number,
): void {
  const groups: number[] = [];
  let firstHasSym = false;
  let big = false;
  let i = f;
  while (i < end && groups.length < 2) {
    while (i < end && s.charCodeAt(i) === 32) i++;
    if (i >= end) break;
    if (!isHex(s.charCodeAt(i))) return bad();
    const v = hexAt(s, i, end);
    const ve = scanEnd;
    if (ve < end && s.charCodeAt(ve) !== 32) return bad();
    if (v !== v) big = big || groups.length === 0;
    groups.push(v);
    i = ve;
    // Skip an optional `sym+off (dso)` after the address.
    while (i < end && s.charCodeAt(i) === 32) i++;
    if (i < end && !isHexWord(s, i, end)) {
      if (groups.length === 1) firstHasSym = true;
      const open = indexIn(s, ' (', i, end);
      const close = open >= 0 ? charIn(s, 41, open, end) : -1;
      if (close >= 0) i = close + 1;
      else {
        const sp = charIn(s, 32, i, end);
        i = sp < 0 ? end : sp;
      }
    }
  }
  if (groups.length === 0 && i < end) return bad();
  if (groups.length === 0 || (groups.length === 1 && firstHasSym)) {
    // No address in the sample (recorded without -d, or printed without -F +addr): kept untyped, with its call
    // chain when one follows, so query can count it per process and stack; the model cannot replay it.
    st.ctx.count('fault_sample_no_address', 1);
    st.held = { kind: 'other', name: tok.name, system: tok.system, time, cpu, pid, tid, comm, line: lineNo, fields: groups.length === 0 ? {} : { ip: groups[0] === groups[0] ? groups[0] : -1 } };
    return;
  }
  if (big) {
    st.ctx.push({ kind: 'other', name: tok.name, system: tok.system, time, cpu, pid, tid, comm, line: lineNo, fields: { addr: s.slice(f, end).trim() } });
    return;
  }
  const ip = groups.length > 1 && groups[1] === groups[1] ? groups[1] : -1;
  st.ctx.push({ kind: 'fault', name: tok.name, system: tok.system, time, cpu, pid, tid, comm, line: lineNo, user: true, address: groups[0], ip, errorCode: -1 });

  function bad(): void {
    st.ctx.skip(lineNo, 'event_fields_unreadable', `${tok.name} sample without a hex address`);
  }
}

export function createPerfScriptParser(ctx: LineCtx): PerfParser {
  const st: PerfState = { ctx, tokens: [], commByTid: new Map(), inSample: false, lastTok: null, prevTok: null, hdr: '', heads: [], bytes: null, view: new DataView(new ArrayBuffer(0)), headKnown: false, hdrCpu: -1, hdrPid: -1, hdrTid: -1, hdrComm: '', held: null, frames: [] };
  return { line: (s, start, end, lineNo, u, base) => perfLine(st, s, start, end, lineNo, u ?? null, base ?? 0), flush: () => perfFlush(st) };
}

/** `ffff0db42ac0 _start+0x14 (/usr/lib/ld.so)` -> `_start` (the address when perf printed no symbol). */
function frameSymbol(s: string, p: number, end: number): string {
  const sp = charIn(s, 32, p, end);
  if (sp < 0) return s.slice(p, end);
  let e = indexIn(s, ' (', sp + 1, end);
  if (e < 0) e = end;
  const plus = lastCharIn(s, 43, sp + 1, e - 1);
  const sym = s.slice(sp + 1, plus > sp && s.startsWith('+0x', plus) ? plus : e).trim();
  return sym.length > 0 ? sym : s.slice(p, sp);
}

/** A hex word (the next address) rather than a symbol name. */
function isHexWord(s: string, i: number, end: number): boolean {
  let k = i;
  while (k < end && isHex(s.charCodeAt(k))) k++;
  return k > i && (k === end || s.charCodeAt(k) === 32);
}

// An event is `sys:name`, `name[:modifiers]` or a PMU-qualified `pmu/event/[modifiers]` (hybrid and big.LITTLE CPUs).
const PERF_LINE = /^\s*(?:\S.*?\s+)?\d+(?:\/\d+)?\s+(?:\[\d+\]\s+)?\d+\.\d+:\s+(?:\d+\s+)?(?:[\w:.-]+|[\w.-]+\/[^/\s]+\/[\w:]*):(?:\s|$)/;
const PERF_LINE_NOPID = /^\s*\S.*?\s+(?:\[\d+\]\s+)?\d+\.\d+:\s+(?:\d+\s+)?[\w.-]+:[\w.-]+:(?:\s|$)/;

export const perfScriptReader: Reader<'perf-script'> = {
  name: 'perf-script',
  title: 'perf script',
  lastLineNeedsNewline: true,
  // perf script prints samples sorted by time across CPUs (tools/perf/util/ordered-events.c): no per-CPU merge needed
  merge: { inOrder: true },
  sniff: {
    event: (line) => PERF_LINE.test(line) || PERF_LINE_NOPID.test(line),
  },
  create(ctx) {
    const p = createPerfScriptParser(ctx);
    return { line: p.line, end: () => (p.flush(), null) };
  },
};
