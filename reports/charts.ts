// The page's charts, in reading order: each entry names its spec builder (one file per chart).
import type { ReportInput } from './types.js';
import type { ChartSpec } from './common.js';
import { pgtablesOverTimeSpec } from './pgtables_over_time.js';
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
  return [
    { id: 'patch_deltas', title: `What each patch changes vs ${input.replay.variants[0]?.name ?? 'the baseline'}`, spec: patchDeltasSpec(input) },
    { id: 'pgtables_over_time', title: 'Page-table memory over time', spec: pgtablesOverTimeSpec(input) },
    { id: 'rss_over_time', title: 'RSS over time', spec: rssOverTimeSpec(input) },
    { id: 'faults_by_path', title: 'Faults by path', spec: faultsByPathSpec(input) },
    { id: 'latency_distribution', title: 'Modelled fault latency', spec: latencyDistributionSpec(input) },
    { id: 'fork_costs', title: 'Fork costs', spec: forkCostsSpec(input) },
    { id: 'fault_heatmap', title: 'Where faults land', spec: faultHeatmapSpec(input) },
    { id: 'fidelity', title: 'Fidelity', spec: fidelitySpec(input) },
  ];
}
