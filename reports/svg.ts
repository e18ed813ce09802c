// Static rendering for mailing lists and papers: Vega-Lite -> Vega -> SVG in Node, and SVG -> PNG with resvg.
import { compile } from 'vega-lite';
import { parse, View } from 'vega';
import { Resvg } from '@resvg/resvg-js';
import type { ChartSpec } from './common.js';

/** One chart as a standalone SVG document, drawn by vega's own SVG renderer (no browser). */
export async function renderSvg(spec: ChartSpec): Promise<string> {
  const vg = compile(spec).spec;
  const view = new View(parse(vg), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** PNG bytes of an SVG at `scale` x (2 for a crisp README image). */
export function renderPng(svg: string, scale = 2): Buffer {
  const r = new Resvg(svg, { fitTo: { mode: 'zoom', value: scale }, background: 'white', font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' } });
  return Buffer.from(r.render().asPng());
}
