// Variant building: mainline first, one variant per --patch item / --thp policy, names that say what differs, and
// one-line errors for unknown names, bad policies, options and selectors.
import { describe, expect, it } from 'vitest';
import { buildVariants, parsePatchOptions } from './variants.js';

describe('buildVariants', () => {
  it('is mainline alone by default, with the THP policy the trace shows (madvise until it does) and the zero page', () => {
    expect(buildVariants()).toEqual([
      { name: 'mainline', patches: [], thp: 'madvise', thpFromTrace: true, useZeroPage: true, kernel: '6.18', select: 'anon && private && write && !stack && !inferred', patchOptions: {} },
    ]);
  });

  it('adds one variant per patch item in order, splitting commas and dropping duplicates', () => {
    const vs = buildVariants({ patch: ['refpage,pattern-populate', 'memset', 'refpage'] });
    expect(vs.map((v) => v.name)).toEqual(['mainline', 'refpage', 'pattern-populate', 'memset']);
    expect(vs[2]!.patches).toEqual(['pattern-populate']);
  });

  it("combines patches with '+' and varies THP / zero page inside an item", () => {
    const vs = buildVariants({ patch: ['refpage+cow-pte', 'refpage+thp=always', 'memset+no-zero-page'] });
    expect(vs.slice(1).map((v) => [v.name, v.patches, v.thp, v.useZeroPage])).toEqual([
      ['refpage+cow-pte', ['refpage', 'cow-pte'], 'madvise', true],
      ['refpage+thp=always', ['refpage'], 'always', true],
      ['memset+no-zero-page', ['memset'], 'madvise', false],
    ]);
  });

  it("'PATCH=OPTION' in an item sets that variant's option only, so v1/v2 and v3 run side by side", () => {
    const vs = buildVariants({ patch: ['cow-pte', 'cow-pte=v3'] });
    expect(vs.slice(1).map((v) => [v.name, v.patches, v.patchOptions])).toEqual([
      ['cow-pte', ['cow-pte'], {}],
      ['cow-pte=v3', ['cow-pte'], { 'cow-pte': 'v3' }],
    ]);
  });

  it('--thp and --no-zero-page add mainline variants named after the difference', () => {
    const vs = buildVariants({ thp: ['never', 'always'], zeroPage: false });
    expect(vs.map((v) => [v.name, v.thp, v.useZeroPage])).toEqual([
      ['mainline', 'madvise', true],
      ['thp=never', 'never', true],
      ['thp=always', 'always', true],
      ['no-zero-page', 'madvise', false],
    ]);
  });

  it('a learnt base names every explicit THP policy (madvise too); a given --base-thp is mainline itself', () => {
    const learnt = buildVariants({ thp: ['madvise'], patch: ['refpage', 'refpage+thp=madvise'] });
    expect(learnt.map((v) => [v.name, v.thp, v.thpFromTrace ?? false])).toEqual([
      ['mainline', 'madvise', true],
      ['refpage', 'madvise', true],
      ['refpage+thp=madvise', 'madvise', false],
      ['thp=madvise', 'madvise', false],
    ]);
    const given = buildVariants({ baseThp: 'madvise', thp: ['madvise', 'always'], patch: ['refpage+thp=madvise'] });
    expect(given.map((v) => [v.name, v.thp, v.thpFromTrace ?? false])).toEqual([
      ['mainline', 'madvise', false],
      ['refpage', 'madvise', false],
      ['thp=always', 'always', false],
    ]);
  });

  it('a base without the zero page (a pvm_no_zero_page machine) makes --no-zero-page a no-op and names the rest plainly', () => {
    const vs = buildVariants({ baseZeroPage: false, patch: ['refpage'], zeroPage: false });
    expect(vs.map((v) => [v.name, v.useZeroPage])).toEqual([['mainline', false], ['refpage', false]]);
  });

  it('passes --select, --kernel and --patch-option to every variant', () => {
    const vs = buildVariants({ patch: ['cow-pte'], select: 'anon && size >= 1m', kernel: '6.12', patchOption: ['cow-pte=v3'] });
    for (const v of vs) expect([v.select, v.kernel, v.patchOptions]).toEqual(['anon && size >= 1m', '6.12', { 'cow-pte': 'v3' }]);
  });

  it('rejects unknown patches, THP policies, option keys and bad selectors with one line naming them', () => {
    expect(() => buildVariants({ patch: ['refpgae'] })).toThrow(/^--patch refpgae: unknown patch 'refpgae' \(known: cow-pte, eager-populate, memset, mshare, mshare-transparent, mthp, pattern-populate, pt-reclaim, refpage, refpage-fd, thp-shrinker; see faultline patches\)$/);
    expect(() => buildVariants({ thp: ['sometimes'] })).toThrow("--thp: 'sometimes' is not a THP policy (expected always, madvise, never)");
    expect(() => buildVariants({ patch: ['refpage+thp=maybe'] })).toThrow(/--patch refpage\+thp=maybe: 'maybe' is not a THP policy/);
    expect(() => parsePatchOptions(['cow-pte'])).toThrow("--patch-option 'cow-pte': expected PATCH=VALUE, e.g. cow-pte=v3");
    expect(() => parsePatchOptions(['cowpte=v3'])).toThrow(/unknown patch 'cowpte'/);
    expect(() => buildVariants({ select: 'size >' })).toThrow(/^--select: expression ends early/);
    expect(() => buildVariants({ kernel: 'six' })).toThrow(/--kernel: 'six' is not a kernel version/);
  });
});
