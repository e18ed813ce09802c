// Hand-written event streams for the validator's tests (validate.test.ts, validate_reclaim.test.ts): one mm (id 7), one VMA at A.
import type { RssStatEvent, TraceEvent } from '../traces/events.js';
import { createValidator, type ValidateResult } from './validate.js';
import { defaultVariant } from './replay.js';

/** The last line number handed out (tests name the line a mismatch must report). */
export let line = 0;
/** A fresh line number for an event built by hand in a test. */
export const nextLine = (): number => ++line;
export const hdr = (name: string, time: number, tid = 100) => ({ name, system: '', time, cpu: 0, pid: tid, tid, comm: 'w', line: ++line });
export const A = 0x7f0000000000;
export function mmap(t: number, len: number): TraceEvent[] {
  const enter = { ...hdr('sys_enter_mmap', t), kind: 'sys_enter' as const, call: 'mmap', args: { addr: 0, len, prot: 3, flags: 0x22, fd: -1, off: 0 } };
  return [enter, { ...hdr('sys_exit_mmap', t + 1), kind: 'sys_exit' as const, call: 'mmap', ret: A, enter }];
}
export const fault = (t: number, i: number, ec = 0x6): TraceEvent => ({ ...hdr('page_fault_user', t), kind: 'fault', user: true, address: A + i * 4096, ip: 0, errorCode: ec });
export const rss = (t: number, pages: number, member = 1, curr = true, tid = 100): RssStatEvent => ({ ...hdr('rss_stat', t, tid), kind: 'rss_stat', mmId: 7, curr, member, size: pages * 4096, throttled: false });
export const READ = { file: 't', format: 'ftrace' as const, bytes: 0, lines: 0, events: 0, lostEvents: 0, skippedLines: 0, skippedExamples: [] };

/** Mainline's validator over the stream. */
export function validate(evs: TraceEvent[]): ValidateResult {
  const v = createValidator(defaultVariant());
  for (const e of evs) v.sink(e);
  return v.finish(READ);
}
