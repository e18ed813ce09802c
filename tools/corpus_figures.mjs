#!/usr/bin/env node
// Prints the user-style corpus figures (model/corpus_figures.ts) for every recording under traces/fixtures/corpus,
// as a Markdown table (or JSON with --json). Build first: npx tsc -p tsconfig.json.
//   node tools/corpus_figures.mjs [--json] [--blind] [NAME...]   (--blind: no hints read from the traces)
import { readdirSync, existsSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { corpusFigures, corpusDir } = await import(join(ROOT, 'dist/model/corpus_figures.js'));
const args = process.argv.slice(2);
const json = args.includes('--json');
const blind = args.includes('--blind');

const names = args.filter((a) => !a.startsWith('--'));
const dir = corpusDir(ROOT);
const all = readdirSync(dir).filter((d) => existsSync(join(dir, d, 'meta.json'))).sort();
const pct = (x) => (x === null || x === undefined ? '-' : (100 * x).toFixed(2));
const rows = [];
if (!json) {
  console.log('| recording | method | rss_stat | compared % | matched % all | matched % ANON | baseline | unmapped | RssAnon worst err % | VmPTE worst err kB | time -v maxrss kB | model peak kB |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
}
for (const name of names.length ? names : all) {
  const f = await corpusFigures(join(dir, name), undefined, blind);
  rows.push({ ...f, validate: undefined });
  if (json) continue;
  const v = f.validate;
  console.log(`| ${name} | ${f.method} | ${f.rss_stat_events} | ${pct(f.compared_ratio)} | ${pct(f.match_ratio)} | ${pct(f.anon_match_ratio)} | ${v.baseline} | ${v.unmapped} | ${pct(f.worst_rss_anon_error)} | ${f.worst_vm_pte_error_kb ?? '-'} | ${f.time_v_maxrss_kb ?? '-'} | ${f.model_peak_rss_kb ?? '-'} |`);
}
if (json) console.log(JSON.stringify(rows, null, 1));
