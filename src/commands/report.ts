// `faultline report`: replay a trace (or read a replay's JSON) and write the self-contained HTML page, SVGs and PNGs.
import type { Command } from 'commander';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { action } from '../errors.js';
import { userError } from '../../traces/errors.js';
import { packageVersion } from '../version.js';
import type { EventSink, ReadResult, TraceFormat } from '../../traces/events.js';
import { readTrace } from '../../traces/read.js';
import type { ReplayProbes, VariantSpec } from '../../model/types.js';
import { createReplay } from '../../model/replay.js';
import { createLatencyValidator } from '../../analyze/latency/validate.js';
import { createFaultTimeSanity, sanityText } from '../../analyze/latency/sanity.js';
import type { CostProfile } from '../../model/costs.js';
import { declareCommand } from '../command_list.js';
import { addOptions, traceFormat, VARIANT_OPTIONS, type VariantCliOptions } from '../options.js';
import { resolveProfile, variantsFromCli } from '../variants.js';
import { machinePageSizeFromTrace } from '../machine_page_size.js';
import { progressBar } from '../progress.js';
import { buildReport } from '../../reports/html.js';
import { buildCharts } from '../../reports/charts.js';
import { createReportCollector, emptyFaultBins } from '../../reports/aggregate.js';
import { parseReplayJson, parseValidateJson } from '../../reports/replay_json.js';
import type { ReportInput, ValidateSummary } from '../../reports/types.js';

export interface ReportOptions extends Partial<VariantCliOptions> {
  output: string;
  /** A profile name or file, or 'none' for no modelled latency; default the shipped DEFAULT_PROFILE. */
  profile?: string;
  allowLost?: boolean;
  format?: string;
  json?: boolean;
  fromJson?: string;
  /** A validate --json file, or false for --no-validate; default: validate mainline in the same pass. */
  validate?: string | boolean;
  svg?: string;
  png?: string;
  screenshot?: string;
  pdf?: string;
  /** A faultline batch output directory: write the fleet page instead of a single trace's. */
  fleet?: string;
}

async function replayTrace(trace: string, variants: VariantSpec[], profile: CostProfile | null, validate: boolean, format: TraceFormat | undefined): Promise<Omit<ReportInput, 'provenance'>> {
  const collector = createReportCollector({ heatVariant: variants[0].name, baseVariant: variants[0].name });
  const sanity = profile ? createFaultTimeSanity(variants[0].name) : null;
  const probes: ReplayProbes = sanity ? { ...collector.probes, fault: (r) => (collector.probes.fault!(r), sanity.onFault(r)) } : collector.probes;
  const replay = createReplay(variants, probes, { profile });
  // One read feeds the replay and (for the fidelity chart) the validator of the first variant, mainline.
  const validator = validate ? createLatencyValidator(variants[0], profile) : null;
  const sink: EventSink = validator
    ? (e) => {
        replay.sink(e);
        validator.sink(e);
      }
    : replay.sink;
  const bar = progressBar(trace);
  let read: ReadResult;
  try {
    read = await readTrace(trace, sink, { onProgress: bar.onProgress, format });
  } finally {
    bar.done();
  }
  const { faults, forks } = collector.result();
  return { replay: replay.finish(read), faults, forks, validate: validator ? validator.finish(read) : null, sanity: sanity ? sanity.finish() : null };
}

const SCREENSHOT_HEIGHT = 1900;

/** Opens the page in headless Chromium (network blocked), waits for <body data-rendered>, and hands it to `use`. */
async function withRenderedPage(html: string, what: string, use: (page: import('playwright-core').Page) => Promise<void>): Promise<void> {
  const chromiumPath = process.env.FAULTLINE_CHROMIUM ?? '/usr/bin/chromium';
  let pw: typeof import('playwright-core');
  try {
    pw = await import('playwright-core');
  } catch {
    throw userError(`${what} needs playwright-core (a dev dependency): npm install`);
  }
  try {
    statSync(chromiumPath);
  } catch {
    throw userError(`${what} needs Chromium at ${chromiumPath} (apt-get install chromium, or set FAULTLINE_CHROMIUM)`);
  }
  const browser = await pw.chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1300, height: 900 }, deviceScaleFactor: 1 });
    await page.route('**/*', (r) => (/^(file|data|about):/.test(r.request().url()) ? r.continue() : r.abort()));
    await page.setContent(html, { waitUntil: 'load' });
    // the page's own signal that every chart has been drawn (reports/html.ts BOOT), not a guess at a delay
    await page.waitForSelector('body[data-rendered]', { state: 'attached', timeout: 120_000 });
    const state = await page.evaluate(() => document.body.dataset.rendered);
    if (state !== 'ok') throw userError(`${what}: some charts failed to render in Chromium (data-rendered=${state})`);
    await use(page);
  } finally {
    await browser.close();
  }
}

async function screenshot(html: string, file: string): Promise<void> {
  await withRenderedPage(html, '--screenshot', async (page) => {
    // The top of the page (summary tables and the headline chart): a README-sized image, not a 5000 px strip.
    const height = await page.evaluate(() => document.documentElement.scrollHeight);
    await page.screenshot({ path: file, fullPage: true, clip: { x: 0, y: 0, width: 1300, height: Math.min(height, SCREENSHOT_HEIGHT) } });
  });
}

async function printPdf(html: string, file: string): Promise<void> {
  await withRenderedPage(html, '--pdf', async (page) => {
    await page.emulateMedia({ media: 'print' });
    await page.pdf({ path: file, format: 'A4', landscape: true, printBackground: true, scale: 0.6 });
  });
}

export async function runReport(trace: string | undefined, o: ReportOptions, argv: string[] = process.argv): Promise<number> {
  let data: Omit<ReportInput, 'provenance'>;
  let costProfile = 'as in the replay JSON';
  const validateFile = typeof o.validate === 'string' ? o.validate : undefined;
  if (o.fromJson) {
    const replay = parseReplayJson(readText(o.fromJson), o.fromJson);
    data = { replay, faults: emptyFaultBins(), forks: { records: [], total: {} }, validate: null };
  } else {
    if (!trace) throw userError('report needs a TRACE (or --from-json FILE)');
    await machinePageSizeFromTrace(trace, o);
    const variants = variantsFromCli(o);
    const profile = await resolveProfile(o.profile, trace, variants[0]!, traceFormat(o.format));
    costProfile = profile ? `${profile.name} (${profile.source})` : 'none: modelled latencies are 0';
    data = await replayTrace(trace, variants, profile, o.validate !== false && validateFile === undefined, traceFormat(o.format));
  }
  const validate: ValidateSummary | null = validateFile ? parseValidateJson(readText(validateFile), validateFile) : data.validate;
  const v0 = data.replay.variants[0];
  const input: ReportInput = {
    ...data,
    validate,
    provenance: {
      command: ['faultline', ...argv.slice(2)].map(shellQuote).join(' '),
      version: packageVersion(),
      trace: trace ?? data.replay.trace,
      kernelRules: v0?.spec?.kernel ?? o.kernel ?? 'unknown',
      costProfile,
      generated: new Date().toISOString(),
    },
  };
  const charts = buildCharts(input);
  const html = buildReport(input, { charts });
  writeOut(o.output, html);
  const outputs = [o.output];
  if (o.svg || o.png) {
    // vega and resvg load only here: a page without static charts never pays for them.
    const { renderPng, renderSvg } = await import('../../reports/svg.js');
    for (const d of [o.svg, o.png]) if (d) makeDir(d);
    for (const c of charts) {
      const svg = await renderSvg(c.spec);
      if (o.svg) outputs.push(writeOut(join(o.svg, `${c.id}.svg`), svg));
      if (o.png) outputs.push(writeOut(join(o.png, `${c.id}.png`), renderPng(svg)));
    }
  }
  if (o.screenshot) {
    await screenshot(html, o.screenshot);
    outputs.push(o.screenshot);
  }
  if (o.pdf) {
    await printPdf(html, o.pdf);
    outputs.push(o.pdf);
  }
  // The page shows these too; say them here so a script that only reads stderr sees them.
  const lost = input.replay.lost_events;
  let code = 0;
  if (lost !== 0) {
    // As `faultline replay`: a trace with holes gives figures that may be low; the page is written and says so.
    process.stderr.write(`faultline: ${input.provenance.trace}: ${lost < 0 ? 'some' : lost} events were lost while recording; figures may be low (pass --allow-lost to accept)\n`);
    if (!o.allowLost) code = 3;
  }
  const insane = sanityText(input.sanity);
  if (insane) process.stderr.write(`faultline: warning: ${insane}\n`);
  if (validate && validate.compared > 0 && validate.match_ratio < 0.99) process.stderr.write(`faultline: warning: rss_stat match ratio ${(validate.match_ratio * 100).toFixed(2)}%: the model and the kernel disagree\n`);
  process.stderr.write(`faultline: wrote ${outputs.length === 1 ? outputs[0] : `${o.output} and ${outputs.length - 1} more files`} (${(html.length / 1048576).toFixed(2)} MiB page)\n`);
  if (o.json) {
    const summary = {
      page: o.output,
      files: outputs,
      page_bytes: Buffer.byteLength(html),
      variants: input.replay.variants.map((v) => v.name),
      lost_events: lost,
      match_ratio: validate && validate.compared > 0 ? validate.match_ratio : null,
      exit: code,
    };
    process.stdout.write(JSON.stringify(summary) + '\n');
  }
  return code;
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw userError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

function writeOut(file: string, data: string | Buffer): string {
  try {
    writeFileSync(file, data);
  } catch (e) {
    throw userError(`${file}: cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return file;
}

function makeDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw userError(`${dir}: cannot create the folder (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}


/** The fleet page; each trace at the extremes gets this command's single-trace page, with the batch's settings. */
async function fleetReport(o: ReportOptions, argv: string[] = process.argv): Promise<number> {
  const { runFleetReport } = await import('../fleet_report.js'); // DuckDB loads only for --fleet
  const files = await runFleetReport({
    dir: o.fleet!,
    output: o.output,
    extremes: 3,
    command: ['faultline', ...argv.slice(2)].map(shellQuote).join(' '),
    version: packageVersion(),
    renderTrace: async (file, output, b) => {
      await runReport(file, { ...b.variant_options, kernel: b.kernel, machineNoZeroPage: !b.machineZeroPage, profile: b.profile, output, allowLost: true }, argv);
    },
  });
  process.stderr.write(`faultline: wrote ${o.output} and ${files.length - 1} single-trace reports\n`);
  return 0;
}

export function registerReport(program: Command): void {
  const cmd = declareCommand(program, 'report')
    .requiredOption('-o, --output <file>', 'the HTML page to write')
    .option('--from-json <file>', 'build the page from `faultline replay --json` output instead of replaying a trace')
    .option('--validate <file>', 'show this `faultline validate --json` result instead of validating mainline in the same pass')
    .option('--no-validate', 'skip the rss_stat check (the fidelity chart then says so)')
    .option('--svg <dir>', 'also write each chart as a static SVG (rendered server-side with vega)')
    .option('--png <dir>', 'also write each chart as a PNG (via resvg)')
    .option('--screenshot <file>', 'also write a PNG screenshot of the top of the page: summary and headline chart (needs Chromium)')
    .option('--pdf <file>', 'also print the whole page to PDF once every chart has rendered (needs Chromium)')
    .option('--fleet <dir>', 'a faultline batch output: distributions across traces, the extremes with their own reports (written to OUTPUT-traces/)');
  addOptions(cmd, ['json', 'kernel', 'machineNoZeroPage', 'machinePageSize', 'allowLost', 'profile', 'format', ...VARIANT_OPTIONS, 'lowMemory'], {
    json: 'also print what was written as one JSON object on stdout: page, files, page_bytes, variants, lost_events, match_ratio, exit',
  });
  cmd.addHelpText(
    'after',
    `
Examples:
  faultline report t.txt.gz --patch cow-pte -o report.html          mainline and COW page tables, side by side
  faultline report t.txt.gz --patch refpage --svg figs/ -o r.html    also one SVG per chart, for a mailing-list post
  faultline report t.txt.gz --patch cow-pte -o r.html --json | jq .match_ratio
  faultline replay t.txt.gz --series --json > r.json && faultline report --from-json r.json -o r.html
  faultline batch traces/ -o fleet --patch cow-pte && faultline report --fleet fleet -o fleet.html

Exit status: 0 ok, 2 bad usage or input, 3 events were lost (without --allow-lost; the page is still written).`,
  );
  cmd.action(action((trace: string | undefined, o: ReportOptions) => (o.fleet ? fleetReport(o) : runReport(trace, o))));
}
