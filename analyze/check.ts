// Type checks as bpftrace's semantic analyser: map kinds and key types fixed by first assignment, and the types every compile step shares.
import type { Expr, Loc, MacroDef, Stmt } from './ast.js';
import { type AggKind, type LhistParams, type MapState, type Val, joinKey } from './aggregations.js';
import type { FieldType, ProbeTarget } from './probes.js';
import type { BpftraceVersion, OutputFormat } from './print.js';
import type { FaultlineError } from '../traces/errors.js';
import type { CsvWriter } from './tables.js';

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
  /** Whose byte layout to print where bpftrace releases differ. */
  version: BpftraceVersion;
  stopped: boolean;
  /** The first value a probe could not read from the trace: the run stops and end() raises it. */
  refusal: FaultlineError | null;
  /** Writes maps as CSV (format 'csv'; analyze/tables.ts), null otherwise. */
  csv: CsvWriter | null;
}

/** A compiled expression's type: an args field type, or a tuple (its value is a Tuple array). */
export type ValType = FieldType | 'tuple';
export type Typed = { type: ValType; fn: (c: Ctx) => Val; /** A tuple's element types. */ elems?: FieldType[] };
export type IntFn = (c: Ctx) => number;
export type StrFn = (c: Ctx) => string;

export interface MapInfo {
  kind: AggKind;
  keyTypes: FieldType[];
  lhist: LhistParams | null;
}

/** Program-wide compile state: map kinds learnt so far (infos) and from the lenient rounds (hints), variable slots. */
export interface ProgramCx {
  rt: Runtime;
  err: (msg: string, loc: Loc | null) => FaultlineError;
  infos: Map<string, MapInfo>;
  hints: Map<string, MapInfo>;
  nvars: number;
  macros: Record<string, MacroDef>;
  /** Macro expansions in progress (a recursion guard). */
  expanding: string[];
}

/** One probe block's compile state; `expr` compiles an expression in this block (set by the driver). */
export interface BlockCx {
  prog: ProgramCx;
  rt: Runtime;
  err: (msg: string, loc: Loc | null) => FaultlineError;
  /** The lenient rounds learn map kinds and swallow errors: the strict round reports them. */
  lenient: boolean;
  targets: ProbeTarget[];
  hasEvent: boolean;
  hasModel: boolean;
  scope: Map<string, { slot: number; type: ValType; elems?: FieldType[] }>;
  expr: (e: Expr) => Typed;
  /** Compiles a statement list in this block (set by the driver; macro bodies use it). */
  stmts: (list: Stmt[]) => Action;
}

export const AGG_FUNCS = new Set(['count', 'sum', 'min', 'max', 'avg', 'stats', 'hist', 'lhist']);

/** A map's kind and key types, or an error when it is read but never assigned. */
export function mapInfo(cx: BlockCx, name: string, loc: Loc): MapInfo {
  const info = cx.prog.infos.get(name) ?? cx.prog.hints.get(name);
  if (!info) {
    if (cx.lenient) return { kind: 'int', keyTypes: [], lhist: null };
    throw cx.err(`Undefined map: ${name} (it is read but never assigned)`, loc);
  }
  return info;
}

/** Record (or check against the first) assignment of a map: its kind, key types and lhist parameters. */
export function declareMap(cx: BlockCx, name: string, kind: AggKind, keyTypes: FieldType[], lhist: LhistParams | null, loc: Loc): MapInfo {
  const { err, lenient } = cx;
  const prev = cx.prog.infos.get(name);
  if (!prev) {
    const info = { kind, keyTypes, lhist };
    cx.prog.infos.set(name, info);
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

/** Key types of a map access; a tuple cannot be a key (bpftrace 0.17's semantic analyser refuses it too). */
export function keyTypesOf(cx: BlockCx, keys: Expr[]): FieldType[] {
  return keys.map((k) => {
    const t = cx.expr(k).type;
    if (t === 'tuple') throw cx.err('tuple cannot be used as a map key. Try a multi-key associative array instead (eg `@map[$1, $2] = ...)`.', k.loc);
    return t;
  });
}

/** An expression that must be an integer. */
export function intOf(cx: BlockCx, e: Expr, what: string): IntFn {
  const t = cx.expr(e);
  if (t.type !== 'int') throw cx.err(`${what} expects an integer, got a ${t.type === 'str' ? 'string' : 'tuple'}`, e.loc);
  return t.fn as IntFn;
}

/** Key lookup without creating an entry (reads and delete). */
export function keyFn(cx: BlockCx, m: Extract<Expr, { kind: 'map' }>): (c: Ctx) => Val {
  const keys = m.keys.map(cx.expr);
  if (keys.length === 0) return () => 0;
  if (keys.length === 1) return keys[0].fn;
  const fns = keys.map((k) => k.fn);
  return (c) => joinKey(fns.map((f) => f(c)));
}

