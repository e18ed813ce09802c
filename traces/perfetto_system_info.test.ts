// SystemInfo (TracePacket field 45) read from a Perfetto trace's first packets: the machine page size a replay uses.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync, gzipSync, gunzipSync } from 'node:zlib';
import { decodeSystemInfo, perfettoSystemInfo } from './perfetto_system_info.js';
import { encodePerfetto, parseFtraceText, systemInfoPacket } from './perfetto_encode.suite.js';
import { readTrace } from './read.js';
import * as P from './perfetto_proto.js';

const TMP = mkdtempSync(join(tmpdir(), 'faultline-sysinfo-'));
const SRC = new URL('./fixtures/workloads/write_touch/ftrace.txt.gz', import.meta.url).pathname;
const src = parseFtraceText(gunzipSync(readFileSync(SRC)).toString('utf8'));
const file = (name: string, bytes: Uint8Array): string => {
  const p = join(TMP, name);
  writeFileSync(p, bytes);
  return p;
};

describe('Perfetto SystemInfo', () => {
  it("field numbers are the .proto's (google/perfetto ec5d16b: trace_packet.proto system_info = 45; common/system_info.proto utsname = 1, page_size = 6; Utsname release = 3, machine = 4)", () => {
    expect([P.Packet.system_info, P.SystemInfo.utsname, P.SystemInfo.page_size, P.Utsname.release, P.Utsname.machine]).toEqual([45, 1, 6, 3, 4]);
    // hand-encoded SystemInfo: utsname (0x0a) { machine (0x22) "aarch64" }, page_size (0x30) 16384 = varint 80 80 01
    const bytes = Uint8Array.from([0x0a, 0x09, 0x22, 0x07, ...Buffer.from('aarch64'), 0x30, 0x80, 0x80, 0x01]);
    expect(decodeSystemInfo(bytes)).toEqual({ machine: 'aarch64', pageSize: 16384 });
  });

  it('is found among the first packets: plain, gzip, inside a deflate-compressed packet; absent gives null', async () => {
    const si = { pageSize: 16384, machine: 'aarch64', release: '6.6.30-android15' };
    const plain = file('plain.pftrace', encodePerfetto(src, { systemInfo: si }));
    expect(await perfettoSystemInfo(plain)).toEqual(si);
    expect(await perfettoSystemInfo(file('plain.pftrace.gz', gzipSync(readFileSync(plain))))).toEqual(si);
    // TracePacket { compressed_packets = 50: deflate(Trace { packet = 1: <the SystemInfo packet> }) }
    const inner = systemInfoPacket({ pageSize: 65536 });
    const trace = Buffer.concat([Buffer.from([0x0a, inner.length]), inner]);
    const z = deflateSync(trace);
    const compressed = Buffer.concat([Buffer.from([0x0a, z.length + 3, 0x92, 0x03, z.length]), z, encodePerfetto(src)]);
    expect(z.length + 3).toBeLessThan(128);
    expect(await perfettoSystemInfo(file('compressed.pftrace', compressed))).toEqual({ pageSize: 65536 });
    expect(await perfettoSystemInfo(file('none.pftrace', encodePerfetto(src)))).toBeNull();
    expect(await perfettoSystemInfo(SRC)).toBeNull(); // an ftrace text trace (gzip)
  });

  it('the reader knows the packet: no "fields faultline does not read" warning for it', async () => {
    const r = await readTrace(file('read.pftrace', encodePerfetto(src, { systemInfo: { pageSize: 4096 } })), () => {});
    expect(r.warnings ?? []).not.toContainEqual(expect.stringContaining('TracePacket fields'));
  });
});
