// What the traced machine did where the kernel's configuration decides (zero page, THP), learnt from the trace's own
// counters (issue 12, item 9), or given by an override (--machine-no-zero-page); shared by every variant of a replay.

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
}

export function newMachineFacts(noZeroPage = false): MachineFacts {
  return { zeroPage: noZeroPage ? false : null, zeroPageGiven: noZeroPage, readAllocated: 0, readZero: 0, thpFaults: 0 };
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
  const thp = m.thpFaults ? `; ${m.thpFaults} THP fault${m.thpFaults === 1 ? '' : 's'} (+512 pages in one rss_stat)` : '';
  if (m.zeroPageGiven) {
    const wrong = m.readZero > 0 ? ` — but the trace shows the zero page in use: the override looks wrong` : '';
    return `zero page: absent (given: --machine-no-zero-page; ${ev}${wrong})${thp}`;
  }
  if (m.zeroPage === null) return `zero page: not shown by the trace (no anonymous read fault with its rss_stat): the variant's setting used${thp}`;
  const mixed = m.readAllocated > 0 && m.readZero > 0 ? ' (mixed evidence: see the counts)' : '';
  return `zero page: ${m.zeroPage ? 'present' : 'absent'} (detected: ${ev})${mixed}${thp}`;
}
