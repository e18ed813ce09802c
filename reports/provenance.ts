// Provenance: the exact command, faultline version, trace, kernel rules and cost profile behind the page.
import type { ReportInput } from './types.js';
import { escapeHtml } from './escape.js';
import { describeMachine, thpPolicyOf } from '../model/machine.js';

/** The traced machine's page size (and where it came from), and each page-size what-if. */
function pageSizeLine(r: ReportInput['replay']): string {
  const machine = r.variants[0]?.spec.machinePageSize;
  const whatIfs = r.variants.filter((v) => v.spec.pageSize).map((v) => `${v.name}: ${v.spec.pageSize} (what-if on the trace)`);
  const base = machine ? `${machine} (--machine-page-size)` : '4k (the default: x86-64, or --machine-page-size)';
  return [base, ...whatIfs, ...(r.page_size_note ? [r.page_size_note] : [])].join('; ');
}

export function provenanceHtml(input: ReportInput): string {
  const p = input.provenance;
  const r = input.replay;
  const rows: [string, string, string][] = [
    ['command', 'prov-command', p.command],
    ['faultline version', 'prov-version', p.version],
    ['trace', 'prov-trace', `${p.trace} (${r.format}, ${(r.span_ns / 1e9).toFixed(3)} s)`],
    ['kernel rules', 'prov-kernel', p.kernelRules],
    ['cost profile', 'prov-costs', p.costProfile],
    // the trace's own page size (--machine-page-size), and each variant's where a what-if changes it
    ['page size', 'prov-page-size', pageSizeLine(r)],
    // what the trace showed of the machine's zero page and THP policy (or the overrides given), with the evidence
    ...(r.machine ? [['traced machine', 'prov-machine', describeMachine(r.machine)] as [string, string, string]] : []),
    ['variants', 'prov-variants', r.variants.map((v) => `${v.name} [${[...v.spec.patches, 'thp=' + (r.machine ? thpPolicyOf(r.machine, v.spec.thp, v.spec.thpFromTrace) : v.spec.thp) + (v.spec.thpFromTrace ? ' (as the trace shows)' : ''), v.spec.useZeroPage ? 'zero page' : 'no zero page', ...(v.spec.pageSize ? [`${v.spec.pageSize} pages (what-if)`] : [])].join(', ')}]`).join('; ')],
  ];
  if (p.generated) rows.push(['generated', 'prov-generated', p.generated]);
  return `<dl class="provenance">${rows.map(([k, id, v]) => `<dt>${escapeHtml(k)}</dt><dd id="${id}"><code>${escapeHtml(v)}</code></dd>`).join('')}</dl>`;
}
