// Tokens for the query language, read on demand so the parser can switch to raw probe names at block starts.
import type { Loc } from './ast.js';
import { queryError } from './query_error.js';
import type { FaultlineError } from '../traces/errors.js';

export type TokKind = 'int' | 'str' | 'ident' | 'map' | 'var' | 'punct' | 'eof';

export interface Token {
  kind: TokKind;
  /** Identifier / punctuation text, map name with '@', var name with '$', decoded string literal. */
  text: string;
  /** Integer literals only. */
  value: number;
  loc: Loc;
}

const PUNCT = [
  '<<=', '>>=', '->', '++', '--', '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=',
  '==', '!=', '<=', '>=', '&&', '||', '<<', '>>',
  '+', '-', '*', '/', '%', '&', '|', '^', '!', '~', '<', '>', '=', '?', ':', ',', ';', '.', '(', ')', '[', ']', '{', '}',
];

const PROBE_CHAR = /[A-Za-z0-9_:*?.\-\[\]{}/+]/;

export interface Lexer {
  readonly source: string;
  readonly file: string;
  peek(): Token;
  next(): Token;
  /** Raw probe text at the cursor ('' at end of input). */
  probe(): { text: string; loc: Loc };
  /** The identifier at the cursor and the next non-space character after it, consuming nothing (top-level keywords). */
  peekWord(): { word: string; after: string };
  /** Consumes `c` if it is the next non-space character (nothing peeked). */
  skipRaw(c: string): void;
  /** True while input remains (skips spaces and comments, consumes no token). */
  more(): boolean;
  /** True when the next non-space character after the current token is `c` (predicate end detection). */
  nextCharAfterPeekIs(c: string): boolean;
  error(message: string, loc: Loc | null): FaultlineError;
  /** Lines accepted and ignored (`#include`), as notes for the user. */
  readonly notes: string[];
}

export function createLexer(source: string, file = 'stdin'): Lexer {
  let pos = 0;
  let line = 1;
  let col = 1;
  let peeked: Token | null = null;
  const notes: string[] = [];

  const error = (message: string, loc: Loc | null): FaultlineError => queryError(message, loc, source, file);

  function advance(n: number): void {
    for (let i = 0; i < n; i++) {
      if (source.charCodeAt(pos) === 10) {
        line++;
        col = 1;
      } else col++;
      pos++;
    }
  }

  function skipSpace(): void {
    for (;;) {
      const c = source[pos];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') advance(1);
      else if (c === '/' && source[pos + 1] === '/') {
        while (pos < source.length && source[pos] !== '\n') advance(1);
      } else if (c === '/' && source[pos + 1] === '*') {
        const start = { line, col, endLine: line, endCol: col + 2 };
        const end = source.indexOf('*/', pos + 2);
        if (end < 0) throw error('unterminated comment', start);
        advance(end + 2 - pos);
      } else if (c === '#' && col === 1 && source[pos + 1] === '!') {
        while (pos < source.length && source[pos] !== '\n') advance(1);
      } else if (c === '#' && col === 1 && source.startsWith('#include', pos)) {
        // bpftrace hands these to clang for struct definitions; a recorded trace has its fields by name already
        const at = line;
        let text = '';
        while (pos < source.length && source[pos] !== '\n') {
          text += source[pos];
          advance(1);
        }
        notes.push(`${file}:${at}: ${text.trim()} ignored: faultline reads tracepoint fields by name from the trace, not C headers`);
      } else return;
    }
  }

  function mk(kind: TokKind, text: string, value: number, l: number, c: number): Token {
    return { kind, text, value, loc: { line: l, col: c, endLine: line, endCol: col } };
  }

  function lex(): Token {
    skipSpace();
    const l = line;
    const c = col;
    if (pos >= source.length) return mk('eof', '', 0, l, c);
    const ch = source[pos];
    if (/[0-9]/.test(ch)) {
      const m = /^(0[xX][0-9a-fA-F_]+|[0-9][0-9_]*(?:e[0-9]+)?)/.exec(source.slice(pos, pos + 40))!;
      let raw = m[1].replace(/_/g, '');
      advance(m[1].length);
      // bpftrace reads 1e6 as the integer 1000000 (scientific notation for integer literals)
      const sci = /^([0-9]+)e([0-9]+)$/.exec(raw);
      if (sci) raw = (BigInt(sci[1]) * 10n ** BigInt(sci[2])).toString();
      if (/^[A-Za-z_]/.test(source[pos] ?? '')) throw error(`invalid integer literal`, { line: l, col: c, endLine: line, endCol: col + 1 });
      const big = BigInt(raw);
      if (big > 0xffffffffffffffffn) throw error('integer literal does not fit in 64 bits', { line: l, col: c, endLine: line, endCol: col });
      const v = Number(BigInt.asIntN(64, big));
      if (!Number.isSafeInteger(v)) throw error('integer literal beyond 2^53 is not supported (faultline keeps integers exact as doubles)', { line: l, col: c, endLine: line, endCol: col });
      return mk('int', raw, v, l, c);
    }
    if (/[A-Za-z_]/.test(ch)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(pos, pos + 200))!;
      advance(m[0].length);
      return mk('ident', m[0], 0, l, c);
    }
    if (ch === '@' || ch === '$') {
      const m = (ch === '$' && source[pos + 1] === '#' ? /^#/ : /^[A-Za-z0-9_]*/).exec(source.slice(pos + 1, pos + 200))!;
      advance(1 + m[0].length);
      if (ch === '$' && m[0] === '') throw error('expected a variable name after $', { line: l, col: c, endLine: line, endCol: col });
      return mk(ch === '@' ? 'map' : 'var', ch + m[0], 0, l, c);
    }
    if (ch === '"') {
      advance(1);
      let out = '';
      for (;;) {
        if (pos >= source.length || source[pos] === '\n') throw error('unterminated string', { line: l, col: c, endLine: l, endCol: c + 1 });
        const d = source[pos];
        if (d === '"') {
          advance(1);
          break;
        }
        if (d === '\\') {
          const e = source[pos + 1];
          const map: Record<string, string> = { n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\', '0': '\0' };
          if (e !== undefined && e in map) {
            out += map[e];
            advance(2);
            continue;
          }
          throw error(`invalid escape sequence \\${e ?? ''}`, { line, col, endLine: line, endCol: col + 2 });
        }
        out += d;
        advance(1);
      }
      return mk('str', out, 0, l, c);
    }
    for (const p of PUNCT) {
      if (source.startsWith(p, pos)) {
        advance(p.length);
        return mk('punct', p, 0, l, c);
      }
    }
    throw error(`invalid character '${ch}'`, { line: l, col: c, endLine: l, endCol: c + 1 });
  }

  return {
    source,
    file,
    peek() {
      if (!peeked) peeked = lex();
      return peeked;
    },
    next() {
      const t = peeked ?? lex();
      peeked = null;
      return t;
    },
    probe() {
      if (peeked) throw new Error('lexer: probe() after peek()');
      skipSpace();
      const l = line;
      const c = col;
      let text = '';
      while (pos < source.length && PROBE_CHAR.test(source[pos])) {
        // A probe ends at '{' (body) or at ' /' (predicate); '/' inside a probe name is not bpftrace syntax.
        if (source[pos] === '{') break;
        // uprobe/usdt paths contain '/', elsewhere '/' starts the predicate
        if (source[pos] === '/' && !/^(u|uprobe|ur|uretprobe|usdt|U):/.test(text)) break;
        text += source[pos];
        advance(1);
      }
      return { text, loc: { line: l, col: c, endLine: line, endCol: col } };
    },
    peekWord() {
      if (peeked) return { word: '', after: '' };
      skipSpace();
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(pos, pos + 200));
      if (!m) return { word: '', after: '' };
      let p = pos + m[0].length;
      while (p < source.length && /\s/.test(source[p])) p++;
      return { word: m[0], after: source[p] ?? '' };
    },
    skipRaw(ch: string) {
      if (peeked) return;
      skipSpace();
      if (source[pos] === ch) advance(1);
    },
    more() {
      if (peeked) return peeked.kind !== 'eof';
      skipSpace();
      return pos < source.length;
    },
    nextCharAfterPeekIs(ch: string) {
      let p = pos;
      while (p < source.length && /\s/.test(source[p])) p++;
      return source[p] === ch;
    },
    error,
    notes,
  };
}
