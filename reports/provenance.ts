// Provenance: the exact command, faultline version, trace, kernel rules and cost profile behind the page.
import type { ReportInput } from './types.js';
import { escapeHtml } from './escape.js';

export function provenanceHtml(input: ReportInput): string {
  const p = input.provenance;
  const r = input.replay;
  const rows: [string, string, string][] = [
    ['command', 'prov-command', p.command],
    ['faultline version', 'prov-version', p.version],
    ['trace', 'prov-trace', `${p.trace} (${r.format}, ${(r.span_ns / 1e9).toFixed(3)} s)`],
    ['kernel rules', 'prov-kernel', p.kernelRules],
    ['cost profile', 'prov-costs', p.costProfile],
    ['variants', 'prov-variants', r.variants.map((v) => `${v.name} [${[...v.spec.patches, 'thp=' + v.spec.thp, v.spec.useZeroPage ? 'zero page' : 'no zero page'].join(', ')}]`).join('; ')],
  ];
  if (p.generated) rows.push(['generated', 'prov-generated', p.generated]);
  return `<dl class="provenance">${rows.map(([k, id, v]) => `<dt>${escapeHtml(k)}</dt><dd id="${id}"><code>${escapeHtml(v)}</code></dd>`).join('')}</dl>`;
}
