// `faultline patches` and the shared what-if options: every patch listed with its thread, --json round-trips, and
// the options parse into the variants replay/query/report run (bad values are one-line usage errors).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Command } from 'commander';
import { patchesText, registerPatches } from './patches.js';
import { addOptions, VARIANT_OPTIONS, type VariantCliOptions } from '../options.js';
import { variantsFromCli } from '../variants.js';

afterEach(() => vi.restoreAllMocks());

const NAMES = ['cow-pte', 'eager-populate', 'memset', 'mthp', 'pattern-populate', 'pt-reclaim', 'refpage', 'refpage-fd', 'thp-shrinker'];

describe('faultline patches', () => {
  it('lists the six patches, each with a description line and a source line naming its thread', () => {
    const lines = patchesText().trimEnd().split('\n');
    expect(lines).toHaveLength(2 * NAMES.length);
    for (let i = 0; i < NAMES.length; i++) {
      expect(lines[2 * i]!.split(/\s+/)[0]).toBe(NAMES[i]);
      expect(lines[2 * i + 1]!.trim()).toMatch(/^source: .*(seed|thread|PATCH|wiki)/);
    }
    expect(patchesText()).toContain('Chih-En Lin');
    expect(patchesText()).toContain('Collingbourne');
  });

  it('--json prints name, description and source for each', async () => {
    const out: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => (out.push(String(s)), true));
    const program = new Command().exitOverride();
    registerPatches(program);
    await program.parseAsync(['node', 'faultline', 'patches', '--json']);
    const ps = JSON.parse(out.join('')) as { name: string; description: string; source: string }[];
    expect(ps.map((p) => p.name)).toEqual(NAMES);
    for (const p of ps) expect(p.description.length).toBeGreaterThan(20);
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
