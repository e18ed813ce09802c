// The page's charts, in reading order: each entry names its spec builder (one file per chart).
import type { ReportInput } from './types.js';
import type { ChartSpec } from './common.js';
import { pgtablesOverTimeSpec } from './pgtables_over_time.js';
import { pgtablesPerSystemSpec, showPgtablesPerSystem } from './pgtables_per_system.js';
import { rssOverTimeSpec } from './rss_over_time.js';
import { faultsByPathSpec } from './faults_by_path.js';
import { latencyDistributionSpec } from './latency_distribution.js';
import { forkCostsSpec } from './fork_costs.js';
import { faultHeatmapSpec } from './fault_heatmap.js';
import { fidelitySpec } from './fidelity.js';
import { patchDeltasSpec } from './patch_deltas.js';

export interface Chart {
  /** Stable id: the page's `view-ID` container and the static file name `ID.svg`. */
  id: string;
  title: string;
  spec: ChartSpec;
}

export function buildCharts(input: ReportInput): Chart[] {
  // the whole-system view only where there is something to sum or share (several processes, or mshare variants)
  const perSystem: Chart[] = showPgtablesPerSystem(input.replay)
    ? [{ id: 'pgtables_per_system', title: 'Page tables of the whole system', spec: pgtablesPerSystemSpec(input) }]
    : [];
  return [
    { id: 'patch_deltas', title: `What each patch changes vs ${input.replay.variants[0]?.name ?? 'the baseline'}`, spec: patchDeltasSpec(input) },
    { id: 'pgtables_over_time', title: 'Page-table memory over time', spec: pgtablesOverTimeSpec(input) },
    ...perSystem,
    { id: 'rss_over_time', title: 'RSS over time', spec: rssOverTimeSpec(input) },
    { id: 'faults_by_path', title: 'Faults by path', spec: faultsByPathSpec(input) },
    { id: 'latency_distribution', title: 'Modelled fault latency', spec: latencyDistributionSpec(input) },
    { id: 'fork_costs', title: 'Fork costs', spec: forkCostsSpec(input) },
    { id: 'fault_heatmap', title: 'Where faults land', spec: faultHeatmapSpec(input) },
    { id: 'fidelity', title: 'Fidelity', spec: fidelitySpec(input) },
  ];
}
