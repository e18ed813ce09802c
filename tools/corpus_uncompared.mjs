#!/usr/bin/env node
// Prints the rss_stat events validate did not compare in one corpus recording, counted by bucket, mm and member (the
// before-baseline, untraced-reclaim, inferred-run and unmapped buckets of model/validate_result.ts, per event).
// Build first: npx tsc -p tsconfig.json.
//   node tools/corpus_uncompared.mjs NAME [--blind] [--events]   (--events: one JSON line per uncompared event too)
import { readFileSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const D = (p) => import(join(ROOT, 'dist', p));
const { readTrace } = await D('traces/read.js');
const { createEngine } = await D('model/engine.js');
const { createFanout } = await D('model/replay.js');
const { createTally } = await D('model/validate_tally.js');
const { createLockstep } = await D('model/validate_lockstep.js');
const { corpusDir, corpusVariant } = await D('model/corpus_figures.js');
const { kernelRules } = await D('model/kernel_version.js');
const { RSS_MEMBER_NAMES } = await D('traces/events.js');

const args = process.argv.slice(2);
const name = args.find((a) => !a.startsWith('--'));
if (!name) {
  console.error('usage: node tools/corpus_uncompared.mjs NAME [--blind] [--events]');
  process.exit(2);
}
const blind = args.includes('--blind');
const dir = join(corpusDir(ROOT), name);
const spec = corpusVariant(JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')));

// validate's own parts (model/validate.ts), with the lockstep wrapped: which tally count each event moved is its bucket
const t = createTally();
let engine = null;
const lock = createLockstep(t, kernelRules(spec.kernel).rssStatExact, (line, tid, mm) => engine.quiet(line, tid, mm));
const rows = [];
const onRss = (b, mm, use, mlog) => {
  const s = [t.compared, t.baseline, t.unmapped, t.guessed, t.reclaim];
  lock.onRss(b, mm, use, mlog);
  const moved = [t.compared, t.baseline, t.unmapped, t.guessed, t.reclaim].findIndex((n, k) => n > s[k]);
  // (-1: a split or a thread's deferred event, decided with a later one: compared then)
  const before = use === 'baseline' ? 'first value (baseline)' : use === 'unseen_zap' ? 'zap of pages from before the trace' : 'pages the trace never placed (resync)';
  const bucket = ['compared', before, 'unmapped', 'inferred-run piece', 'untraced reclaim'][moved] ?? 'decided later';
  if (moved !== 0) rows.push({ line: b.line, tid: b.tid, comm: b.comm, mm_id: b.mmId, model_mm: mm?.idx ?? null, older_than_trace: mm?.predates ?? null, torn_down: mm?.dead ?? null, curr: b.curr, member: RSS_MEMBER_NAMES[b.member] ?? b.member, pages: b.size / 4096, bucket });
};
engine = createEngine(spec, {}, null, 16, onRss);
const fan = createFanout([engine], { blind, onHint: (e) => lock.hint(e.line) });
await readTrace(join(dir, 'trace.txt.gz'), (e) => {
  fan.sink(e);
  if (e.kind === 'sys_exit') lock.sysExit(e.tid);
});
fan.flush();
engine.finish(fan.last);
lock.end();

const groups = new Map();
for (const r of rows) {
  const k = `${r.bucket} | mm ${r.mm_id} #${r.model_mm}${r.older_than_trace ? ' (older than the trace)' : ''} | ${r.member} | ${r.torn_down ? 'teardown' : 'live'}${r.pages === 0 ? ', final 0' : ''}`;
  groups.set(k, (groups.get(k) ?? 0) + 1);
}
console.log(`${name}${blind ? ' (blind)' : ''}: ${t.events} rss_stat events, ${t.compared} compared, ${rows.length} not compared`);
for (const [k, n] of [...groups].sort((a, b) => b[1] - a[1])) console.log(`${String(n).padStart(6)}  ${k}`);
if (args.includes('--events')) for (const r of rows) console.log(JSON.stringify(r));
