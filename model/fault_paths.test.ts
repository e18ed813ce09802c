// The fault-path catalogue: closed (every path priced, none declared twice) and the headline fault count built on it.
import { describe, expect, it } from 'vitest';
import { FAULT_PATHS, MAINLINE_PATHS, faultsTaken } from './fault_paths.js';
import { STEP_NAMES } from './costs.js';
import { PATCHES } from './patches/index.js';

describe('faultsTaken', () => {
  it('counts traps only: not a fault a patch would not take, nor a populate record (its pages are GUP faults)', () => {
    expect(faultsTaken({ anon_alloc: 90, wp_page_copy: 5, not_taken: 10, populate: 2 })).toBe(95);
    expect(faultsTaken({})).toBe(0);
  });
});

describe('FAULT_PATHS', () => {
  it('holds mainline paths and each patch path exactly once (a repeat would silently replace an entry)', () => {
    const seen = new Map<string, string>(Object.keys(MAINLINE_PATHS).map((k) => [k, 'mainline']));
    for (const p of PATCHES)
      for (const k of Object.keys(p.paths)) {
        expect(seen.get(k), `${p.name} declares ${k}`).toBeUndefined();
        seen.set(k, p.name);
      }
    expect(Object.keys(FAULT_PATHS).sort()).toEqual([...seen.keys()].sort());
  });
  it('prices every trap with at least one step a profile carries', () => {
    for (const [k, d] of Object.entries(FAULT_PATHS)) {
      for (const s of d.steps) expect(STEP_NAMES as readonly string[], k).toContain(s);
      if (d.trap) expect(d.steps.length, k).toBeGreaterThan(0);
    }
  });
});
