// Android systrace / atrace HTML: ftrace text inside `<script class="trace-data">` blocks, found by a
// streaming line scanner (the page around it is skipped; JSON trace-data blocks are skipped too).
// Also the pre-2015 page, whose ftrace text is a JS string: `var linuxPerfData = "\`, lines ending `\n\`.
import type { LineFn } from './lines.js';
import type { LineCtx } from './decode.js';
import { createFtraceParser } from './ftrace_text.js';
import { indexIn } from './fields.js';
import type { Reader } from './reader.js';

export interface SystraceParser {
  line: LineFn;
  /** After the last line (see FtraceParser.flush). */
  flush(): void;
  /** Number of ftrace text blocks seen (0 at the end means the page held no ftrace data). */
  blocks(): number;
}

const OPEN = /<script\b[^>]*class\s*=\s*["']trace-data["'][^>]*>/i;

/** True when [from, to) holds only spaces and tabs. */
function onlyBlank(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c !== 32 && c !== 9) return false;
  }
  return true;
}

/** Index of the last non-blank character in [from, to), or -1. */
function lastNonBlank(s: string, from: number, to: number): number {
  for (let i = to - 1; i >= from; i--) {
    const c = s.charCodeAt(i);
    if (c !== 32 && c !== 9) return i;
  }
  return -1;
}

export function createSystraceParser(ctx: LineCtx): SystraceParser {
  const ftrace = createFtraceParser(ctx);
  // 0: outside, 1: inside a block whose kind is not known yet, 2: ftrace text, 3: JSON (skipped), 4: linuxPerfData string,
  // 5: PROCESS DUMP (ps output: the TGID of every thread; Perfetto's systrace_trace_parser.cc reads it the same way)
  let state = 0;
  let psShort = false;
  let blocks = 0;

  function content(s: string, start: number, end: number, lineNo: number): void {
    if (state === 1) {
      let p = start;
      while (p < end && (s.charCodeAt(p) === 32 || s.charCodeAt(p) === 9)) p++;
      if (p === end) return;
      const c = s.charCodeAt(p);
      if (c === 123 || c === 91) state = 3;
      else if (c === 80 && s.startsWith('PROCESS DUMP', p)) {
        state = 5;
        return;
      } else {
        state = 2;
        blocks++;
      }
    }
    if (state === 2) ftrace.line(s, start, end, lineNo);
    else if (state === 5) processDump(s, start, end);
  }

  /** `USER PID PPID VSZ RSS WCHAN PC S NAME COMM` rows (a process is its own group) or `USER PID TID CMD` rows. */
  function processDump(s: string, start: number, end: number): void {
    const t = s.slice(start, end).trim().split(/ +/);
    if (t[0] === 'USER' && t[1] === 'PID') {
      psShort = t[2] === 'TID';
      return;
    }
    if (t.length < 3) return;
    const pid = Number(t[1]);
    const tid = psShort ? Number(t[2]) : pid;
    if (Number.isInteger(pid) && Number.isInteger(tid) && pid > 0 && tid > 0) ctx.thread(tid, pid);
  }

  function legacy(s: string, start: number, end: number, lineNo: number): void {
    // catapult systrace (old): each line of the JS string ends in `\n\`, the last in `\n";`
    if (s.endsWith('\\n\\', end)) ftrace.line(s, start, end - 3, lineNo);
    else if (s.endsWith('\\n";', end)) {
      ftrace.line(s, start, end - 4, lineNo);
      state = 0;
    } else if (s.endsWith('";', end)) {
      ftrace.line(s, start, end - 2, lineNo);
      state = 0;
    } else ftrace.line(s, start, end, lineNo);
  }

  function line(s: string, start: number, end: number, lineNo: number): void {
    let p = start;
    if (state === 4) {
      legacy(s, start, end, lineNo);
      return;
    }
    for (;;) {
      if (state === 0) {
        const v = indexIn(s, 'var linuxPerfData = "', p, end);
        // The 2014-2021 viewer's own JavaScript holds these marker strings too: only a line that starts with one counts.
        if (v >= 0 && onlyBlank(s, start, v)) {
          state = 4;
          blocks++;
          return;
        }
        const lt = indexIn(s, '<script', p, end);
        if (lt < 0) return;
        const m = OPEN.exec(s.slice(lt, Math.min(end, lt + 256)));
        if (m === null || m.index !== 0 || !(onlyBlank(s, p, lt) || s.charCodeAt(lastNonBlank(s, p, lt)) === 62)) {
          p = lt + 7;
          continue;
        }
        state = 1;
        p = lt + m[0].length;
      }
      const close = indexIn(s, '</script>', p, end);
      if (close >= 0) {
        if (close > p) content(s, p, close, lineNo);
        state = 0;
        p = close + 9;
        continue;
      }
      if (p < end) content(s, p, end, lineNo);
      return;
    }
  }

  return { line, flush: ftrace.flush, blocks: () => blocks };
}

export const systraceReader: Reader<'systrace'> = {
  name: 'systrace',
  title: 'systrace HTML',
  lastLineNeedsNewline: false,
  sniff: {
    marker: (head) =>
      /<script\b[^>]*class\s*=\s*["']trace-data["']/i.test(head) || /^\s*<(!DOCTYPE html|html)/i.test(head) || head.includes('var linuxPerfData = "'),
  },
  create(ctx) {
    const p = createSystraceParser(ctx);
    return { line: p.line, end: () => (p.flush(), p.blocks() === 0 ? 'this HTML page holds no ftrace text in a <script class="trace-data"> block' : null) };
  },
};
