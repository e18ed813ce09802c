// Page assembly: one self-contained HTML file (libraries and data inline, a CSP that forbids any fetch).
import type { ReportInput } from './types.js';
import { buildCharts, type Chart } from './charts.js';
import { escapeHtml, jsonForScript, scriptSource } from './escape.js';
import { LIB_FILES, libSource } from './libs.js';
import { faultsTableHtml, summaryTableHtml } from './summary_table.js';
import { fidelityHtml } from './fidelity.js';
import { provenanceHtml } from './provenance.js';
import { patchHeadlineHtml } from './patch_deltas.js';
import { latencyCheckHtml } from './latency_check.js';
import { caveatsHtml, reportCaveats } from './caveats.js';

// connect-src 'none' and default-src 'none': the page cannot reach the network even if a spec asked it to.
// (CSP, STYLE and BOOT are shared with the fleet page, reports/fleet.ts.)
export const CSP = "default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; img-src data:; font-src data:; connect-src 'none'";

export const STYLE = `
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:1280px;color:#222;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h3{font-size:14px;margin:14px 0 4px}h2{font-size:17px;margin:28px 0 6px;border-bottom:1px solid #ddd}
.sub{color:#555;margin:0 0 12px}
table.summary{border-collapse:collapse;font-size:12px;display:block;overflow-x:auto}
table.summary th,table.summary td{border:1px solid #ccc;padding:3px 4px;text-align:right;vertical-align:top;white-space:nowrap}
table.summary thead th{background:#f3f3f3;text-align:center;white-space:normal;max-width:80px;font-size:11px}
table.summary tbody th{text-align:left}table.latency-check td.what{text-align:left;white-space:normal;max-width:420px}.spec{font-weight:normal;color:#666;font-size:11px}
.delta{font-size:11px}.delta.better{color:#2a7d2a}.delta.worse{color:#b02525}.delta.same,.delta.moved{color:#888}.delta.doubt{color:#a06000}
td.doubt{background:#fdf3e7}.caveat-mark{color:#a06000;font-size:10px;cursor:help}
.caveats{margin:0 0 12px;padding:6px 10px 6px 28px;background:#fdf3e7;border-left:4px solid #e08a00;font-size:13px}
.fidelity{padding:6px 10px;background:#eef6ee;border-left:4px solid #2ca02c}.fidelity.warn{background:#fdf3e7;border-left-color:#e08a00}
.headline{margin:0 0 12px;padding:6px 10px;list-style:none;background:#f4f6fb;border-left:4px solid #4c78a8;font-weight:600}
.chart{min-height:40px}.chart-error{color:#b02525}
dl.provenance{display:grid;grid-template-columns:max-content 1fr;gap:4px 12px}dl.provenance dd{margin:0;word-break:break-all}
`;

// Renders the charts one after another, yielding between them so the tables and the first charts paint at once;
// window.faultlineReady settles when all are drawn (rejects if any failed, after drawing the rest), and then
// <body data-rendered="ok|failed"> tells a screenshot, a PDF printer or a test that the page is complete.
export const BOOT = `(function(){
  var charts = JSON.parse(document.getElementById('faultline-specs').textContent);
  var views = {};
  var failed = [];
  window.faultlineViews = views;
  function draw(c) {
    var el = document.getElementById('view-' + c.id);
    return vegaEmbed(el, c.spec, {renderer: 'svg', actions: false, mode: 'vega-lite'}).then(function(r){ views[c.id] = r.view; }, function(e){
      console.error('faultline chart ' + c.id + ': ' + (e && e.message || e));
      el.className += ' chart-error';
      el.textContent = 'This chart failed to render: ' + (e && e.message || e);
      failed.push(c.id);
    });
  }
  window.faultlineReady = charts.reduce(function(p, c){
    return p.then(function(){ return new Promise(function(r){ setTimeout(r, 0); }); }).then(function(){ return draw(c); });
  }, Promise.resolve()).then(function(){
    document.body.setAttribute('data-rendered', failed.length ? 'failed' : 'ok');
    if (failed.length) throw new Error('charts failed: ' + failed.join(', '));
  });
})();`;

/** The page's head and title line, shared by the single-trace and the fleet page (same CSP and style). */
export function pageHead(title: string): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(CSP)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style></head>
<body>
<h1>${escapeHtml(title)}</h1>
`;
}

export interface BuildOptions {
  /** Charts already built (the CLI builds them once for the page and the static files). */
  charts?: Chart[];
}

/** The report page as a string. Everything from the trace is escaped; the page makes no network request. */
export function buildReport(input: ReportInput, opts: BuildOptions = {}): string {
  const charts = opts.charts ?? buildCharts(input);
  const r = input.replay;
  const caveats = reportCaveats(input);
  const title = `faultline report: ${input.provenance.trace}`;
  const sections = charts
    .map((c) => `<section id="chart-${c.id}"><h2>${escapeHtml(c.title)}</h2><div class="chart" id="view-${c.id}" data-chart="${c.id}"></div></section>`)
    .join('\n');
  const libs = LIB_FILES.map((f) => `<script>${scriptSource(libSource(f))}</script>`).join('\n');
  const specs = jsonForScript(charts.map((c) => ({ id: c.id, spec: c.spec })));
  return `${pageHead(title)}<p class="sub">${escapeHtml(r.variants.map((v) => v.name).join(' vs '))}; deltas are against ${escapeHtml(r.variants[0]?.name ?? '(none)')}</p>
${patchHeadlineHtml(input, caveats)}
${caveatsHtml(caveats)}
${fidelityHtml(input)}
<h2>Summary</h2>
${summaryTableHtml(r, caveats)}
<h3>Faults by path</h3>
${faultsTableHtml(r, caveats)}
${latencyCheckHtml(input)}
${sections}
<h2>Provenance</h2>
${provenanceHtml(input)}
<script type="application/json" id="faultline-specs">${specs}</script>
${libs}
<script>${BOOT}</script>
</body></html>
`;
}
