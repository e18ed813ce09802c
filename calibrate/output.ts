// Reads the calibrate program's stdout (traces/workloads/calibrate.c: `info`, `sample`, `fork`, `check` lines).
import { calibrateFailed } from './error.js';

export interface ForkSample {
  kind: string; // 'empty' | '4k' | '4k_sparse' | 'thp'
  bytes: number;
  ptes: number;
  tables: number;
  pmds: number;
  run: number;
  ns: number;
}

export interface CalibrateOutput {
  info: Record<string, string>;
  /** Per step, ns per unit of each timed chunk. */
  samples: Map<string, number[]>;
  /** Per step, the run (`info run N` before it; 0 when there is none) of each value in `samples`. */
  sampleRuns: Map<string, number[]>;
  forks: ForkSample[];
  /** `check NAME GOT WANT` lines: THP allocations seen vs expected. */
  checks: { name: string; got: number; want: number }[];
}

/** Parse the calibrate program's stdout; throws a user error naming the line on anything unexpected. */
export function parseCalibrateOutput(text: string, source = 'calibrate'): CalibrateOutput {
  const out: CalibrateOutput = { info: {}, samples: new Map(), sampleRuns: new Map(), forks: [], checks: [] };
  const lines = text.split('\n');
  let run = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    const f = line.split(/\s+/);
    const bad = (): never => {
      throw calibrateFailed(`${source}:${i + 1}: unexpected output: ${line.slice(0, 80)}`);
    };
    const num = (s: string | undefined): number => {
      const v = Number(s);
      if (s === undefined || s === '' || !Number.isFinite(v)) bad();
      return v;
    };
    switch (f[0]) {
      case 'info':
        if (f.length < 3) bad();
        out.info[f[1]] = f.slice(2).join(' ');
        if (f[1] === 'run') run = num(f[2]);
        break;
      case 'sample': {
        if (f.length !== 4) bad();
        const v = num(f[2]);
        num(f[3]);
        let arr = out.samples.get(f[1]);
        if (!arr) out.samples.set(f[1], (arr = []));
        arr.push(v);
        let runs = out.sampleRuns.get(f[1]);
        if (!runs) out.sampleRuns.set(f[1], (runs = []));
        runs.push(run);
        break;
      }
      case 'fork':
        if (f.length !== 8) bad();
        out.forks.push({ kind: f[1], bytes: num(f[2]), ptes: num(f[3]), tables: num(f[4]), pmds: num(f[5]), run: num(f[6]), ns: num(f[7]) });
        break;
      case 'check':
        if (f.length !== 4) bad();
        out.checks.push({ name: f[1], got: num(f[2]), want: num(f[3]) });
        break;
      default:
        bad();
    }
  }
  if (out.info.done !== '1') throw calibrateFailed(`${source}: the calibrate program stopped before the end (no "info done")`);
  return out;
}
