// AST to closures, once: type-checks as bpftrace's semantic analyser does, then every event runs plain functions.
import type { Expr, Loc, ProbeBlock, ProgramAst, Stmt } from './ast.js';
import {
  type AggKind, type LhistParams, type MapEntry, type MapState, type Val,
  histIndex, joinKey, lhistBucketCount, lhistIndex, newEntry, newMapState,
} from './aggregations.js';
import { type FormatPiece, formatInt, formatStr, parseFormat } from './format.js';
import { type FieldType, type ProbeTarget, MODEL_FIELDS, camel, guessFieldType, parseProbe, tracepointFields, traceFieldGetter } from './probes.js';
import { type OutputFormat, formatMap, jsonEscape } from './print.js';
import { queryError } from './query_error.js';

/** What a probe body sees: the current event or model record, reused between calls. */
export interface Ctx {
  model: boolean;
  ev: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- a TraceEvent or a model record
  probe: string;
  time: number;
  t0: number;
  vars: Val[];
  /** Thread -> thread group, learnt from task_newtask, for traces that do not record the tgid. */
  tgidOf: Map<number, number>;
}

export type Action = (c: Ctx) => void;

export interface CompiledBlock {
  targets: ProbeTarget[];
  texts: string[];
  /** Predicate and body in one closure. */
  run: Action;
}

export interface Runtime {
  maps: Map<string, MapState>;
  emit: (s: string) => void;
  format: OutputFormat;
  stopped: boolean;
}

type Typed = { type: FieldType; fn: (c: Ctx) => Val };
type IntFn = (c: Ctx) => number;
type StrFn = (c: Ctx) => string;

interface MapInfo {
  kind: AggKind;
  keyTypes: FieldType[];
  lhist: LhistParams | null;
}

const AGG_FUNCS = new Set(['count', 'sum', 'min', 'max', 'avg', 'stats', 'hist', 'lhist']);

const LIVE_BUILTINS: Record<string, string> = {
  kstack: 'kernel stacks are walked on a live kernel',
  ustack: 'user stacks are walked in a live process',
  retval: 'return values come from kretprobes/uretprobes on a live kernel',
  func: 'func names the traced function of a live kprobe/uprobe',
  curtask: 'curtask points into live kernel memory',
  uid: 'the recorded traces do not carry uids',
  gid: 'the recorded traces do not carry gids',
  username: 'the recorded traces do not carry uids',
  cgroup: 'the recorded traces do not carry cgroup ids',
  rand: 'rand would make results differ between runs of the same trace',
  jiffies: 'the recorded traces do not carry jiffies',
  numaid: 'the recorded traces do not carry NUMA node ids',
  ctx: 'ctx points into live kernel memory',
  sarg0: 'stack arguments are read from a live process',
  cpid: 'cpid belongs to a child process bpftrace starts',
};

const LIVE_FUNCS: Record<string, string> = {
  system: 'system() runs commands on the live machine while tracing',
  cat: 'cat() reads files on the live machine while tracing',
  ksym: 'ksym() resolves addresses against the live kernel',
  usym: 'usym() resolves addresses in a live process',
  kaddr: 'kaddr() resolves symbols against the live kernel',
  uaddr: 'uaddr() resolves symbols in a live process',
  kstack: 'kstack() walks the stack of a live kernel',
  ustack: 'ustack() walks the stack of a live process',
  reg: 'reg() reads registers of a live task',
  signal: 'signal() sends signals to live processes',
  override: 'override() changes return values on a live kernel',
  buf: 'buf() reads live memory',
  ntop: 'ntop() formats addresses read from live memory',
  cgroupid: 'cgroupid() resolves live cgroup paths',
  strftime: 'strftime() formats wall-clock time; use nsecs or elapsed',
  time: 'time() prints wall-clock time; use nsecs or elapsed',
  join: 'join() reads argument arrays from live memory',
  uptr: 'uptr() annotates pointers into live memory',
  kptr: 'kptr() annotates pointers into live memory',
  path: 'path() resolves live dentries',
  macaddr: 'macaddr() reads live memory',
};

export interface CompileOutput {
  blocks: CompiledBlock[];
  nvars: number;
}

/** Compile a parsed program against a runtime (maps and output sink are filled in by the caller). */
export function compileAst(ast: ProgramAst, rt: Runtime, source: string, file: string): CompileOutput {
  const err = (msg: string, loc: Loc | null) => queryError(msg, loc, source, file);
  let infos = new Map<string, MapInfo>();
  let hints = new Map<string, MapInfo>();
  let nvars = 0;

  // Pass 1 (twice, leniently): learn every map's kind and key types from its assignments, so a map read before
  // (or in a block above) its assignment has a type; the second round corrects kinds that depended on such reads.
  for (let round = 0; round < 2; round++) {
    infos = new Map();
    for (const b of ast.blocks) {
      try {
        compileBlock(b, true);
      } catch {
        /* pass 2 reports it */
      }
    }
    hints = infos;
  }
  infos = new Map();
  const blocks = ast.blocks.map((b) => compileBlock(b, false));
  for (const [name, info] of infos) {
    if (!rt.maps.has(name)) rt.maps.set(name, newMapState(name, info.kind, info.keyTypes, info.lhist));
  }
  return { blocks, nvars };

  function compileBlock(b: ProbeBlock, lenient: boolean): CompiledBlock {
    const targets: ProbeTarget[] = [];
    for (const p of b.probes) {
      try {
        targets.push(parseProbe(p.text));
      } catch (m) {
        if (typeof m === 'string') throw err(m, p.loc);
        throw m;
      }
    }
    const hasEvent = targets.some((t) => t.type === 'tracepoint' || t.type === 'software');
    const hasModel = targets.some((t) => t.type === 'model');
    const scope = new Map<string, { slot: number; type: FieldType }>();

    function stmtList(list: Stmt[]): Action {
      const fns: Action[] = [];
      for (const s of list) {
        if (lenient) {
          try {
            fns.push(stmt(s));
          } catch {
            /* pass 2 reports it */
          }
        } else fns.push(stmt(s));
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

    function mapInfo(name: string, loc: Loc): MapInfo {
      const info = infos.get(name) ?? hints.get(name);
      if (!info) {
        if (lenient) return { kind: 'int', keyTypes: [], lhist: null };
        throw err(`Undefined map: ${name} (it is read but never assigned)`, loc);
      }
      return info;
    }

    function declareMap(name: string, kind: AggKind, keyTypes: FieldType[], lhist: LhistParams | null, loc: Loc): MapInfo {
      const prev = infos.get(name);
      if (!prev) {
        const info = { kind, keyTypes, lhist };
        infos.set(name, info);
        return info;
      }
      if (prev.kind !== kind && !lenient)
        throw err(`Type mismatch for ${name}: trying to assign value of type '${kind}' when map already contains a value of type '${prev.kind}'`, loc);
      if (!lenient && (prev.keyTypes.length !== keyTypes.length || prev.keyTypes.some((t, i) => t !== keyTypes[i])))
        throw err(`Argument mismatch for ${name}: trying to access with arguments [${keyTypes.join(', ')}] when map expects arguments [${prev.keyTypes.join(', ')}]`, loc);
      if (!lenient && kind === 'lhist' && lhist && prev.lhist && (lhist.min !== prev.lhist.min || lhist.max !== prev.lhist.max || lhist.step !== prev.lhist.step))
        throw err(`lhist() parameters for ${name} differ from an earlier lhist() on the same map`, loc);
      return prev;
    }

    /** Closure that finds (or creates) the entry for a map access. */
    function entryFn(m: Extract<Expr, { kind: 'map' }>, info: MapInfo): (c: Ctx) => MapEntry {
      const name = m.name;
      const keys = m.keys.map(expr);
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
    function keyFn(m: Extract<Expr, { kind: 'map' }>): (c: Ctx) => Val {
      const keys = m.keys.map(expr);
      if (keys.length === 0) return () => 0;
      if (keys.length === 1) return keys[0].fn;
      const fns = keys.map((k) => k.fn);
      return (c) => joinKey(fns.map((f) => f(c)));
    }

    function mapStateFn(name: string): () => MapState | undefined {
      return () => rt.maps.get(name);
    }

    function intOf(e: Expr, what: string): IntFn {
      const t = expr(e);
      if (t.type !== 'int') throw err(`${what} expects an integer, got a string`, e.loc);
      return t.fn as IntFn;
    }

    function stmt(s: Stmt): Action {
      switch (s.kind) {
        case 'if': {
          const cond = intOf(s.cond, 'if condition');
          const a = stmtList(s.then);
          const b = stmtList(s.else);
          return (c) => (cond(c) !== 0 ? a(c) : b(c));
        }
        case 'incdec':
          return assignArith(s.target, s.delta === 1 ? '+=' : '-=', { kind: 'int', value: 1, loc: s.loc }, s.loc);
        case 'assign': {
          if (s.op !== '=') return assignArith(s.target, s.op, s.value, s.loc);
          if (s.target.kind === 'var') {
            const v = expr(s.value);
            let slot = scope.get(s.target.name);
            if (!slot) scope.set(s.target.name, (slot = { slot: nvars++, type: v.type }));
            else if (slot.type !== v.type && !lenient)
              throw err(`Type mismatch for ${s.target.name}: trying to assign value of type '${v.type}' when variable already contains a value of type '${slot.type}'`, s.loc);
            const i = slot.slot;
            const f = v.fn;
            return (c) => {
              c.vars[i] = f(c);
            };
          }
          const target = s.target;
          if (s.value.kind === 'call' && AGG_FUNCS.has(s.value.name)) return aggregate(target, s.value);
          const v = expr(s.value);
          const keyTypes = target.keys.map((k) => expr(k).type);
          const info = declareMap(target.name, v.type === 'str' ? 'str' : 'int', keyTypes, null, s.loc);
          const entry = entryFn(target, info);
          const f = v.fn;
          if (v.type === 'str')
            return (c) => {
              entry(c).s = f(c) as string;
            };
          return (c) => {
            entry(c).v = f(c) as number;
          };
        }
        case 'expr':
          return exprStmt(s.expr);
      }
    }

    function assignArith(target: Extract<Expr, { kind: 'map' | 'var' }>, op: string, value: Expr, loc: Loc): Action {
      const v = intOf(value, `${op}`);
      const bin = binaryInt(op.slice(0, -1));
      if (target.kind === 'var') {
        let slot = scope.get(target.name);
        if (!slot) {
          if (!lenient) throw err(`Undefined or undeclared variable: ${target.name}`, target.loc);
          scope.set(target.name, (slot = { slot: nvars++, type: 'int' }));
        }
        if (slot.type !== 'int' && !lenient) throw err(`${op} on a string variable`, loc);
        const i = slot.slot;
        return (c) => {
          c.vars[i] = bin((c.vars[i] as number) ?? 0, v(c));
        };
      }
      const keyTypes = target.keys.map((k) => expr(k).type);
      const prev = infos.get(target.name);
      const kind: AggKind = prev && (prev.kind === 'count' || prev.kind === 'sum') ? prev.kind : 'int';
      if (prev && prev.kind !== 'int' && prev.kind !== 'count' && prev.kind !== 'sum' && !lenient)
        throw err(`${op} on ${target.name}, which holds ${prev.kind}() values`, loc);
      const info = declareMap(target.name, kind, keyTypes, null, loc);
      const entry = entryFn(target, info);
      return (c) => {
        const e = entry(c);
        e.v = bin(e.v, v(c));
      };
    }

    function aggregate(target: Extract<Expr, { kind: 'map' }>, call: Extract<Expr, { kind: 'call' }>): Action {
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
      const keyTypes = target.keys.map((k) => expr(k).type);
      const info = declareMap(target.name, name, keyTypes, lh, call.loc);
      const entry = entryFn(target, info);
      const arg = name === 'count' ? () => 0 : intOf(call.args[0], `${name}()`);
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

    function mapArg(e: Expr | undefined, fn: string, loc: Loc): Extract<Expr, { kind: 'map' }> {
      if (!e || e.kind !== 'map') throw err(`${fn}() expects a map argument`, e?.loc ?? loc);
      return e;
    }

    function exprStmt(e: Expr): Action {
      if (e.kind !== 'call') {
        const f = expr(e).fn;
        return (c) => void f(c);
      }
      switch (e.name) {
        case 'printf':
          return printf(e);
        case 'print': {
          if (e.args.length === 0 || e.args.length > 3) throw err('print() takes a map and optional top and divisor, or one value', e.loc);
          const a0 = e.args[0];
          if (a0.kind === 'map' && a0.keys.length === 0 && e.args.length >= 1) {
            mapInfo(a0.name, a0.loc);
            const top = e.args[1] ? intOf(e.args[1], 'print() top') : () => 0;
            const div = e.args[2] ? intOf(e.args[2], 'print() divisor') : () => 1;
            const st = mapStateFn(a0.name);
            return (c) => {
              const s = st();
              if (s) rt.emit(formatMap(rt.format, s, top(c), div(c) || 1));
            };
          }
          if (e.args.length > 1) throw err('print() of a value takes one argument', e.loc);
          const v = expr(a0);
          return (c) => {
            const x = v.fn(c);
            if (rt.format === 'json') rt.emit(`{"type": "value", "data": ${typeof x === 'string' ? `"${jsonEscape(x)}"` : x}}\n`);
            else rt.emit(`${x}\n`);
          };
        }
        case 'clear':
        case 'zero': {
          const m = mapArg(e.args[0], e.name, e.loc);
          if (m.keys.length) throw err(`${e.name}() takes the whole map (@name), not an element`, m.loc);
          mapInfo(m.name, m.loc);
          const st = mapStateFn(m.name);
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
          const m = mapArg(e.args[0], 'delete', e.loc);
          mapInfo(m.name, m.loc);
          let key: (c: Ctx) => Val;
          if (e.args.length === 2) {
            if (m.keys.length) throw err('delete(@map, key) takes the map without a key', m.loc);
            key = keyFn({ ...m, keys: [e.args[1]] });
          } else if (e.args.length === 1) key = keyFn(m);
          else throw err('delete() takes @map[key] or @map, key', e.loc);
          const st = mapStateFn(m.name);
          return (c) => {
            st()?.entries.delete(key(c));
          };
        }
        case 'exit':
          return () => {
            rt.stopped = true;
          };
        default: {
          const f = expr(e).fn;
          return (c) => void f(c);
        }
      }
    }

    function printf(e: Extract<Expr, { kind: 'call' }>): Action {
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
        const t = expr(a);
        ai++;
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

    function fieldGetter(name: string, loc: Loc): Typed {
      if (!hasEvent && !hasModel) throw err(`args.${name}: BEGIN, END and interval probes have no args`, loc);
      let type: FieldType | null = null;
      for (const t of targets) {
        if (t.type === 'tracepoint' && t.exact) {
          const fields = tracepointFields(t.exact);
          if (fields) {
            if (!(name in fields)) throw err(`tracepoint:${t.exact} has no field '${name}' (fields: ${Object.keys(fields).join(', ')})`, loc);
            type ??= fields[name];
          }
        } else if (t.type === 'software') {
          throw err('software probes carry no args (use comm, pid, tid, cpu, nsecs)', loc);
        } else if (t.type === 'model') {
          const owners = t.names.filter((n) => name in MODEL_FIELDS[n]);
          if (owners.length === 0)
            throw err(`model:${t.names.length === 1 ? t.names[0] : '*'} has no field '${name}' (fields: ${[...new Set(t.names.flatMap((n) => Object.keys(MODEL_FIELDS[n])))].join(', ')})`, loc);
          type ??= MODEL_FIELDS[owners[0]][name];
        }
      }
      type ??= guessFieldType(name);
      const traceGet = traceFieldGetter(name);
      const prop = camel(name);
      // ev is null when the same block also fires as BEGIN, END or interval: args read as 0 / ''
      const raw: (c: Ctx) => unknown = !hasModel
        ? (c) => (c.ev ? traceGet(c.ev) : undefined)
        : !hasEvent
          ? (c) => (c.ev ? c.ev[prop] : undefined)
          : (c) => (!c.ev ? undefined : c.model ? c.ev[prop] : traceGet(c.ev));
      if (type === 'str') return { type, fn: (c) => { const v = raw(c); return typeof v === 'string' ? v : v === undefined ? '' : String(v); } };
      return {
        type,
        fn: (c) => {
          const v = raw(c);
          // bpftrace values are integers: the model's modelled latencies are fractional ns
          if (typeof v === 'number') return Math.trunc(v);
          if (typeof v === 'boolean') return v ? 1 : 0;
          if (typeof v === 'bigint') return Number(BigInt.asIntN(64, v));
          if (typeof v === 'string') {
            if (v === 'true' || v === 'false') return v === 'true' ? 1 : 0;
            const n = Number(v);
            return Number.isFinite(n) ? n : 0;
          }
          return 0;
        },
      };
    }

    function builtin(name: string, loc: Loc): Typed {
      switch (name) {
        case 'comm':
          return { type: 'str', fn: (c) => (c.ev ? c.ev.comm ?? '' : '') };
        case 'probe':
          return { type: 'str', fn: (c) => c.probe };
        case 'pid':
          // tgid where the format records it, else learnt from task_newtask, else the thread id (a process's first thread)
          return { type: 'int', fn: (c) => (c.ev ? (c.ev.pid >= 0 ? c.ev.pid : c.tgidOf.get(c.ev.tid) ?? c.ev.tid ?? -1) : 0) };
        case 'tid':
          return { type: 'int', fn: (c) => (c.ev ? c.ev.tid ?? c.ev.pid : 0) };
        case 'cpu':
          return { type: 'int', fn: (c) => (c.ev ? c.ev.cpu ?? -1 : 0) };
        case 'nsecs':
          return { type: 'int', fn: (c) => c.time };
        case 'elapsed':
          return { type: 'int', fn: (c) => c.time - c.t0 };
        case 'args':
          throw err('args must be followed by .field or ->field', loc);
      }
      // model:* records also expose their fields as bare names: model:fault { @[variant, path] = count(); }
      if (hasModel && !hasEvent && targets.every((t) => t.type !== 'model' || t.names.some((n) => name in MODEL_FIELDS[n])))
        return fieldGetter(name, loc);
      if (name in LIVE_BUILTINS) throw err(`${name} is not available: ${LIVE_BUILTINS[name]}, and faultline reads recorded traces`, loc);
      if (/^s?arg[0-9]+$/.test(name)) throw err(`${name} reads registers of a live kprobe/uprobe; faultline reads recorded traces (use args.FIELD)`, loc);
      throw err(`Unknown identifier: '${name}'`, loc);
    }

    function expr(e: Expr): Typed {
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
          return builtin(e.name, e.loc);
        case 'field':
          return fieldGetter(e.name, e.loc);
        case 'var': {
          const slot = scope.get(e.name);
          if (!slot) {
            if (lenient) return { type: 'int', fn: () => 0 };
            throw err(`Undefined or undeclared variable: ${e.name}`, e.loc);
          }
          const i = slot.slot;
          return { type: slot.type, fn: (c) => c.vars[i] };
        }
        case 'map': {
          const info = mapInfo(e.name, e.loc);
          if (!['int', 'str', 'count', 'sum', 'min', 'max', 'avg'].includes(info.kind))
            throw err(`${e.name} holds ${info.kind}() values, which cannot be read in an expression`, e.loc);
          if (!lenient && info.keyTypes.length !== e.keys.length)
            throw err(`Argument mismatch for ${e.name}: ${e.keys.length} keys given, the map has ${info.keyTypes.length}`, e.loc);
          const key = keyFn(e);
          const st = mapStateFn(e.name);
          if (info.kind === 'str')
            return { type: 'str', fn: (c) => st()?.entries.get(key(c))?.s ?? '' };
          if (info.kind === 'avg')
            return { type: 'int', fn: (c) => { const en = st()?.entries.get(key(c)); return en && en.n ? Math.trunc(en.v / en.n) : 0; } };
          return { type: 'int', fn: (c) => st()?.entries.get(key(c))?.v ?? 0 };
        }
        case 'unary': {
          const a = intOf(e.arg, `operator ${e.op}`);
          if (e.op === '!') return { type: 'int', fn: (c) => (a(c) === 0 ? 1 : 0) };
          if (e.op === '~') return { type: 'int', fn: (c) => -a(c) - 1 };
          return { type: 'int', fn: (c) => -a(c) };
        }
        case 'ternary': {
          const cond = intOf(e.cond, 'the ?: condition');
          const a = expr(e.then);
          const b = expr(e.else);
          if (a.type !== b.type) throw err('Ternary operator branches must have the same type', e.loc);
          const fa = a.fn;
          const fb = b.fn;
          return { type: a.type, fn: (c) => (cond(c) !== 0 ? fa(c) : fb(c)) };
        }
        case 'binary': {
          const l = expr(e.left);
          const r = expr(e.right);
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
          return call(e);
      }
    }

    function call(e: Extract<Expr, { kind: 'call' }>): Typed {
      if (AGG_FUNCS.has(e.name)) throw err(`${e.name}() should be directly assigned to a map (@x = ${e.name}(...))`, e.nameLoc);
      if (e.name in LIVE_FUNCS) throw err(`${LIVE_FUNCS[e.name]}; faultline reads recorded traces`, e.nameLoc);
      switch (e.name) {
        case 'str': {
          if (e.args.length < 1 || e.args.length > 2) throw err('str() takes a string and an optional length', e.loc);
          const a = expr(e.args[0]);
          if (a.type !== 'str')
            throw err('str() of an integer reads process memory at that address, which a recorded trace does not have', e.args[0].loc);
          if (e.args.length === 2) {
            const n = intOf(e.args[1], 'str() length');
            const f = a.fn as StrFn;
            return { type: 'str', fn: (c) => f(c).slice(0, Math.max(0, n(c) - 1)) };
          }
          return a;
        }
        case 'strncmp': {
          // bpftrace: 0 when the first n bytes are equal
          if (e.args.length !== 3) throw err('strncmp() takes two strings and a length', e.loc);
          const [a, b] = [expr(e.args[0]), expr(e.args[1])];
          if (a.type !== 'str' || b.type !== 'str') throw err('strncmp() compares two strings', e.loc);
          const n = intOf(e.args[2], 'strncmp() length');
          const fa = a.fn as StrFn;
          const fb = b.fn as StrFn;
          return { type: 'int', fn: (c) => { const k = n(c); return fa(c).slice(0, k) === fb(c).slice(0, k) ? 0 : 1; } };
        }
        case 'strcontains': {
          if (e.args.length !== 2) throw err('strcontains() takes a haystack and a needle', e.loc);
          const [a, b] = [expr(e.args[0]), expr(e.args[1])];
          if (a.type !== 'str' || b.type !== 'str') throw err('strcontains() takes two strings', e.loc);
          const fa = a.fn as StrFn;
          const fb = b.fn as StrFn;
          return { type: 'int', fn: (c) => (fa(c).includes(fb(c)) ? 1 : 0) };
        }
        case 'strlen': {
          if (e.args.length !== 1) throw err('strlen() takes one string', e.loc);
          const a = expr(e.args[0]);
          if (a.type !== 'str') throw err('strlen() takes a string', e.loc);
          const fa = a.fn as StrFn;
          return { type: 'int', fn: (c) => fa(c).length };
        }
        case 'printf':
        case 'print':
        case 'clear':
        case 'zero':
        case 'delete':
        case 'exit':
          throw err(`${e.name}() is a statement, not a value`, e.nameLoc);
      }
      throw err(`Unknown function: '${e.name}'`, e.nameLoc);
    }

    const pred = b.predicate ? intOf(b.predicate, 'the predicate') : null;
    const body = stmtList(b.body);
    const run: Action = pred ? (c) => { if (pred(c) !== 0) body(c); } : body;
    return { targets, texts: b.probes.map((p) => p.text), run };
  }
}

/** 64-bit integer operators over exact doubles; bitwise ops leave the 32-bit fast path only when needed. */
export function binaryInt(op: string): (a: number, b: number) => number {
  switch (op) {
    case '+': return (a, b) => a + b;
    case '-': return (a, b) => a - b;
    case '*': return (a, b) => a * b;
    case '/': return (a, b) => (b === 0 ? 0 : Math.trunc(a / b)); // BPF: division by zero yields 0
    case '%': return (a, b) => (b === 0 ? a : a % b); // BPF: modulo by zero leaves the dividend
    case '<': return (a, b) => (a < b ? 1 : 0);
    case '<=': return (a, b) => (a <= b ? 1 : 0);
    case '>': return (a, b) => (a > b ? 1 : 0);
    case '>=': return (a, b) => (a >= b ? 1 : 0);
    case '&': return and64;
    case '|': return or64;
    case '^': return xor64;
    case '<<': return shl64;
    case '>>': return shr64;
  }
  throw new Error(`binaryInt: ${op}`);
}

const I32 = (v: number) => (v | 0) === v;
const big = (f: (x: bigint, y: bigint) => bigint) => (a: number, b: number) => Number(BigInt.asIntN(64, f(BigInt(a), BigInt(b))));
const andBig = big((x, y) => x & y);
const orBig = big((x, y) => x | y);
const xorBig = big((x, y) => x ^ y);

export function and64(a: number, b: number): number {
  // ToInt32 takes the low 32 bits of any exact integer, so a mask in [0, 2^31) needs no BigInt.
  if ((b >= 0 && b <= 0x7fffffff && (b | 0) === b) || (a >= 0 && a <= 0x7fffffff && (a | 0) === a)) return a & b;
  return I32(a) && I32(b) ? a & b : andBig(a, b);
}
export function or64(a: number, b: number): number {
  return I32(a) && I32(b) ? a | b : orBig(a, b);
}
export function xor64(a: number, b: number): number {
  return I32(a) && I32(b) ? a ^ b : xorBig(a, b);
}
export function shl64(a: number, b: number): number {
  const s = ((b % 64) + 64) % 64;
  if (a >= 0 && a < 2 ** 31 && s < 22) return a * 2 ** s;
  return Number(BigInt.asIntN(64, BigInt(a) << BigInt(s)));
}
export function shr64(a: number, b: number): number {
  const s = ((b % 64) + 64) % 64;
  if (a >= 0) return Math.floor(a / 2 ** s);
  return Number(BigInt.asIntN(64, BigInt(a) >> BigInt(s)));
}
