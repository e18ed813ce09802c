// The caveats the page shows next to the figures they qualify: the replay's (analyze/caveats.ts) and validation's.
import { replayCaveats, sanityCaveat, validateCaveat, type Caveat } from '../analyze/caveats.js';
import { sanityText } from '../analyze/latency/sanity.js';
import { escapeHtml } from './escape.js';
import type { ReportInput } from './types.js';

/** Every caveat on the page's figures, in the order the CLI prints them. */
export function reportCaveats(input: ReportInput): Caveat[] {
  const out = replayCaveats(input.replay);
  const v = validateCaveat(input.validate, '');
  if (v) out.push(v);
  const s = sanityCaveat(sanityText(input.sanity));
  if (s) out.push(s);
  return out;
}

/** A caveat's number in the page's list (1-based; the same caveat, not necessarily the same object). */
export function caveatNumber(all: readonly Caveat[], c: Caveat): number {
  return all.findIndex((x) => x.kind === c.kind && x.variant === c.variant && x.text === c.text) + 1;
}

/** The marker a doubted figure carries: its caveats' numbers in the list, with their text as the tooltip. */
export function caveatMark(all: readonly Caveat[], mine: readonly Caveat[]): string {
  if (mine.length === 0) return '';
  const refs = mine.map((c) => caveatNumber(all, c)).join(',');
  return `<sup class="caveat-mark" title="${escapeHtml(mine.map((c) => c.text).join('\n'))}">⚠${refs}</sup>`;
}

/** The numbered list of caveats under the headline; '' when there are none. */
export function caveatsHtml(all: readonly Caveat[]): string {
  if (all.length === 0) return '';
  const items = all.map((c, i) => `<li data-kind="${c.kind}" data-variant="${escapeHtml(c.variant)}" data-figures="${c.figures.join(' ')}">⚠${i + 1} ${escapeHtml(c.text)}</li>`);
  return `<ol id="caveats" class="caveats">\n${items.join('\n')}\n</ol>`;
}
