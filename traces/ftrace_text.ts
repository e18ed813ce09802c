// tracefs `trace` / `trace_pipe` text (also the line format of trace-cmd report and Android atrace):
// `TASK-PID [(TGID)] [CPU] [FLAGS] SECONDS: EVENT: FIELDS`, tracefs syscall lines `sys_mmap(addr: 0, ...)` and
// `sys_mmap -> 0x7f...`, `CPU:N [LOST M EVENTS]`, and the `entries-in-buffer/entries-written` header.
import type { LineFn } from './lines.js';
import { bareHexArgs, Code, decodeEvent, eventCode, isThrottledRss, isUserFault, syscallArgs, type LineCtx } from './decode.js';
import type { OtherEvent } from './events.js';
import { MM_SYSCALLS } from './syscalls.js';
import { charIn, indexIn, isDigit, lastCharIn, longAt, own, parseFields, timeAt, scanEnd } from './fields.js';
import type { Reader } from './reader.js';
import * as B from './bytes.js';
import { faultAt, pushFault, pushRss, rssStatAt } from './decode_bytes.js';
import { headAt, learnHead, type Head } from './line_heads.js';

export interface FtraceOptions {
  /** trace-cmd report: lines may start with `INSTANCE:` and it prints `cpus=N`, `CPU N is empty`, `[N EVENTS DROPPED]`. */
  traceCmd?: boolean;
}

export interface FtraceParser {
  line: LineFn;
  /** After the last line: pass on a stack trace still collecting frames. */
  flush(): void;
}

/** Events whose text is a free-form message that may hold newlines (trace_printk, trace_marker): later lines continue it. */
const MESSAGE_EVENTS: ReadonlySet<string> = new Set(['bprint', 'print', 'bputs', 'tracing_mark_write']);

/** Index of the `[CPU]` bracket: a '[' after a space, digits, ']'; or -1. */
function cpuBracket(s: string, p: number, end: number): number {
  let i = charIn(s, 91, p, end);
  while (i >= 0) {
    if (i > p && s.charCodeAt(i - 1) === 32) {
      let k = i + 1;
      while (k < end && isDigit(s.charCodeAt(k))) k++;
      if (k > i + 1 && k < end && s.charCodeAt(k) === 93) return i;
    }
    i = charIn(s, 91, i + 1, end);
  }
  return -1;
}

/**
 * The TGID an atrace marker names (`B|pid|name`, `C|pid|name|value`, `S|pid|name|cookie`, `F|...`:
 * frameworks/native libs/cutils trace.h writes getpid()), after an optional `tracing_mark_write: ` prefix; else -1.
 */
function atraceTgid(s: string, f: number, end: number): number {
  if (s.startsWith('tracing_mark_write: ', f)) f += 20;
  const c = s.charCodeAt(f);
  if ((c !== 66 && c !== 67 && c !== 83 && c !== 70) || s.charCodeAt(f + 1) !== 124) return -1;
  let i = f + 2;
  let v = 0;
  while (i < end && isDigit(s.charCodeAt(i))) v = v * 10 + (s.charCodeAt(i++) - 48);
  return i > f + 2 && (i === end || s.charCodeAt(i) === 124) && v > 0 ? v : -1;
}

/** One ftrace parser's state over one file; the functions below are module-level and take it, so V8 compiles them once
 *  per thread rather than once per trace (closures made per file lost their optimized code between traces: fleet bench). */
interface FtraceState {
  readonly ctx: LineCtx;
  readonly traceCmd: boolean;
  readonly commByTid: Map<number, string>;
  readonly names: string[];
  readonly codes: Code[];
  lastCode: Code;
  // kernel/trace/trace_output.c: trace_stack_print prints `<stack trace>` then one ` => frame` line per frame:
  // the stack event is held here until its last frame.
  stack: OtherEvent | null;
  frames: string[];
  /** The last line was (or continued) a message event, so a line without the [CPU] column continues its text. */
  inMessage: boolean;
  /** Line starts and event tails the byte path knows (byteLine), most recently matched first. */
  readonly heads: Head[];
  readonly tails: Tail[];
  /** The line bytes' last chunk and a view of it (bytes.ts litAt). */
  bytes: Uint8Array | null;
  view: DataView;
  /** byteLine knew this line's start and tail (it failed on the fields): nothing for learn to add. */
  known: boolean;
}

/** What followed a timestamp up to a fault's or rss_stat's fields (`: rss_stat:             `), and that event. */
interface Tail {
  lit: B.Lit;
  name: string;
  code: Code;
  user: boolean;
  throttled: boolean;
}

/** Line starts kept (the tasks of a system-wide trace interleave; each line start is compared in turn). */
const HEADS = 4;
const TAILS = 2;

/** First characters of lines the string path tests before their [CPU] column (`#`, `CPU`, `cpus=`, `version`, `TRACE:`, `=>`): never learnt. */
const SPECIAL_FIRST = new Set([35, 67, 99, 118, 84, 61]);

/**
 * A fault or rss_stat line whose start and tail are ones the string path read before, with the kernel's field order:
 * read from its bytes [a, z). False (nothing changed) otherwise: the string path reads it, to the same event.
 */
function byteLine(st: FtraceState, u: Uint8Array, a: number, z: number, lineNo: number): boolean {
  st.known = false;
  if (st.stack !== null) return false;
  const v = st.view;
  const h = headAt(st.heads, v, u, a, z);
  if (h === null) return false;
  const tc = B.stampAt(u, a + h.lit.b.length, z);
  if (tc < 0 || tc + 1 >= z || u[tc + 1] !== 32) return false; // the stamp is a token of its own (ftraceLine's te)
  const time = B.stampNs;
  const ts = st.tails;
  let j = 0;
  for (; j < ts.length; j++) if (B.litAt(v, u, tc, z, ts[j]!.lit)) break;
  if (j === ts.length) return false;
  const t = ts[j]!;
  st.known = true;
  let f = tc + t.lit.b.length;
  while (f < z && u[f] === 32) f++;
  // decodeEvent's system for a format that prints none
  const fault = t.code === Code.Fault;
  if (fault ? !faultAt(v, u, f, z) : !rssStatAt(v, u, f, z)) return false;
  st.inMessage = false;
  st.lastCode = t.code;
  if (fault) pushFault(st.ctx, t.name, 'exceptions', t.user, time, h, lineNo);
  else pushRss(st.ctx, t.name, 'kmem', t.throttled, time, h, lineNo);
  return true;
}

/** After the string path read a fault or rss_stat: its line start [start, r) and tail [tc, f), for byteLine. */
function learn(st: FtraceState, s: string, start: number, r: number, tc: number, f: number, cpu: number, pid: number, tid: number, comm: string, name: string): void {
  learnHead(st.heads, HEADS, s.slice(start, r), cpu, pid, tid, comm);
  const tail = B.asciiLit(s.slice(tc, f));
  if (tail.b.length === 0 || st.tails.some((t) => B.sameLit(t.lit, tail))) return;
  if (st.tails.length === TAILS) st.tails.pop();
  st.tails.unshift({ lit: tail, name, code: st.lastCode, user: isUserFault(name), throttled: isThrottledRss(name) });
}

function ftraceFlush(st: FtraceState): void {
  if (st.stack === null) return;
  st.stack.fields.stack = st.frames.join(';');
  st.stack.fields.depth = st.frames.length;
  st.ctx.push(st.stack);
  st.stack = null;
  st.frames = [];
}

/** The event name at [p, e), from a small cache; sets st.lastCode. */
function nameAt(st: FtraceState, s: string, p: number, e: number): string {
  for (let i = 0; i < st.names.length; i++) {
    const n = st.names[i];
    if (n.length === e - p && s.startsWith(n, p)) {
      st.lastCode = st.codes[i];
      return n;
    }
  }
  const n = own(s.slice(p, e));
  st.lastCode = eventCode(n);
  if (st.names.length < 64) {
    st.names.push(n);
    st.codes.push(st.lastCode);
  }
  return n;
}

/** A CPU count (`#P:2`, `cpus=2`) at `at`, passed on when it is plausible. */
function cpusAt(st: FtraceState, s: string, at: number, end: number): void {
  const n = longAt(s, at, end);
  if (n === n && n > 0 && n <= 4096) st.ctx.cpus(n);
}

function headerLine(st: FtraceState, s: string, p: number, end: number, lineNo: number): void {
  // # entries-in-buffer/entries-written: 280/6263   #P:2  (kernel/trace/trace.c: print_event_info)
  const k = indexIn(s, 'entries-in-buffer/entries-written:', p, end);
  if (k < 0) return;
  const np = indexIn(s, '#P:', k, end);
  if (np > 0) cpusAt(st, s, np + 3, end);
  let i = k + 34;
  while (i < end && s.charCodeAt(i) === 32) i++;
  const inBuf = longAt(s, i, end);
  i = scanEnd;
  if (s.charCodeAt(i) !== 47) return;
  const written = longAt(s, i + 1, end);
  if (inBuf === inBuf && written === written && written > inBuf) st.ctx.lost(written - inBuf, -1, lineNo);
}

function cpuLine(st: FtraceState, s: string, p: number, end: number, lineNo: number): boolean {
  // CPU:1 [LOST 5983 EVENTS] (kernel/trace/trace.c: print_trace_line); trace-cmd: CPU:1 [12 EVENTS DROPPED]
  let i = p + 4;
  let cpu = 0;
  const cs = i;
  while (i < end && isDigit(s.charCodeAt(i))) cpu = cpu * 10 + (s.charCodeAt(i++) - 48);
  if (i === cs) return false;
  while (i < end && s.charCodeAt(i) === 32) i++;
  if (s.startsWith('[LOST ', i)) {
    const n = longAt(s, i + 6, end);
    if (n !== n || !s.startsWith(' EVENTS]', scanEnd)) return false;
    st.ctx.lost(n, cpu, lineNo);
    return true;
  }
  if (s.startsWith('[EVENTS DROPPED]', i)) {
    st.ctx.lost(-1, cpu, lineNo);
    return true;
  }
  if (s.charCodeAt(i) === 91) {
    const n = longAt(s, i + 1, end);
    if (n !== n || !s.startsWith(' EVENTS DROPPED]', scanEnd)) return false;
    st.ctx.lost(n, cpu, lineNo);
    return true;
  }
  return false;
}

function ftraceLine(st: FtraceState, s: string, start: number, end: number, lineNo: number, u: Uint8Array | null, base: number): void {
  if (u !== null) {
    if (u !== st.bytes) {
      st.bytes = u;
      st.view = B.viewOf(u);
    }
    if (byteLine(st, u, base + start, base + end, lineNo)) return;
  }
  let p = start;
  while (p < end && (s.charCodeAt(p) === 32 || s.charCodeAt(p) === 9)) p++;
  if (p === end) return;
  const c0 = s.charCodeAt(p);
  if (st.stack !== null) {
    if (c0 === 61 && s.startsWith('=> ', p)) {
      st.frames.push(s.slice(p + 3, end).trim());
      return;
    }
    ftraceFlush(st);
  }
  if (c0 === 35) {
    st.inMessage = false;
    headerLine(st, s, p, end, lineNo);
    return;
  }
  if (c0 === 67 && s.startsWith('CPU', p)) {
    if (s.charCodeAt(p + 3) === 58 && cpuLine(st, s, p, end, lineNo)) return;
    if (st.traceCmd && indexIn(s, ' is empty', p, end) > 0) return; // trace-cmd: `CPU 0 is empty`
  }
  if (st.traceCmd && c0 === 99 && s.startsWith('cpus=', p)) {
    cpusAt(st, s, p + 5, end);
    return;
  }
  // trace-cmd report's first line (`version = 6`: the trace.dat file version); atrace's `TRACE:` before its text.
  if (st.traceCmd && c0 === 118 && /^version = \d+$/.test(s.slice(p, end))) return;
  if (c0 === 84 && end - p === 6 && s.startsWith('TRACE:', p)) return;
  const ob = cpuBracket(s, p, end);
  if (ob < 0) {
    if (st.inMessage) {
      st.ctx.count('message_continuation_line', 1, lineNo);
      return;
    }
    st.ctx.skip(lineNo, 'line_not_event', 'not an ftrace event line (no "[CPU]" column)');
    return;
  }
  st.inMessage = false;
  let cpu = 0;
  let i = ob + 1;
  while (s.charCodeAt(i) !== 93) cpu = cpu * 10 + (s.charCodeAt(i++) - 48);
  // Left part: [INSTANCE:] TASK-PID [(TGID)]
  let l = ob;
  while (l > p && s.charCodeAt(l - 1) === 32) l--;
  let pid = -1;
  if (l > p && s.charCodeAt(l - 1) === 41) {
    const op = lastCharIn(s, 40, p, l - 1);
    if (op >= p) {
      let k = op + 1;
      while (k < l && s.charCodeAt(k) === 32) k++;
      let v = 0;
      const ks = k;
      while (k < l - 1 && isDigit(s.charCodeAt(k))) v = v * 10 + (s.charCodeAt(k++) - 48);
      if (k > ks && k === l - 1) pid = v;
      l = op;
      while (l > p && s.charCodeAt(l - 1) === 32) l--;
    }
  }
  const dash = lastCharIn(s, 45, p, l - 1);
  if (dash < p || dash === l - 1) {
    st.ctx.skip(lineNo, 'line_not_event', 'no "TASK-PID" before the [CPU] column');
    return;
  }
  let tid = 0;
  for (let k = dash + 1; k < l; k++) {
    const c = s.charCodeAt(k);
    if (!isDigit(c)) {
      st.ctx.skip(lineNo, 'line_not_event', 'no "TASK-PID" before the [CPU] column');
      return;
    }
    tid = tid * 10 + (c - 48);
  }
  let cs = p;
  if (st.traceCmd) {
    // trace-cmd prefixes lines of a non-top instance with `NAME:` and spaces.
    const colon = indexIn(s, ': ', p, dash);
    if (colon > p) {
      cs = colon + 1;
      while (cs < dash && s.charCodeAt(cs) === 32) cs++;
    }
  }
  let comm: string;
  const cached = st.commByTid.get(tid);
  if (cached !== undefined && cached.length === dash - cs && s.startsWith(cached, cs)) comm = cached;
  else {
    comm = own(s.slice(cs, dash));
    st.commByTid.set(tid, comm);
  }
  // Right part: [FLAGS] TIMESTAMP: EVENT...
  let r = ob + 1;
  while (s.charCodeAt(r) !== 93) r++;
  r++;
  while (r < end && s.charCodeAt(r) === 32) r++;
  let te = charIn(s, 32, r, end);
  if (te < 0) te = end;
  if (s.charCodeAt(te - 1) !== 58) {
    // irq-flags column (4 or 5 characters, `d..1.`), or absent when options/irq-info is off
    r = te;
    while (r < end && s.charCodeAt(r) === 32) r++;
    te = charIn(s, 32, r, end);
    if (te < 0) te = end;
  }
  const time = timeAt(s, r, end);
  if (time < 0 || scanEnd !== te - 1 || s.charCodeAt(te - 1) !== 58) {
    st.ctx.skip(lineNo, 'line_not_event', 'no "SECONDS:" timestamp after the [CPU] column');
    return;
  }
  let n = te;
  while (n < end && s.charCodeAt(n) === 32) n++;
  let ne = n;
  let c = 0;
  while (ne < end) {
    c = s.charCodeAt(ne);
    if (c === 58 || c === 40 || c === 32) break;
    ne++;
  }
  if (ne === n) {
    st.ctx.skip(lineNo, 'line_not_event', 'no event name after the timestamp');
    return;
  }
  if (c === 58) {
    let f = ne + 1;
    while (f < end && s.charCodeAt(f) === 32) f++;
    const name = nameAt(st, s, n, ne);
    const e = decodeEvent(st.lastCode, '', name, s, f, end, time, cpu, pid, tid, comm, lineNo);
    if (typeof e === 'string') st.ctx.skip(lineNo, 'event_fields_unreadable', e);
    else {
      st.inMessage = st.lastCode === Code.Other && MESSAGE_EVENTS.has(name);
      if (st.inMessage && e.pid < 0) e.pid = atraceTgid(s, f, end);
      if ((st.lastCode === Code.Fault || st.lastCode === Code.Rss) && u !== null && !st.known && !SPECIAL_FIRST.has(c0)) learn(st, s, start, r, te - 1, f, cpu, pid, tid, comm, name);
      st.ctx.push(e);
    }
    return;
  }
  if (c === 40 && s.startsWith('sys_', n)) {
    // kernel/trace/trace_syscalls.c: print_syscall_enter prints `sys_NAME(arg: v, ...)`
    const call = s.slice(n + 4, ne);
    const close = lastCharIn(s, 41, ne, end - 1);
    if (close <= ne) {
      st.ctx.skip(lineNo, 'event_fields_unreadable', `sys_${call}( without its closing parenthesis`);
      return;
    }
    const name = 'sys_enter_' + call;
    if (MM_SYSCALLS.has(call)) {
      const args = syscallArgs(s, ne + 1, close, true);
      if (args === null) st.ctx.skip(lineNo, 'event_fields_unreadable', `${name}: cannot read arguments`);
      else {
        if (bareHexArgs) st.ctx.count('syscall_args_bare_hex', 1);
        st.ctx.push({ kind: 'sys_enter', name, system: 'syscalls', time, cpu, pid, tid, comm, line: lineNo, call, args });
      }
    } else {
      st.ctx.push({ kind: 'other', name, system: 'syscalls', time, cpu, pid, tid, comm, line: lineNo, fields: parseFields(s, ne + 1, close) });
    }
    return;
  }
  if (c === 32 && s.startsWith(' -> ', ne) && s.startsWith('sys_', n)) {
    // kernel/trace/trace_syscalls.c: print_syscall_exit prints `sys_NAME -> 0x...`
    const call = s.slice(n + 4, ne);
    const name = 'sys_exit_' + call;
    const ret = longAt(s, ne + 4, end);
    if (ret !== ret) {
      st.ctx.skip(lineNo, 'event_fields_unreadable', `${name}: cannot read the return value`);
      return;
    }
    if (MM_SYSCALLS.has(call)) {
      st.ctx.push({ kind: 'sys_exit', name, system: 'syscalls', time, cpu, pid, tid, comm, line: lineNo, call, ret, enter: null });
    } else {
      st.ctx.push({ kind: 'other', name, system: 'syscalls', time, cpu, pid, tid, comm, line: lineNo, fields: { ret } });
    }
    return;
  }
  if (s.charCodeAt(n) === 60 && (s.startsWith('<stack trace>', n) || s.startsWith('<user stack trace>', n))) {
    // options/stacktrace and options/userstacktrace: the stack of the event just before, as ftrace's kernel_stack/user_stack entries
    st.stack = { kind: 'other', name: s.charCodeAt(n + 1) === 115 ? 'kernel_stack' : 'user_stack', system: 'ftrace', time, cpu, pid, tid, comm, line: lineNo, fields: {} };
    return;
  }
  // function tracer: `func <-parent` (kept as a generic event)
  const text = s.slice(n, end);
  const arrow = text.indexOf(' <-');
  st.ctx.push({
    kind: 'other', name: 'function', system: 'ftrace', time, cpu, pid, tid, comm, line: lineNo,
    fields: arrow > 0 ? { func: text.slice(0, arrow), parent: text.slice(arrow + 3) } : { msg: text },
  });
}

export function createFtraceParser(ctx: LineCtx, opts: FtraceOptions = {}): FtraceParser {
  const st: FtraceState = { ctx, traceCmd: opts.traceCmd === true, commByTid: new Map(), names: [], codes: [], lastCode: Code.Other, stack: null, frames: [], inMessage: false,
    heads: [], tails: [], bytes: null, view: new DataView(new ArrayBuffer(0)), known: false };
  return { line: (s, start, end, lineNo, u, base) => ftraceLine(st, s, start, end, lineNo, u ?? null, base ?? 0), flush: () => ftraceFlush(st) };
}

const FTRACE_LINE = /^\s*(?:\S+:\s+)?.+-\d+\s+(?:\(\s*[-\d]+\)\s+)?\[\d+\]\s+(?:\S{1,8}\s+)?\d+(?:\.\d+)?:\s/;

export const ftraceReader: Reader<'ftrace'> = {
  name: 'ftrace',
  title: 'ftrace',
  lastLineNeedsNewline: true,
  sniff: {
    header: (line) => (/^#\s*tracer:/.test(line) || /^# entries-in-buffer\/entries-written:/.test(line) || /^CPU:\d+ \[LOST \d+ EVENTS\]/.test(line) ? 5 : 0),
    event: (line) => FTRACE_LINE.test(line),
  },
  create(ctx) {
    const p = createFtraceParser(ctx);
    return { line: p.line, end: () => (p.flush(), null) };
  },
};
