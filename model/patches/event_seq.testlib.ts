// Hand-written event sequences for the patch tests: the normalised events a trace of a small program would hold
// (mmap, faults with x86 error codes, fork via task_newtask, exit), fed to one variant's engine.
import type { TraceEvent, SyscallEnterEvent } from '../../traces/events.js';
import { createEngine, type Engine, type FaultHint } from '../engine.js';
import type { CowPteBreakRecord, ForkRecord, ProcessResult, RssRecord, VariantResult, VariantSpec } from '../types.js';
import * as F from '../flags.js';
import type { CostProfile } from '../costs.js';

export const PAGE = 4096;
export const MIB = 1024 * 1024;
/** A 2 MiB-aligned (and 1 GiB-aligned) user address, so table counts are easy to derive by hand. */
export const BASE = 0x7f0000000000;

export interface Seq {
  engine: Engine;
  breaks: CowPteBreakRecord[];
  forks: ForkRecord[];
  paths: string[];
  /** Every counter update (model:rss probe records; member -1 is pgtables_bytes). */
  rss: RssRecord[];
  mmap(pid: number, addr: number, len: number, opts?: { prot?: number; flags?: number; fd?: number }): void;
  munmap(pid: number, addr: number, len: number): void;
  madvise(pid: number, addr: number, len: number, behavior: number): void;
  brk(pid: number, ret: number): void;
  /** error code 0x4 (user read of a none PTE) or 0x6 (user write); 0x7 when the PTE is present (the test says). */
  read(pid: number, addr: number, hint?: FaultHint | null): void;
  /** hint: what the kernel's next rss_stat said (the replay reads it from the trace), e.g. { member: 1, delta: 1 }. */
  write(pid: number, addr: number, present?: boolean, hint?: FaultHint | null): void;
  fork(pid: number, child: number): void;
  exit(pid: number): void;
  finish(): VariantResult;
}

export function seq(spec: VariantSpec, comm = 'work', profile: CostProfile | null = null): Seq {
  const breaks: CowPteBreakRecord[] = [];
  const forks: ForkRecord[] = [];
  const paths: string[] = [];
  const rss: RssRecord[] = [];
  const engine = createEngine(
    spec,
    {
      cowPteBreak: (r) => breaks.push({ ...r }),
      fork: (r) => forks.push({ ...r }),
      fault: (r) => paths.push(r.path),
      rss: (r) => rss.push({ ...r }),
    },
    profile,
    64,
    null,
  );
  let time = 1_000_000;
  let line = 1;
  const hdr = (pid: number, name: string, system: string) => ({ name, system, time: (time += 1000), cpu: 0, pid, tid: pid, comm, line: line++ });
  const call = (pid: number, c: string, args: Record<string, number>, ret: number): void => {
    const enter: SyscallEnterEvent = { ...hdr(pid, `sys_enter_${c}`, 'syscalls'), kind: 'sys_enter', call: c, args };
    engine.handle(enter, null);
    engine.handle({ ...hdr(pid, `sys_exit_${c}`, 'syscalls'), kind: 'sys_exit', call: c, ret, enter }, null);
  };
  const fault = (pid: number, address: number, errorCode: number, hint: FaultHint | null = null): void =>
    engine.handle({ ...hdr(pid, 'page_fault_user', 'exceptions'), kind: 'fault', user: true, address, ip: 0x401000, errorCode } as TraceEvent, hint);
  return {
    engine,
    breaks,
    forks,
    paths,
    rss,
    mmap(pid, addr, len, o = {}) {
      const fd = o.fd ?? -1;
      const flags = o.flags ?? (F.MAP_PRIVATE | (fd < 0 ? F.MAP_ANONYMOUS : 0));
      call(pid, 'mmap', { addr, len, prot: o.prot ?? (F.PROT_READ | F.PROT_WRITE), flags, fd: fd < 0 ? 0xffffffffffffffff : fd, off: 0 }, addr);
    },
    munmap(pid, addr, len) {
      call(pid, 'munmap', { addr, len }, 0);
    },
    madvise(pid, addr, len, behavior) {
      call(pid, 'madvise', { start: addr, len_in: len, behavior }, 0);
    },
    brk(pid, ret) {
      call(pid, 'brk', { brk: ret }, ret);
    },
    read(pid, addr, hint = null) {
      fault(pid, addr, 0x4, hint);
    },
    write(pid, addr, present = false, hint = null) {
      fault(pid, addr, present ? 0x7 : 0x6, hint);
    },
    fork(pid, child) {
      engine.handle({ ...hdr(pid, 'task_newtask', 'task'), kind: 'newtask', newPid: child, newComm: comm, cloneFlags: 0x11 }, null);
    },
    exit(pid) {
      engine.handle({ ...hdr(pid, 'sched_process_exit', 'sched'), kind: 'exit', exitPid: pid, groupDead: true }, null);
    },
    finish() {
      return engine.finish(time + 1000);
    },
  };
}

/** The ProcessResult of pid in r (throws if absent, so a test fails loudly). */
export function proc(r: VariantResult, pid: number): ProcessResult {
  const p = r.processes.find((x) => x.pid === pid);
  if (!p) throw new Error(`no process ${pid} in ${r.name}`);
  return p;
}

/** Faults by path, excluding paths with zero counts (for toEqual). */
export function faultsOf(p: ProcessResult): Record<string, number> {
  return Object.fromEntries(Object.entries(p.faults).filter(([, n]) => n > 0));
}
