// The allowed import edges between top-level folders (after Perfetto's tools/check_imports): data flows one way,
// traces -> model -> analyze / reports, and only src/ (the CLI) knows them all. Every .ts file is checked, tests too.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

type Folder = 'traces' | 'model' | 'analyze' | 'reports' | 'calibrate' | 'record' | 'src' | 'bench' | 'tools';
const ANY: readonly Folder[] = ['traces', 'model', 'analyze', 'reports', 'calibrate', 'record', 'src', 'bench', 'tools'];

/**
 * What each folder's shipped code may import besides itself. traces/errors.ts (the one error type) is in the
 * lowest folder so every other may import it; model knows trace events and errors; reports draws what model and
 * analyze (the latency join) produce, analyze never reads reports.
 */
const ALLOWED: Record<Folder, readonly Folder[]> = {
  traces: [],
  model: ['traces'],
  analyze: ['traces', 'model'],
  reports: ['traces', 'model', 'analyze'],
  calibrate: ['traces', 'model'],
  record: ['traces', 'model'],
  src: ['traces', 'model', 'analyze', 'reports', 'calibrate', 'record'],
  bench: ANY,
  tools: ANY,
};

/** Tests and their helpers may drive the layers above them on fixtures (replay a recording, check it against its
 *  recorded truth), but never the CLI: a test of a command lives in src/. */
const TEST_SUPPORT = /\.(test|suite|testlib)\.ts$/;
const TESTS_MAY_IMPORT: readonly Folder[] = ['traces', 'model', 'analyze', 'reports', 'calibrate', 'record'];

/** Packages too heavy for startup: only these folders import them (src/ loads them through the command that needs them). */
const HEAVY: Record<string, readonly Folder[]> = {
  vega: ['reports'],
  'vega-lite': ['reports'],
  'vega-embed': ['reports'],
  '@resvg/resvg-js': ['reports'],
  arquero: ['analyze'],
};

export interface Edge {
  file: string; // relative to the root, '/'-separated
  line: number;
  spec: string;
  typeOnly: boolean;
  dynamic: boolean;
}

const IMPORT = /^\s*(import|export)\s+(type\s+)?[^'"]*?\sfrom\s+['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm;

/** Every import in one file's text: static (type-only or not), side-effect and dynamic. */
export function importsOf(file: string, text: string): Edge[] {
  const out: Edge[] = [];
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[3] ?? m[4] ?? m[5]!;
    const at = m.index + m[0].length - m[0].trimStart().length; // `^\s*` may have eaten blank lines
    const line = text.slice(0, at).split('\n').length;
    out.push({ file, line, spec, typeOnly: m[2] !== undefined, dynamic: m[5] !== undefined });
  }
  return out;
}

function folderOf(rel: string): Folder | null {
  const top = rel.split('/')[0] as Folder;
  return (ANY as readonly string[]).includes(top) ? top : null;
}

/** The rule an edge breaks, as one line, or null. */
export function violation(e: Edge): string | null {
  const from = folderOf(e.file)!;
  const where = `${e.file}:${e.line}: imports '${e.spec}'`;
  if (!e.spec.startsWith('.')) {
    const pkg = e.spec.startsWith('@') ? e.spec.split('/').slice(0, 2).join('/') : e.spec.split('/')[0]!;
    const ok = HEAVY[pkg];
    if (ok && !e.typeOnly && !e.file.includes('.test.') && !ok.includes(from)) return `${where}: ${pkg} is imported only by ${ok.join(', ')}/ (startup cost)`;
    return null;
  }
  const target = relative(ROOT, resolve(ROOT, dirname(e.file), e.spec)).split(sep).join('/');
  const to = folderOf(target);
  if (to === null) return target.startsWith('..') ? `${where}: outside the repository` : null;
  const isTest = TEST_SUPPORT.test(e.file);
  const allowed = isTest && !ALLOWED[from].includes('src') ? TESTS_MAY_IMPORT : ALLOWED[from];
  if (to !== from && !allowed.includes(to))
    return `${where}: ${from}/ may import ${ALLOWED[from].length ? ALLOWED[from].map((f) => `${f}/`).join(', ') : 'nothing above it'}${isTest ? ' (its tests: any folder but src/)' : ''}, not ${to}/`;
  // src/: a command is one module; cli.ts, program.ts and command_list.ts reach commands only through import().
  if (from === 'src' && !isTest && e.file.startsWith('src/commands/') && target.startsWith('src/commands/') && target.replace(/\.js$/, '') !== e.file.replace(/\.ts$/, ''))
    return `${where}: commands do not import each other (shared code goes to src/options.ts or its own module)`;
  if ((e.file === 'src/cli.ts' || e.file === 'src/program.ts' || e.file === 'src/command_list.ts') && target.startsWith('src/commands/') && !e.dynamic && !e.typeOnly)
    return `${where}: commands are loaded with import() from command_list.ts, so --version loads none of them`;
  return null;
}

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'fixtures' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

describe('import edges between folders', () => {
  it('no file imports upward, across commands, or a heavy package outside its folder', () => {
    const bad: string[] = [];
    let edges = 0;
    for (const folder of ANY) {
      let files: string[];
      try {
        files = sources(join(ROOT, folder));
      } catch {
        continue; // a folder not (yet) in this tree
      }
      for (const f of files) {
        const rel = relative(ROOT, f).split(sep).join('/');
        for (const e of importsOf(rel, readFileSync(f, 'utf8'))) {
          edges++;
          const v = violation(e);
          if (v) bad.push(v);
        }
      }
    }
    expect(edges).toBeGreaterThan(300); // the scan saw the tree
    expect(bad, `forbidden imports:\n${bad.join('\n')}`).toEqual([]);
  });

  it('each rule fires on an edge that breaks it', () => {
    const edge = (file: string, spec: string, o: Partial<Edge> = {}): Edge => ({ file, line: 3, spec, typeOnly: false, dynamic: false, ...o });
    expect(violation(edge('traces/read.ts', '../model/engine.js'))).toBe("traces/read.ts:3: imports '../model/engine.js': traces/ may import nothing above it, not model/");
    expect(violation(edge('model/engine.ts', '../analyze/run.js'))).toMatch(/model\/ may import traces\/, not analyze\//);
    expect(violation(edge('reports/html.ts', '../src/options.js', { typeOnly: true }))).toMatch(/not src\//);
    expect(violation(edge('analyze/run.ts', '../reports/html.js'))).toMatch(/not reports\//);
    expect(violation(edge('traces/perfetto.test.ts', '../src/commands/info.js'))).toMatch(/\(its tests: any folder but src\/\), not src\//);
    expect(violation(edge('model/patches/x.test.ts', '../../record/fixtures.js'))).toBeNull();
    expect(violation(edge('model/fidelity.suite.ts', '../record/fixtures.js'))).toBeNull();
    expect(violation(edge('model/fidelity.ts', '../record/fixtures.js'))).toMatch(/model\/ may import traces\/, not record\//);
    expect(violation(edge('src/commands/query.ts', './replay.js'))).toMatch(/commands do not import each other/);
    expect(violation(edge('src/cli.ts', './commands/info.js'))).toMatch(/loaded with import\(\)/);
    expect(violation(edge('src/command_list.ts', './commands/info.js', { dynamic: true }))).toBeNull();
    expect(violation(edge('src/commands/report.ts', 'vega'))).toMatch(/vega is imported only by reports\//);
    expect(violation(edge('model/x.ts', '../traces/events.js'))).toBeNull();
    expect(violation(edge('record/perf.ts', '../model/types.js'))).toBeNull();
  });

  it('finds static, type-only, side-effect and dynamic imports with their lines', () => {
    const text = "// x\nimport { a } from './a.js';\nimport type { B } from '../model/b.js';\nimport './side.js';\nconst m = await import('../reports/svg.js');\nexport { c } from './c.js';\n";
    expect(importsOf('src/x.ts', text).map((e) => [e.line, e.spec, e.typeOnly, e.dynamic])).toEqual([
      [2, './a.js', false, false],
      [3, '../model/b.js', true, false],
      [4, './side.js', false, false],
      [5, '../reports/svg.js', false, true],
      [6, './c.js', false, false],
    ]);
  });
});
