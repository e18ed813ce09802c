// Expressions to closures: literals, variables, map reads and entries, operators; calls go to builtins.ts.
import type { Expr, Stmt } from './ast.js';
import { type MapEntry, type MapState, type Tuple, type Val, joinKey, newEntry, newMapState } from './aggregations.js';
import { builtin, call, fieldGetter } from './builtins.js';
import { type BlockCx, type Ctx, type IntFn, type MapInfo, type Typed, declareMap, intOf, keyFn, keyTypesOf, mapInfo } from './check.js';

export { keyFn } from './check.js';
import { binaryInt } from './int64.js';

/** Closure that finds (or creates) the entry for a map access. */
export function entryFn(cx: BlockCx, m: Extract<Expr, { kind: 'map' }>, info: MapInfo): (c: Ctx) => MapEntry {
  const { rt, err, lenient } = cx;
  const name = m.name;
  const keys = m.keys.map(cx.expr);
  keys.forEach((k, i) => {
    if (!lenient && info.keyTypes[i] !== undefined && k.type !== info.keyTypes[i])
      throw err(`Argument mismatch for ${name}: key ${i + 1} is ${k.type}, the map was keyed by ${info.keyTypes[i]}`, m.keys[i].loc);
  });
  let state: MapState | undefined;
  const getState = (): MapState => {
    if (!state) {
      state = rt.maps.get(name);
      if (!state) {
        state = newMapState(name, info.kind, info.keyTypes, info.lhist);
        rt.maps.set(name, state);
      }
    }
    return state;
  };
  if (keys.length === 0) {
    return () => {
      const s = getState();
      let e = s.entries.get(0);
      if (!e) s.entries.set(0, (e = newEntry(s, [])));
      return e;
    };
  }
  if (keys.length === 1) {
    const k0 = keys[0].fn;
    return (c) => {
      const s = getState();
      const k = k0(c);
      let e = s.entries.get(k);
      if (!e) s.entries.set(k, (e = newEntry(s, [k])));
      return e;
    };
  }
  const fns = keys.map((k) => k.fn);
  return (c) => {
    const s = getState();
    const parts = fns.map((f) => f(c));
    const k = joinKey(parts);
    let e = s.entries.get(k);
    if (!e) s.entries.set(k, (e = newEntry(s, parts)));
    return e;
  };
}

/** The map's state at run time (undefined until something wrote it). */
export function mapStateFn(cx: BlockCx, name: string): () => MapState | undefined {
  const rt = cx.rt;
  return () => rt.maps.get(name);
}

/** Compile one expression in a block. */
export function expr(cx: BlockCx, e: Expr): Typed {
  const { err, lenient } = cx;
  switch (e.kind) {
    case 'int': {
      const v = e.value;
      return { type: 'int', fn: () => v };
    }
    case 'str': {
      const v = e.value;
      return { type: 'str', fn: () => v };
    }
    case 'builtin': {
      // a macro without parameters may be written without parentheses (bpftrace 0.23+: `if errname { ... }`)
      const m = cx.prog.macros[e.name];
      if (m && m.params.length === 0) return expandMacro(cx, { kind: 'call', name: e.name, args: [], loc: e.loc, nameLoc: e.loc });
      return builtin(cx, e.name, e.loc);
    }
    case 'field':
      return fieldGetter(cx, e.name, e.loc);
    case 'var': {
      const slot = cx.scope.get(e.name);
      if (!slot) {
        if (lenient) return { type: 'int', fn: () => 0 };
        throw err(`Undefined or undeclared variable: ${e.name}`, e.loc);
      }
      const i = slot.slot;
      return { type: slot.type, fn: (c) => c.vars[i], elems: slot.elems };
    }
    case 'map': {
      const info = mapInfo(cx, e.name, e.loc);
      if (!['int', 'str', 'tuple', 'count', 'sum', 'min', 'max', 'avg'].includes(info.kind))
        throw err(`${e.name} holds ${info.kind}() values, which cannot be read in an expression`, e.loc);
      if (!lenient && info.keyTypes.length !== e.keys.length)
        throw err(`Argument mismatch for ${e.name}: ${e.keys.length} keys given, the map has ${info.keyTypes.length}`, e.loc);
      const key = keyFn(cx, e);
      const st = mapStateFn(cx, e.name);
      if (info.kind === 'str')
        return { type: 'str', fn: (c) => st()?.entries.get(key(c))?.s ?? '' };
      if (info.kind === 'tuple')
        return { type: 'tuple', fn: (c) => (st()?.entries.get(key(c))?.t ?? []) as unknown as Val };
      if (info.kind === 'avg')
        return { type: 'int', fn: (c) => { const en = st()?.entries.get(key(c)); return en && en.n ? Math.trunc(en.v / en.n) : 0; } };
      return { type: 'int', fn: (c) => st()?.entries.get(key(c))?.v ?? 0 };
    }
    case 'unary': {
      const a = intOf(cx, e.arg, `operator ${e.op}`);
      if (e.op === '!') return { type: 'int', fn: (c) => (a(c) === 0 ? 1 : 0) };
      if (e.op === '~') return { type: 'int', fn: (c) => -a(c) - 1 };
      return { type: 'int', fn: (c) => -a(c) };
    }
    case 'ternary': {
      const cond = intOf(cx, e.cond, 'the ?: condition');
      const a = cx.expr(e.then);
      const b = cx.expr(e.else);
      if (a.type !== b.type) throw err('Ternary operator branches must have the same type', e.loc);
      const fa = a.fn;
      const fb = b.fn;
      return { type: a.type, fn: (c) => (cond(c) !== 0 ? fa(c) : fb(c)) };
    }
    case 'binary': {
      const l = cx.expr(e.left);
      const r = cx.expr(e.right);
      if (e.op === '==' || e.op === '!=') {
        if (l.type !== r.type || l.type === 'tuple') throw err(`Type mismatch for '${e.op}': comparing '${l.type}' with '${r.type}'`, e.loc);
        const fl = l.fn;
        const fr = r.fn;
        return e.op === '==' ? { type: 'int', fn: (c) => (fl(c) === fr(c) ? 1 : 0) } : { type: 'int', fn: (c) => (fl(c) !== fr(c) ? 1 : 0) };
      }
      if (l.type !== 'int' || r.type !== 'int') throw err(`The ${e.op} operator can not be used on a ${l.type === 'tuple' || r.type === 'tuple' ? 'tuple' : 'string'}`, e.loc);
      const fl = l.fn as IntFn;
      const fr = r.fn as IntFn;
      if (e.op === '&&') return { type: 'int', fn: (c) => (fl(c) !== 0 && fr(c) !== 0 ? 1 : 0) };
      if (e.op === '||') return { type: 'int', fn: (c) => (fl(c) !== 0 || fr(c) !== 0 ? 1 : 0) };
      const op = binaryInt(e.op);
      if (e.right.kind === 'int') {
        const k = e.right.value;
        return { type: 'int', fn: (c) => op(fl(c), k) };
      }
      return { type: 'int', fn: (c) => op(fl(c), fr(c)) };
    }
    case 'call':
      return e.name in cx.prog.macros ? expandMacro(cx, e) : call(cx, e);
    case 'tuple': {
      const typed = e.elems.map((x) => {
        const t = cx.expr(x);
        if (t.type === 'tuple') throw err('a tuple inside a tuple is not supported', x.loc);
        return { type: t.type, fn: t.fn };
      });
      const parts = typed.map((t) => t.fn);
      return { type: 'tuple', fn: (c) => parts.map((f) => f(c)) as Tuple as unknown as Val, elems: typed.map((t) => t.type) };
    }
    case 'incdec':
      return incdec(cx, e);
    case 'block': {
      const run = cx.stmts(e.stmts);
      const v = cx.expr(e.value);
      const f = v.fn;
      return { type: v.type, fn: (c) => { run(c); return f(c); } };
    }
  }
}

/** `@x++` / `--$y` as a value: the map or variable changes, the value is the old one (postfix) or the new one. */
function incdec(cx: BlockCx, e: Extract<Expr, { kind: 'incdec' }>): Typed {
  const d = e.delta;
  const post = !e.prefix;
  if (e.target.kind === 'var') {
    const slot = cx.scope.get(e.target.name);
    if (!slot) {
      if (cx.lenient) return { type: 'int', fn: () => 0 };
      throw cx.err(`Undefined or undeclared variable: ${e.target.name}`, e.target.loc);
    }
    if (slot.type !== 'int' && !cx.lenient) throw cx.err(`${d > 0 ? '++' : '--'} on a ${slot.type} variable`, e.loc);
    const i = slot.slot;
    return { type: 'int', fn: (c) => { const old = c.vars[i] as number; c.vars[i] = old + d; return post ? old : old + d; } };
  }
  const prev = cx.prog.infos.get(e.target.name);
  const kind = prev && (prev.kind === 'count' || prev.kind === 'sum') ? prev.kind : 'int';
  const info = declareMap(cx, e.target.name, kind, keyTypesOf(cx, e.target.keys), null, e.loc);
  const entry = entryFn(cx, e.target, info);
  return { type: 'int', fn: (c) => { const en = entry(c); const old = en.v; en.v = old + d; return post ? old : old + d; } };
}

/** A macro call: the body with each parameter replaced by its argument, compiled in place (bpftrace 0.23+ macros). */
function expandMacro(cx: BlockCx, e: Extract<Expr, { kind: 'call' }>): Typed {
  const m = cx.prog.macros[e.name];
  if (e.args.length !== m.params.length) throw cx.err(`macro ${m.name} takes ${m.params.length} argument${m.params.length === 1 ? '' : 's'}, ${e.args.length} given`, e.loc);
  if (cx.prog.expanding.includes(m.name)) throw cx.err(`macro ${m.name} calls itself`, e.loc);
  const sub = new Map(m.params.map((p, i) => [p, e.args[i]] as const));
  const body = m.body.map((s) => substStmt(s, sub));
  const last = body[body.length - 1];
  const value: Expr = last && last.kind === 'expr' ? last.expr : { kind: 'int', value: 0, loc: e.loc };
  const stmts = last && last.kind === 'expr' ? body.slice(0, -1) : body;
  cx.prog.expanding.push(m.name);
  try {
    return cx.expr({ kind: 'block', stmts, value, loc: e.loc });
  } finally {
    cx.prog.expanding.pop();
  }
}

function substStmt(s: Stmt, sub: Map<string, Expr>): Stmt {
  const x = (e: Expr) => substExpr(e, sub);
  const target = <T extends Extract<Expr, { kind: 'map' | 'var' }>>(t: T): T => {
    const r = x(t);
    return (r.kind === 'map' || r.kind === 'var' ? r : t) as T;
  };
  switch (s.kind) {
    case 'assign': return { ...s, target: target(s.target), value: x(s.value) };
    case 'incdec': return { ...s, target: target(s.target) };
    case 'expr': return { ...s, expr: x(s.expr) };
    case 'if': return { ...s, cond: x(s.cond), then: s.then.map((t) => substStmt(t, sub)), else: s.else.map((t) => substStmt(t, sub)) };
    case 'while': return { ...s, cond: x(s.cond), body: s.body.map((t) => substStmt(t, sub)) };
    case 'unroll': return { ...s, body: s.body.map((t) => substStmt(t, sub)) };
    case 'return': return s;
  }
}

function substExpr(e: Expr, sub: Map<string, Expr>): Expr {
  const x = (y: Expr) => substExpr(y, sub);
  switch (e.kind) {
    case 'var':
    case 'builtin':
      return sub.get(e.name) ?? e;
    case 'map': {
      const keys = e.keys.map(x);
      const r = sub.get(e.name);
      return r && r.kind === 'map' && keys.length === 0 ? r : r && r.kind === 'map' ? { ...r, keys } : { ...e, keys };
    }
    case 'unary': return { ...e, arg: x(e.arg) };
    case 'binary': return { ...e, left: x(e.left), right: x(e.right) };
    case 'ternary': return { ...e, cond: x(e.cond), then: x(e.then), else: x(e.else) };
    case 'call': return { ...e, args: e.args.map(x) };
    case 'tuple': return { ...e, elems: e.elems.map(x) };
    case 'incdec': {
      const t = x(e.target);
      return { ...e, target: t.kind === 'map' || t.kind === 'var' ? t : e.target };
    }
    case 'block': return { ...e, stmts: e.stmts.map((s) => substStmt(s, sub)), value: x(e.value) };
    default: return e;
  }
}
