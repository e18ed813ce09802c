// The query language's syntax tree: what the parser produces and compile.ts turns into closures once.

/** A source span: 1-based line and column, end column exclusive (as bpftrace's bison locations). */
export interface Loc {
  line: number;
  col: number;
  endLine: number;
  endCol: number;
}

export type BinaryOp =
  | '||' | '&&' | '|' | '^' | '&' | '==' | '!=' | '<' | '<=' | '>' | '>='
  | '<<' | '>>' | '+' | '-' | '*' | '/' | '%';

export type Expr =
  | { kind: 'int'; value: number; loc: Loc }
  | { kind: 'str'; value: string; loc: Loc }
  | { kind: 'builtin'; name: string; loc: Loc }
  | { kind: 'field'; name: string; loc: Loc }
  | { kind: 'var'; name: string; loc: Loc }
  | { kind: 'map'; name: string; keys: Expr[]; loc: Loc }
  | { kind: 'unary'; op: '!' | '~' | '-'; arg: Expr; loc: Loc }
  | { kind: 'binary'; op: BinaryOp; left: Expr; right: Expr; loc: Loc }
  | { kind: 'ternary'; cond: Expr; then: Expr; else: Expr; loc: Loc }
  | { kind: 'call'; name: string; args: Expr[]; loc: Loc; nameLoc: Loc }
  | { kind: 'tuple'; elems: Expr[]; loc: Loc }
  /** `@x++` / `++$y` used as a value: post-increment yields the old value, pre-increment the new one. */
  | { kind: 'incdec'; target: Extract<Expr, { kind: 'map' | 'var' }>; delta: 1 | -1; prefix: boolean; loc: Loc }
  /** A macro call expanded in place: its statements, then its last expression as the value. */
  | { kind: 'block'; stmts: Stmt[]; value: Expr; loc: Loc };

export type AssignOp = '=' | '+=' | '-=' | '*=' | '/=' | '%=' | '&=' | '|=' | '^=' | '<<=' | '>>=';

export type Stmt =
  | { kind: 'assign'; target: Extract<Expr, { kind: 'map' | 'var' }>; op: AssignOp; value: Expr; loc: Loc }
  | { kind: 'incdec'; target: Extract<Expr, { kind: 'map' | 'var' }>; delta: 1 | -1; loc: Loc }
  | { kind: 'expr'; expr: Expr; loc: Loc }
  | { kind: 'if'; cond: Expr; then: Stmt[]; else: Stmt[]; loc: Loc }
  | { kind: 'while'; cond: Expr; body: Stmt[]; loc: Loc }
  /** Leaves the probe's action block (bpftrace: `return;`). */
  | { kind: 'return'; loc: Loc }
  | { kind: 'unroll'; count: number; body: Stmt[]; loc: Loc };

export interface ProbeSpec {
  /** Text as written, e.g. 't:kmem:rss_stat'. */
  text: string;
  loc: Loc;
}

export interface ProbeBlock {
  probes: ProbeSpec[];
  predicate: Expr | null;
  body: Stmt[];
  loc: Loc;
}

/** `macro name(a, $b, @c) { stmts; value }`: expanded at each call with the arguments in place of the parameters. */
export interface MacroDef {
  name: string;
  params: string[];
  body: Stmt[];
  loc: Loc;
}

export interface ProgramAst {
  blocks: ProbeBlock[];
  macros: Record<string, MacroDef>;
  /** `config = { key = value; ... }` (bpftrace 0.21+). */
  config: Record<string, number | string>;
  /** Lines accepted but not acted on (`#include <...>`), as notes for the user. */
  notes: string[];
}
