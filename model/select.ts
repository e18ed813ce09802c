// --select EXPR: a tiny expression language choosing the VMAs a pattern-init patch applies to.
// Grammar: or := and ('||' and)*; and := not ('&&' not)*; not := '!' not | cmp; cmp := atom (op atom)?;
// atom := number (with k/m/g suffix) | 'string' | identifier | '(' or ')'. Identifiers: size, start, end, prot
// (bits r=1 w=2 x=4), flags (VM_* bits), comm, and the booleans anon, file, shared, private, stack, heap, inferred,
// read, write, exec; plus VM_* names (VM_HUGEPAGE, ...) and PROT_* as constants. Operators: == != < <= > >= & |.
// Example: "anon && private && write && !stack && size >= 64k".
import { userError } from '../traces/errors.js';
import * as F from './flags.js';
import type { Vma } from './state.js';

export type Selector = (vma: Vma, comm: string) => boolean;

export const DEFAULT_SELECT = 'anon && private && write && !stack';

/**
 * The VMAs pattern-init patches apply to unless --select says otherwise: DEFAULT_SELECT (private anonymous
 * read-write, not the stack) minus VMAs inferred from faults, whose kind the trace never showed (the stack of a
 * process that predates the trace is one; an allocator's pattern mapping is always mmapped in the trace).
 */
export const PATCH_SELECT_DEFAULT = `${DEFAULT_SELECT} && !inferred`;

type Val = number | string | boolean;
type Node = (v: Vma, comm: string) => Val;

const CONSTS: Record<string, number> = {
  VM_READ: F.VM_READ, VM_WRITE: F.VM_WRITE, VM_EXEC: F.VM_EXEC, VM_SHARED: F.VM_SHARED, VM_LOCKED: F.VM_LOCKED,
  VM_DONTCOPY: F.VM_DONTCOPY, VM_WIPEONFORK: F.VM_WIPEONFORK, VM_HUGEPAGE: F.VM_HUGEPAGE,
  VM_NOHUGEPAGE: F.VM_NOHUGEPAGE, VM_GROWSDOWN: F.VM_GROWSDOWN, PROT_READ: 1, PROT_WRITE: 2, PROT_EXEC: 4,
};

const FIELDS: Record<string, Node> = {
  size: (v) => v.end - v.start,
  start: (v) => v.start,
  end: (v) => v.end,
  prot: (v) => v.flags & 7,
  flags: (v) => v.flags,
  comm: (_v, c) => c,
  anon: (v) => (v.kind & F.KIND_ANON) !== 0,
  file: (v) => (v.kind & F.KIND_FILE) !== 0,
  shared: (v) => (v.flags & F.VM_SHARED) !== 0,
  private: (v) => (v.flags & F.VM_SHARED) === 0,
  stack: (v) => (v.kind & F.KIND_STACK) !== 0,
  heap: (v) => (v.kind & F.KIND_HEAP) !== 0,
  inferred: (v) => (v.kind & F.KIND_INFERRED) !== 0,
  read: (v) => (v.flags & F.VM_READ) !== 0,
  write: (v) => (v.flags & F.VM_WRITE) !== 0,
  exec: (v) => (v.flags & F.VM_EXEC) !== 0,
};

function num(x: Val): number {
  return typeof x === 'number' ? x : typeof x === 'boolean' ? (x ? 1 : 0) : Number.NaN;
}

/** == in the selector language: as strings when either side is one, else as numbers. */
function equal(x: Val, y: Val): boolean {
  return typeof x === 'string' || typeof y === 'string' ? String(x) === String(y) : num(x) === num(y);
}

function truthy(x: Val): boolean {
  return typeof x === 'string' ? x.length > 0 : num(x) !== 0;
}

/** Compile a selector expression; '' means DEFAULT_SELECT. Throws a one-line user error naming the position. */
export function compileSelect(expr: string): Selector {
  const src = expr.trim() === '' ? DEFAULT_SELECT : expr;
  const toks: string[] = [];
  const pos: number[] = [];
  const re = /\s*(\d+(?:\.\d+)?[kKmMgG]?|0x[0-9a-fA-F]+|'[^']*'|"[^"]*"|[A-Za-z_][A-Za-z0-9_]*|==|!=|<=|>=|&&|\|\||[<>!&|()])/y;
  let at = 0;
  while (at < src.length) {
    if (/^\s*$/.test(src.slice(at))) break;
    re.lastIndex = at;
    const m = re.exec(src);
    const ws = src.slice(at).length - src.slice(at).trimStart().length;
    if (!m) throw userError(`--select: unexpected '${src.slice(at).trim()[0]}' at column ${at + ws + 1} of "${src}"`);
    toks.push(m[1]!);
    pos.push(at + ws + 1);
    at = re.lastIndex;
  }
  let k = 0;
  const fail = (why: string): never => {
    throw userError(`--select: ${why} at column ${pos[k] ?? src.length + 1} of "${src}"`);
  };
  const peek = (): string | undefined => toks[k];
  function orE(): Node {
    let l = andE();
    while (peek() === '||') {
      k++;
      const a = l, b = andE();
      l = (v, c) => truthy(a(v, c)) || truthy(b(v, c));
    }
    return l;
  }
  function andE(): Node {
    let l = notE();
    while (peek() === '&&') {
      k++;
      const a = l, b = notE();
      l = (v, c) => truthy(a(v, c)) && truthy(b(v, c));
    }
    return l;
  }
  function notE(): Node {
    if (peek() === '!') {
      k++;
      const a = notE();
      return (v, c) => !truthy(a(v, c));
    }
    return cmpE();
  }
  function cmpE(): Node {
    const a = atom();
    const op = peek();
    if (op === undefined || !['==', '!=', '<', '<=', '>', '>=', '&', '|'].includes(op)) return a;
    k++;
    const b = atom();
    switch (op) {
      case '==': return (v, c) => equal(a(v, c), b(v, c));
      case '!=': return (v, c) => !equal(a(v, c), b(v, c));
      case '<': return (v, c) => num(a(v, c)) < num(b(v, c));
      case '<=': return (v, c) => num(a(v, c)) <= num(b(v, c));
      case '>': return (v, c) => num(a(v, c)) > num(b(v, c));
      case '>=': return (v, c) => num(a(v, c)) >= num(b(v, c));
      case '&': return (v, c) => (num(a(v, c)) & num(b(v, c))) >>> 0;
      default: return (v, c) => (num(a(v, c)) | num(b(v, c))) >>> 0;
    }
  }
  function atom(): Node {
    const t = peek();
    if (t === undefined) return fail('expression ends early');
    k++;
    if (t === '(') {
      const e = orE();
      if (peek() !== ')') fail("missing ')'");
      k++;
      return e;
    }
    if (t[0] === "'" || t[0] === '"') {
      const s = t.slice(1, -1);
      return () => s;
    }
    if (/^0x/.test(t)) {
      const n = parseInt(t, 16);
      return () => n;
    }
    if (/^\d/.test(t)) {
      const mult: Record<string, number> = { k: 1024, m: 1024 ** 2, g: 1024 ** 3 };
      const last = t[t.length - 1]!.toLowerCase();
      const n = mult[last] !== undefined ? parseFloat(t.slice(0, -1)) * mult[last]! : parseFloat(t);
      return () => n;
    }
    const f = FIELDS[t];
    if (f) return f;
    const c = CONSTS[t];
    if (c !== undefined) return () => c;
    k--;
    return fail(`unknown name '${t}' (fields: ${Object.keys(FIELDS).join(', ')})`);
  }
  const root = orE();
  if (k < toks.length) fail(`unexpected '${toks[k]}'`);
  return (v, c) => truthy(root(v, c));
}
