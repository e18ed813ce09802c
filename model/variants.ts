// Turns the what-if options (--patch, --thp, --mthp, --no-zero-page, --page-size, --select, --patch-option, --kernel)
// into the variants one replay runs side by side: mainline always first, then one per --patch item, --thp policy,
// --mthp setting and page size.
import { userError } from '../traces/errors.js';
import { DEFAULT_KERNEL, kernelRules } from './kernel_version.js';
import { getPatch, listPatches } from './patches/index.js';
import { parsePageSize, type PageSizeName } from './page_geometry.js';
import { compileSelect, PATCH_SELECT_DEFAULT } from './select.js';
import { THP_POLICIES, type ThpPolicy, type VariantSpec } from './types.js';
import { MTHP_SIZES, parseMthp, type MthpSettings } from './thpsize.js';

/** The THP policy mainline replays with until the trace shows the machine's (model/machine.ts), unless --base-thp gives one. */
export const DEFAULT_THP: ThpPolicy = 'madvise';

export interface VariantOptions {
  /** --patch items: a patch name, or several joined by '+' ('refpage+cow-pte'), optionally with 'thp=P',
   * 'no-zero-page' or 'PATCH=OPTION' components ('refpage+thp=always', 'cow-pte=v3'); commas split items. */
  patch?: string[];
  /** --thp policies: each adds a mainline variant named 'thp=P'. */
  thp?: string[];
  /** --mthp settings ('64k=always,16k=inherit'): each adds a mainline variant named 'mthp:64k=always,16k=inherit'. */
  mthp?: string[];
  /** Per-size THP settings of mainline itself (the traced machine's; absent: learnt from the trace's counters). */
  baseMthp?: MthpSettings;
  /** --no-zero-page (commander sets zeroPage=false): adds a mainline variant named 'no-zero-page'. */
  zeroPage?: boolean;
  /** --select EXPR for the pattern-init patches (default PATCH_SELECT_DEFAULT; '' = model/select.ts DEFAULT_SELECT). */
  select?: string;
  /** --patch-option k=v items, k a patch name ('cow-pte=v3'). */
  patchOption?: string[];
  /** --kernel VERSION for every variant. */
  kernel?: string;
  /** --page-size what-ifs: each adds a mainline variant 'page-size=SIZE' replayed in that geometry (model/page_geometry.ts). */
  pageSize?: string[];
  /** --machine-page-size: the geometry the trace was recorded in, for every variant (default 4k). */
  machinePageSize?: string;
  /** THP policy and zero-page use of mainline itself (and the base of every patch variant); absent THP: learnt from the trace. */
  baseThp?: ThpPolicy;
  baseZeroPage?: boolean;
}

function knownNames(): string {
  return listPatches().map((p) => p.name).join(', ');
}

function thpPolicy(v: string, what: string): ThpPolicy {
  if (!(THP_POLICIES as readonly string[]).includes(v)) throw userError(`${what}: '${v}' is not a THP policy (expected ${THP_POLICIES.join(', ')})`);
  return v as ThpPolicy;
}

/** Parse --patch-option items into { patch: value }. */
export function parsePatchOptions(items: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const it of items) {
    const eq = it.indexOf('=');
    if (eq <= 0 || eq === it.length - 1) throw userError(`--patch-option '${it}': expected PATCH=VALUE, e.g. cow-pte=v3`);
    const k = it.slice(0, eq).trim(), v = it.slice(eq + 1).trim();
    if (!getPatch(k)) throw userError(`--patch-option '${it}': unknown patch '${k}' (known: ${knownNames()})`);
    out[k] = v;
  }
  return out;
}

/** Split repeated and comma-separated --patch values into items, blanks dropped. */
function items(list: readonly string[] | undefined): string[] {
  const out: string[] = [];
  for (const s of list ?? []) for (const part of s.split(',')) if (part.trim()) out.push(part.trim());
  return out;
}

/** The variants to replay: mainline first, then each --patch item, each --thp policy, and no-zero-page; duplicates dropped. */
export function buildVariants(o: VariantOptions = {}): VariantSpec[] {
  const kernel = o.kernel ?? DEFAULT_KERNEL;
  kernelRules(kernel); // throws a one-line error for a bad version before any work
  const select = o.select ?? PATCH_SELECT_DEFAULT;
  compileSelect(select); // likewise for a bad --select
  const patchOptions = parsePatchOptions(o.patchOption ?? []);
  const baseThp = o.baseThp ?? DEFAULT_THP;
  const learn = o.baseThp === undefined; // the base policy follows the trace: every explicit thp=P is a variant of its own
  const baseZero = o.baseZeroPage ?? true;
  const machine = o.machinePageSize !== undefined ? parsePageSize(o.machinePageSize, '--machine-page-size') : undefined;
  const mk = (name: string, patches: string[], thp: ThpPolicy | null, useZeroPage: boolean, mthp = o.baseMthp, pageSize?: PageSizeName): VariantSpec => ({
    name, patches, thp: thp ?? baseThp, ...(thp === null && learn ? { thpFromTrace: true } : {}), ...(mthp ? { mthp: { ...mthp } } : {}), useZeroPage, kernel, select, patchOptions: { ...patchOptions },
    ...(machine !== undefined ? { machinePageSize: machine } : {}),
    ...(pageSize !== undefined && pageSize !== (machine ?? '4k') ? { pageSize } : {}),
  });
  const out: VariantSpec[] = [mk('mainline', [], null, baseZero)];
  const seen = new Set<string>(['mainline']);
  const add = (v: VariantSpec): void => {
    if (seen.has(v.name)) return;
    seen.add(v.name);
    out.push(v);
  };
  for (const item of items(o.patch)) {
    const patches: string[] = [];
    const own: Record<string, string> = {}; // per-variant patch options: 'cow-pte=v3' inside the item
    let thp: ThpPolicy | null = null; // null: the base (given, or the trace's)
    let zero = baseZero;
    let pageSize: PageSizeName | undefined;
    for (const comp of item.split('+').map((c) => c.trim()).filter(Boolean)) {
      const eq = comp.indexOf('=');
      const key = eq > 0 ? comp.slice(0, eq) : comp;
      if (key === 'thp' && eq > 0) thp = thpPolicy(comp.slice(4), `--patch ${item}`);
      else if (key === 'page-size' && eq > 0) pageSize = parsePageSize(comp.slice(eq + 1), `--patch ${item}`);
      else if (comp === 'no-zero-page') zero = false;
      else if (comp === 'mainline') continue;
      else if (getPatch(key)) {
        if (!patches.includes(key)) patches.push(key);
        if (eq > 0) own[key] = comp.slice(eq + 1);
      } else throw userError(`--patch ${item}: unknown patch '${key}' (known: ${knownNames()}; see faultline patches)`);
    }
    const v = mk(variantName(patches, thp ?? baseThp, zero, learn && thp !== null ? null : baseThp, baseZero, own), patches, thp === baseThp && !learn ? null : thp, zero, undefined, pageSize);
    if (v.pageSize) v.name = v.name === 'mainline' ? `page-size=${v.pageSize}` : `${v.name}+page-size=${v.pageSize}`;
    Object.assign(v.patchOptions, own);
    add(v);
  }
  for (const t of items(o.thp)) {
    const thp = thpPolicy(t, '--thp');
    if (learn || thp !== baseThp) add(mk(`thp=${thp}`, [], thp, baseZero)); // a given base policy is mainline itself
  }
  for (const text of o.mthp ?? []) {
    const given = parseMthp(text);
    const name = 'mthp:' + MTHP_SIZES.filter((z) => given[z]).map((z) => `${z.replace('B', '')}=${given[z]}`).join(',');
    add(mk(name, [], null, baseZero, { ...o.baseMthp, ...given }));
  }
  if (o.zeroPage === false && baseZero) add(mk('no-zero-page', [], null, false));
  for (const s of items(o.pageSize)) {
    const ps = parsePageSize(s, '--page-size');
    if (ps !== (machine ?? '4k')) add(mk(`page-size=${ps}`, [], null, baseZero, undefined, ps)); // the machine's own size is mainline
  }
  return out;
}

/** 'refpage+cow-pte', 'cow-pte=v3', 'refpage+thp=always', 'thp=never', 'no-zero-page': what differs from mainline, in order. */
export function variantName(patches: string[], thp: ThpPolicy, zero: boolean, baseThp: ThpPolicy | null, baseZero: boolean, opts: Record<string, string> = {}): string {
  const parts = patches.map((p) => (opts[p] !== undefined ? `${p}=${opts[p]}` : p));
  if (thp !== baseThp) parts.push(`thp=${thp}`); // baseThp null: the base follows the trace, so any given policy is named
  if (zero !== baseZero) parts.push(zero ? 'zero-page' : 'no-zero-page');
  return parts.length ? parts.join('+') : 'mainline';
}
