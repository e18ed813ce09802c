// Shared chart pieces: sizes, the variant colour scale, and the "nothing to plot" placeholder.
import type { TopLevelSpec } from 'vega-lite';
import type { ReplayResult } from '../model/types.js';

export type ChartSpec = TopLevelSpec;

export const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
export const WIDTH = 640;

/** Variant colours in replay order, so mainline keeps the same colour on every chart. */
export function variantScale(replay: ReplayResult): { domain: string[] } {
  return { domain: replay.variants.map((v) => v.name) };
}

/** Line widths by variant, widest first: where variants coincide, mainline still shows under the others. */
export function variantStrokeWidth(replay: ReplayResult): Record<string, unknown> {
  const n = replay.variants.length;
  const range = replay.variants.map((_, i) => (n <= 1 ? 2 : 4 - (2.5 * i) / (n - 1)));
  const names = replay.variants.map((v) => v.name);
  return { field: 'variant', type: 'ordinal', sort: names, scale: { domain: names, range }, legend: null };
}

/** A chart with one text mark, for inputs with nothing to plot: the page still says why. */
export function placeholder(title: string, message: string): ChartSpec {
  return {
    $schema: SCHEMA,
    title,
    width: WIDTH,
    height: 40,
    data: { values: [{ message }] },
    mark: { type: 'text', fontSize: 13, color: '#555' },
    encoding: { text: { field: 'message', type: 'nominal' } },
  } as ChartSpec;
}

/** `12 KiB` style size for labels. */
export function kib(bytes: number): string {
  const k = bytes / 1024;
  if (k >= 1024 * 1024) return `${(k / 1024 / 1024).toFixed(1)} GiB`;
  if (k >= 1024) return `${(k / 1024).toFixed(1)} MiB`;
  return `${Math.round(k)} KiB`;
}
