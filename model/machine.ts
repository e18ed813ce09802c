// What the traced machine did where the kernel's configuration decides (zero page, THP mode, mTHP sizes), learnt from
// the trace's own counters (issue 12, item 9), or given by an override (--machine-no-zero-page, --thp / --base-thp);
// shared by every variant of a replay.
import type { ThpPolicy, VariantSpec } from './types.js';

/** The machine's zero page and THP as the trace showed them (counts are evidence; the first decides). */
export interface MachineFacts {
  /** Whether anonymous read faults map the zero page: null while the trace has not shown one (the variant decides). */
  zeroPage: boolean | null;
  /** The user said (--machine-no-zero-page): detection counts evidence but does not decide. */
  zeroPageGiven: boolean;
  /** Read faults on an empty PTE (or PMD) of a known private anonymous VMA after which the kernel allocated (+1 / +512 MM_ANONPAGES). */
  readAllocated: number;
  /** The same faults after which the kernel changed no counter: the zero page (or the huge zero folio) was mapped. */
  readZero: number;
  /** Faults whose own rss_stat rose MM_ANONPAGES by a whole PMD (512 pages): THPs the kernel allocated. */
  thpFaults: number;
  /**
   * Whether a known anonymous VMA without MADV_HUGEPAGE gets a PMD THP at fault (enabled=always), and one with it
   * (always or madvise): null while the trace has not shown it (the variant's policy decides); set by --thp/--base-thp.
   */
  thpUnhinted: boolean | null;
  thpHinted: boolean | null;
  /** The THP policy the user gave (--thp in validate, --base-thp in replay): detection counts evidence but does not decide. */
  thpGiven: ThpPolicy | null;
  /**
   * Allocating faults on an empty, PMD-suitable 2 MiB block of a known anonymous VMA, by what the kernel counted in
   * the fault's own rss_stat: +512 (a PMD THP) or less (+1, or an mTHP's +nr), without and with VM_HUGEPAGE.
   */
  thpUnhintedHuge: number;
  thpUnhintedSmall: number;
  thpHintedHuge: number;
  thpHintedSmall: number;
  /** mTHP orders (bit k: a +2^k fault, 2 <= k < 9) the kernel allocated on known VMAs without / with VM_HUGEPAGE. */
  mthpUnhinted: number;
  mthpHinted: number;
}

export function newMachineFacts(noZeroPage = false, thp: ThpPolicy | null = null): MachineFacts {
  return {
    zeroPage: noZeroPage ? false : null, zeroPageGiven: noZeroPage, readAllocated: 0, readZero: 0, thpFaults: 0,
    thpUnhinted: thp === null ? null : thp === 'always', thpHinted: thp === null ? null : thp !== 'never', thpGiven: thp,
    thpUnhintedHuge: 0, thpUnhintedSmall: 0, thpHintedHuge: 0, thpHintedSmall: 0, mthpUnhinted: 0, mthpHinted: 0,
  };
}

/** The facts a replay led by spec starts from: its overrides given (no zero page; a THP policy it does not learn). */
export function machineFactsFor(spec: VariantSpec | undefined): MachineFacts {
  if (!spec) return newMachineFacts();
  return newMachineFacts(!spec.useZeroPage, spec.thpFromTrace ? null : spec.thp);
}

/**
 * An allocating fault (the kernel's MM_ANONPAGES rose by anonDelta right after it) on an empty 2 MiB block that a
 * PMD THP would fit, of a known anonymous VMA (hinted: VM_HUGEPAGE). mm/memory.c: __handle_mm_fault tries
 * create_huge_pmd first when thp_vma_allowable_order(PMD_ORDER) (include/linux/huge_mm.h: thp_vma_allowable_orders:
 * huge_anon_orders_inherit joins when hugepage_global_always(), or with VM_HUGEPAGE when hugepage_global_enabled()),
 * so +512 means the PMD order was allowed for such a VMA, and +1 (or alloc_anon_folio's smaller +nr) that it was not.
 * The first such fault of each kind decides (the first of each kind is also what the fault itself is replayed with).
 */
export function noteThpFault(m: MachineFacts, hinted: boolean, anonDelta: number): void {
  if (anonDelta <= 0) return;
  const huge = anonDelta === 512;
  if (!huge && (anonDelta & (anonDelta - 1)) !== 0) return; // not one folio's count (several updates merged): no evidence
  if (hinted) {
    if (huge) m.thpHintedHuge++;
    else m.thpHintedSmall++;
    if (m.thpHinted === null) m.thpHinted = huge;
  } else {
    if (huge) m.thpUnhintedHuge++;
    else m.thpUnhintedSmall++;
    if (m.thpUnhinted === null) m.thpUnhinted = huge;
    if (huge && m.thpHinted === null) m.thpHinted = true; // always covers VM_HUGEPAGE VMAs too
  }
}

/** An mTHP folio of order k the kernel counted for one fault on a known VMA (mm/memory.c: alloc_anon_folio). */
export function noteMthpOrder(m: MachineFacts, hinted: boolean, k: number): void {
  if (hinted) m.mthpHinted |= 1 << k;
  else m.mthpUnhinted |= 1 << k;
}

/**
 * The THP policy (enabled=) a variant replays with: its own when it set one (thpFollows false: --thp P variants,
 * 'thp=P' patch components), else the machine's as the trace showed it, each half (without / with VM_HUGEPAGE) taking
 * the variant's default until shown.
 */
export function thpPolicyOf(m: MachineFacts, own: ThpPolicy, thpFollows: boolean | undefined): ThpPolicy {
  if (!thpFollows) return own;
  const unhinted = m.thpUnhinted ?? own === 'always';
  const hinted = m.thpHinted ?? own !== 'never';
  return unhinted ? 'always' : hinted ? 'madvise' : 'never';
}

/**
 * A read fault on an empty entry of a known private anonymous VMA, with the kernel's MM_ANONPAGES change right after
 * it (anonHint: pages, 0 for none, -1 when the trace does not say). mm/memory.c: do_anonymous_page maps the zero pfn
 * on a read unless mm_forbids_zeropage / the machine has none, else allocates (+1); mm/huge_memory.c:
 * do_huge_pmd_anonymous_page likewise with the huge zero folio (+512 without it).
 */
export function noteAnonRead(m: MachineFacts, anonHint: number): void {
  if (anonHint < 0) return;
  if (anonHint > 0) m.readAllocated++;
  else m.readZero++;
  if (m.zeroPage === null) m.zeroPage = anonHint === 0;
}

/** Whether a read fault maps the zero page in this variant: the variant's wish, unless the machine has none. */
export function zeroPageOn(m: MachineFacts, variantWants: boolean): boolean {
  return variantWants && m.zeroPage !== false;
}

/** One line for info / replay / validate: what was detected or given, and the evidence (a wrong override shows). */
export function describeMachine(m: MachineFacts): string {
  const ev = `${m.readAllocated} anonymous read fault${m.readAllocated === 1 ? '' : 's'} allocated, ${m.readZero} mapped the zero page`;
  const thpLine = describeThp(m);
  const thp = thpLine ? '\n' + thpLine : '';
  if (m.zeroPageGiven) {
    const wrong = m.readZero > 0 ? ` — but the trace shows the zero page in use: the override looks wrong` : '';
    return `zero page: absent (given: --machine-no-zero-page; ${ev}${wrong})${thp}`;
  }
  if (m.zeroPage === null) return `zero page: not shown by the trace (no anonymous read fault with its rss_stat): the variant's setting used${thp}`;
  const mixed = m.readAllocated > 0 && m.readZero > 0 ? ' (mixed evidence: see the counts)' : '';
  return `zero page: ${m.zeroPage ? 'present' : 'absent'} (detected: ${ev})${mixed}${thp}`;
}

/** The THP policy most of the evidence points to (each half by majority), null while there is none. */
function thpDetected(m: MachineFacts): ThpPolicy | null {
  const unhinted = m.thpUnhintedHuge + m.thpUnhintedSmall > 0 ? m.thpUnhintedHuge > m.thpUnhintedSmall : null;
  const hinted = m.thpHintedHuge + m.thpHintedSmall > 0 ? m.thpHintedHuge > m.thpHintedSmall : null;
  if (unhinted === null && hinted === null) return null;
  return unhinted ? 'always' : hinted ?? true ? 'madvise' : 'never';
}

/** Contradicting evidence against the given --thp policy: faults the policy says could not have happened. */
export function thpOverrideContradictions(m: MachineFacts): number {
  if (m.thpGiven === null) return 0;
  const g = m.thpGiven;
  return (g === 'always' ? m.thpUnhintedSmall + m.thpHintedSmall : m.thpUnhintedHuge) + (g === 'never' ? m.thpHintedHuge : g === 'madvise' ? m.thpHintedSmall : 0);
}

/** The sizes of an order mask, smallest first: '16 KiB, 64 KiB'. */
function sizes(mask: number): string {
  const out: string[] = [];
  for (let k = 2; k < 9; k++) if (mask & (1 << k)) out.push(`${4 << k} KiB`);
  return out.join(', ');
}

/** The THP line: the policy detected or given with its evidence, the mTHP sizes the trace showed; a wrong override shows. */
export function describeThp(m: MachineFacts): string {
  const n = (k: number, what: string): string => `${k} ${what}${k === 1 ? '' : 's'}`;
  const ev = [
    `${n(m.thpUnhintedHuge, 'fault')} without MADV_HUGEPAGE got a 2 MiB THP, ${m.thpUnhintedSmall} did not`,
    `${n(m.thpHintedHuge, 'fault')} with it got one, ${m.thpHintedSmall} did not`,
  ].join('; ');
  const mthp = [m.mthpUnhinted ? `${sizes(m.mthpUnhinted)} without MADV_HUGEPAGE` : '', m.mthpHinted ? `${sizes(m.mthpHinted)} with it` : ''].filter(Boolean).join('; ');
  const mthpText = mthp ? `; mTHP folios: ${mthp} (learnt as hugepages-<size>kB/enabled unless --base-mthp)` : '';
  const faults = m.thpFaults ? `; ${n(m.thpFaults, 'THP fault')} (+512 pages in one rss_stat)` : '';
  if (m.thpGiven !== null) {
    const bad = thpOverrideContradictions(m);
    const det = thpDetected(m);
    const wrong = bad > 0 ? ` — but ${n(bad, 'fault')} contradict it${det ? ` (the trace points to ${det})` : ''}: the override looks wrong` : '';
    return `THP: ${m.thpGiven} (given; ${ev}${wrong})${faults}${mthpText}`;
  }
  const det = thpDetected(m);
  if (det === null) return faults || mthpText ? `THP: not shown by the trace (no allocating fault on an empty 2 MiB block of a known anonymous VMA): the variant's policy used${faults}${mthpText}` : '';
  const mixed = (m.thpUnhintedHuge > 0 && m.thpUnhintedSmall > 0) || (m.thpHintedHuge > 0 && m.thpHintedSmall > 0) ? ' (mixed evidence: see the counts; the first of each kind decided)' : '';
  const shown = m.thpUnhinted === null && m.thpHinted === true ? ' (or always: no fault without MADV_HUGEPAGE showed which)' : m.thpHinted === null && m.thpUnhinted === false ? ' (or never: no fault with MADV_HUGEPAGE showed which)' : '';
  return `THP: ${thpPolicyOf(m, 'madvise', true)} (detected: ${ev})${mixed}${shown}${faults}${mthpText}`;
}
