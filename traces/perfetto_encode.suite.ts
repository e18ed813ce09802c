// Test-side: turns a real ftrace text recording into what Perfetto would have written for it (a protobuf trace,
// plain or with compact_sched, bundles interleaved across CPUs per drain period) and into trace_processor's
// `convert systrace` text. Parses the text with its own regexes (not faultline's readers) so the tests compare two
// independent paths. Field numbers: traces/perfetto_proto.ts (checked against the fetched .proto files).
import pb from 'protobufjs/minimal.js';
import * as P from './perfetto_proto.js';

/** One event line of the source text. */
export interface SrcEvent {
  comm: string;
  tid: number;
  /** -1 when the line has no TGID column or shows `(-----)`. */
  tgid: number;
  cpu: number;
  ns: number;
  /** Event name as counted: `sys_mmap(` is sys_enter_mmap, `sys_mmap ->` sys_exit_mmap. */
  name: string;
  body: string;
  /** Lost events announced on this CPU just before this event. */
  lostBefore: number;
}

export interface Source {
  events: SrcEvent[];
  cpus: number;
  /** Lost events from the `entries-in-buffer/entries-written` header (CPU not known). */
  headerLost: number;
}

const LINE = /^\s*(.*?)-(\d+)\s+(?:\(\s*(\d+|-+)\)\s+)?\[(\d+)\]\s+(?:(\S{4,5})\s+)?(\d+)\.(\d+):\s+(.*)$/;

/** Parse an ftrace text recording (tracefs `trace` output) line by line. */
export function parseFtraceText(text: string): Source {
  const events: SrcEvent[] = [];
  const pendingLost = new Map<number, number>();
  let cpus = 1;
  let headerLost = 0;
  for (const line of text.split('\n')) {
    const hdr = /^# entries-in-buffer\/entries-written: (\d+)\/(\d+)\s+#P:(\d+)/.exec(line);
    if (hdr) {
      headerLost += Math.max(0, Number(hdr[2]) - Number(hdr[1]));
      cpus = Number(hdr[3]);
      continue;
    }
    const lost = /^CPU:(\d+) \[LOST (\d+) EVENTS\]/.exec(line);
    if (lost) {
      pendingLost.set(Number(lost[1]), (pendingLost.get(Number(lost[1])) ?? 0) + Number(lost[2]));
      continue;
    }
    if (line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) continue;
    const cpu = Number(m[4]);
    const frac = m[7].padEnd(9, '0').slice(0, 9);
    const us = Number(m[6]) * 1e9 + Number(frac);
    let rest = m[8];
    let name: string;
    let body: string;
    const ev = /^(\w+): ?(.*)$/.exec(rest);
    const enter = /^sys_(\w+)\((.*)\)$/.exec(rest);
    const exit = /^sys_(\w+) -> (\S+)$/.exec(rest);
    if (enter) {
      name = 'sys_enter_' + enter[1];
      body = enter[2];
    } else if (exit) {
      name = 'sys_exit_' + exit[1];
      body = exit[2];
    } else if (ev) {
      name = ev[1];
      body = ev[2];
    } else continue;
    rest = '';
    if (cpu + 1 > cpus) cpus = cpu + 1;
    // The kernel stamps ns; the text prints µs, in ns order. Lines of one µs get +1 ns each in file order so
    // a ns-stamped encoding keeps the kernel's order across CPUs (the text readers keep it by line number).
    const prev = events.length > 0 ? events[events.length - 1] : null;
    const ns = prev !== null && prev.ns >= us && prev.ns < us + 999 ? prev.ns + 1 : us;
    const tg = m[3] === undefined || m[3].startsWith('-') ? -1 : Number(m[3]);
    events.push({ comm: m[1], tid: Number(m[2]), tgid: tg, cpu, ns, name, body, lostBefore: pendingLost.get(cpu) ?? 0 });
    pendingLost.delete(cpu);
  }
  return { events, cpus, headerLost };
}

/** Android's atrace "memory" category: only rss_stat events whose 512 KiB bucket of (mm_id, member) changed, renamed. */
export function throttleRssStat(src: Source): Source {
  // src/traced/probes/ftrace/tracefs.cc: hist:keys=mm_id,member:bucket=size/0x80000:onchange($bucket).rss_stat_throttled(mm_id,curr,member,size)
  const last = new Map<string, number>();
  const out: SrcEvent[] = [];
  for (const e of src.events) {
    if (e.name !== 'rss_stat') {
      out.push(e);
      continue;
    }
    const r = rss(e.body);
    const key = `${r.mmId}/${r.member}`;
    const bucket = Math.floor(r.size / 0x80000);
    if ((last.get(key) ?? 0) === bucket) continue;
    last.set(key, bucket);
    // A synthetic event prints its fields in the order the trigger names them.
    out.push({ ...e, name: 'rss_stat_throttled', body: `mm_id=${r.mmId} curr=${r.curr} member=${r.member} size=${r.size}` });
  }
  return { ...src, events: out };
}

/** Back to tracefs text (for the throttled recording's text form). */
export function toFtraceText(src: Source): string {
  const out = [`# tracer: nop`, `#`, `# entries-in-buffer/entries-written: ${src.events.length}/${src.events.length}   #P:${src.cpus}`, `#`];
  for (const e of src.events) {
    const frac = String(Math.floor((e.ns % 1e9) / 1000)).padStart(6, '0');
    const head = `${e.comm.padStart(16)}-${String(e.tid).padEnd(7)} (${e.tgid < 0 ? '-------' : String(e.tgid).padStart(7)}) [${String(e.cpu).padStart(3, '0')}] ..... ${Math.floor(e.ns / 1e9)}.${frac}:`;
    // tracefs syscall events print as `sys_NAME(args)` and `sys_NAME -> ret` (kernel/trace/trace_syscalls.c)
    if (e.name.startsWith('sys_enter_')) out.push(`${head} sys_${e.name.slice(10)}(${e.body})`);
    else if (e.name.startsWith('sys_exit_')) out.push(`${head} sys_${e.name.slice(9)} -> ${e.body}`);
    else out.push(`${head} ${e.name}: ${e.body}`);
  }
  return out.join('\n') + '\n';
}

const MEMBERS = ['MM_FILEPAGES', 'MM_ANONPAGES', 'MM_SWAPENTS', 'MM_SHMEMPAGES'];

function rss(body: string): { mmId: number; curr: number; member: number; size: number } {
  // include/trace/events/kmem.h: mm_id=%u curr=%d type=%s size=%ldB; synthetic: mm_id curr member size
  const m = /mm_id=(\d+) curr=(\d+) (?:type=(\w+)|member=(\d+)) size=(-?\d+)B?/.exec(body);
  if (!m) throw new Error(`rss_stat body: ${body}`);
  return { mmId: Number(m[1]), curr: Number(m[2]), member: m[3] !== undefined ? MEMBERS.indexOf(m[3]) : Number(m[4]), size: Number(m[5]) };
}

/** A tracefs number: 0x hex or decimal (syscall arguments below 10 print without 0x). */
const num = (s: string): bigint => BigInt(s.startsWith('-') ? s : s.startsWith('0x') ? s : s);

/** x86-64 syscall numbers (arch/x86/entry/syscalls/syscall_64.tbl) for the generic events' __syscall_nr. */
const NR: Record<string, number> = { mmap: 9, mprotect: 10, munmap: 11, brk: 12, mremap: 25, madvise: 28, clone: 56, fork: 57, vfork: 58, execve: 59, exit_group: 231, clone3: 435 };

/** Kernel symbols printed by %ps (ip=elf_load) stand for a kernel address the text no longer has. */
const KERNEL_IP = 0xffffffff81000000n;

type GenericValue = { s: string } | { i: bigint } | { u: bigint };

/** Fields of a generic event from its text body, typed as the tracefs format file types them. */
function genericFields(e: SrcEvent): [string, GenericValue][] {
  if (e.name === 'page_fault_user' || e.name === 'page_fault_kernel') {
    const m = /address=(\S+) ip=(\S+) error_code=(\S+)/.exec(e.body);
    if (!m) throw new Error(`fault body: ${e.body}`);
    return [['address', { u: num(m[1]) }], ['ip', { u: m[2].startsWith('0x') ? num(m[2]) : KERNEL_IP }], ['error_code', { u: num(m[3]) }]];
  }
  if (e.name.startsWith('sys_enter_')) {
    const call = e.name.slice(10);
    const f: [string, GenericValue][] = [];
    if (NR[call] !== undefined) f.push(['__syscall_nr', { i: BigInt(NR[call]) }]);
    for (const part of e.body ? e.body.split(', ') : []) {
      const c = part.indexOf(': ');
      f.push([part.slice(0, c), { u: num(part.slice(c + 2)) }]);
    }
    return f;
  }
  if (e.name.startsWith('sys_exit_')) {
    const call = e.name.slice(9);
    const f: [string, GenericValue][] = [];
    if (NR[call] !== undefined) f.push(['__syscall_nr', { i: BigInt(NR[call]) }]);
    f.push(['ret', { i: BigInt.asIntN(64, num(e.body)) }]);
    return f;
  }
  // Other tracepoints: their `key=value` fields, numbers signed, the rest strings.
  const f: [string, GenericValue][] = [];
  const re = /(?:^|\s)(\w+)=(\S*)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(e.body)) !== null) f.push([m[1], /^-?\d+$/.test(m[2]) ? { i: BigInt(m[2]) } : { s: m[2] }]);
  return f;
}

const TASK_STATE: Record<string, number> = { R: 0, S: 1, D: 2, T: 4, t: 8, X: 16, Z: 32, P: 64, I: 128 };
const state = (s: string): number => TASK_STATE[s[0]] ?? 0;

const SWITCH = /prev_comm=(.*) prev_pid=(-?\d+) prev_prio=(-?\d+) prev_state=(\S+) ==> next_comm=(.*) next_pid=(-?\d+) next_prio=(-?\d+)/;
const WAKING = /comm=(.*) pid=(\d+) prio=(-?\d+)(?: success=\d+)? target_cpu=(\d+)/;

function sub(w: pb.Writer, field: number, body: (w: pb.Writer) => void): void {
  w.uint32((field << 3) | P.LEN).fork();
  body(w);
  w.ldelim();
}
const tagged = (w: pb.Writer, field: number, wt: number): pb.Writer => w.uint32((field << 3) | wt);

/** One FtraceEvent's body (the oneof member) from a text event. */
function eventBody(w: pb.Writer, e: SrcEvent): void {
  const b = e.body;
  switch (e.name) {
    case 'rss_stat':
    case 'rss_stat_throttled': {
      const r = rss(b);
      const F = e.name === 'rss_stat' ? P.RssStat : P.RssStatThrottled;
      sub(w, e.name === 'rss_stat' ? P.Event.rss_stat : P.Event.rss_stat_throttled, (w) => {
        const put: [number, () => void][] = [
          [F.member, () => tagged(w, F.member, 0).int32(r.member)],
          [F.size, () => tagged(w, F.size, 0).int64(r.size)],
          [F.curr, () => tagged(w, F.curr, 0).uint32(r.curr)],
          [F.mm_id, () => tagged(w, F.mm_id, 0).uint32(r.mmId)],
        ];
        for (const [, f] of put.sort((a, c) => a[0] - c[0])) f();
      });
      return;
    }
    case 'sched_process_fork': {
      // include/trace/events/sched.h: comm=%s pid=%d child_comm=%s child_pid=%d
      const m = /comm=(.*) pid=(\d+) child_comm=(.*) child_pid=(\d+)/.exec(b)!;
      const F = P.SchedProcessFork;
      sub(w, P.Event.sched_process_fork, (w) => {
        tagged(w, F.parent_comm, 2).string(m[1]);
        tagged(w, F.parent_pid, 0).int32(Number(m[2]));
        tagged(w, F.child_comm, 2).string(m[3]);
        tagged(w, F.child_pid, 0).int32(Number(m[4]));
      });
      return;
    }
    case 'sched_process_exec': {
      const m = /filename=(.*) pid=(\d+) old_pid=(\d+)/.exec(b)!;
      const F = P.SchedProcessExec;
      sub(w, P.Event.sched_process_exec, (w) => {
        tagged(w, F.filename, 2).string(m[1]);
        tagged(w, F.pid, 0).int32(Number(m[2]));
        tagged(w, F.old_pid, 0).int32(Number(m[3]));
      });
      return;
    }
    case 'sched_process_exit': {
      const m = /comm=(.*) pid=(\d+) prio=(-?\d+)/.exec(b)!;
      const F = P.SchedProcessExit;
      sub(w, P.Event.sched_process_exit, (w) => {
        tagged(w, F.comm, 2).string(m[1]);
        tagged(w, F.pid, 0).int32(Number(m[2]));
        tagged(w, F.prio, 0).int32(Number(m[3]));
      });
      return;
    }
    case 'task_newtask': {
      // include/trace/events/task.h: pid=%d comm=%s clone_flags=%lx oom_score_adj=%hd
      const m = /pid=(\d+) comm=(.*) clone_flags=([0-9a-f]+) oom_score_adj=(-?\d+)/.exec(b)!;
      const F = P.TaskNewtask;
      sub(w, P.Event.task_newtask, (w) => {
        tagged(w, F.pid, 0).int32(Number(m[1]));
        tagged(w, F.comm, 2).string(m[2]);
        tagged(w, F.clone_flags, 0).uint64(Number.parseInt(m[3], 16));
        tagged(w, F.oom_score_adj, 0).int32(Number(m[4]));
      });
      return;
    }
    case 'tracing_mark_write':
      // ftrace/print: the marker write's text with the writer's newline
      sub(w, P.Event.print, (w) => void tagged(w, P.Print.buf, 2).string(b + '\n'));
      return;
    case 'sched_switch': {
      const m = SWITCH.exec(b)!;
      const F = P.SchedSwitch;
      sub(w, P.Event.sched_switch, (w) => {
        tagged(w, F.prev_comm, 2).string(m[1]);
        tagged(w, F.prev_pid, 0).int32(Number(m[2]));
        tagged(w, F.prev_prio, 0).int32(Number(m[3]));
        tagged(w, F.prev_state, 0).int64(state(m[4]));
        tagged(w, F.next_comm, 2).string(m[5]);
        tagged(w, F.next_pid, 0).int32(Number(m[6]));
        tagged(w, F.next_prio, 0).int32(Number(m[7]));
      });
      return;
    }
    case 'sched_waking': {
      const m = WAKING.exec(b)!;
      const F = P.SchedWaking;
      sub(w, P.Event.sched_waking, (w) => {
        tagged(w, F.comm, 2).string(m[1]);
        tagged(w, F.pid, 0).int32(Number(m[2]));
        tagged(w, F.prio, 0).int32(Number(m[3]));
        tagged(w, F.target_cpu, 0).int32(Number(m[4]));
      });
      return;
    }
  }
  sub(w, P.Event.generic, (w) => {
    tagged(w, P.Generic.event_name, 2).string(e.name);
    for (const [k, v] of genericFields(e)) {
      sub(w, P.Generic.field, (w) => {
        tagged(w, P.GenericField.name, 2).string(k);
        if ('s' in v) tagged(w, P.GenericField.str_value, 2).string(v.s);
        else if ('i' in v) tagged(w, P.GenericField.int_value, 0).int64(v.i.toString());
        else tagged(w, P.GenericField.uint_value, 0).uint64(v.u.toString());
      });
    }
  });
}

export interface EncodeOptions {
  /** Write sched_switch / sched_waking as FtraceEventBundle.CompactSched columns. */
  compactSched?: boolean;
  /** traced_probes reads the per-CPU buffers once per drain period (FtraceConfig.drain_period_ms, default 100 ms). */
  drainNs?: number;
  /** At most this many events per bundle (a read of a few ring-buffer pages). */
  maxPerBundle?: number;
  /** A SystemInfo packet first, as traced writes it among a session's initial packets (tracing_service_impl.cc: EmitSystemInfo). */
  systemInfo?: { pageSize?: number; machine?: string; release?: string };
}

/** TracePacket { system_info = 45: SystemInfo { utsname = 1: Utsname { release = 3, machine = 4 }, page_size = 6 } }. */
export function systemInfoPacket(si: NonNullable<EncodeOptions['systemInfo']>): Uint8Array {
  const w = pb.Writer.create();
  sub(w, P.Packet.system_info, (s) => {
    if (si.machine !== undefined || si.release !== undefined)
      sub(s, P.SystemInfo.utsname, (u) => {
        if (si.release !== undefined) tagged(u, P.Utsname.release, P.LEN).string(si.release);
        if (si.machine !== undefined) tagged(u, P.Utsname.machine, P.LEN).string(si.machine);
      });
    if (si.pageSize !== undefined) tagged(s, P.SystemInfo.page_size, P.VARINT).uint32(si.pageSize);
  });
  return w.finish();
}

/** Tasks that existed before the trace (not created by a fork/newtask in it): what the start-of-trace /proc scan lists. */
function processTree(src: Source): Uint8Array {
  const born = new Set<number>();
  for (const e of src.events) {
    if (e.name === 'task_newtask') born.add(Number(/pid=(\d+)/.exec(e.body)![1]));
    if (e.name === 'sched_process_fork') born.add(Number(/child_pid=(\d+)/.exec(e.body)![1]));
  }
  const threads = new Map<number, { tgid: number; comm: string }>();
  for (const e of src.events) if (e.tid > 0 && !born.has(e.tid) && !threads.has(e.tid)) threads.set(e.tid, { tgid: e.tgid, comm: e.comm });
  const w = pb.Writer.create();
  sub(w, P.Packet.process_tree, (w) => {
    const procs = new Set<number>();
    for (const t of threads.values()) if (t.tgid > 0) procs.add(t.tgid);
    for (const pid of procs) {
      sub(w, P.ProcessTree.processes, (w) => {
        tagged(w, P.TreeProcess.pid, 0).int32(pid);
        tagged(w, P.TreeProcess.ppid, 0).int32(1);
        tagged(w, P.TreeProcess.cmdline, 2).string(threads.get(pid)?.comm ?? '');
      });
    }
    for (const [tid, t] of threads) {
      if (t.tgid <= 0 || t.comm === '<...>') continue;
      sub(w, P.ProcessTree.threads, (w) => {
        tagged(w, P.TreeThread.tid, 0).int32(tid);
        tagged(w, P.TreeThread.name, 2).string(t.comm);
        tagged(w, P.TreeThread.tgid, 0).int32(t.tgid);
      });
    }
  });
  return w.finish();
}

function stats(phase: number, overrun: number[]): Uint8Array {
  const w = pb.Writer.create();
  sub(w, P.Packet.ftrace_stats, (w) => {
    tagged(w, P.FtraceStats.phase, 0).int32(phase);
    overrun.forEach((o, cpu) =>
      sub(w, P.FtraceStats.cpu_stats, (w) => {
        tagged(w, P.FtraceCpuStats.cpu, 0).uint64(cpu);
        tagged(w, P.FtraceCpuStats.overrun, 0).uint64(phase === P.PHASE_START ? 0 : o);
      }),
    );
  });
  return w.finish();
}

function bundle(cpu: number, evs: SrcEvent[], compact: boolean): Uint8Array {
  const w = pb.Writer.create();
  sub(w, P.Packet.ftrace_events, (w) => {
    tagged(w, P.Bundle.cpu, 0).uint32(cpu);
    if (evs.some((e) => e.lostBefore > 0)) tagged(w, P.Bundle.lost_events, 0).bool(true);
    const sw: SrcEvent[] = [];
    const wk: SrcEvent[] = [];
    for (const e of evs) {
      if (compact && e.name === 'sched_switch') sw.push(e);
      else if (compact && e.name === 'sched_waking') wk.push(e);
      else
        sub(w, P.Bundle.event, (w) => {
          tagged(w, P.Event.timestamp, 0).uint64(e.ns);
          tagged(w, P.Event.pid, 0).uint32(e.tid);
          eventBody(w, e);
        });
    }
    if (sw.length + wk.length > 0) {
      const C = P.CompactSched;
      const intern: string[] = [];
      const idx = (s: string): number => {
        let i = intern.indexOf(s);
        if (i < 0) i = intern.push(s) - 1;
        return i;
      };
      const sm = sw.map((e) => SWITCH.exec(e.body)!);
      const wm = wk.map((e) => WAKING.exec(e.body)!);
      const swComm = sm.map((m) => idx(m[5]));
      const wkComm = wm.map((m) => idx(m[1]));
      const packed = (field: number, vals: number[], put: (w: pb.Writer, v: number) => void): void => {
        if (vals.length === 0) return;
        w.uint32((field << 3) | P.LEN).fork();
        for (const v of vals) put(w, v);
        w.ldelim();
      };
      const deltas = (es: SrcEvent[]): number[] => es.map((e, i) => (i === 0 ? e.ns : e.ns - es[i - 1].ns));
      sub(w, P.Bundle.compact_sched, () => {
        for (const s of intern) tagged(w, C.intern_table, 2).string(s);
        packed(C.switch_timestamp, deltas(sw), (w, v) => w.uint64(v));
        packed(C.switch_prev_state, sm.map((m) => state(m[4])), (w, v) => w.int64(v));
        packed(C.switch_next_pid, sm.map((m) => Number(m[6])), (w, v) => w.int32(v));
        packed(C.switch_next_prio, sm.map((m) => Number(m[7])), (w, v) => w.int32(v));
        packed(C.switch_next_comm_index, swComm, (w, v) => w.uint32(v));
        packed(C.waking_timestamp, deltas(wk), (w, v) => w.uint64(v));
        packed(C.waking_pid, wm.map((m) => Number(m[2])), (w, v) => w.int32(v));
        packed(C.waking_target_cpu, wm.map((m) => Number(m[4])), (w, v) => w.int32(v));
        packed(C.waking_prio, wm.map((m) => Number(m[3])), (w, v) => w.int32(v));
        packed(C.waking_comm_index, wkComm, (w, v) => w.uint32(v));
      });
    }
  });
  return w.finish();
}

/** The Perfetto trace traced_probes would have written for this recording. */
export function encodePerfetto(src: Source, opts: EncodeOptions = {}): Buffer {
  const drain = opts.drainNs ?? 100_000_000;
  const max = opts.maxPerBundle ?? 400;
  const parts: Uint8Array[] = opts.systemInfo ? [systemInfoPacket(opts.systemInfo), processTree(src)] : [processTree(src)];
  const overrun: number[] = Array.from({ length: src.cpus }, () => 0);
  for (const e of src.events) overrun[e.cpu] += e.lostBefore;
  overrun[0] += src.headerLost;
  // traced_probes writes FtraceStats (one cpu_stats per CPU) when tracing starts and when it ends.
  parts.push(stats(P.PHASE_START, overrun));
  if (src.events.length > 0) {
    let t0 = Infinity;
    for (const e of src.events) if (e.ns < t0) t0 = e.ns;
    // Per drain period, each CPU's events (in file order, as the ring buffer holds them), CPU 0 first.
    const cycles = new Map<number, SrcEvent[][]>();
    for (const e of src.events) {
      const c = Math.floor((e.ns - t0) / drain);
      let per = cycles.get(c);
      if (per === undefined) cycles.set(c, (per = Array.from({ length: src.cpus }, () => [])));
      per[e.cpu].push(e);
    }
    for (const c of [...cycles.keys()].sort((a, b) => a - b)) {
      cycles.get(c)!.forEach((evs, cpu) => {
        for (let i = 0; i < evs.length; i += max) parts.push(bundle(cpu, evs.slice(i, i + max), opts.compactSched === true));
      });
    }
  }
  parts.push(stats(P.PHASE_END, overrun));
  // trace.proto: Trace { repeated TracePacket packet = 1 }
  const w = pb.Writer.create();
  for (const p of parts) w.uint32((P.TRACE_PACKET << 3) | P.LEN).bytes(p);
  return Buffer.from(w.finish());
}

/** trace_processor's `convert systrace` text for the same recording (src/trace_processor/plugins/to_ftrace/to_ftrace.cc). */
export function encodePerfettoText(src: Source): string {
  // SystraceSerializer::SerializePrefix takes the thread's name from the thread table: its last name in the trace.
  const nameOf = new Map<number, string>();
  for (const e of src.events) nameOf.set(e.tid, e.comm);
  const out = [
    '# tracer: nop',
    '#',
    '# entries-in-buffer/entries-written: 30624/30624   #P:4',
    '#',
    '#                                      _-----=> irqs-off',
    '#                                     / _----=> need-resched',
    '#                                    | / _---=> hardirq/softirq',
    '#                                    || / _--=> preempt-depth',
    '#                                    ||| /     delay',
    '#           TASK-PID    TGID   CPU#  ||||    TIMESTAMP  FUNCTION',
    '#              | |        |      |   ||||       |         |',
  ];
  for (const e of src.events) {
    let name = e.tid === 0 ? '<idle>' : (nameOf.get(e.tid) ?? '') || '<unknown>';
    name = name.replace(/-/g, '_');
    const secs = Math.floor(e.ns / 1e9);
    const micros = Math.floor((e.ns % 1e9) / 1000);
    let line = `${name.padStart(16)}-${String(e.tid).padEnd(5)} (${e.tgid > 0 ? String(e.tgid).padStart(5) : '-----'}) [${String(e.cpu).padStart(3, '0')}] .... ${secs}.${String(micros).padStart(6, '0')}:`;
    line += ' ' + (e.name === 'print' ? 'tracing_mark_write' : e.name) + ':' + textArgs(e);
    out.push(line);
  }
  return out.join('\n') + '\n';
}

/** ArgsSerializer::SerializeArgs: ` key=value` per present field in proto field order, numbers in decimal. */
function textArgs(e: SrcEvent): string {
  const b = e.body;
  const kv = (pairs: [string, string | number | bigint][]): string => pairs.map(([k, v]) => ` ${k}=${v}`).join('');
  switch (e.name) {
    case 'rss_stat': {
      const r = rss(b);
      return kv([['member', r.member], ['size', r.size], ['curr', r.curr], ['mm_id', r.mmId]]);
    }
    case 'rss_stat_throttled': {
      const r = rss(b);
      return kv([['curr', r.curr], ['member', r.member], ['mm_id', r.mmId], ['size', r.size]]);
    }
    case 'sched_process_fork': {
      const m = /comm=(.*) pid=(\d+) child_comm=(.*) child_pid=(\d+)/.exec(b)!;
      return kv([['parent_comm', m[1]], ['parent_pid', m[2]], ['child_comm', m[3]], ['child_pid', m[4]]]);
    }
    case 'sched_process_exec': {
      const m = /filename=(.*) pid=(\d+) old_pid=(\d+)/.exec(b)!;
      return kv([['filename', m[1]], ['pid', m[2]], ['old_pid', m[3]]]);
    }
    case 'sched_process_exit': {
      const m = /comm=(.*) pid=(\d+) prio=(-?\d+)/.exec(b)!;
      return kv([['comm', m[1]], ['pid', m[2]], ['prio', m[3]]]);
    }
    case 'task_newtask': {
      const m = /pid=(\d+) comm=(.*) clone_flags=([0-9a-f]+) oom_score_adj=(-?\d+)/.exec(b)!;
      return kv([['pid', m[1]], ['comm', m[2]], ['clone_flags', Number.parseInt(m[3], 16)], ['oom_score_adj', m[4]]]);
    }
    case 'tracing_mark_write':
      return ' ' + b;
  }
  return kv(genericFields(e).map(([k, v]) => [k, 's' in v ? v.s : 'i' in v ? v.i : v.u]));
}
