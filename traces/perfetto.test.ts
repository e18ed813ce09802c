// Perfetto traces made from this machine's real ftrace recordings (protobuf plain and compact_sched, and
// trace_processor's text form) read back with the same counts and the same validate agreement as the source text.
import { describe, expect, it, beforeAll } from 'vitest';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pb from 'protobufjs/minimal.js';
import { countIndependently, rawText } from './independent_count.suite.js';
import { encodePerfetto, encodePerfettoText, parseFtraceText, throttleRssStat, toFtraceText, type Source } from './perfetto_encode.suite.js';
import { readTrace } from './read.js';
import { createInfoCollector, type TraceInfo } from './info.js';
import { isPerfettoTrace } from './perfetto.js';
import { createValidator, type ValidateResult } from '../model/validate.js';
import { defaultVariant } from '../model/replay.js';
import type { OtherEvent, TraceEvent } from './events.js';
import * as P from './perfetto_proto.js';

const HERE = new URL('.', import.meta.url).pathname;
const WORKLOADS = join(HERE, 'fixtures/workloads');
const PUBLIC = '/work/shared/public-traces';
const TMP = mkdtempSync(join(tmpdir(), 'faultline-perfetto-'));

/** One of each mm path the fixtures cover: fork, threads (CLONE_THREAD), THP, munmap/madvise, file pages. */
const RECORDINGS = ['fork_child_half', 'threads', 'thp_write_first', 'dontneed_munmap', 'file_private'];

interface Read {
  info: TraceInfo;
  ordered: boolean;
  events: TraceEvent[];
}

async function readAll(path: string, keep = false): Promise<Read> {
  const c = createInfoCollector();
  const events: TraceEvent[] = [];
  let last = -Infinity;
  let ordered = true;
  const r = await readTrace(path, (e) => {
    if (e.time < last) ordered = false;
    last = e.time;
    c.sink(e);
    if (keep) events.push(e);
  });
  return { info: c.finish(r), ordered, events };
}

/** What `faultline validate --machine-no-zero-page` computes (this machine boots without a zero page). */
async function validate(path: string): Promise<Omit<ValidateResult, 'trace' | 'format' | 'latency' | 'first_mismatches'>> {
  const v = createValidator(defaultVariant({ kernel: '6.18', thp: 'madvise', useZeroPage: false }), null);
  const r = v.finish(await readTrace(path, v.sink));
  const { trace: _t, format: _f, latency: _l, first_mismatches: _m, ...rest } = r;
  return rest;
}

describe.each(RECORDINGS)('%s: Perfetto encodings of the real ftrace recording', (name) => {
  const src = join(WORKLOADS, name, 'ftrace.txt.gz');
  const text = rawText(src);
  const want = countIndependently(text, 'ftrace');
  let parsed: Source;
  let source: Read;
  let sourceAgreement: Awaited<ReturnType<typeof validate>>;
  const files: Record<'plain' | 'compact' | 'text', string> = { plain: '', compact: '', text: '' };

  beforeAll(async () => {
    parsed = parseFtraceText(text);
    files.plain = join(TMP, `${name}.pftrace`);
    files.compact = join(TMP, `${name}.compact.perfetto-trace`);
    files.text = join(TMP, `${name}.systrace.txt`);
    writeFileSync(files.plain, encodePerfetto(parsed));
    writeFileSync(files.compact, encodePerfetto(parsed, { compactSched: true, drainNs: 50_000_000, maxPerBundle: 150 }));
    writeFileSync(files.text, encodePerfettoText(parsed));
    source = await readAll(src);
    sourceAgreement = await validate(src);
  });

  it('bundles interleave across CPUs per drain period: out of time order wherever two CPUs ran in the same 100 ms', () => {
    const order = bundleOrder(readFileSync(files.plain));
    expect(new Set(order.map((b) => b.cpu)).size).toBe(new Set(parsed.events.map((e) => e.cpu)).size);
    // From the source lines: some 100 ms period with events on two CPUs, the second CPU's first before the first's last.
    const t0 = Math.min(...parsed.events.map((e) => e.ns));
    const spans = new Map<string, [number, number]>();
    for (const e of parsed.events) {
      const k = `${Math.floor((e.ns - t0) / 100_000_000)}/${e.cpu}`;
      const s = spans.get(k);
      spans.set(k, s ? [Math.min(s[0], e.ns), Math.max(s[1], e.ns)] : [e.ns, e.ns]);
    }
    const overlap = [...spans.entries()].some(([k, [, last]]) => {
      const [c, cpu] = k.split('/').map(Number);
      return [...spans.entries()].some(([k2, [first]]) => k2.startsWith(`${c}/`) && Number(k2.split('/')[1]) > cpu && first < last);
    });
    expect(order.some((b, i) => i > 0 && b.first < order[i - 1].last)).toBe(overlap);
  });

  for (const kind of ['plain', 'compact', 'text'] as const) {
    it(`${kind}: counts equal an independent count of the source lines; processes, threads and span equal the source's`, async () => {
      const { info, ordered } = await readAll(files[kind]);
      expect(info.format).toBe(kind === 'text' ? 'perfetto-text' : 'perfetto');
      expect(info.events).toEqual(want.events);
      expect(info.lostEvents).toBe(want.lostSum);
      expect(info.skippedLines).toBe(0);
      expect(info.warnings).toEqual([]);
      expect(ordered).toBe(true);
      // Lines that share a µs were given +1 ns each (file order) to keep their order in a ns-stamped trace.
      const us = (ns: number): number => Math.floor(ns / 1000);
      expect([info.processes, info.threads, us(info.firstNs), us(info.lastNs)]).toEqual([source.info.processes, source.info.threads, us(source.info.firstNs), us(source.info.lastNs)]);
    });

    it(`${kind}: validate gives the same agreement as on the source text`, async () => {
      const got = await validate(files[kind]);
      expect(got.compared).toBeGreaterThan(0);
      expect(got).toEqual(sourceAgreement);
    });
  }
});

describe('rss_stat_throttled: real recordings thinned as Android\'s atrace memory category records them', () => {
  // fork (copy_page_range and the child's teardown inside the clone), threads (per-CPU order), munmap/MADV_DONTNEED zaps,
  // populate (a munmap of 64 MiB whose pieces cross buckets the model's pieces step over: was 148/162, every event
  // after one such taken as a first sighting; model/rss_stat.ts)
  for (const name of ['fork_child_half', 'threads', 'dontneed_munmap', 'populate']) {
    it(`${name}: every kept event reads back, and >= 99% agree with the model within their 512 KiB bucket`, async () => {
      const full = parseFtraceText(rawText(join(WORKLOADS, name, 'ftrace.txt.gz')));
      const thin = throttleRssStat(full);
      const kept = thin.events.filter((e) => e.name === 'rss_stat_throttled').length;
      expect(kept).toBeGreaterThan(100);
      expect(kept).toBeLessThan(full.events.filter((e) => e.name === 'rss_stat').length / 10);
      const files = { perfetto: join(TMP, `${name}.throttled.pftrace`), ftrace: join(TMP, `${name}.throttled.txt`) };
      writeFileSync(files.perfetto, encodePerfetto(thin));
      writeFileSync(files.ftrace, toFtraceText(thin));
      for (const file of Object.values(files)) {
        const { info } = await readAll(file);
        expect(info.events.rss_stat_throttled).toBe(kept);
        const v = await validate(file);
        expect(v.rss_stat_events).toBe(kept);
        expect(v.rss_stat_throttled!.bucket_bytes).toBe(0x80000);
        expect(v.rss_stat_throttled!.compared).toBe(v.compared);
        expect(v.rss_stat_throttled!.in_bucket / v.rss_stat_throttled!.compared).toBeGreaterThanOrEqual(0.99);
      }
    });
  }

  it('the tolerance is the reported bucket: a size moved inside it still agrees, one bucket up does not', async () => {
    const thin = throttleRssStat(parseFtraceText(rawText(join(WORKLOADS, 'dontneed_munmap', 'ftrace.txt.gz'))));
    const at = thin.events.findIndex((e, i) => e.name === 'rss_stat_throttled' && i > thin.events.length / 2 && /member=1 size=(\d+)/.test(e.body));
    const size = Number(/size=(\d+)/.exec(thin.events[at].body)![1]);
    const withSize = (n: number): Source => ({ ...thin, events: thin.events.map((e, i) => (i === at ? { ...e, body: e.body.replace(/size=\d+/, `size=${n}`) } : e)) });
    const run = async (src: Source, tag: string) => {
      const f = join(TMP, `bucket-${tag}.pftrace`);
      writeFileSync(f, encodePerfetto(src));
      return (await validate(f)).rss_stat_throttled!;
    };
    const base = await run(thin, 'base');
    expect(base.in_bucket).toBe(base.compared);
    const inside = await run(withSize(Math.floor(size / 0x80000) * 0x80000 + (size % 0x80000 === 0 ? 4096 : 0)), 'inside');
    expect(inside.in_bucket).toBe(base.compared);
    const above = await run(withSize(size + 0x80000), 'above');
    expect(above.in_bucket).toBeLessThan(base.compared);
  });
});

describe('compact_sched', () => {
  // A real 4-CPU desktop capture with sched_switch / sched_waking (see /work/shared/public-traces/README.md).
  const path = join(PUBLIC, 'panopticon__ftrace.txt');
  const text = readFileSync(path, 'utf8');

  it('sched_switch / sched_waking written as columns read back as the same events, prev_* from the CPU\'s last switch', async () => {
    const parsed = parseFtraceText(text);
    const file = join(TMP, 'panopticon.compact.pftrace');
    const buf = encodePerfetto(parsed, { compactSched: true, maxPerBundle: 40 });
    writeFileSync(file, buf);
    expect(bundleOrder(buf).some((b) => b.compact)).toBe(true);
    const { info, events, ordered } = await readAll(file, true);
    expect(info.events).toEqual(countIndependently(text, 'ftrace').events);
    expect(ordered).toBe(true);
    // Each switch's prev_pid is the previous switch's next_pid on that CPU (from the source lines).
    const srcSwitch = parsed.events.filter((e) => e.name === 'sched_switch');
    const got = events.filter((e): e is OtherEvent => e.name === 'sched_switch');
    expect(got.length).toBe(srcSwitch.length);
    const seenCpu = new Set<number>();
    let checked = 0;
    got.forEach((e, i) => {
      const m = /prev_pid=(\d+) .* next_comm=(.*) next_pid=(\d+)/.exec(srcSwitch[i].body)!;
      expect([e.time, e.cpu, e.fields.next_comm, e.fields.next_pid]).toEqual([srcSwitch[i].ns, srcSwitch[i].cpu, m[2], Number(m[3])]);
      if (seenCpu.has(e.cpu)) {
        expect(e.fields.prev_pid).toBe(Number(m[1]));
        checked++;
      }
      seenCpu.add(e.cpu);
    });
    expect(checked).toBeGreaterThan(50);
    const wakings = events.filter((e): e is OtherEvent => e.name === 'sched_waking');
    const srcWaking = parsed.events.filter((e) => e.name === 'sched_waking');
    expect(wakings.map((e) => [e.time, e.fields.pid, e.fields.target_cpu])).toEqual(
      srcWaking.map((e) => [e.ns, Number(/ pid=(\d+)/.exec(e.body)![1]), Number(/target_cpu=(\d+)/.exec(e.body)![1])]),
    );
  });
});

describe('reading Perfetto traces: detection, damage and what is not read', () => {
  const parsed = parseFtraceText(rawText(join(WORKLOADS, 'file_private', 'ftrace.txt.gz')));
  const good = encodePerfetto(parsed);

  it('sniffs the protobuf framing, not text that happens to start with a newline', () => {
    expect(isPerfettoTrace(good.subarray(0, 65536))).toBe(true);
    // catapult's atrace output starts with a blank line (byte 0x0a, as a Trace does)
    const atrace = readFileSync(join(PUBLIC, 'catapult__atrace_data_raw'));
    expect(atrace[0]).toBe(0x0a);
    expect(isPerfettoTrace(atrace.subarray(0, 65536))).toBe(false);
    expect(isPerfettoTrace(Buffer.from(rawText(join(WORKLOADS, 'file_private', 'ftrace.txt.gz')).slice(0, 65536)))).toBe(false);
  });

  it('counts unknown packets and ftrace event kinds into warnings and reads the rest', async () => {
    const w = pb.Writer.create();
    // TracePacket field 999 (not in trace_packet.proto's oneof faultline reads), then a bundle with an ftrace event kind 4000
    w.uint32((1 << 3) | 2).fork().uint32((999 << 3) | 0).uint32(7).ldelim();
    w.uint32((1 << 3) | 2).fork();
    w.uint32((P.Packet.ftrace_events << 3) | 2).fork().uint32(8).uint32(0);
    w.uint32((P.Bundle.event << 3) | 2).fork().uint32(8).uint64(1_000_000).uint32(16).uint32(5).uint32((4000 << 3) | 2).fork().uint32(8).uint32(1).ldelim().ldelim();
    w.ldelim().ldelim();
    const file = join(TMP, 'unknown.pftrace');
    writeFileSync(file, Buffer.concat([Buffer.from(w.finish()), good]));
    const { info } = await readAll(file);
    expect(info.format).toBe('perfetto');
    expect(info.events).toEqual(countIndependently(rawText(join(WORKLOADS, 'file_private', 'ftrace.txt.gz')), 'ftrace').events);
    expect(info.warnings.join('\n')).toMatch(/TracePacket fields faultline does not read, skipped: 999 \(1\)/);
    expect(info.warnings.join('\n')).toMatch(/1 ftrace events of kinds faultline does not read \(FtraceEvent field: count\): 4000 \(1\)/);
  });

  it('a file cut inside a packet reads up to it and says so', async () => {
    const file = join(TMP, 'cut.pftrace');
    writeFileSync(file, good.subarray(0, Math.floor(good.length / 2)));
    const { info } = await readAll(file);
    expect(info.totalEvents).toBeGreaterThan(0);
    expect(info.totalEvents).toBeLessThan(parsed.events.length);
    expect(info.warnings.join('\n')).toMatch(/the last packet is cut off at byte \d+ \(file truncated\?\)/);
  });

  it('a damaged packet is one counted skip naming the packet, not a crash', async () => {
    const bad = Buffer.from(good);
    const order = bundleOrder(bad);
    // Overwrite the bytes of the 3rd bundle's body with a varint that runs past the packet.
    const at = order[2].offset;
    bad.fill(0xff, at + 4, at + 24);
    const file = join(TMP, 'damaged.pftrace');
    writeFileSync(file, bad);
    const { info } = await readAll(file);
    expect(info.skippedLines).toBeGreaterThanOrEqual(1);
    expect(info.skippedExamples[0].reason).toMatch(/unreadable packet|ftrace event/);
    expect(info.skippedExamples[0].line).toBe(order[2].packet);
  });

  it('garbage where a packet should start is a one-line error', async () => {
    const file = join(TMP, 'garbage.pftrace');
    writeFileSync(file, Buffer.concat([good.subarray(0, bundleOrder(good)[1].start), Buffer.from([0x0f, 0x0f, 0x0f])]));
    await expect(readTrace(file, () => {})).rejects.toThrow(/garbage\.pftrace: byte \d+: wire type 7 where a TracePacket should start/);
  });
});

/** The encoded trace's ftrace bundles in file order: packet number, byte offsets, CPU, first/last event time, compact. */
function bundleOrder(buf: Uint8Array): { packet: number; start: number; offset: number; cpu: number; first: number; last: number; compact: boolean }[] {
  const out: { packet: number; start: number; offset: number; cpu: number; first: number; last: number; compact: boolean }[] = [];
  const r = pb.Reader.create(buf);
  let packet = 0;
  while (r.pos < r.len) {
    const start = r.pos;
    r.uint32();
    const end = r.uint32() + r.pos;
    packet++;
    while (r.pos < end) {
      const t = r.uint32();
      if (t >>> 3 !== P.Packet.ftrace_events) {
        r.skipType(t & 7);
        continue;
      }
      const offset = r.pos;
      const be = r.uint32() + r.pos;
      const b = { packet, start, offset, cpu: -1, first: Infinity, last: -Infinity, compact: false };
      while (r.pos < be) {
        const u = r.uint32();
        if (u >>> 3 === P.Bundle.cpu) b.cpu = r.uint32();
        else if (u >>> 3 === P.Bundle.event) {
          const ee = r.uint32() + r.pos;
          while (r.pos < ee) {
            const v = r.uint32();
            if (v >>> 3 === P.Event.timestamp) {
              const ts = Number(r.uint64().toString());
              b.first = Math.min(b.first, ts);
              b.last = Math.max(b.last, ts);
            } else r.skipType(v & 7);
          }
        } else if (u >>> 3 === P.Bundle.compact_sched) {
          b.compact = true;
          r.skipType(u & 7);
        } else r.skipType(u & 7);
      }
      out.push(b);
    }
  }
  return out;
}
