// The file read notes (model/engine_state.ts): reused per tid instead of deleted (a Map emptied by each delete
// reallocates its table), with a live count that the engine's fast path reads instead of Map.size.
import { describe, expect, it } from 'vitest';
import { dropFileRead, endFileRead, noteFileRead, type EngineState } from './engine_state.js';
import { createEngine } from './engine.js';
import { createMm } from './mm.js';
import { buildVariants } from './variants.js';

const fresh = (): Pick<EngineState, 'fileRead' | 'fileReadLive' | 'ctx'> => ({ fileRead: new Map(), fileReadLive: 0, ctx });
const ctx = createEngine(buildVariants()[0]!, {}, null, 64, null).ctx;

describe('file read notes', () => {
  it('count each live tid once, reuse the entry, and end once', () => {
    const st = fresh();
    const a = createMm(ctx, 1, false), b = createMm(ctx, 2, false);
    noteFileRead(st, 10, a);
    noteFileRead(st, 10, b); // the same thread's next read fault: still one live note, now for b
    noteFileRead(st, 11, a);
    expect(st.fileReadLive).toBe(2);
    expect(st.fileRead.get(10)).toEqual({ mm: b, own: false, page: -1 });
    st.fileRead.get(10)!.own = true;
    const entry = st.fileRead.get(10);
    endFileRead(st, 10);
    endFileRead(st, 10); // a second end (its next event after the second count) changes nothing
    endFileRead(st, 99); // a tid with no note
    expect(st.fileReadLive).toBe(1);
    expect(st.fileRead.get(10)?.mm).toBeNull();
    noteFileRead(st, 10, a);
    expect(st.fileRead.get(10)).toBe(entry); // reused, not a new record
    expect(st.fileRead.get(10)).toEqual({ mm: a, own: false, page: -1 }); // and its own flag reset
    expect(st.fileReadLive).toBe(2);
  });

  it('drop removes a spent note only: a live one stays for its rss_stat', () => {
    const st = fresh();
    const a = createMm(ctx, 1, false);
    noteFileRead(st, 10, a);
    dropFileRead(st, 10);
    expect(st.fileRead.has(10)).toBe(true);
    endFileRead(st, 10);
    dropFileRead(st, 10);
    expect(st.fileRead.size).toBe(0);
    expect(st.fileReadLive).toBe(0);
  });
});
