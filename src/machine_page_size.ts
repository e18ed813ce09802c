// The traced machine's page size read from the trace itself (a Perfetto trace's SystemInfo) for the commands that
// replay or validate, before their variants are built.
import { STDIN } from '../traces/read.js';
import { perfettoSystemInfo } from '../traces/perfetto_system_info.js';
import { GEOMETRIES, PAGE_SIZE_NAMES, parsePageSize, type PageSizeName } from '../model/page_geometry.js';

/**
 * The traced machine's page size from the trace itself when --machine-page-size is not given: a Perfetto trace's
 * SystemInfo.page_size (traces/perfetto_system_info.ts), as trace_processor takes it. Sets o.machinePageSize and says
 * so on stderr; a given --machine-page-size wins (stderr says when the trace disagrees).
 */
export async function machinePageSizeFromTrace(trace: string, o: { machinePageSize?: string }): Promise<void> {
  if (trace === STDIN) return; // read once only
  const si = await perfettoSystemInfo(trace);
  if (si === null || si.pageSize === undefined) return;
  const note = (l: string): boolean => process.stderr.write(`faultline: ${trace}: ${l}\n`);
  const name: PageSizeName | undefined = PAGE_SIZE_NAMES.find((n) => 2 ** GEOMETRIES[n].pageShift === si.pageSize);
  const from = `the trace's SystemInfo page_size ${si.pageSize}${si.machine ? ` (${si.machine})` : ''}`;
  if (name === undefined) return void note(`${from} is not a page size faultline models (${PAGE_SIZE_NAMES.join(', ')}): ignored`);
  if (o.machinePageSize !== undefined) {
    if (parsePageSize(o.machinePageSize, '--machine-page-size') !== name) note(`--machine-page-size ${o.machinePageSize} overrides ${from}`);
    return;
  }
  o.machinePageSize = name;
  note(`machine page size ${name}: from ${from}`);
}
