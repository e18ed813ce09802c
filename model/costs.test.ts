import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEFAULT_PROFILE,
  STEP_NAMES,
  faultCostNs,
  forkCostNs,
  forkReturnNs,
  loadProfile,
  profilesDir,
  trapShareNs,
  validateProfile,
  type CostProfile,
} from './costs.js';
import type { FaultPath, FaultRecord, ForkRecord } from './types.js';

// A tiny hand-made profile: distinct round numbers so each expected sum below can be checked by eye.
const P: CostProfile = {
  name: 'test',
  source: 'hand-made',
  steps: {
    anon_zero_page: 500,
    anon_alloc: 1000,
    wp_page_copy: 900,
    wp_page_copy_zero: 950,
    wp_page_reuse: 200,
    thp_alloc: 100_000,
    thp_zero: 300,
    thp_wp_split: 2000,
    thp_zero_wp: 90_000,
    thp_reuse: 150,
    file_read: 700,
    file_read_per_page: 10,
    file_cow: 1200,
    populate_per_page: 80,
    fork_fixed: 100_000,
    fork_per_pte: 20,
    fork_per_table: 400,
    fork_per_pmd: 600,
    fork_per_shared_table: 30,
    table_alloc: 50,
    cow_pte_table_copy: 5000,
    page_fill_4k: 40,
    page_copy_4k: 60,
    spurious: 120,
    segv: 7000,
  },
};

function fault(path: FaultPath, pagesAllocated = 0, tablesAllocated = 0): FaultRecord {
  return {
    variant: 'mainline', time: 0, cpu: 0, pid: 1, tid: 1, comm: 't', address: 0x1000, errorCode: 6, path,
    vmaStart: 0, vmaEnd: 0x200000, vmaFlags: 0, pagesAllocated, tablesAllocated, latencyNs: 0, inferred: false,
  };
}

function fork(ptesCopied: number, tablesCopied: number, tablesShared: number, pmdsCopied: number): ForkRecord {
  return { variant: 'mainline', time: 0, pid: 1, comm: 't', childPid: 2, ptesCopied, tablesCopied, tablesShared, pmdsCopied, latencyNs: 0 };
}

describe('faultCostNs', () => {
  it('is 0 without a profile', () => {
    expect(faultCostNs(null, fault('anon_alloc', 1, 1))).toBe(0);
  });
  it('adds one table_alloc per table the fault allocated', () => {
    expect(faultCostNs(P, fault('anon_alloc', 1, 0))).toBe(1000);
    expect(faultCostNs(P, fault('anon_alloc', 1, 1))).toBe(1050);
    expect(faultCostNs(P, fault('anon_alloc', 1, 3))).toBe(1150); // PUD + PMD + PTE tables
    expect(faultCostNs(P, fault('anon_zero_page', 0, 1))).toBe(550);
    expect(faultCostNs(P, fault('wp_page_reuse'))).toBe(200);
  });
  it('does not charge a THP fault for its deposited table again', () => {
    expect(faultCostNs(P, fault('thp_alloc', 512, 1))).toBe(100_000);
    expect(faultCostNs(P, fault('thp_alloc', 512, 2))).toBe(100_050); // deposit + a new PMD table
    expect(faultCostNs(P, fault('thp_zero', 0, 1))).toBe(300);
  });
  it('tells the three do_huge_pmd_wp_page outcomes apart by what was allocated', () => {
    expect(faultCostNs(P, fault('thp_wp', 512))).toBe(90_000); // huge zero -> new THP (6.13+)
    expect(faultCostNs(P, fault('thp_wp', 1))).toBe(2000); // split + 4 KiB copy
    expect(faultCostNs(P, fault('thp_wp', 0))).toBe(150); // PMD reuse
  });
  it('prices fault-around pages beyond the first', () => {
    expect(faultCostNs(P, fault('file_read', 16, 0))).toBe(700 + 15 * 10);
    expect(faultCostNs(P, fault('file_read', 1, 1))).toBe(750);
    expect(faultCostNs(P, fault('file_read', 0, 0))).toBe(700);
  });
  it('maps patch paths onto mainline steps', () => {
    expect(faultCostNs(P, fault('pattern_fill', 1))).toBe(1000 + 40);
    expect(faultCostNs(P, fault('refpage_fill', 1))).toBe(1000 + 60);
    expect(faultCostNs(P, fault('refpage_read', 0))).toBe(500);
    expect(faultCostNs(P, fault('refpage_copy', 1))).toBe(900); // wp_page_copy from the refpage: alloc + a 4 KiB copy
  });
  it('prices a COW from the zero pfn as its zeroed allocation, and a pfn mapping as a special-PTE fault', () => {
    expect(faultCostNs(P, fault('wp_page_copy_zero', 1))).toBe(950);
    expect(faultCostNs(P, fault('pfnmap', 0, 1))).toBe(500 + 50);
  });
  it('adds the table copy when a fault broke a COW PTE table on its way (tablesCopied)', () => {
    const r = fault('wp_page_copy', 1, 1);
    r.tablesCopied = 1;
    expect(faultCostNs(P, r)).toBe(900 + 5000 + 50); // COW copy + table copy + the new table
  });
  it('multiplies GUP population by the pages populated', () => {
    expect(faultCostNs(P, fault('populate', 512, 1))).toBe(512 * 80 + 50);
  });
});

describe('forkCostNs', () => {
  it('is fixed + per PTE + per table + per shared table + per PMD', () => {
    // 1 GiB of 4K pages: 262144 PTEs in 512 tables
    expect(forkCostNs(P, fork(262_144, 512, 0, 0))).toBe(100_000 + 262_144 * 20 + 512 * 400);
    // 1 GiB of THP: 512 PMDs
    expect(forkCostNs(P, fork(0, 0, 0, 512))).toBe(100_000 + 512 * 600);
    // COW PTE: tables shared, not copied
    expect(forkCostNs(P, fork(0, 0, 512, 0))).toBe(100_000 + 512 * 30);
    expect(forkCostNs(null, fork(1, 1, 1, 1))).toBe(0);
  });
});

describe('forkReturnNs', () => {
  it('prices the return after fork per table and per PTE copied, only where the profile names those figures', () => {
    expect(forkReturnNs(P, fork(262_144, 512, 0, 0))).toBeNull(); // a machine that walks the guest's tables itself
    const shadow: CostProfile = { ...P, steps: { ...P.steps, fork_return_per_table: 6000, fork_return_per_pte: 50 } };
    expect(forkReturnNs(shadow, fork(262_144, 512, 0, 0))).toBe(512 * 6000 + 262_144 * 50);
    expect(forkReturnNs(shadow, fork(0, 0, 512, 0))).toBe(0); // shared tables are not copied: nothing write-protected here
    // the shipped x86_64 profile carries this machine type's figures (recordings of 2026-12-02): 1 GiB is 15-20 ms
    const ns = forkReturnNs(loadProfile(DEFAULT_PROFILE), fork(262_144, 512, 0, 0))!;
    expect(ns).toBeGreaterThan(15e6);
    expect(ns).toBeLessThan(20e6);
  });
});

describe('trapShareNs', () => {
  const p: CostProfile = { name: 't', source: 't', steps: { anon_alloc: 12_000, anon_alloc_trap: 11_000, wp_page_copy: 50_000, wp_page_copy_trap: 45_000, file_cow: 13_000 } };
  it("a one-step path's own <step>_trap; else anon_alloc's; 0 for a path that is no trap; null without any", () => {
    expect(trapShareNs(p, 'wp_page_copy')).toEqual({ ns: 45_000, own: true });
    expect(trapShareNs(p, 'file_cow')).toEqual({ ns: 11_000, own: false });
    expect(trapShareNs(p, 'thp_wp')).toEqual({ ns: 11_000, own: false }); // three outcomes: no one step's share
    expect(trapShareNs(p, 'populate')).toEqual({ ns: 0, own: true }); // GUP faults from a syscall
    expect(trapShareNs({ ...p, steps: { anon_alloc: 12_000 } }, 'anon_alloc')).toBeNull();
  });
  it('the shipped profile names the shares calibrate measured (trapped - GUP twin)', () => {
    const shipped = loadProfile();
    expect(trapShareNs(shipped, 'anon_alloc')!.ns).toBe(shipped.steps.anon_alloc! - shipped.steps.anon_alloc_kernel!);
  });
});

function tmpFile(name: string, text: string): string {
  const f = join(mkdtempSync(join(tmpdir(), 'fl-costs-')), name);
  writeFileSync(f, text);
  return f;
}

function validFile(): Record<string, unknown> {
  const steps: Record<string, unknown> = {};
  for (const k of STEP_NAMES) steps[k] = { median_ns: 10, p10_ns: 5, p90_ns: 20, samples: 3 };
  return { schema: 'faultline-cost-profile/1', name: 'x', arch: 'x86_64', source: 'test', steps };
}

describe('profile files', () => {
  it('accepts a complete profile and turns medians into steps', () => {
    const f = tmpFile('ok.json', JSON.stringify(validFile()));
    const p = loadProfile(f);
    expect(p.steps.anon_alloc).toBe(10);
    expect(Object.keys(p.steps)).toHaveLength(STEP_NAMES.length);
  });
  it('names the file and the missing step', () => {
    const o = validFile();
    delete (o.steps as Record<string, unknown>).table_alloc;
    expect(() => validateProfile(o, 'p.json')).toThrow(/^p\.json: .*"table_alloc" is missing/);
  });
  it('rejects a missing source, bad spread, and an unmeasured step without a formula', () => {
    const a = validFile();
    delete a.source;
    expect(() => validateProfile(a, 'a.json')).toThrow(/missing "source"/);
    const b = validFile();
    (b.steps as Record<string, Record<string, number>>).segv.p10_ns = 50;
    expect(() => validateProfile(b, 'b.json')).toThrow(/segv.*p10 <= median <= p90/);
    const c = validFile();
    (c.steps as Record<string, Record<string, number>>).segv.samples = 0;
    expect(() => validateProfile(c, 'c.json')).toThrow(/segv.*"derived" or "citation"/);
    expect(() => validateProfile([], 'd.json')).toThrow(/d\.json: not a cost profile/);
  });
  it('gives one-line errors for unreadable and non-JSON files', () => {
    expect(() => loadProfile('/nonexistent/x.json')).toThrow(/^\/nonexistent\/x\.json: cannot read/);
    expect(() => loadProfile(tmpFile('bad.json', '{ nope'))).toThrow(/bad\.json: not valid JSON/);
    expect(() => loadProfile('no-such-profile')).toThrow(/no shipped cost profile "no-such-profile"/);
  });
  it('ships a valid default and a valid arm64 profile, each saying where its numbers came from', () => {
    for (const name of [DEFAULT_PROFILE, 'arm64-pixel-published']) {
      const raw = JSON.parse(readFileSync(join(profilesDir(), `${name}.json`), 'utf8'));
      const f = validateProfile(raw, name);
      expect(f.source.length).toBeGreaterThan(20);
      for (const k of STEP_NAMES) expect(f.steps[k].median_ns).toBeGreaterThan(0);
    }
    const arm = JSON.parse(readFileSync(join(profilesDir(), 'arm64-pixel-published.json'), 'utf8'));
    expect(arm.source).toMatch(/PUBLISHED/);
    // every arm64 step is cited or derived by a stated formula: nothing is measured
    for (const k of STEP_NAMES) expect(arm.steps[k].citation ?? arm.steps[k].derived).toBeTruthy();
  });
});
