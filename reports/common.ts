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

/**
 * Encoding for line marks: mainline wide and translucent, the others thin, so a patch's line that coincides with
 * mainline's leaves it visible. Value conditions, not a scale: no second legend, and no empty layer in a facet.
 */
export function mainlineEmphasis(replay: ReplayResult): Record<string, unknown> {
  const test = `datum.variant === ${JSON.stringify(replay.variants[0]?.name ?? '')}`;
  return { strokeWidth: { condition: { test, value: 4 }, value: 1.5 }, opacity: { condition: { test, value: 0.55 }, value: 1 } };
}

/** A chart with one text mark, for inputs with nothing to plot: the page still says why. */
export function placeholder(title: string | { text: string; subtitle: string }, message: string): ChartSpec {
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
