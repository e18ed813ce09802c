// Reads `faultline replay --json` and `faultline validate --json` output back, with one-line errors on bad input.
import type { ReplayResult } from '../model/types.js';
import type { ValidateSummary } from './types.js';
import { userError } from '../traces/errors.js';


function parse(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw userError(`not JSON (${(e as Error).message.split('\n')[0]})`, { file });
  }
}

function need(cond: boolean, file: string, what: string): void {
  if (!cond) throw userError(`not a faultline replay --json result (${what})`, { file });
}

const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** A replay result from JSON text: checks every field the report reads, so a wrong file fails here, not as a blank chart. */
export function parseReplayJson(text: string, file: string): ReplayResult {
  const r = parse(text, file);
  need(isObj(r) && Array.isArray(r.variants) && r.variants.length > 0, file, 'no variants[]');
  const o = r as Record<string, unknown>;
  for (const k of ['lost_events', 'skipped_lines', 'span_ns']) need(isNum(o[k]), file, `${k} is not a number`);
  (o.variants as unknown[]).forEach((v, i) => {
    const at = `variants[${i}]`;
    need(isObj(v) && typeof v.name === 'string', file, `${at}.name missing`);
    const vv = v as Record<string, unknown>;
    need(Array.isArray(vv.processes), file, `${at}.processes missing`);
    need(isObj(vv.totals) && isObj((vv.totals as Record<string, unknown>).faults), file, `${at}.totals.faults missing`);
    const t = vv.totals as Record<string, unknown>;
    for (const k of ['rss_anon_peak_kb', 'pgtables_peak_kb', 'fault_latency_ns', 'fork_latency_ns', 'forks']) need(isNum(t[k]), file, `${at}.totals.${k} is not a number`);
    need(isObj(vv.series), file, `${at}.series missing`);
    need(Array.isArray(vv.marks), file, `${at}.marks missing`);
    need(isObj(vv.latency_ns), file, `${at}.latency_ns missing`);
    need(isObj(vv.spec), file, `${at}.spec missing`);
  });
  return r as unknown as ReplayResult;
}

/** A validate summary from `faultline validate --json`. */
export function parseValidateJson(text: string, file: string): ValidateSummary {
  const v = parse(text, file);
  const ok = isObj(v) && isNum(v.rss_stat_events) && isNum(v.compared) && isNum(v.matched) && isNum(v.match_ratio) && isObj(v.by_member);
  if (!ok) throw userError(`not a faultline validate --json result (needs rss_stat_events, compared, matched, match_ratio, by_member)`, { file });
  return v as unknown as ValidateSummary;
}
