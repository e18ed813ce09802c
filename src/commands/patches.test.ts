// `faultline patches` and the shared what-if options: every patch listed with its thread, --json round-trips, and
// the options parse into the variants replay/query/report run (bad values are one-line usage errors).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Command } from 'commander';
import { patchesText, registerPatches } from './patches.js';
import { statusColumn, statusText } from '../../model/patches/patch.js';
import { addOptions, VARIANT_OPTIONS, type VariantCliOptions } from '../options.js';
import { variantsFromCli } from '../variants.js';

afterEach(() => vi.restoreAllMocks());

const NAMES = ['cow-pte', 'eager-populate', 'memset', 'mshare', 'mshare-transparent', 'mthp', 'pattern-populate', 'pt-reclaim', 'refpage', 'refpage-fd', 'thp-shrinker'];

describe('faultline patches', () => {
  it('lists every patch, each with a status column and status, source and reproduces lines', () => {
    const lines = patchesText().trimEnd().split('\n');
    // the patches, then each variant-option feature with its 'pick with' line: guard regions (6.13) and MAP_DROPPABLE
    // (6.11) by the kernel version replayed, 16 KiB pages by --page-size 16k
    expect(lines).toHaveLength(4 * NAMES.length + 3 * 5);
    expect(lines[4 * NAMES.length]!.split(/\s+/).slice(0, 3)).toEqual(['guard-regions', 'mainline', '6.13']);
    expect(lines[4 * NAMES.length + 1]!.trim()).toMatch(/^pick with: --kernel 6.13 or later/);
    expect(lines[4 * NAMES.length + 2]!.trim()).toBe('status: mainline since 6.13');
    expect(lines[4 * NAMES.length + 3]!.trim()).toMatch(/^source: Lorenzo Stoakes, .*guard pages/);
    expect(lines[4 * NAMES.length + 5]!.split(/\s+/).slice(0, 3)).toEqual(['map-droppable', 'mainline', '6.11']);
    expect(lines[4 * NAMES.length + 7]!.trim()).toBe('status: mainline since 6.11');
    expect(lines[4 * NAMES.length + 10]!.split(/\s+/).slice(0, 2)).toEqual(['page-size=16k', 'proposed']);
    expect(lines[4 * NAMES.length + 11]!.trim()).toBe('pick with: --page-size 16k');
    for (let i = 0; i < NAMES.length; i++) {
      expect(lines[4 * i]!.split(/\s+/)[0]).toBe(NAMES[i]);
      expect(lines[4 * i]!.split(/\s+/)[1]).toMatch(/^(mainline|proposed|abandoned|what-if)$/);
      expect(lines[4 * i + 1]!.trim()).toMatch(/^status: (mainline since \d|proposed \(.*, \d{4}\)|abandoned \(.+\)|what-if \(no kernel patch: .+\))/);
      expect(lines[4 * i + 2]!.trim()).toMatch(/^source: .*(seed|thread|PATCH|wiki)/);
      expect(lines[4 * i + 3]!.trim()).toMatch(/^reproduces: ./);
    }
    expect(patchesText()).toContain('Chih-En Lin');
    expect(patchesText()).toContain('Collingbourne');
  });

  it('cow-pte is abandoned: no posting after v5 (2023), and the reproduced cover-letter numbers', () => {
    const lines = patchesText().split('\n');
    const at = lines.findIndex((l) => l.startsWith('cow-pte '));
    expect(lines[at]!.split(/\s+/)[1]).toBe('abandoned');
    expect(lines[at + 1]).toMatch(/status: abandoned \(no posting followed v5 \(2023-04-14\); the February 2026 review/);
    expect(lines[at + 3]).toMatch(/2096 kB -> 44 kB/);
  });

  it('the status text for each kind of the closed union', () => {
    expect(statusText({ kind: 'mainline', since: '6.8' })).toBe('mainline since 6.8');
    expect(statusColumn({ kind: 'mainline', since: '6.8' })).toBe('mainline 6.8');
    expect(statusText({ kind: 'proposed', latest: 'v3', year: 2025 })).toBe('proposed (v3, 2025)');
    expect(statusColumn({ kind: 'proposed', latest: 'v3', year: 2025 })).toBe('proposed 2025');
    expect(statusText({ kind: 'abandoned', why: 'no v6' })).toBe('abandoned (no v6)');
    expect(statusText({ kind: 'what-if', over: 'MAP_POPULATE' })).toBe('what-if (no kernel patch: MAP_POPULATE)');
  });

  it('--json prints name, option, description, status record with its text, source and reproduces for each', async () => {
    const out: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => (out.push(String(s)), true));
    const program = new Command().exitOverride();
    registerPatches(program);
    await program.parseAsync(['node', 'faultline', 'patches', '--json']);
    const ps = JSON.parse(out.join('')) as { name: string; option: string; description: string; status: { kind: string; text: string }; source: string; reproduces: string }[];
    expect(ps.map((p) => p.name)).toEqual([...NAMES, 'guard-regions', 'map-droppable', 'page-size=16k']);
    expect(ps.map((p) => p.option).slice(0, NAMES.length)).toEqual(NAMES.map((n) => `--patch ${n}`));
    expect(ps.at(-1)!.option).toBe('--page-size 16k');
    expect(ps.map((p) => p.status.kind)).toEqual(['abandoned', 'what-if', 'what-if', 'proposed', 'what-if', 'mainline', 'abandoned', 'mainline', 'abandoned', 'abandoned', 'mainline', 'mainline', 'mainline', 'proposed']);
    expect(ps.find((p) => p.name === 'mshare')!.status).toMatchObject({ kind: 'proposed', year: 2025 });
    const cow = ps.find((p) => p.name === 'cow-pte')!;
    expect(cow.status).toMatchObject({ kind: 'abandoned', why: expect.stringMatching(/^no posting followed v5 \(2023-04-14\)/) });
    expect(cow.status.text).toBe(`abandoned (${(cow.status as unknown as { why: string }).why})`);
    for (const p of ps) {
      expect(p.description.length).toBeGreaterThan(20);
      expect(p.reproduces.length).toBeGreaterThan(10);
    }
  });
});

async function parse(argv: string[]): Promise<Partial<VariantCliOptions>> {
  let got: Partial<VariantCliOptions> = {};
  const program = new Command().exitOverride();
  addOptions(program.command('replay').argument('<trace>'), VARIANT_OPTIONS).action((_t: string, o: Partial<VariantCliOptions>) => {
    got = o;
  });
  await program.parseAsync(['node', 'faultline', 'replay', 't.txt', ...argv]);
  return got;
}

describe('what-if options', () => {
  it('repeated and comma-separated --patch, --thp, --no-zero-page and --patch-option become variants', async () => {
    const o = await parse(['--patch', 'refpage,memset', '--patch', 'cow-pte', '--thp', 'never', '--no-zero-page', '--patch-option', 'cow-pte=v3', '--select', 'anon && size >= 1m']);
    const vs = variantsFromCli(o);
    expect(vs.map((v) => v.name)).toEqual(['mainline', 'refpage', 'memset', 'cow-pte', 'thp=never', 'no-zero-page']);
    expect(vs[3]!.patchOptions).toEqual({ 'cow-pte': 'v3' });
    expect(vs.every((v) => v.select === 'anon && size >= 1m')).toBe(true);
  });

  it('no options: mainline only; --base-thp changes mainline itself', async () => {
    expect(variantsFromCli(await parse([])).map((v) => v.name)).toEqual(['mainline']);
    const vs = variantsFromCli(await parse(['--base-thp', 'always', '--patch', 'refpage']));
    expect(vs.map((v) => [v.name, v.thp])).toEqual([['mainline', 'always'], ['refpage', 'always']]);
  });

  it('bad values are one-line usage errors', async () => {
    expect(() => variantsFromCli({ patch: ['nope'] })).toThrow(expect.objectContaining({ kind: 'user', exitCode: 2, message: expect.stringMatching(/^--patch nope: unknown patch 'nope'/) }));
    expect(() => variantsFromCli({ baseThp: 'sometimes' })).toThrow(expect.objectContaining({ kind: 'user', exitCode: 2 }));
    expect(() => variantsFromCli({ select: 'size >>' })).toThrow(expect.objectContaining({ kind: 'user', exitCode: 2, message: expect.stringMatching(/^--select: /) }));
  });
});
