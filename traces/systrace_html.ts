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
  /** Number of ftrace text blocks seen (0 at the end means the page held no ftrace data). */
  blocks(): number;
}

const OPEN = /<script\b[^>]*class\s*=\s*["']trace-data["'][^>]*>/i;

export function createSystraceParser(ctx: LineCtx): SystraceParser {
  const ftrace = createFtraceParser(ctx);
  // 0: outside, 1: inside a block whose kind is not known yet, 2: ftrace text, 3: JSON (skipped), 4: linuxPerfData string
  let state = 0;
  let blocks = 0;

  function content(s: string, start: number, end: number, lineNo: number): void {
    if (state === 1) {
      let p = start;
      while (p < end && (s.charCodeAt(p) === 32 || s.charCodeAt(p) === 9)) p++;
      if (p === end) return;
      const c = s.charCodeAt(p);
      if (c === 123 || c === 91) state = 3;
      else {
        state = 2;
        blocks++;
      }
    }
    if (state === 2) ftrace.line(s, start, end, lineNo);
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
        if (v >= 0) {
          state = 4;
          blocks++;
          return;
        }
        const lt = indexIn(s, '<script', p, end);
        if (lt < 0) return;
        const m = OPEN.exec(s.slice(lt, Math.min(end, lt + 256)));
        if (m === null || m.index !== 0) {
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

  return { line, blocks: () => blocks };
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
    return { line: p.line, end: () => (p.blocks() === 0 ? 'this HTML page holds no ftrace text in a <script class="trace-data"> block' : null) };
  },
};
