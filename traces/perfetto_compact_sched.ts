// FtraceEventBundle.CompactSched: the columnar sched_switch / sched_waking form Perfetto writes by default, turned
// back into one event each; prev_* of a switch come from the CPU's previous switch (the columns do not hold them).
import type { TraceEvent } from './events.js';
import { exact, i64, u64, type Reader } from './perfetto_wire.js';
import { setComm } from './perfetto_tasks.js';
import { other, type Decoder } from './perfetto_ftrace.js';
import * as P from './perfetto_proto.js';

/** FtraceEventBundle.CompactSched: columns to sched_switch / sched_waking events (prev_* from the CPU's last switch). */
export function compactSched(d: Decoder, r: Reader, end: number, cpu: number, out: TraceEvent[]): void {
  const C = P.CompactSched;
  const cols: Record<number, number[]> = {};
  const interned: string[] = [];
  while (r.pos < end) {
    const t = r.uint32();
    const g = t >>> 3;
    if (g === C.intern_table) {
      interned.push(r.string());
      continue;
    }
    const col = (cols[g] ??= []);
    const signed64 = g === C.switch_prev_state;
    const isU64 = g === C.switch_timestamp || g === C.waking_timestamp;
    const one = (): number => (isU64 ? (exact(u64(r)) ?? NaN) : signed64 ? (exact(i64(r)) ?? NaN) : g === C.switch_next_comm_index || g === C.waking_comm_index || g === C.waking_common_flags ? r.uint32() : r.int32());
    if ((t & 7) === P.LEN) {
      const e = r.uint32() + r.pos;
      while (r.pos < e) col.push(one());
    } else if ((t & 7) === P.VARINT) col.push(one());
    else r.skipType(t & 7);
  }
  const get = (g: number, i: number): number => cols[g]?.[i] ?? 0;
  let ts = 0;
  const switches = cols[C.switch_timestamp]?.length ?? 0;
  for (let i = 0; i < switches; i++) {
    ts += get(C.switch_timestamp, i);
    const prev = d.tasks.running.get(cpu);
    const nextPid = get(C.switch_next_pid, i);
    const nextComm = interned[get(C.switch_next_comm_index, i)] ?? '';
    const nextPrio = get(C.switch_next_prio, i);
    const prevPid = prev?.pid ?? -1;
    out.push(other(d, 'sched_switch', {
      prev_comm: prev?.comm ?? '', prev_pid: prevPid, prev_prio: prev?.prio ?? -1, prev_state: get(C.switch_prev_state, i),
      next_comm: nextComm, next_pid: nextPid, next_prio: nextPrio,
    }, ts, cpu, prevPid));
    d.tasks.running.set(cpu, { pid: nextPid, prio: nextPrio, comm: nextComm });
    if (nextPid > 0) setComm(d.tasks, nextPid, nextComm);
  }
  ts = 0;
  const wakings = cols[C.waking_timestamp]?.length ?? 0;
  for (let i = 0; i < wakings; i++) {
    ts += get(C.waking_timestamp, i);
    // The waker is not recorded: the task running on the CPU (from the switches) stands for it.
    const cur = d.tasks.running.get(cpu)?.pid ?? -1;
    out.push(other(d, 'sched_waking', {
      comm: interned[get(C.waking_comm_index, i)] ?? '', pid: get(C.waking_pid, i), prio: get(C.waking_prio, i), target_cpu: get(C.waking_target_cpu, i),
    }, ts, cpu, cur));
  }
}
