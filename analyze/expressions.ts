// Expressions to closures: literals, variables, map reads and entries, operators; calls go to builtins.ts.
import type { Expr } from './ast.js';
import { type MapEntry, type MapState, type Val, joinKey, newEntry, newMapState } from './aggregations.js';
import { builtin, call, fieldGetter } from './builtins.js';
import { type BlockCx, type Ctx, type IntFn, type MapInfo, type Typed, intOf, mapInfo } from './check.js';
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

/** Key lookup without creating an entry (reads and delete). */
export function keyFn(cx: BlockCx, m: Extract<Expr, { kind: 'map' }>): (c: Ctx) => Val {
  const keys = m.keys.map(cx.expr);
  if (keys.length === 0) return () => 0;
  if (keys.length === 1) return keys[0].fn;
  const fns = keys.map((k) => k.fn);
  return (c) => joinKey(fns.map((f) => f(c)));
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
    case 'builtin':
      return builtin(cx, e.name, e.loc);
    case 'field':
      return fieldGetter(cx, e.name, e.loc);
    case 'var': {
      const slot = cx.scope.get(e.name);
      if (!slot) {
        if (lenient) return { type: 'int', fn: () => 0 };
        throw err(`Undefined or undeclared variable: ${e.name}`, e.loc);
      }
      const i = slot.slot;
      return { type: slot.type, fn: (c) => c.vars[i] };
    }
    case 'map': {
      const info = mapInfo(cx, e.name, e.loc);
      if (!['int', 'str', 'count', 'sum', 'min', 'max', 'avg'].includes(info.kind))
        throw err(`${e.name} holds ${info.kind}() values, which cannot be read in an expression`, e.loc);
      if (!lenient && info.keyTypes.length !== e.keys.length)
        throw err(`Argument mismatch for ${e.name}: ${e.keys.length} keys given, the map has ${info.keyTypes.length}`, e.loc);
      const key = keyFn(cx, e);
      const st = mapStateFn(cx, e.name);
      if (info.kind === 'str')
        return { type: 'str', fn: (c) => st()?.entries.get(key(c))?.s ?? '' };
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
        if (l.type !== r.type) throw err(`Type mismatch for '${e.op}': comparing '${l.type}' with '${r.type}'`, e.loc);
        const fl = l.fn;
        const fr = r.fn;
        return e.op === '==' ? { type: 'int', fn: (c) => (fl(c) === fr(c) ? 1 : 0) } : { type: 'int', fn: (c) => (fl(c) !== fr(c) ? 1 : 0) };
      }
      if (l.type !== 'int' || r.type !== 'int') throw err(`The ${e.op} operator can not be used on a string`, e.loc);
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
      return call(cx, e);
  }
}
