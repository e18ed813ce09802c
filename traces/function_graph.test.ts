// The function_graph text adapter: entries, exits and leaves, with the optional columns.
import { describe, expect, it } from 'vitest';
import { parseFunctionGraphLine } from './function_graph.js';

describe('parseFunctionGraphLine', () => {
  it('reads entries, exits (with and without funcgraph-tail) and leaves', () => {
    expect(parseFunctionGraphLine(' 1)               |  handle_mm_fault() {')).toEqual({ cpu: 1, kind: 'entry', func: 'handle_mm_fault', depth: 1, durationNs: NaN });
    expect(parseFunctionGraphLine(' 1)   3.456 us    |  }')).toMatchObject({ cpu: 1, kind: 'exit', func: '', durationNs: 3456 });
    expect(parseFunctionGraphLine(' 0) + 12.5 us    |  } /* handle_mm_fault */')).toMatchObject({ kind: 'exit', func: 'handle_mm_fault', durationNs: 12500 });
    expect(parseFunctionGraphLine(' 0)   0.198 us    |    _raw_spin_lock();')).toMatchObject({ kind: 'leaf', func: '_raw_spin_lock', durationNs: 198 });
    // funcgraph-proc adds a task column before the duration
    expect(parseFunctionGraphLine(' 0)    bash-1234    |   2.000 us    |  handle_mm_fault();')).toMatchObject({ cpu: 0, kind: 'leaf', durationNs: 2000 });
    expect(parseFunctionGraphLine('sched_switch: prev_comm=a')).toBeNull();
  });
});
