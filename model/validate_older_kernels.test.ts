// validate on traces from other machines (issue 19): nothing to model without faults, Android's extra counter
// reported, and the older-kernel behaviour assumed named. Lines as issue 19 quotes them from a 2021 phone.
import { describe, expect, it, beforeAll } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTrace } from '../traces/read.js';
import { createValidator } from './validate.js';
import { createReplay, defaultVariant } from './replay.js';

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'faultline-oldk-'));
});

async function validate(name: string, lines: string[], kernel = '6.18') {
  const p = join(dir, name);
  writeFileSync(p, lines.join('\n') + '\n');
  const v = createValidator(defaultVariant({ kernel }));
  return v.finish(await readTrace(p, v.sink));
}

const PHONE = [
  '     Binder_2-895   ( 880) [001] ....  5000.000100: rss_stat: mm_id=1075408569 curr=1 member=1 size=-35966976B',
  '     Binder_2-895   ( 880) [001] ....  5000.000200: rss_stat: mm_id=1075408569 curr=1 member=4 size=8192B',
  '     Binder_2-895   ( 880) [001] ....  5000.000300: rss_stat: mm_id=1075408569 curr=1 member=0 size=409600B',
];

describe('validate on traces from older kernels and phones', () => {
  it('rss_stat without any page fault: nothing to model, and why', async () => {
    const r = await validate('phone.txt', PHONE, '5.10');
    expect(r.nothing_to_model).toContain('no page-fault events');
  });
  it('member=4 (an Android counter past MM_SHMEMPAGES) is reported, not dropped', async () => {
    const r = await validate('phone4.txt', PHONE, '5.10');
    expect(r.unmodelled_members).toEqual({ member_4: 1 });
  });
  it('names the split RSS counters on a kernel before 6.2, and bare-hex syscall arguments when the trace has them', async () => {
    const lines = [
      '            bash-2425  (2425) [001] ....  1024.500000: sys_mmap(addr: 0, len: 21000, prot: 3, flags: 22, fd: ffffffffffffffff, off: 0)',
      '            bash-2425  (2425) [001] ....  1024.500100: sys_mmap -> 0x7f0e0d2c4000',
      '            bash-2425  (2425) [001] ....  1024.500200: page_fault_user: address=0x7f0e0d2c4000 ip=0x55d0c0de0010 error_code=0x6',
      '            bash-2425  (2425) [001] ....  1024.500300: rss_stat: mm_id=77 curr=1 member=1 size=4096B',
    ];
    const old = await validate('old.txt', lines, '5.10');
    expect(old.nothing_to_model).toBeUndefined();
    expect(old.assumed?.[0]).toMatch(/^kernel 5\.10 \(before 6\.2\): split per-task RSS counters \(SPLIT_RSS_COUNTING/);
    expect(old.assumed?.[1]).toMatch(/hex without 0x.*\(1 lines\)$/);
    const current = await validate('new.txt', lines.map((l) => l.replace('len: 21000', 'len: 0x21000').replace('flags: 22', 'flags: 0x22').replace('fd: ffffffffffffffff', 'fd: 0xffffffffffffffff')), '6.18');
    expect(current.assumed).toBeUndefined();
  });
});

describe('replay on a phone trace', () => {
  it('a negative rss_stat size (pre-6.2 split counters) teaches a baseline of 0, not a negative RssAnon', async () => {
    const p = join(dir, 'replay.txt');
    writeFileSync(p, PHONE.join('\n') + '\n');
    const rp = createReplay([defaultVariant({ kernel: '5.10' })]);
    const r = rp.finish(await readTrace(p, rp.sink));
    const proc = r.variants[0]!.processes.find((x) => x.pid === 880)!;
    expect(proc.rss_anon_final_kb).toBe(0);
    // member=0 (MM_FILEPAGES) 409600 B is 400 KiB the mm had before the trace
    expect(proc.rss_file_final_kb).toBe(400);
  });
});
