// Patches come from an explicit list: a replay asked for one needs no import for side effects, and a variant's hooks
// are resolved once, with mainline's behaviour where no patch implements a hook.
import { describe, expect, it } from 'vitest';
import { createReplay, defaultVariant } from '../replay.js';
import { resolveHooks } from './hooks.js';
import { getPatch, PATCHES } from './index.js';
import * as F from '../flags.js';
import type { ModelCtx } from '../state.js';

const ctx = {} as ModelCtx; // the mainline defaults read nothing from ctx

describe('patch list', () => {
  it('createReplay with a patch works with nothing but the replay imported', () => {
    expect(() => createReplay([defaultVariant({ name: 'cow-pte', patches: ['cow-pte'] })])).not.toThrow();
    expect(() => createReplay([defaultVariant({ name: 'x', patches: ['no-such-patch'] })])).toThrow(/unknown patch 'no-such-patch'/);
  });
  it('lists every patch once by name', () => {
    const names = PATCHES.map((p) => p.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(expect.arrayContaining(['cow-pte', 'refpage', 'refpage-fd', 'pattern-populate', 'memset', 'eager-populate']));
  });
});

describe('resolveHooks', () => {
  it('mainline: the zero pfn is the only special page, and no hook handles anything', () => {
    const h = resolveHooks([]);
    expect(h.patched).toBe(false);
    expect(Object.isFrozen(h)).toBe(true);
    expect(h.is_zero_pfn(ctx, F.PTE_PRESENT | F.PTE_ZERO)).toBe(true);
    expect(h.is_zero_pfn(ctx, F.PTE_PRESENT | F.PTE_REFPAGE)).toBe(false);
    expect(h.break_cow_pte(ctx, null as never, 0, 4096, 'munmap')).toBe(0);
    expect(h.thp_vma_suitable_order(ctx, null as never, 0)).toBeUndefined();
  });
  it('refpage: a refpage PTE counts as the zero page (is_zero_or_refpage_pfn), the zero page still does', () => {
    const h = resolveHooks([getPatch('refpage')!]);
    expect(h.patched).toBe(true);
    expect(h.is_zero_pfn(ctx, F.PTE_PRESENT | F.PTE_REFPAGE)).toBe(true);
    expect(h.is_zero_pfn(ctx, F.PTE_PRESENT | F.PTE_ZERO)).toBe(true);
    expect(h.is_zero_pfn(ctx, F.PTE_PRESENT)).toBe(false);
  });
});
