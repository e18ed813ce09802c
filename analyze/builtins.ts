// Builtins, args fields and value functions (str, strncmp, strcontains, strlen); what needs a live system is refused with the reason.
import type { Expr, Loc } from './ast.js';
import { AGG_FUNCS, type BlockCx, type Ctx, type StrFn, type Typed, intOf, keyFn, mapInfo } from './check.js';
import { type FieldType, MODEL_FIELDS, camel, eventFieldNames, guessFieldType, tracepointFields, traceFieldGetter } from './probes.js';
import type { TraceEvent } from '../traces/events.js';
import type { Tuple } from './aggregations.js';
import { type FaultlineError, userError } from '../traces/errors.js';

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
  rand: 'rand is random on a live system; a recorded trace has no sample of it',
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

/** args.FIELD of the block's probes: typed from the tracepoint or model record, checked against each probe. */
export function fieldGetter(cx: BlockCx, name: string, loc: Loc): Typed {
  const { err, targets, hasEvent, hasModel } = cx;
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
  // A trace event must carry the field as a value of the program's type; anything else is refused, never read as 0 or ''.
  const fromTrace = (c: Ctx): unknown => {
    const v = traceGet(c.ev);
    if (v === undefined) throw fieldRefusal(c, name, 'is not in the trace', `fields it carries: ${eventFieldNames(c.ev).join(', ') || 'none'}${unnamedHint(c.ev)}`);
    return v;
  };
  // ev is null when the same block also fires as BEGIN, END or interval: args read as 0 / ''
  const raw: (c: Ctx) => unknown = !hasModel
    ? (c) => (c.ev ? fromTrace(c) : undefined)
    : !hasEvent
      ? (c) => (c.ev ? c.ev[prop] : undefined)
      : (c) => (!c.ev ? undefined : c.model ? c.ev[prop] : fromTrace(c));
  if (type === 'str')
    return {
      type,
      fn: (c) => {
        const v = raw(c);
        if (typeof v === 'string') return v;
        if (v === undefined) return '';
        if (!c.model && (typeof v === 'number' || typeof v === 'bigint'))
          throw fieldRefusal(c, name, `is a number in the trace (${hex(v)}), not the string`, 'a pointer\'s string is in process memory, which a recorded trace does not have');
        return String(v);
      },
    };
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
        if (v !== '' && Number.isFinite(n)) return n;
        if (!c.model) throw fieldRefusal(c, name, `is printed as '${v}' in the trace, not as a number`, 'perf and ftrace print some fields symbolically; the number is not recoverable');
        return 0;
      }
      return 0;
    },
  };
}

/** The one-line refusal for a field a trace event cannot supply, naming the event and its line. */
function fieldRefusal(c: Ctx, field: string, what: string, why: string): FaultlineError {
  const e = c.ev as TraceEvent;
  return userError(`${c.probe}: args.${field} ${what} (${why}); faultline refuses rather than read it as 0 or ''`, { line: e.line });
}

function hex(v: number | bigint): string {
  return typeof v === 'bigint' ? `0x${BigInt.asUintN(64, v).toString(16)}` : v < 0 ? String(v) : `0x${v.toString(16)}`;
}

/** perf script prints some events' fields positionally (raw_syscalls, block): say so when none came with a name. */
function unnamedHint(e: TraceEvent): string {
  // parseFields keeps text that is not `name=value` under `msg`
  const keys = e.kind === 'other' ? Object.keys(e.fields) : e.kind === 'sys_enter' ? Object.keys(e.args) : null;
  return keys && (keys.length === 0 || keys.includes('msg')) ? '; perf script prints some of this event\'s fields without names' : '';
}

/** A bare identifier: comm, pid, tid, cpu, nsecs, elapsed, probe, or a model record field. */
export function builtin(cx: BlockCx, name: string, loc: Loc): Typed {
  const { err, targets, hasEvent, hasModel } = cx;
  // In BEGIN/END/interval bpftrace's comm, pid, tid and cpu are bpftrace's own task on the live machine
  if (!hasEvent && !hasModel && (name === 'comm' || name === 'pid' || name === 'tid' || name === 'cpu'))
    throw err(`needs a live system: ${name} in a BEGIN, END or interval block is bpftrace's own task; a recorded trace has no task there`, loc);
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
    return fieldGetter(cx, name, loc);
  if (/^(struct|union) /.test(name)) throw err(`needs a live system: ${name} is a kernel C type (BTF or headers); faultline reads tracepoint fields by name`, loc);
  if (name in LIVE_BUILTINS) throw err(`needs a live system: ${name}: ${LIVE_BUILTINS[name]}; faultline reads recorded traces`, loc);
  if (name.startsWith('cgroup')) throw err(`needs a live system: ${name}: the recorded traces do not carry cgroups; faultline reads recorded traces`, loc);
  if (/^s?arg[0-9]+$/.test(name)) throw err(`${name} reads registers of a live kprobe/uprobe; faultline reads recorded traces (use args.FIELD)`, loc);
  throw err(`Unknown identifier: '${name}'`, loc);
}

/** A function call used as a value. */
export function call(cx: BlockCx, e: Extract<Expr, { kind: 'call' }>): Typed {
  const { err } = cx;
  if (AGG_FUNCS.has(e.name)) throw err(`${e.name}() should be directly assigned to a map (@x = ${e.name}(...))`, e.nameLoc);
  // bpftrace marks the whole call for a function it refuses (0.17: `system("x")` under ~~~~~~~~~~~)
  if (e.name in LIVE_FUNCS) throw err(`needs a live system: ${LIVE_FUNCS[e.name]}; faultline reads recorded traces`, e.loc);
  if (e.name.startsWith('cgroup')) throw err(`needs a live system: ${e.name}() resolves live cgroups; faultline reads recorded traces`, e.loc);
  switch (e.name) {
    case '.member':
      throw err(`needs a live system: .${(e.args[1] as Extract<Expr, { kind: 'str' }>).value} reads a struct member from kernel or process memory; faultline reads tracepoint fields as args.FIELD`, e.loc);
    case '.index': {
      // $t.1: a tuple element, typed from the tuple expression
      const t = cx.expr(e.args[0]);
      const i = (e.args[1] as Extract<Expr, { kind: 'int' }>).value;
      if (t.type !== 'tuple' || !t.elems) throw err('only a tuple built in this program can be indexed with .N', e.loc);
      if (i < 0 || i >= t.elems.length) throw err(`tuple index ${i} is out of range (the tuple has ${t.elems.length} elements)`, e.args[1].loc);
      const f = t.fn;
      return { type: t.elems[i], fn: (c) => (f(c) as unknown as Tuple)[i] };
    }
    case '(uint8)': case '(uint16)': case '(uint32)': case '(uint64)': case '(u8)': case '(u16)': case '(u32)': case '(u64)':
    case '(int8)': case '(int16)': case '(int32)': case '(int64)': case '(s8)': case '(s16)': case '(s32)': case '(s64)': {
      // bpftrace integer casts truncate to the width, sign-extending the signed types
      const bits = Number(/\d+/.exec(e.name)![0]);
      const signed = /\((int|s)/.test(e.name);
      const a = intOf(cx, e.args[0], `${e.name} cast`);
      if (bits === 64) return { type: 'int', fn: a };
      return { type: 'int', fn: (c) => Number(signed ? BigInt.asIntN(bits, BigInt(a(c))) : BigInt.asUintN(bits, BigInt(a(c)))) };
    }
    case 'str': {
      if (e.args.length < 1 || e.args.length > 2) throw err('str() takes a string and an optional length', e.loc);
      const a = cx.expr(e.args[0]);
      if (a.type !== 'str')
        throw err('str() of an integer reads process memory at that address, which a recorded trace does not have', e.args[0].loc);
      if (e.args.length === 2) {
        const n = intOf(cx, e.args[1], 'str() length');
        const f = a.fn as StrFn;
        return { type: 'str', fn: (c) => f(c).slice(0, Math.max(0, n(c) - 1)) };
      }
      return a;
    }
    case 'strncmp': {
      // bpftrace: 0 when the first n bytes are equal
      if (e.args.length !== 3) throw err('strncmp() takes two strings and a length', e.loc);
      const [a, b] = [cx.expr(e.args[0]), cx.expr(e.args[1])];
      if (a.type !== 'str' || b.type !== 'str') throw err('strncmp() compares two strings', e.loc);
      const n = intOf(cx, e.args[2], 'strncmp() length');
      const fa = a.fn as StrFn;
      const fb = b.fn as StrFn;
      return { type: 'int', fn: (c) => { const k = n(c); return fa(c).slice(0, k) === fb(c).slice(0, k) ? 0 : 1; } };
    }
    case 'strcontains': {
      if (e.args.length !== 2) throw err('strcontains() takes a haystack and a needle', e.loc);
      const [a, b] = [cx.expr(e.args[0]), cx.expr(e.args[1])];
      if (a.type !== 'str' || b.type !== 'str') throw err('strcontains() takes two strings', e.loc);
      const fa = a.fn as StrFn;
      const fb = b.fn as StrFn;
      return { type: 'int', fn: (c) => (fa(c).includes(fb(c)) ? 1 : 0) };
    }
    case 'strlen': {
      if (e.args.length !== 1) throw err('strlen() takes one string', e.loc);
      const a = cx.expr(e.args[0]);
      if (a.type !== 'str') throw err('strlen() takes a string', e.loc);
      const fa = a.fn as StrFn;
      return { type: 'int', fn: (c) => fa(c).length };
    }
    case 'has_key': {
      // bpftrace 0.20+: 1 when the map holds the key
      const m = e.args[0];
      if (e.args.length < 2 || !m || m.kind !== 'map' || m.keys.length) throw err('has_key() takes a map and a key: has_key(@map, key)', e.loc);
      const info = mapInfo(cx, m.name, m.loc);
      if (!cx.lenient && info.keyTypes.length !== e.args.length - 1)
        throw err(`Argument mismatch for ${m.name}: ${e.args.length - 1} keys given, the map has ${info.keyTypes.length}`, e.loc);
      const key = keyFn(cx, { ...m, keys: e.args.slice(1) });
      const rt = cx.rt;
      return { type: 'int', fn: (c) => (rt.maps.get(m.name)?.entries.has(key(c)) ? 1 : 0) };
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

