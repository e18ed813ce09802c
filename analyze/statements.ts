// Statements to closures: assignments, aggregations, if/else, and the output statements (printf, print, clear, zero, delete, exit).
import type { Expr, Loc, Stmt } from './ast.js';
import { type AggKind, type LhistParams, type Tuple, type Val, histIndex, lhistBucketCount, lhistIndex } from './aggregations.js';
import { AGG_FUNCS, type Action, type BlockCx, type Ctx, type IntFn, declareMap, intOf, keyTypesOf, mapInfo } from './check.js';
import { entryFn, keyFn, mapStateFn } from './expressions.js';
import { type FormatPiece, formatInt, formatStr, parseFormat } from './format.js';
import { binaryInt } from './int64.js';
import { formatMap, jsonEscape } from './print.js';

/** Thrown by `return;` and caught by the block's closure (compile.ts): leaves the probe's actions. */
export const RETURN = Symbol('return');

/** Iterations one while loop may run per probe firing before faultline refuses (bpftrace's loops are verifier-bounded). */
const WHILE_LIMIT = 1_000_000;

/** A statement list as one closure (unrolled for the common one- and two-statement bodies). */
export function stmtList(cx: BlockCx, list: Stmt[]): Action {
  const fns: Action[] = [];
  for (const s of list) {
    if (cx.lenient) {
      try {
        fns.push(stmt(cx, s));
      } catch {
        /* pass 2 reports it */
      }
    } else fns.push(stmt(cx, s));
  }
  if (fns.length === 0) return () => {};
  if (fns.length === 1) return fns[0];
  if (fns.length === 2) {
    const [a, c] = fns;
    return (x) => {
      a(x);
      c(x);
    };
  }
  return (x) => {
    for (let i = 0; i < fns.length; i++) fns[i](x);
  };
}

function stmt(cx: BlockCx, s: Stmt): Action {
  const { err, lenient, scope } = cx;
  switch (s.kind) {
    case 'if': {
      const cond = intOf(cx, s.cond, 'if condition');
      const a = stmtList(cx, s.then);
      const b = stmtList(cx, s.else);
      return (c) => (cond(c) !== 0 ? a(c) : b(c));
    }
    case 'while': {
      const cond = intOf(cx, s.cond, 'while condition');
      const body = stmtList(cx, s.body);
      const err0 = err('while loop ran 1000000 times in one probe firing; bpftrace\'s verifier bounds loops, so faultline stops here', s.loc);
      return (c) => {
        let n = 0;
        while (cond(c) !== 0) {
          if (++n > WHILE_LIMIT) throw err0;
          body(c);
        }
      };
    }
    case 'return':
      return () => {
        throw RETURN;
      };
    case 'unroll': {
      const body = stmtList(cx, s.body);
      const n = s.count;
      return (c) => {
        for (let i = 0; i < n; i++) body(c);
      };
    }
    case 'incdec':
      return assignArith(cx, s.target, s.delta === 1 ? '+=' : '-=', { kind: 'int', value: 1, loc: s.loc }, s.loc);
    case 'assign': {
      if (s.op !== '=') return assignArith(cx, s.target, s.op, s.value, s.loc);
      if (s.target.kind === 'var') {
        const v = cx.expr(s.value);
        let slot = scope.get(s.target.name);
        if (!slot) scope.set(s.target.name, (slot = { slot: cx.prog.nvars++, type: v.type, elems: v.elems }));
        else if (slot.type !== v.type && !lenient)
          throw err(`Type mismatch for ${s.target.name}: trying to assign value of type '${v.type}' when variable already contains a value of type '${slot.type}'`, s.loc);
        const i = slot.slot;
        const f = v.fn;
        return (c) => {
          c.vars[i] = f(c);
        };
      }
      const target = s.target;
      if (s.value.kind === 'call' && AGG_FUNCS.has(s.value.name)) return aggregate(cx, target, s.value);
      const v = cx.expr(s.value);
      const keyTypes = keyTypesOf(cx, target.keys);
      const info = declareMap(cx, target.name, v.type, keyTypes, null, s.loc);
      const entry = entryFn(cx, target, info);
      const f = v.fn;
      if (v.type === 'tuple')
        return (c) => {
          entry(c).t = f(c) as unknown as Tuple;
        };
      if (v.type === 'str')
        return (c) => {
          entry(c).s = f(c) as string;
        };
      return (c) => {
        entry(c).v = f(c) as number;
      };
    }
    case 'expr':
      return exprStmt(cx, s.expr);
  }
}

function assignArith(cx: BlockCx, target: Extract<Expr, { kind: 'map' | 'var' }>, op: string, value: Expr, loc: Loc): Action {
  const { err, lenient, scope } = cx;
  const v = intOf(cx, value, `${op}`);
  const bin = binaryInt(op.slice(0, -1));
  if (target.kind === 'var') {
    let slot = scope.get(target.name);
    if (!slot) {
      if (!lenient) throw err(`Undefined or undeclared variable: ${target.name}`, target.loc);
      scope.set(target.name, (slot = { slot: cx.prog.nvars++, type: 'int' }));
    }
    if (slot.type !== 'int' && !lenient) throw err(`${op} on a string variable`, loc);
    const i = slot.slot;
    return (c) => {
      c.vars[i] = bin((c.vars[i] as number) ?? 0, v(c));
    };
  }
  const keyTypes = keyTypesOf(cx, target.keys);
  const prev = cx.prog.infos.get(target.name);
  const kind: AggKind = prev && (prev.kind === 'count' || prev.kind === 'sum') ? prev.kind : 'int';
  if (prev && prev.kind !== 'int' && prev.kind !== 'count' && prev.kind !== 'sum' && !lenient)
    throw err(`${op} on ${target.name}, which holds ${prev.kind}() values`, loc);
  const info = declareMap(cx, target.name, kind, keyTypes, null, loc);
  const entry = entryFn(cx, target, info);
  return (c) => {
    const e = entry(c);
    e.v = bin(e.v, v(c));
  };
}

function aggregate(cx: BlockCx, target: Extract<Expr, { kind: 'map' }>, call: Extract<Expr, { kind: 'call' }>): Action {
  const { err } = cx;
  const name = call.name as AggKind;
  const want: Record<string, number> = { count: 0, sum: 1, min: 1, max: 1, avg: 1, stats: 1, hist: 1, lhist: 4 };
  if (call.args.length !== want[name])
    throw err(`${name}() takes ${want[name]} argument${want[name] === 1 ? '' : 's'}, ${call.args.length} given`, call.loc);
  let lh: LhistParams | null = null;
  if (name === 'lhist') {
    const lits = call.args.slice(1).map((a) => {
      if (a.kind !== 'int') throw err('lhist() min, max and step must be integer literals', a.loc);
      return a.value;
    });
    lh = { min: lits[0], max: lits[1], step: lits[2] };
    if (lh.min < 0) throw err('lhist() min must be non-negative', call.args[1].loc);
    if (lh.step <= 0) throw err('lhist() step must be >= 1', call.args[3].loc);
    if (lh.max <= lh.min) throw err('lhist() max must be greater than min', call.args[2].loc);
    if (lhistBucketCount(lh) > 1000) throw err('lhist() too many buckets, must be <= 1000 (increase step or decrease max)', call.loc);
  }
  const keyTypes = keyTypesOf(cx, target.keys);
  const info = declareMap(cx, target.name, name, keyTypes, lh, call.loc);
  const entry = entryFn(cx, target, info);
  const arg = name === 'count' ? () => 0 : intOf(cx, call.args[0], `${name}()`);
  switch (name) {
    case 'count':
      return (c) => {
        entry(c).v++;
      };
    case 'sum':
      return (c) => {
        entry(c).v += arg(c);
      };
    case 'min':
      return (c) => {
        const e = entry(c);
        const x = arg(c);
        if (e.n === 0 || x < e.v) e.v = x;
        e.n = 1;
      };
    case 'max':
      return (c) => {
        const e = entry(c);
        const x = arg(c);
        if (e.n === 0 || x > e.v) e.v = x;
        e.n = 1;
      };
    case 'avg':
    case 'stats':
      return (c) => {
        const e = entry(c);
        e.v += arg(c);
        e.n++;
      };
    case 'hist':
      return (c) => {
        entry(c).buckets![histIndex(arg(c))]++;
      };
    case 'lhist': {
      const p = info.lhist ?? lh!;
      return (c) => {
        entry(c).buckets![lhistIndex(arg(c), p)]++;
      };
    }
    default:
      throw err(`unknown aggregation ${name}()`, call.loc);
  }
}

function mapArg(cx: BlockCx, e: Expr | undefined, fn: string, loc: Loc): Extract<Expr, { kind: 'map' }> {
  if (!e || e.kind !== 'map') throw cx.err(`${fn}() expects a map argument`, e?.loc ?? loc);
  return e;
}

function exprStmt(cx: BlockCx, e: Expr): Action {
  const { err, rt } = cx;
  if (e.kind !== 'call') {
    const f = cx.expr(e).fn;
    return (c) => void f(c);
  }
  switch (e.name) {
    case 'printf':
      return printf(cx, e);
    case 'print': {
      if (e.args.length === 0 || e.args.length > 3) throw err('print() takes a map and optional top and divisor, or one value', e.loc);
      const a0 = e.args[0];
      if (a0.kind === 'map' && a0.keys.length === 0 && e.args.length >= 1) {
        mapInfo(cx, a0.name, a0.loc);
        const top = e.args[1] ? intOf(cx, e.args[1], 'print() top') : () => 0;
        const div = e.args[2] ? intOf(cx, e.args[2], 'print() divisor') : () => 1;
        const st = mapStateFn(cx, a0.name);
        return (c) => {
          const s = st();
          if (s) rt.emit(formatMap(rt.format, s, top(c), div(c) || 1, rt.version, rt.csv));
        };
      }
      if (e.args.length > 1) throw err('print() of a value takes one argument', e.loc);
      const v = cx.expr(a0);
      const json = (x: number | string) => (typeof x === 'string' ? `"${jsonEscape(x)}"` : String(x));
      return (c) => {
        const x = v.fn(c) as number | string | Tuple;
        if (Array.isArray(x)) {
          if (rt.format === 'json') rt.emit(`{"type": "value", "data": [${x.map(json).join(',')}]}\n`);
          else rt.emit(`(${x.join(', ')})\n`);
        } else if (rt.format === 'json') rt.emit(`{"type": "value", "data": ${json(x)}}\n`);
        else rt.emit(`${x}\n`);
      };
    }
    case 'clear':
    case 'zero': {
      const m = mapArg(cx, e.args[0], e.name, e.loc);
      if (m.keys.length) throw err(`${e.name}() takes the whole map (@name), not an element`, m.loc);
      mapInfo(cx, m.name, m.loc);
      const st = mapStateFn(cx, m.name);
      if (e.name === 'clear')
        return () => {
          st()?.entries.clear();
        };
      return () => {
        const s = st();
        if (!s) return;
        for (const en of s.entries.values()) {
          en.v = 0;
          en.n = 0;
          en.s = '';
          en.buckets?.fill(0);
        }
      };
    }
    case 'delete': {
      const m = mapArg(cx, e.args[0], 'delete', e.loc);
      mapInfo(cx, m.name, m.loc);
      let key: (c: Ctx) => Val;
      if (e.args.length === 2) {
        if (m.keys.length) throw err('delete(@map, key) takes the map without a key', m.loc);
        key = keyFn(cx, { ...m, keys: [e.args[1]] });
      } else if (e.args.length === 1) key = keyFn(cx, m);
      else throw err('delete() takes @map[key] or @map, key', e.loc);
      const st = mapStateFn(cx, m.name);
      return (c) => {
        st()?.entries.delete(key(c));
      };
    }
    case 'exit':
      return () => {
        rt.stopped = true;
      };
    default: {
      const f = cx.expr(e).fn;
      return (c) => void f(c);
    }
  }
}

function printf(cx: BlockCx, e: Extract<Expr, { kind: 'call' }>): Action {
  const { err, rt } = cx;
  const f0 = e.args[0];
  if (!f0 || f0.kind !== 'str') throw err('printf() expects a format string literal as its first argument', f0?.loc ?? e.loc);
  let pieces: FormatPiece[];
  try {
    pieces = parseFormat(f0.value);
  } catch (m) {
    throw err((m as Error).message, f0.loc);
  }
  const specs = pieces.filter((p) => typeof p !== 'string');
  const args = e.args.slice(1);
  if (specs.length !== args.length)
    throw err(`printf: Number of arguments (${args.length}) does not match the number of format specifiers (${specs.length})`, e.loc);
  const parts: ((c: Ctx) => string)[] = [];
  let ai = 0;
  for (const p of pieces) {
    if (typeof p === 'string') {
      parts.push(() => p);
      continue;
    }
    const a = args[ai];
    const t = cx.expr(a);
    ai++;
    if (t.type === 'tuple') throw err(`printf: %${p.conv} specifier cannot print a tuple`, a.loc);
    if (p.conv === 's') {
      const f = t.fn;
      parts.push(t.type === 'str' ? (c) => formatStr(f(c) as string, p) : (c) => formatStr(String(f(c)), p));
    } else {
      if (t.type !== 'int') throw err(`printf: %${p.conv} specifier expects a value of type integer (got a string)`, a.loc);
      const f = t.fn as IntFn;
      parts.push((c) => formatInt(f(c), p));
    }
  }
  const json = rt.format === 'json';
  return (c) => {
    let s = '';
    for (let i = 0; i < parts.length; i++) s += parts[i](c);
    rt.emit(json ? `{"type": "printf", "data": "${jsonEscape(s)}"}\n` : s);
  };
}
