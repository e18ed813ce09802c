// Compile driver: AST to closures, once, in two lenient rounds (learn map kinds) and a strict one (report errors).
//
//   ProgramAst ──► per block: probes (probes.ts) ──► predicate + body ──► CompiledBlock.run
//                                   │                    │
//                            check.ts (map kinds,   statements.ts ──► expressions.ts ──► builtins.ts
//                            key types, scope)          (int64.ts: 64-bit operators)
import type { Expr, ProbeBlock, ProgramAst, Stmt } from './ast.js';
import { newMapState } from './aggregations.js';
import { type Action, type BlockCx, type CompiledBlock, type ProgramCx, type Runtime, intOf } from './check.js';
import { expr } from './expressions.js';
import { type ProbeTarget, parseProbe } from './probes.js';
import { queryError } from './query_error.js';
import { RETURN, stmtList } from './statements.js';

export type { Action, CompiledBlock, Ctx, Runtime } from './check.js';

export interface CompileOutput {
  blocks: CompiledBlock[];
  nvars: number;
}

/** Compile a parsed program against a runtime (maps and output sink are filled in by the caller). */
export function compileAst(ast: ProgramAst, rt: Runtime, source: string, file: string): CompileOutput {
  const prog: ProgramCx = {
    rt,
    err: (msg, loc) => queryError(msg, loc, source, file),
    infos: new Map(),
    hints: new Map(),
    nvars: 0,
    macros: ast.macros,
    expanding: [],
  };

  // Pass 1 (twice, leniently): learn every map's kind and key types from its assignments, so a map read before
  // (or in a block above) its assignment has a type; the second round corrects kinds that depended on such reads.
  for (let round = 0; round < 2; round++) {
    prog.infos = new Map();
    for (const b of ast.blocks) {
      try {
        compileBlock(prog, b, true);
      } catch {
        /* pass 2 reports it */
      }
    }
    prog.hints = prog.infos;
  }
  prog.infos = new Map();
  const blocks = ast.blocks.map((b) => compileBlock(prog, b, false));
  for (const [name, info] of prog.infos) {
    if (!rt.maps.has(name)) rt.maps.set(name, newMapState(name, info.kind, info.keyTypes, info.lhist));
  }
  return { blocks, nvars: prog.nvars };
}

function compileBlock(prog: ProgramCx, b: ProbeBlock, lenient: boolean): CompiledBlock {
  const targets: ProbeTarget[] = [];
  for (const p of b.probes) {
    try {
      targets.push(parseProbe(p.text));
    } catch (m) {
      if (typeof m === 'string') throw prog.err(m, p.loc);
      throw m;
    }
  }
  const cx: BlockCx = {
    prog,
    rt: prog.rt,
    err: prog.err,
    lenient,
    targets,
    hasEvent: targets.some((t) => t.type === 'tracepoint' || t.type === 'software'),
    hasModel: targets.some((t) => t.type === 'model'),
    scope: new Map(),
    expr: (e: Expr) => expr(cx, e),
    stmts: (list) => stmtList(cx, list),
  };
  const pred = b.predicate ? intOf(cx, b.predicate, 'the predicate') : null;
  const inner = stmtList(cx, b.body);
  const body: Action = hasReturn(b.body)
    ? (c) => {
        try {
          inner(c);
        } catch (e) {
          if (e !== RETURN) throw e;
        }
      }
    : inner;
  const run: Action = pred ? (c) => { if (pred(c) !== 0) body(c); } : body;
  return { targets, texts: b.probes.map((p) => p.text), run };
}

function hasReturn(list: Stmt[]): boolean {
  return list.some((s) =>
    s.kind === 'return' || (s.kind === 'if' && (hasReturn(s.then) || hasReturn(s.else))) || ((s.kind === 'while' || s.kind === 'unroll') && hasReturn(s.body)),
  );
}
