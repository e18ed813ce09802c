import { afterEach, describe, expect, it } from 'vitest';
import * as F from './flags.js';
import { GEOMETRIES, useGeometry } from './page_geometry.js';

const KiB = 1024, MiB = 1024 * KiB, GiB = 1024 * MiB;

describe('page geometry (arch/x86 pgtable_64_types.h, arch/arm64 pgtable-hwdef.h)', () => {
  afterEach(() => useGeometry(GEOMETRIES['4k']));

  it('4k: 512 entries, a PTE table spans 2 MiB, a PMD table 1 GiB, a PUD table 512 GiB', () => {
    useGeometry(GEOMETRIES['4k']);
    expect([F.PAGE_SIZE, F.PTRS, F.PMD_SIZE, F.PUD_SIZE, F.PGDIR_SIZE, F.TABLE_BYTES, F.FAULT_AROUND_PAGES]).toEqual([4 * KiB, 512, 2 * MiB, GiB, 512 * GiB, 4 * KiB, 16]);
  });

  it('16k (VA_BITS=47, 3 levels): 2048 entries, PTE table 32 MiB, PMD table 64 GiB, no PUD tables, 16 KiB tables', () => {
    useGeometry(GEOMETRIES['16k']);
    expect([F.PAGE_SIZE, F.PTRS, F.PMD_SIZE, F.PUD_SIZE, F.PGDIR_SIZE, F.TABLE_BYTES, F.FAULT_AROUND_PAGES]).toEqual([16 * KiB, 2048, 32 * MiB, 64 * GiB, 0, 16 * KiB, 4]);
  });

  it('64k (VA_BITS=42, 2 levels): 8192 entries, PTE table 512 MiB, no PMD or PUD tables, 64 KiB tables', () => {
    useGeometry(GEOMETRIES['64k']);
    expect([F.PAGE_SIZE, F.PTRS, F.PMD_SIZE, F.PUD_SIZE, F.PGDIR_SIZE, F.TABLE_BYTES, F.FAULT_AROUND_PAGES]).toEqual([64 * KiB, 8192, 512 * MiB, 0, 0, 64 * KiB, 1]);
  });
});
