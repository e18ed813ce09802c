// The parse worker's object-free path (ReadHere.rows: the byte paths hand faults and rss_stat by their parts to the
// encoder) gives the consumer the same events, in the same order, and the same ReadResult as pushing objects does.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBatchDecoder, createEncoder } from './batch.js';
import type { RowSink } from './events.js';
import type { ReadResult, TraceEvent } from './events.js';
import { readHere, readTrace } from './read.js';
import { createInfoCollector, traceInfo } from './info.js';
import { pairSyscalls } from './syscalls.js';

const FIXTURES = new URL('./fixtures/', import.meta.url).pathname;

interface Read {
  events: string[];
  result: ReadResult;
  /** Events that came by their parts (rows), not as objects. */
  byParts: number;
}

const json = (e: TraceEvent): string => JSON.stringify(e, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));

/** As the parse worker and its consumer do, on one thread: the encoder's batches decoded and paired on the way out. */
async function viaBatches(path: string, rows: boolean): Promise<Read> {
  const events: string[] = [];
  const decode = createBatchDecoder(pairSyscalls((e) => events.push(json(e))));
  let slot = 0;
  const enc = createEncoder((b) => decode(b), () => slot++ % 6);
  let byParts = 0;
  const counting: RowSink = {
    fault: (...a) => (byParts++, enc.rows.fault(...a)),
    rss: (...a) => (byParts++, enc.rows.rss(...a)),
  };
  const result = await readHere(path, enc.sink, {}, { unpaired: true, ...(rows ? { rows: counting } : {}) });
  enc.flush();
  return { events, result, byParts };
}

async function same(path: string): Promise<Read> {
  const a = await viaBatches(path, true);
  const b = await viaBatches(path, false);
  const k = a.events.findIndex((x, i) => x !== b.events[i]);
  expect(k < 0 ? null : [path, k, a.events[k], b.events[k]]).toBeNull();
  expect(a.events.length).toBe(b.events.length);
  expect(a.result).toEqual(b.result);
  expect(b.byParts).toBe(0);
  return a;
}

const HEAD = '  python3 4242/4243 [001]  ';
const fault = (t: string, addr = '0x7f8094b46110'): string => `${HEAD}${t}:  exceptions:page_fault_user: address=${addr} ip=0x55e97f22c0d4 error_code=0x6`;
const rss = (t: string, size = '-8192'): string => `${HEAD}${t}:                 kmem:rss_stat: mm_id=3656693795 curr=1 type=MM_ANONPAGES size=${size}B`;

function file(lines: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'faultline-rows-'));
  const p = join(dir, 'perf.txt');
  writeFileSync(p, lines.join('\n') + '\n');
  return p;
}

describe('the object-free byte path (ReadHere.rows)', () => {
  it('every perf, ftrace and trace-cmd format fixture: same events and result', async () => {
    const dir = join(FIXTURES, 'formats');
    let byParts = 0;
    for (const f of readdirSync(dir).filter((n) => /^(perf_script|ftrace|trace_cmd)\..*\.txt(\.gz)?$/.test(n))) byParts += (await same(join(dir, f))).byParts;
    expect(byParts).toBeGreaterThan(100);
  });

  it('recordings: perf of a workload and of a real program, trace-cmd, ftrace', async () => {
    const perf = await same(join(FIXTURES, 'workloads/dontneed_munmap/perf.txt.gz'));
    // the byte path took most of them: faults and rss_stat by their parts
    expect(perf.byParts).toBeGreaterThan(perf.result.events / 2);
    let corpus = 0;
    // plain perf, perf -a, system-wide ftrace, trace-cmd, a launcher chain, programs nobody here wrote
    for (const d of ['perf_min_churn', 'perf_a_threads', 'ftrace_sw_fork', 'tracecmd_churn', 'launcher_shim_fork', 'git_log', 'python3', 'make_j2']) {
      corpus += (await same(join(FIXTURES, 'corpus', d, 'trace.txt.gz'))).byParts;
    }
    expect(corpus).toBeGreaterThan(1000);
  });

  it('an event earlier than one passed on: the merge takes over, by objects, with the same order and late count', async () => {
    // (a line start and tail are learnt by the string path first: lines 1 and 2)
    const p = file([fault('100.000000010'), rss('100.000000020'), fault('100.000000030'), rss('100.000000040'), fault('100.000000035', '0x1000'), rss('100.000000050'), fault('100.000000060')]);
    const r = await same(p);
    // lines 3 and 4 by parts; from the late one on, the merge holds events and they go as objects
    expect(r.byParts).toBe(2);
    expect(r.result.stats.merge_out_of_order).toBe(1);
    expect(r.events.map((e) => (JSON.parse(e) as { line: number }).line)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('a loss waiting for the next event: that event goes as an object, the loss before it at its time', async () => {
    const p = file([fault('100.000000010'), rss('100.000000015'), fault('100.000000016'), `${HEAD}100.000000017: PERF_RECORD_LOST lost 7`, rss('100.000000020', '4096'), fault('100.000000030')]);
    const r = await same(p);
    expect(r.result.lostEvents).toBe(7);
    expect(r.byParts).toBe(2); // lines 3 and 6
    const kinds = r.events.map((e) => JSON.parse(e) as { kind: string; time: number });
    expect(kinds.map((e) => e.kind)).toEqual(['fault', 'rss_stat', 'fault', 'lost', 'rss_stat', 'fault']);
    expect(kinds[3]!.time).toBe(100000000020);
  });

  it('a pid beyond int32 goes as an object (the batch\'s rare rows) and stays exact', async () => {
    const big = fault('100.000000010').replace('4242/4243', '4242/4294967297');
    const p = file([big, big.replace('.000000010', '.000000011')]);
    const r = await same(p);
    expect(r.byParts).toBe(0);
    expect(r.events.map((e) => (JSON.parse(e) as { tid: number }).tid)).toEqual([4294967297, 4294967297]);
  });

  it('counts rss_stat below zero on either path', async () => {
    const p = file([rss('100.000000010', '-4096'), rss('100.000000011', '-4096'), rss('100.000000012', '4096').replace('MM_ANONPAGES', 'MM_SHMEMPAGES')]);
    const r = await same(p);
    expect(r.byParts).toBe(2); // the first line teaches the byte path its start and tail
    expect(r.result.stats.rss_stat_negative).toBe(2);
  });
});

describe('a consumer that takes faults and rss_stat by their parts (ReadOptions.rows)', () => {
  it('info: the same TraceInfo as from the objects, on format fixtures and recordings', async () => {
    const files = [
      ...readdirSync(join(FIXTURES, 'formats')).filter((n) => /^(perf_script|ftrace|trace_cmd)\..*\.txt(\.gz)?$/.test(n)).map((n) => join(FIXTURES, 'formats', n)),
      ...['dontneed_munmap', 'thp_shrinker', 'mthp_64k'].map((w) => join(FIXTURES, 'workloads', w, 'perf.txt.gz')),
      ...['perf_a_threads', 'tracecmd_python', 'python3', 'bpftrace_churn'].map((d) => join(FIXTURES, 'corpus', d, 'trace.txt.gz')),
    ];
    let anonSizes = 0;
    for (const f of files) {
      const c = createInfoCollector();
      const byObjects = c.finish(await readTrace(f, c.sink));
      const byParts = await traceInfo(f);
      expect(byParts, f).toEqual(byObjects);
      anonSizes += Object.keys(byParts.anonFolios?.faultsByKib ?? {}).length;
    }
    // (the anon folio sizes come from rss_stat right after a fault: the part the row path must keep in order)
    expect(anonSizes).toBeGreaterThan(0);
  });
});
