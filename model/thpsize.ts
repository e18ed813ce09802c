// Per-size THP settings (mm/huge_memory.c: thpsize_create, anon_enabled_store): the values of
// /sys/kernel/mm/transparent_hugepage/hugepages-<size>kB/enabled (6.8+, 19eaf44954df) as order bit masks.
import { userError } from '../traces/errors.js';

/** mm/huge_memory.c: anon_enabled_show: the four values of a per-size enabled file. */
export const MTHP_POLICIES = ['always', 'inherit', 'madvise', 'never'] as const;
export type MthpPolicy = (typeof MTHP_POLICIES)[number];

/** x86-64 with 4 KiB pages: THP_ORDERS_ALL_ANON = orders 2..9, 16 KiB to 2 MiB (PMD_ORDER 9). */
export const PMD_ORDER = 9;
/**
 * The sizes with an anon `enabled` file, smallest first, as the kernel names their folders. Order 1 (8 KiB) is not an
 * anon order: this 6.18 machine lists hugepages-8kB with only shmem_enabled (THP_ORDERS_ALL_ANON excludes BIT(1)).
 */
export const MTHP_SIZES = ['16kB', '32kB', '64kB', '128kB', '256kB', '512kB', '1024kB', '2048kB'] as const;
export type MthpSize = (typeof MTHP_SIZES)[number];

/** Per-size policies by size; a size left out has the kernel's boot default (never below PMD size, inherit at PMD size). */
export type MthpSettings = Partial<Record<MthpSize, MthpPolicy>>;

/** The order of a size: 64kB -> 4. */
export function sizeOrder(s: MthpSize): number {
  return MTHP_SIZES.indexOf(s) + 2;
}

/** mm/huge_memory.c: hugepage_init_sysfs: huge_anon_orders_inherit = BIT(PMD_ORDER) at boot, every other size never. */
export function defaultPolicy(s: MthpSize): MthpPolicy {
  return s === '2048kB' ? 'inherit' : 'never';
}

/** The orders enabled by each value (mm/huge_memory.c: huge_anon_orders_always / _madvise / _inherit). */
export interface MthpMasks {
  always: number;
  madvise: number;
  inherit: number;
}

export function mthpMasks(s: MthpSettings | undefined): MthpMasks {
  const m: MthpMasks = { always: 0, madvise: 0, inherit: 0 };
  for (const size of MTHP_SIZES) {
    const pol = s?.[size] ?? defaultPolicy(size);
    if (pol !== 'never') m[pol] |= 1 << sizeOrder(size);
  }
  return m;
}

/** '64k', '64K', '64kB', '64kb', '2m', '2M', '2048kB' -> the size, or null. */
function sizeOf(text: string): MthpSize | null {
  const m = /^(\d+)\s*([kKmM])[bB]?$/.exec(text.trim());
  if (!m) return null;
  const kb = Number(m[1]) * (m[2]!.toLowerCase() === 'm' ? 1024 : 1);
  const s = `${kb}kB`;
  return (MTHP_SIZES as readonly string[]).includes(s) ? (s as MthpSize) : null;
}

/** Parse '64k=always,16k=inherit' (what --mthp takes); a bad item is a one-line user error naming `what`. */
export function parseMthp(text: string, what = '--mthp'): MthpSettings {
  const out: MthpSettings = {};
  const items = text.split(',').map((x) => x.trim()).filter(Boolean);
  if (!items.length) throw userError(`${what}: expected SIZE=POLICY items, e.g. 64k=always,16k=inherit`);
  for (const it of items) {
    const eq = it.indexOf('=');
    const size = eq > 0 ? sizeOf(it.slice(0, eq)) : null;
    const pol = it.slice(eq + 1).trim();
    if (!size) throw userError(`${what}: '${it}': expected SIZE=POLICY with SIZE one of ${MTHP_SIZES.map((s) => s.replace('B', '')).join(', ')}`);
    if (!(MTHP_POLICIES as readonly string[]).includes(pol)) throw userError(`${what}: '${it}': '${pol}' is not a per-size policy (expected ${MTHP_POLICIES.join(', ')})`);
    out[size] = pol as MthpPolicy;
  }
  return out;
}

/** The settings as --mthp text, smallest size first, sizes at their default left out ('' when all are). */
export function formatMthp(s: MthpSettings): string {
  return MTHP_SIZES.filter((z) => s[z] !== undefined && s[z] !== defaultPolicy(z))
    .map((z) => `${z.replace('B', '')}=${s[z]}`)
    .join(',');
}

/**
 * The per-size settings in a recording's THP sysfs snapshot (record/fixtures.ts: thpSettings, keys
 * 'hugepages-64kB/enabled' with values like 'always inherit madvise [never]'), or undefined when it has none.
 */
export function mthpFromSysfs(thp: Readonly<Record<string, string>>): MthpSettings | undefined {
  let out: MthpSettings | undefined;
  for (const size of MTHP_SIZES) {
    const v = thp[`hugepages-${size}/enabled`];
    const m = v ? /\[(\w+)\]/.exec(v) : null;
    if (!m || !(MTHP_POLICIES as readonly string[]).includes(m[1]!)) continue;
    (out ??= {})[size] = m[1] as MthpPolicy;
  }
  return out;
}
