// The cost model: a modelled fault or fork in nanoseconds, from its path and what it allocated or copied,
// priced by a cost profile (model/profiles/*.json: measured by `faultline calibrate`, or built from published figures).
import { readFileSync, existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';
import type { FaultRecord, ForkRecord } from './types.js';
import { userError } from '../traces/errors.js';
import { FAULT_PATHS, PATH_NAMES, pathId, type FaultPath } from './fault_paths.js';
import * as F from './flags.js';

/** One step's figures: median and spread of the samples, and where a figure came from when not measured directly. */
export interface StepStats {
  median_ns: number;
  p10_ns: number;
  p90_ns: number;
  samples: number;
  /**
   * Additive: the measured distribution as equal-probability strata, ascending: entry i is the mean of the samples
   * between quantiles i/K and (i+1)/K, so the entries' mean is the samples' mean (a fault at quantile u costs entry
   * floor(u K)). Without it the spread is the p10/median/p90 curve, whose mean is not the samples'.
   */
  strata_ns?: number[];
  /** Formula when the step is computed from other steps or published ratios instead of measured. */
  derived?: string;
  /** Published source for this step (arm64 profile). */
  citation?: string;
}

export interface CostProfile {
  name: string;
  /** Where the numbers came from (calibrate run, published figures with citations). */
  source: string;
  /** ns per modelled step (the medians), keyed by step name. */
  steps: Record<string, number>;
  /** Additive: the full per-step figures when the profile came from a JSON file. */
  stats?: Record<string, StepStats>;
  /** Additive: measurement conditions (machine, kernel, date, command), free-form. */
  measured?: Record<string, string | number | boolean>;
}

/** Every step a profile must price (ns per unit; the unit is in the comment). */
export const STEP_NAMES = [
  'anon_zero_page', // fault: do_anonymous_page read -> zero-page PTE
  'anon_alloc', // fault: do_anonymous_page write -> zeroed 4 KiB page
  'wp_page_copy', // fault: do_wp_page -> wp_page_copy of an anon page (alloc + 4 KiB copy)
  'wp_page_copy_zero', // fault: do_wp_page -> wp_page_copy from the zero page (zeroed alloc)
  'wp_page_reuse', // fault: do_wp_page -> wp_page_reuse
  'thp_alloc', // fault: do_huge_pmd_anonymous_page write (2 MiB clear + deposited table)
  'thp_zero', // fault: do_huge_pmd_anonymous_page read -> huge zero PMD (+ deposited table)
  'thp_wp_split', // fault: do_huge_pmd_wp_page on a shared THP -> split + 4 KiB copy
  'thp_zero_wp', // fault: do_huge_zero_wp_pmd (6.13+) -> a fresh THP
  'thp_reuse', // fault: do_huge_pmd_wp_page on an exclusive THP -> reuse the PMD
  'file_read', // fault: do_read_fault mapping one page
  'file_read_per_page', // each further page mapped by do_fault_around
  'file_cow', // fault: do_cow_fault (alloc + copy from the page cache)
  'populate_per_page', // per page populated by GUP (MAP_POPULATE, mlock, MADV_POPULATE_*): no trap
  'fork_fixed', // per fork: dup_mmap and the rest of copy_process, nothing populated
  'fork_per_pte', // per present PTE copied by copy_present_ptes
  'fork_per_table', // per child PTE table allocated by copy_pte_range
  'fork_per_pmd', // per THP PMD copied by copy_huge_pmd (its deposited table included)
  'fork_per_shared_table', // per PTE table shared instead of copied (COW PTE patch)
  'fork_per_pte_batched', // per PTE of a large folio copied in a batch by copy_present_ptes (folio_pte_batch, 6.9+)
  'fork_per_folio_batch', // per such batch (one folio_try_dup_anon_rmap_ptes + folio_ref_add + set_ptes)
  'table_alloc', // per page-table page allocated in a fault (pte_alloc / __pmd_alloc / __pud_alloc)
  'cow_pte_table_copy', // per COW PTE table copied on a break (COW PTE patch), allocation excluded
  'page_fill_4k', // a 4 KiB pattern fill (memset) of a fresh page
  'page_copy_4k', // a 4 KiB copy (copy_user_highpage)
  'spurious', // fault: present PTE, nothing to do but fix bits
  'segv', // fault: no VMA or access not allowed, SIGSEGV delivered
] as const;
export type StepName = (typeof STEP_NAMES)[number];

/** Steps a path is priced by (model/fault_paths.ts: FAULT_PATHS, where every path names its steps). */
export function pathSteps(path: FaultPath): readonly StepName[] {
  return FAULT_PATHS[path].steps;
}

/**
 * What a user-visible fault of this path adds to its kernel work under the profile (the trap's entry and exit, and in
 * a shadow-paging guest the host's mapping for the retried access): the profile's `<step>_trap` (calibrate's GUP twin
 * difference, or the trace fit's) for a path priced by one step, else anon_alloc's, the plainest trapped fault. 0 for
 * a path that is no trap (populate: mm/gup.c faults from a syscall); null when the profile names no trap share.
 */
export function trapShareNs(profile: CostProfile, path: string): { ns: number; own: boolean } | null {
  const def = (FAULT_PATHS as Readonly<Record<string, (typeof FAULT_PATHS)[FaultPath] | undefined>>)[path];
  if (def && !def.trap) return { ns: 0, own: true };
  const own = def && def.steps.length === 1 ? profile.steps[`${def.steps[0]}_trap`] : undefined;
  if (own !== undefined) return { ns: own, own: true };
  const plain = profile.steps.anon_alloc_trap;
  return plain === undefined ? null : { ns: plain, own: false };
}

/** One step's figure and its measured shape around the median (p10 / median, p90 / median, strata / median), read once per profile. */
interface StepPrice {
  m: number;
  lo: number;
  hi: number;
  /** The strata (StepStats.strata_ns) over the median, or null: the p10/median/p90 curve. */
  strata: Float64Array | null;
  /** The profile has stats with a positive median for this step: a fault's quantile moves its figure. */
  spread: boolean;
}

function stepPrice(profile: CostProfile, name: StepName): StepPrice {
  const m = profile.steps[name] ?? 0;
  const st = profile.stats?.[name];
  if (!st || !(st.median_ns > 0)) return { m, lo: 1, hi: 1, strata: null, spread: false };
  const strata = st.strata_ns?.length ? Float64Array.from(st.strata_ns, (v) => v / st.median_ns) : null;
  return { m, lo: st.p10_ns / st.median_ns, hi: st.p90_ns / st.median_ns, strata, spread: true };
}

/**
 * A step's figure for a fault at quantile u of its spread: the step's figure (profile.steps) times the profile's
 * measured shape around its median. With strata, the stratum u falls in (its mean: the draws keep the measured
 * mean); else linear in u between (0.1, p10), (0.5, median) and (0.9, p90) and held at p10 / p90 beyond.
 * No stats, or u undefined: the figure itself (the median).
 */
function at(s: StepPrice, u?: number): number {
  if (!s.spread || u === undefined) return s.m;
  const { m, lo, hi, strata } = s;
  if (strata) return m * strata[Math.min(strata.length - 1, Math.floor(u * strata.length))]!;
  if (u <= 0.1) return m * lo;
  if (u >= 0.9) return m * hi;
  return u < 0.5 ? m * (lo + ((1 - lo) * (u - 0.1)) / 0.4) : m * (1 + ((hi - 1) * (u - 0.5)) / 0.4);
}

/** A profile's prices read once (a replay prices every fault): each step, and each path's steps by path id (fault_paths.ts: pathId). */
export interface FaultPrices {
  /** The profile has stats: each fault's quantile (nextQuantile) moves the figures of its path's steps. */
  spread: boolean;
  step: Readonly<Record<StepName, StepPrice>>;
  /** By path id: the steps one fault of the path sums, and whether they count per page. */
  pathSteps: readonly (readonly StepPrice[])[];
  perPage: readonly boolean[];
}

/** Faults drawn so far per thread and path (key tid x paths + path id): the next one's place in the stratified sequence (one per engine: engine_state.ts). */
export type FaultDraws = Map<number, number>;

export function compilePrices(profile: CostProfile): FaultPrices {
  const step = Object.fromEntries(STEP_NAMES.map((n) => [n, stepPrice(profile, n)])) as Record<StepName, StepPrice>;
  return {
    spread: profile.stats !== undefined && profile.stats !== null,
    step,
    pathSteps: PATH_NAMES.map((p) => FAULT_PATHS[p].steps.map((n) => step[n])),
    perPage: PATH_NAMES.map((p) => FAULT_PATHS[p].perPage === true),
  };
}

/** A 32-bit integer hash of two integers in (0, 1) (murmur3's finaliser): a thread's and path's offset in the sequence. */
export function hashQuantile(a: number, b: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ (b % 4294967296) ^ Math.floor(b / 4294967296);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h ^= h >>> 16;
  return ((h >>> 0) + 0.5) / 4294967296;
}

/** k's bits mirrored behind the binary point (van der Corput): 0, 1/2, 1/4, 3/4, 1/8, ...; any 2^j in a row from a multiple of 2^j fill the 2^j cells of [0, 1) once each. */
export function radicalInverse(k: number): number {
  let b = k >>> 0;
  b = ((b & 0x55555555) << 1) | ((b >>> 1) & 0x55555555);
  b = ((b & 0x33333333) << 2) | ((b >>> 2) & 0x33333333);
  b = ((b & 0x0f0f0f0f) << 4) | ((b >>> 4) & 0x0f0f0f0f);
  b = ((b & 0x00ff00ff) << 8) | ((b >>> 8) & 0x00ff00ff);
  b = (b << 16) | (b >>> 16);
  return (b >>> 0) / 4294967296;
}

const PATHS = PATH_NAMES.length;

/**
 * The quantile of a thread's k-th fault of a path: the van der Corput sequence shifted by a hash of thread and path
 * (Cranley-Patterson rotation). Deterministic; a thread's faults of one path cover the spread evenly (32 faults, one in
 * each 1/32), so their sum is the path's mean times their count, not that plus the sampling noise of independent draws.
 */
export function nextQuantile(draws: FaultDraws, tid: number, id: number): number {
  const key = tid * PATHS + id;
  const k = draws.get(key) ?? 0;
  draws.set(key, k + 1);
  const u = hashQuantile(tid, id) + radicalInverse(k);
  return u >= 1 ? u - 1 : u;
}

const THP_WP = pathId('thp_wp'), MTHP_ALLOC = pathId('mthp_alloc'), THP_ALLOC = pathId('thp_alloc'), THP_ZERO = pathId('thp_zero'), FILE_READ = pathId('file_read');

/** mm/huge_memory.c: do_huge_pmd_wp_page has three outcomes; the record's allocation tells them apart. */
function thpWpStep(rec: FaultRecord): StepName {
  if (rec.pagesAllocated >= F.PTRS) return 'thp_zero_wp'; // 6.13+ do_huge_zero_wp_pmd: a new THP
  if (rec.pagesAllocated >= 1) return 'thp_wp_split'; // __split_huge_pmd + 4 KiB wp_page_copy
  return 'thp_reuse';
}

/**
 * Modelled cost of one fault: the path's step(s), plus rec.tablesAllocated x table_alloc, plus per-page extras.
 * thp_alloc/thp_zero already include their deposited PTE table, so one of their tables is not charged again;
 * file_read's rec.pagesAllocated is the number of pages mapped (fault-around), each beyond the first at file_read_per_page;
 * populate's and memset_fill's steps count once per page (FaultPathDef.perPage); rec.tablesCopied (COW PTE tables a fault broke on its way) adds
 * cow_pte_table_copy each (their new tables are already in rec.tablesAllocated).
 */
export function faultCostNs(profile: CostProfile | null, rec: FaultRecord): number {
  return profile ? faultCost(compilePrices(profile), new Map(), pathId(rec.path), rec) : 0;
}

/** faultCostNs with the profile's prices read once, the engine's draws so far and the record's path as its id (the replay's per-fault call). */
export function faultCost(prices: FaultPrices | null, draws: FaultDraws, id: number, rec: FaultRecord): number {
  if (!prices) return 0;
  const { step } = prices;
  let ns = 0;
  let tables = rec.tablesAllocated;
  // the path's own step(s) follow their measured spread (p50 != p90), as the kernel's did; per-page and table
  // steps stay at their medians (summed over many, their spread averages out)
  const perPage = prices.perPage[id]!;
  const u = prices.spread && !perPage ? nextQuantile(draws, rec.tid, id) : undefined;
  if (id === THP_WP) {
    ns = at(step[thpWpStep(rec)], u);
  } else if (id === MTHP_ALLOC) {
    ns = at(step.anon_alloc, u) + Math.max(0, rec.pagesAllocated - 1) * at(step.page_fill_4k); // clear_huge_page of nr pages
  } else {
    const steps = prices.pathSteps[id]!;
    for (let i = 0; i < steps.length; i++) ns += at(steps[i]!, perPage ? undefined : u);
  }
  if (id === THP_ALLOC || id === THP_ZERO) tables = Math.max(0, tables - 1);
  else if (id === FILE_READ) {
    ns += Math.max(0, rec.pagesAllocated - 1) * at(step.file_read_per_page);
  } else if (perPage) {
    ns *= Math.max(1, rec.pagesAllocated);
  }
  // a COW PTE break on the fault's way in (the patch keeps the fault's own path): copy the shared table's entries
  const copied = rec.tablesCopied ?? 0;
  if (copied > 0) ns += copied * at(step.cow_pte_table_copy);
  if (F.PAGE_SIZE > 4096) ns += largerPageNs(prices, rec);
  return ns + tables * at(step.table_alloc);
}

/**
 * A base page larger than the 4 KiB the steps were measured with (a page-size variant): clearing or copying it costs
 * page_fill_4k / page_copy_4k per further 4 KiB (mm/memory.c: clear_user_highpage, copy_user_highpage), and a PMD THP
 * of PTRS pages clears PTRS / 512 times the 2 MiB the thp steps were measured on (mm/huge_memory.c: folio_zero_user).
 */
function largerPageNs(prices: FaultPrices, rec: FaultRecord): number {
  const { step } = prices;
  const more = F.PAGE_SIZE / 4096 - 1;
  switch (rec.path) {
    case 'anon_alloc': case 'wp_page_copy_zero': case 'populate':
      return more * Math.max(1, rec.pagesAllocated) * at(step.page_fill_4k);
    case 'wp_page_copy': case 'file_cow':
      return more * at(step.page_copy_4k);
    case 'thp_alloc':
      return (F.PTRS / 512 - 1) * at(step.thp_alloc);
    default:
      return 0;
  }
}

/**
 * Modelled cost of one fork: fixed + per PTE + per copied table + per shared table + per THP PMD (kernel/fork.c:
 * dup_mmap); the PTEs of large folios copied in batches (rec.ptesBatched of rec.ptesCopied, in rec.folioBatches
 * batches: mm/memory.c: copy_present_ptes, 6.9+) at fork_per_pte_batched each plus fork_per_folio_batch per batch.
 */
const median = (profile: CostProfile, name: StepName): number => profile.steps[name] ?? 0;

export function forkCostNs(profile: CostProfile | null, rec: ForkRecord): number {
  if (!profile) return 0;
  const batched = rec.ptesBatched ?? 0;
  return (
    median(profile, 'fork_fixed') +
    (rec.ptesCopied - batched) * median(profile, 'fork_per_pte') +
    batched * median(profile, 'fork_per_pte_batched') +
    (rec.folioBatches ?? 0) * median(profile, 'fork_per_folio_batch') +
    rec.tablesCopied * median(profile, 'fork_per_table') +
    rec.tablesShared * median(profile, 'fork_per_shared_table') +
    rec.pmdsCopied * median(profile, 'fork_per_pmd')
  );
}

/**
 * A machine's optional fork figures for the parent's return to user space after the copy (not in STEP_NAMES: a
 * profile without them prices no return, as on a machine whose MMU walks the guest's tables itself). In a
 * shadow-paging guest the host rebuilds its copy of every table fork write-protected (mm/memory.c __copy_present_ptes
 * -> wrprotect_ptes, then kernel/fork.c dup_mmap -> flush_tlb_mm): per table and per present entry, as KVM's shadow
 * MMU does (arch/x86/kvm/mmu/mmu.c mmu_sync_children -> kvm_sync_page, one kvm_sync_spte per entry). The guest does
 * not run meanwhile: the time is on no guest CPU's samples, but on the workload's clock around fork().
 */
export const FORK_RETURN_STEPS = [
  'fork_return_fixed', // per fork: the return to user space itself and the user code before the next traced event
  'fork_return_per_table', // per PTE table copied by the fork
  'fork_return_per_pte', // per PTE copied by the fork
] as const;
export type ForkReturnStep = (typeof FORK_RETURN_STEPS)[number];

/** Modelled return of one fork (FORK_RETURN_STEPS): null when the profile prices none. */
export function forkReturnNs(profile: CostProfile | null, rec: Pick<ForkRecord, 'ptesCopied' | 'tablesCopied'>): number | null {
  const f = profile?.steps.fork_return_fixed, t = profile?.steps.fork_return_per_table, p = profile?.steps.fork_return_per_pte;
  if (f === undefined && t === undefined && p === undefined) return null;
  return (f ?? 0) + rec.tablesCopied * (t ?? 0) + rec.ptesCopied * (p ?? 0);
}

export const PROFILE_SCHEMA = 'faultline-cost-profile/1';

/** The JSON file shape of a profile (model/profiles/*.json). */
export interface ProfileFile {
  schema: string;
  name: string;
  arch: string;
  source: string;
  measured?: Record<string, string | number | boolean>;
  notes?: string[];
  steps: Record<string, StepStats>;
}

function isNum(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** Check a parsed profile file; throws a user error naming `file` and the first problem. */
export function validateProfile(json: unknown, file: string): ProfileFile {
  const bad = (why: string): never => {
    throw userError(`not a cost profile: ${why}`, { file });
  };
  if (typeof json !== 'object' || json === null || Array.isArray(json)) bad('expected a JSON object');
  const o = json as Record<string, unknown>;
  if (o.schema !== PROFILE_SCHEMA) bad(`schema must be "${PROFILE_SCHEMA}"`);
  for (const k of ['name', 'arch', 'source'] as const)
    if (typeof o[k] !== 'string' || (o[k] as string).trim() === '') bad(`missing "${k}"`);
  if (typeof o.steps !== 'object' || o.steps === null) bad('missing "steps"');
  const steps = o.steps as Record<string, unknown>;
  for (const name of STEP_NAMES) {
    const s = steps[name] as Record<string, unknown> | undefined;
    if (!s || typeof s !== 'object') bad(`step "${name}" is missing`);
    const st = s as Record<string, unknown>;
    for (const k of ['median_ns', 'p10_ns', 'p90_ns', 'samples'] as const)
      if (!isNum(st[k]) || (st[k] as number) < 0) bad(`step "${name}": "${k}" must be a number >= 0`);
    if ((st.p10_ns as number) > (st.median_ns as number) || (st.median_ns as number) > (st.p90_ns as number))
      bad(`step "${name}": expected p10 <= median <= p90`);
    const strata = st.strata_ns;
    if (strata !== undefined && (!Array.isArray(strata) || strata.length === 0 || strata.some((v, i) => !isNum(v) || v < 0 || (i > 0 && v < (strata[i - 1] as number)))))
      bad(`step "${name}": "strata_ns" must be a non-empty ascending list of numbers >= 0`);
    if (st.samples === 0 && typeof st.derived !== 'string' && typeof st.citation !== 'string')
      bad(`step "${name}": no samples, so it needs "derived" or "citation"`);
  }
  return o as unknown as ProfileFile;
}

/** A validated profile file as the CostProfile the replay uses (steps = medians). */
export function profileFromFile(f: ProfileFile): CostProfile {
  const steps: Record<string, number> = {};
  for (const [k, v] of Object.entries(f.steps)) steps[k] = v.median_ns;
  return { name: f.name, source: f.source, steps, stats: f.steps, measured: f.measured };
}

/** Folder of the shipped profiles, from the source tree (model/) or the build (dist/model/). */
export function profilesDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, 'profiles'), resolve(here, '../../model/profiles')];
  return candidates.find((d) => existsSync(join(d, `${DEFAULT_PROFILE}.json`))) ?? candidates[0];
}

export const DEFAULT_PROFILE = 'x86_64-kvm-6.18';

/** Names of the shipped profiles (model/profiles/NAME.json). */
export function shippedProfiles(): string[] {
  return readdirSync(profilesDir()).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
}

/** Load a profile by shipped name ('arm64-pixel-published') or by path to a JSON file. */
export function loadProfile(nameOrPath: string = DEFAULT_PROFILE): CostProfile {
  const looksLikePath = nameOrPath.includes('/') || nameOrPath.endsWith('.json');
  const file = looksLikePath ? nameOrPath : join(profilesDir(), `${nameOrPath}.json`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    if (looksLikePath) throw userError('cannot read the cost profile', { file });
    throw userError(`no shipped cost profile "${nameOrPath}" (in ${profilesDir()})`, { hint: `shipped: ${shippedProfiles().join(', ')}, or a path to a profile JSON, or 'none'` });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw userError(`not valid JSON (${(e as Error).message.split('\n')[0]})`, { file });
  }
  return profileFromFile(validateProfile(json, file));
}
