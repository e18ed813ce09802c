// Shared by the patch fixture tests: replay a committed workload recording under mainline plus patches, keeping
// the COW PTE breaks and each forked child's VmPTE right after its fork.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { readTrace } from '../../traces/read.js';
import { fixtureFiles, readTruth } from '../../record/fixtures.js';
import { createReplay } from '../replay.js';
import { buildVariants } from '../variants.js';
import type { CowPteBreakRecord, ReplayResult, VariantResult } from '../types.js';
import { NOT_TAKEN } from '../fault_paths.js';

export const MIB = 1024 * 1024;

export function rawLines(name: string): string[] {
  return gunzipSync(readFileSync(fixtureFiles(name, 'perf').trace)).toString('utf8').split('\n');
}

/** Write faults (error code 0x7: user, write, present) by pid inside region, counted from the raw perf lines. */
export function regionWrites(name: string, pid: number, region: { addr: number; len: number }): number {
  return rawLines(name).filter((l) => {
    const m = / (\d+)\/\d+ .*page_fault_user: address=0x([0-9a-f]+) .*error_code=0x7/.exec(l);
    if (!m || Number(m[1]) !== pid) return false;
    const a = parseInt(m[2]!, 16);
    return a >= region.addr && a < region.addr + region.len;
  }).length;
}

/** The machine booted with pvm_no_zero_page=1 (fixture README): mainline must not use the zero page to match it. */
export function zeroPageOf(name: string): boolean {
  return !readTruth(name, 'perf').kernel_cmdline_mm.some((a) => a === 'pvm_no_zero_page=1');
}

export interface Run {
  res: ReplayResult;
  breaks: CowPteBreakRecord[];
  /** VmPTE (kB) of each forked child right after its fork, per variant. */
  childPteAtFork: Map<string, Map<number, number>>;
}

export async function replay(name: string, patch: string[]): Promise<Run> {
  const variants = buildVariants({ patch, baseZeroPage: zeroPageOf(name) });
  const breaks: CowPteBreakRecord[] = [];
  const lastPt = new Map<string, number>(); // variant/pid -> pgtables bytes after the last update
  const childPteAtFork = new Map<string, Map<number, number>>();
  const rep = createReplay(variants, {
    cowPteBreak: (r) => breaks.push({ ...r }),
    rss: (r) => {
      if (r.member === -1) lastPt.set(`${r.variant}/${r.pid}`, r.value);
    },
    fork: (r) => {
      let m = childPteAtFork.get(r.variant);
      if (!m) childPteAtFork.set(r.variant, (m = new Map()));
      m.set(r.childPid, (lastPt.get(`${r.variant}/${r.childPid}`) ?? 0) / 1024);
    },
  });
  const read = await readTrace(fixtureFiles(name, 'perf').trace, rep.sink);
  return { res: rep.finish(read), breaks, childPteAtFork };
}

export const variant = (r: ReplayResult, name: string): VariantResult => {
  const v = r.variants.find((x) => x.name === name);
  if (!v) throw new Error(`no variant ${name}`);
  return v;
};

/** Faults that the variant really takes (a traced fault it would not take replays as 'not_taken'). */
export const realFaults = (v: VariantResult, pid?: number): number => {
  const f = pid === undefined ? v.totals.faults : v.processes.find((p) => p.pid === pid)!.faults;
  return Object.entries(f).reduce((s, [k, n]) => (k === NOT_TAKEN ? s : s + n), 0);
};

