// Recursive-descent parser for the bpftrace subset: probe lists, predicates, blocks, C-precedence expressions.
import type { AssignOp, BinaryOp, Expr, Loc, MacroDef, ProbeBlock, ProgramAst, Stmt } from './ast.js';
import { createLexer, type Lexer, type Token } from './lexer.js';
import { type Preprocessed, preprocess } from './preprocess.js';

const span = (a: Loc, b: Loc): Loc => ({ line: a.line, col: a.col, endLine: b.endLine, endCol: b.endCol });

const ASSIGN_OPS = new Set(['=', '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=', '<<=', '>>=']);

/** Binary operator levels, loosest first (C precedence, as bpftrace's grammar). */
const LEVELS: BinaryOp[][] = [
  ['||'],
  ['&&'],
  ['|'],
  ['^'],
  ['&'],
  ['==', '!='],
  ['<', '<=', '>', '>='],
  ['<<', '>>'],
  ['+', '-'],
  ['*', '/', '%'],
];

/** Where a call's arguments began: a syntax error inside them is marked from the call's name, as bpftrace does. */
let callAnchor: Loc | null = null;

function syntaxError(lx: Lexer, t: Token, expecting = ''): never {
  const loc = callAnchor ? span(callAnchor, t.loc) : t.loc;
  throw lx.error(`syntax error, unexpected ${describe(t)}${expecting ? `, expecting ${expecting}` : ''}`, loc);
}

export function parse(source: string, file = 'stdin'): ProgramAst {
  let pre: Preprocessed;
  try {
    pre = preprocess(source, file);
  } catch (m) {
    if (typeof m === 'string') throw createLexer(source, file).error(m.replace(/^[^:]+:\d+: /, ''), null);
    throw m;
  }
  const lx = createLexer(pre.text, file);
  const blocks: ProbeBlock[] = [];
  const macros: Record<string, MacroDef> = {};
  const config: Record<string, number | string> = {};
  const notes: string[] = [];
  callAnchor = null;
  while (lx.more()) {
    const { word, after } = lx.peekWord();
    if (word === 'config' && after === '=') parseConfig(lx, config);
    else if (word === 'let' && after === '@') skipStatement(lx, notes, 'map declaration', 'faultline keeps every map in memory');
    else if (word === 'struct' || word === 'union' || word === 'enum') skipStatement(lx, notes, `${word} definition`, 'faultline reads tracepoint fields by name, not C types');
    else if (word === 'macro' && /[A-Za-z_]/.test(after)) {
      const m = parseMacro(lx);
      if (m.name in macros) throw lx.error(`macro ${m.name} is defined twice`, m.loc);
      macros[m.name] = m;
    } else blocks.push(parseBlock(lx));
  }
  if (blocks.length === 0) throw lx.error('no probes in the program (write e.g. `tracepoint:exceptions:page_fault_user { @ = count(); }`)', null);
  return { blocks, macros, config, notes: [...pre.notes, ...lx.notes, ...notes] };
}

/** A top-level declaration faultline accepts and does not need (`let @m = lruhash(N);`, `struct S { ... };`). */
function skipStatement(lx: Lexer, notes: string[], what: string, why: string): void {
  const first = lx.next();
  let depth = 0;
  for (;;) {
    const t = lx.next();
    if (t.kind === 'eof') throw lx.error(`unterminated ${what}`, first.loc);
    if (isPunct(t, '{')) depth++;
    else if (isPunct(t, '}')) {
      depth--;
      if (depth === 0) {
        lx.skipRaw(';');
        break;
      }
    } else if (isPunct(t, ';') && depth === 0) break;
  }
  notes.push(`${lx.file}:${first.loc.line}: ${what} ignored: ${why}`);
}

/** `config = { key = value; ... }` (bpftrace 0.21+): integer, string or true/false values. */
function parseConfig(lx: Lexer, into: Record<string, number | string>): void {
  lx.next();
  expect(lx, '=');
  expect(lx, '{');
  for (;;) {
    const t = lx.next();
    if (isPunct(t, '}')) return;
    if (isPunct(t, ';')) continue;
    if (t.kind !== 'ident') syntaxError(lx, t, 'a config key');
    expect(lx, '=');
    const v = lx.next();
    if (v.kind === 'int') into[t.text] = v.value;
    else if (v.kind === 'str' || v.kind === 'ident') into[t.text] = v.kind === 'ident' && (v.text === 'true' || v.text === 'false') ? (v.text === 'true' ? 1 : 0) : v.text;
    else syntaxError(lx, v, 'a config value');
  }
}

/** `macro name(a, $b, @c) { ... }` (bpftrace 0.23+). */
function parseMacro(lx: Lexer): MacroDef {
  const kw = lx.next();
  const name = lx.next();
  if (name.kind !== 'ident') syntaxError(lx, name, 'a macro name');
  expect(lx, '(');
  const params: string[] = [];
  if (!isPunct(lx.peek(), ')')) {
    for (;;) {
      const p = lx.next();
      if (p.kind !== 'ident' && p.kind !== 'var' && p.kind !== 'map') syntaxError(lx, p, 'a macro parameter');
      params.push(p.text);
      const sep = lx.next();
      if (isPunct(sep, ')')) break;
      if (!isPunct(sep, ',')) syntaxError(lx, sep, ', or )');
    }
  } else lx.next();
  const body = parseBraced(lx, true);
  return { name: name.text, params, body, loc: span(kw.loc, name.loc) };
}

function parseBlock(lx: Lexer): ProbeBlock {
  const probes = [];
  for (;;) {
    const p = lx.probe();
    if (p.text === '') {
      const t = lx.peek();
      throw lx.error(`syntax error, unexpected ${describe(t)}, expecting a probe name`, t.loc);
    }
    probes.push(p);
    const t = lx.peek();
    if (t.kind === 'punct' && t.text === ',') {
      lx.next();
      continue;
    }
    break;
  }
  let predicate: Expr | null = null;
  const t = lx.peek();
  if (t.kind === 'punct' && t.text === '/') {
    lx.next();
    predicate = parseExpr(lx, true);
    expect(lx, '/', 'to end the predicate');
  }
  const open = lx.peek();
  if (!(open.kind === 'punct' && open.text === '{')) throw lx.error(`syntax error, unexpected ${describe(open)}, expecting {`, open.loc);
  const body = parseBraced(lx);
  return { probes, predicate, body, loc: span(probes[0].loc, open.loc) };
}

function describe(t: Token): string {
  if (t.kind === 'eof') return 'end of file';
  if (t.kind === 'str') return 'string';
  return t.text;
}

function expect(lx: Lexer, text: string, why = ''): Token {
  const t = lx.next();
  if (t.kind !== 'punct' || t.text !== text) throw lx.error(`syntax error, unexpected ${describe(t)}, expecting ${text}${why ? ' ' + why : ''}`, t.loc);
  return t;
}

function isPunct(t: Token, text: string): boolean {
  return t.kind === 'punct' && t.text === text;
}

/** A braced statement list; `lastMayBeBare`: a macro body may end with an expression and no `;`. */
function parseBraced(lx: Lexer, lastMayBeBare = false): Stmt[] {
  void lastMayBeBare;
  expect(lx, '{');
  const out: Stmt[] = [];
  for (;;) {
    const t = lx.peek();
    if (isPunct(t, '}')) {
      lx.next();
      return out;
    }
    if (isPunct(t, ';')) {
      lx.next();
      continue;
    }
    if (t.kind === 'eof') throw lx.error('syntax error, unexpected end of file, expecting }', t.loc);
    const s = parseStmt(lx);
    out.push(s);
    const after = lx.peek();
    if (s.kind !== 'if' && s.kind !== 'while' && s.kind !== 'unroll' && !isPunct(after, ';') && !isPunct(after, '}'))
      throw lx.error(`syntax error, unexpected ${describe(after)}, expecting ; or }`, after.loc);
  }
}

function parseStmt(lx: Lexer): Stmt {
  const t = lx.peek();
  if (t.kind === 'ident' && t.text === 'if') {
    lx.next();
    // `if (cond) {` and, since bpftrace 0.23, `if cond {`: a parenthesised condition is just an expression
    const cond = parseExpr(lx, false);
    const then = parseBraced(lx);
    let els: Stmt[] = [];
    const e = lx.peek();
    if (e.kind === 'ident' && e.text === 'else') {
      lx.next();
      const n = lx.peek();
      els = n.kind === 'ident' && n.text === 'if' ? [parseStmt(lx)] : parseBraced(lx);
    }
    return { kind: 'if', cond, then, else: els, loc: t.loc };
  }
  if (t.kind === 'ident' && t.text === 'return') {
    lx.next();
    return { kind: 'return', loc: t.loc };
  }
  if (t.kind === 'ident' && t.text === 'let') {
    // `let $x;` / `let $x = v;` (bpftrace 0.23+): a declaration; the first assignment gives the type
    lx.next();
    const v = lx.next();
    if (v.kind !== 'var') syntaxError(lx, v, 'a $variable');
    if (isPunct(lx.peek(), ':')) {
      lx.next();
      lx.next();
    }
    if (!isPunct(lx.peek(), '=')) return { kind: 'expr', expr: { kind: 'int', value: 0, loc: v.loc }, loc: v.loc };
    lx.next();
    const value = parseExpr(lx, false);
    return { kind: 'assign', target: { kind: 'var', name: v.text, loc: v.loc }, op: '=', value, loc: span(t.loc, value.loc) };
  }
  if (t.kind === 'ident' && t.text === 'while') {
    lx.next();
    const cond = parseExpr(lx, false);
    return { kind: 'while', cond, body: parseBraced(lx), loc: t.loc };
  }
  if (t.kind === 'ident' && t.text === 'unroll') {
    lx.next();
    expect(lx, '(');
    const n = lx.next();
    if (n.kind !== 'int') throw lx.error('unroll() takes an integer literal', n.loc);
    if (n.value < 1 || n.value > 100) throw lx.error('unroll() count must be between 1 and 100', n.loc);
    expect(lx, ')');
    return { kind: 'unroll', count: n.value, body: parseBraced(lx), loc: span(t.loc, n.loc) };
  }
  const expr = parseExpr(lx, false);
  if (expr.kind === 'incdec') return { kind: 'incdec', target: expr.target, delta: expr.delta, loc: expr.loc };
  const op = lx.peek();
  if ((expr.kind === 'map' || expr.kind === 'var') && op.kind === 'punct') {
    if (ASSIGN_OPS.has(op.text)) {
      lx.next();
      const value = parseExpr(lx, false);
      return { kind: 'assign', target: expr, op: op.text as AssignOp, value, loc: span(expr.loc, value.loc) };
    }
    if (op.text === '++' || op.text === '--') {
      lx.next();
      return { kind: 'incdec', target: expr, delta: op.text === '++' ? 1 : -1, loc: span(expr.loc, op.loc) };
    }
  }
  if (op.kind === 'punct' && ASSIGN_OPS.has(op.text))
    throw lx.error('can only assign to a map (@name) or a scratch variable ($name)', expr.loc);
  return { kind: 'expr', expr, loc: expr.loc };
}

/** inPredicate: a '/' followed by '{' ends the predicate instead of dividing. */
function parseExpr(lx: Lexer, inPredicate: boolean): Expr {
  const cond = parseBinary(lx, 0, inPredicate);
  const t = lx.peek();
  if (isPunct(t, '?')) {
    lx.next();
    const a = parseExpr(lx, inPredicate);
    expect(lx, ':');
    const b = parseExpr(lx, inPredicate);
    return { kind: 'ternary', cond, then: a, else: b, loc: span(cond.loc, b.loc) };
  }
  return cond;
}

function parseBinary(lx: Lexer, level: number, inPredicate: boolean): Expr {
  if (level >= LEVELS.length) return parseUnary(lx, inPredicate);
  let left = parseBinary(lx, level + 1, inPredicate);
  for (;;) {
    const t = lx.peek();
    if (t.kind !== 'punct' || !(LEVELS[level] as string[]).includes(t.text)) return left;
    if (inPredicate && t.text === '/' && lx.nextCharAfterPeekIs('{')) return left;
    lx.next();
    const right = parseBinary(lx, level + 1, inPredicate);
    left = { kind: 'binary', op: t.text as BinaryOp, left, right, loc: span(left.loc, right.loc) };
  }
}

function parseUnary(lx: Lexer, inPredicate: boolean): Expr {
  const t = lx.peek();
  if (t.kind === 'punct' && (t.text === '!' || t.text === '~' || t.text === '-')) {
    lx.next();
    const arg = parseUnary(lx, inPredicate);
    if (t.text === '-' && arg.kind === 'int') return { kind: 'int', value: -arg.value, loc: span(t.loc, arg.loc) };
    return { kind: 'unary', op: t.text, arg, loc: span(t.loc, arg.loc) };
  }
  if (t.kind === 'punct' && (t.text === '++' || t.text === '--')) {
    lx.next();
    const target = parsePrimary(lx, inPredicate);
    if (target.kind !== 'map' && target.kind !== 'var') throw lx.error(`${t.text} applies to a map or a $variable`, target.loc);
    return { kind: 'incdec', target, delta: t.text === '++' ? 1 : -1, prefix: true, loc: span(t.loc, target.loc) };
  }
  if (t.kind === 'punct' && (t.text === '*' || t.text === '&')) {
    lx.next();
    const arg = parseUnary(lx, inPredicate);
    const what = t.text === '*' ? '*ptr reads kernel or process memory at an address' : '&x takes the address of live memory';
    throw lx.error(`needs a live system: ${what}, which a recorded trace does not have`, span(t.loc, arg.loc));
  }
  return parsePrimary(lx, inPredicate);
}

function parseArgs(lx: Lexer, nameLoc: Loc): { args: Expr[]; end: Loc } {
  expect(lx, '(');
  const saved = callAnchor;
  callAnchor = nameLoc;
  const args: Expr[] = [];
  try {
    if (isPunct(lx.peek(), ')')) return { args, end: lx.next().loc };
    for (;;) {
      args.push(parseExpr(lx, false));
      const t = lx.next();
      if (isPunct(t, ')')) return { args, end: t.loc };
      if (!isPunct(t, ',')) syntaxError(lx, t, ', or )');
    }
  } finally {
    callAnchor = saved;
  }
}

/** C integer types a cast may name (bpftrace: (uint32)x truncates, (int8)x sign-extends). */
const INT_TYPES = new Set(['uint8', 'uint16', 'uint32', 'uint64', 'int8', 'int16', 'int32', 'int64', 'u8', 'u16', 'u32', 'u64', 's8', 's16', 's32', 's64']);

/** `(type)expr` after its '(': integer casts become calls of the cast; struct pointer casts need live memory. */
function parseCast(lx: Lexer, open: Loc, inPredicate: boolean): Expr {
  const ty = lx.next();
  let name = ty.text;
  if (name === 'struct' || name === 'union') {
    name += ' ' + lx.next().text;
    while (isPunct(lx.peek(), '*')) {
      lx.next();
      name += '*';
    }
  }
  const close = expect(lx, ')');
  const arg = parseUnary(lx, inPredicate);
  if (!INT_TYPES.has(name)) throw lx.error(`needs a live system: (${name}) casts to a kernel type, whose fields live in kernel memory`, span(open, arg.loc));
  return { kind: 'call', name: `(${name})`, args: [arg], loc: span(open, arg.loc), nameLoc: span(open, close.loc) };
}

/** `$t.0` (a tuple element; the lexer reads `.1` as '.' then an integer), and `x.field` / `x->field` (struct members). */
function tupleIndex(lx: Lexer, e: Expr): Expr {
  let out = e;
  while (isPunct(lx.peek(), '.') || isPunct(lx.peek(), '->')) {
    const dot = lx.next();
    const i = lx.next();
    if (i.kind === 'int' && dot.text === '.') {
      out = { kind: 'call', name: '.index', args: [out, { kind: 'int', value: i.value, loc: i.loc }], loc: span(out.loc, i.loc), nameLoc: i.loc };
    } else if (i.kind === 'ident') {
      out = { kind: 'call', name: '.member', args: [out, { kind: 'str', value: i.text, loc: i.loc }], loc: span(out.loc, i.loc), nameLoc: i.loc };
    } else syntaxError(lx, i, 'a tuple index or a field name');
  }
  return out;
}

/** `@x++` / `$x--` after a map or variable: a post-increment value (or statement). */
function postfix(lx: Lexer, target: Extract<Expr, { kind: 'map' | 'var' }>): Expr {
  const op = lx.peek();
  if (isPunct(op, '++') || isPunct(op, '--')) {
    lx.next();
    return { kind: 'incdec', target, delta: op.text === '++' ? 1 : -1, prefix: false, loc: span(target.loc, op.loc) };
  }
  return target;
}

function parsePrimary(lx: Lexer, inPredicate: boolean): Expr {
  const t = lx.next();
  switch (t.kind) {
    case 'int':
      return { kind: 'int', value: t.value, loc: t.loc };
    case 'str':
      return { kind: 'str', value: t.text, loc: t.loc };
    case 'var': {
      if (/^\$(\d+|#)$/.test(t.text))
        throw lx.error(`${t.text} is a bpftrace command-line argument; faultline query takes none (write the value into the program)`, t.loc);
      const v: Expr = postfix(lx, { kind: 'var', name: t.text, loc: t.loc });
      return tupleIndex(lx, v);
    }
    case 'map': {
      const n = lx.peek();
      if (isPunct(n, '[')) {
        lx.next();
        const keys: Expr[] = [];
        for (;;) {
          keys.push(parseExpr(lx, false));
          const s = lx.next();
          if (isPunct(s, ']')) return postfix(lx, { kind: 'map', name: t.text, keys, loc: span(t.loc, s.loc) });
          if (!isPunct(s, ',')) throw lx.error(`syntax error, unexpected ${describe(s)}, expecting , or ]`, s.loc);
        }
      }
      return postfix(lx, { kind: 'map', name: t.text, keys: [], loc: t.loc });
    }
    case 'ident': {
      if (t.text === 'args') {
        const n = lx.peek();
        if (isPunct(n, '.') || isPunct(n, '->')) {
          lx.next();
          const f = lx.next();
          if (f.kind !== 'ident') throw lx.error('expected a field name after args.', f.loc);
          return { kind: 'field', name: f.text, loc: span(t.loc, f.loc) };
        }
        throw lx.error('args must be followed by .field or ->field', t.loc);
      }
      if ((t.text === 'struct' || t.text === 'union') && lx.peek().kind === 'ident') {
        const n = lx.next();
        return { kind: 'builtin', name: `${t.text} ${n.text}`, loc: span(t.loc, n.loc) };
      }
      if (isPunct(lx.peek(), '(')) {
        const { args, end } = parseArgs(lx, t.loc);
        return { kind: 'call', name: t.text, args, loc: span(t.loc, end), nameLoc: t.loc };
      }
      return tupleIndex(lx, { kind: 'builtin', name: t.text, loc: t.loc });
    }
    case 'punct':
      if (t.text === '(') {
        const ty = lx.peek();
        if (ty.kind === 'ident' && (INT_TYPES.has(ty.text) || ty.text === 'struct' || ty.text === 'union')) return parseCast(lx, t.loc, inPredicate);
        const e = parseExpr(lx, false);
        if (!isPunct(lx.peek(), ',')) {
          expect(lx, ')');
          return tupleIndex(lx, e);
        }
        // a tuple: (a, b, ...)
        const elems = [e];
        for (;;) {
          const sep = lx.next();
          if (isPunct(sep, ')')) return { kind: 'tuple', elems, loc: span(t.loc, sep.loc) };
          if (!isPunct(sep, ',')) syntaxError(lx, sep, ', or )');
          elems.push(parseExpr(lx, false));
        }
      }
      break;
    case 'eof':
      break;
  }
  void inPredicate;
  syntaxError(lx, t);
}
