// `faultline query`: bpftrace one-liners over a recorded trace and over the model's replay of it.
import type { Command } from 'commander';
import { readFileSync, statSync } from 'node:fs';
import { action, warnSkippedLines } from '../errors.js';
import { inFile, isUserError, userError } from '../../traces/errors.js';
import { BPFTRACE_VERSIONS, CURRENT_BPFTRACE, compileProgram, type BpftraceVersion, type OutputFormat, type Program } from '../../analyze/run.js';
import type { EventSink, ReadResult } from '../../traces/events.js';
import { readTrace } from '../../traces/read.js';
import type { ReplayResult, VariantSpec } from '../../model/types.js';
import { declareCommand } from '../command_list.js';
import { addOptions, traceFormat, VARIANT_OPTIONS, type VariantCliOptions } from '../options.js';
import { DEFAULT_KERNEL } from '../../model/kernel_version.js';

const EXAMPLES = `
Examples:
  # page faults by x86 error code (bit 1 = write, bit 2 = user)
  faultline query trace.txt 't:exceptions:page_fault_user { @[args.error_code] = count(); }'
  # write faults per process name
  faultline query trace.txt -e 't:exceptions:page_fault_user /args.error_code & 2/ { @writes[comm] = count(); }'
  # mmap lengths as a power-of-two histogram
  faultline query trace.txt -e 'tracepoint:syscalls:sys_enter_mmap { @len = hist(args.len); }'
  # a program file, as bpftrace prog.bt; -f json is bpftrace's JSON output
  faultline query trace.txt prog.bt -f json
  # RSS counter updates by member, and forks per parent, as JSON
  faultline query trace.txt --json -e 't:kmem:rss_stat { @[args.member] = count(); } t:sched:sched_process_fork { @forks[args.parent_comm] = count(); }'
  # the model's fault paths, mainline next to a patch
  faultline query trace.txt --patch cow-pte 'model:fault { @[variant, path] = count(); }'

Probes: BEGIN, END, tracepoint:SUBSYS:NAME (t:, wildcards *), software:page-faults, interval:s:N / interval:ms:N
(trace time), model:fault, model:fork, model:exit, model:rss, model:cow_pte_break.
Output is bpftrace's: maps printed at the end sorted by value, hist/lhist bars; -f json (or --json) is bpftrace's
-f json. Where bpftrace releases print differently, the current release's layout is used; --bpftrace 0.17 prints
Debian 12's. A field the trace does not carry (perf's unnamed fields, pointers, symbolic values) is refused.`;

interface QueryOpts extends Partial<VariantCliOptions> {
  expr?: string;
  file?: string;
  json?: boolean;
  csv?: boolean;
  /** The output format (text, json, csv), -f as in bpftrace; --format is the trace format, as in every command. */
  outputFormat?: string;
  format?: string;
  bpftrace?: string;
  allowLost?: boolean;
  profile?: string;
}

function pickFormat(o: QueryOpts): OutputFormat {
  const chosen = [o.json ? 'json' : null, o.csv ? 'csv' : null, o.outputFormat ?? null].filter((x): x is string => x !== null);
  const uniq = [...new Set(chosen)];
  if (uniq.length > 1) throw userError(`conflicting output formats: ${uniq.join(' and ')}`);
  const f = uniq[0] ?? 'text';
  if (f !== 'text' && f !== 'json' && f !== 'csv') throw userError(`unknown output format '${f}' (-f text, json or csv)`);
  return f;
}

function pickVersion(o: QueryOpts): BpftraceVersion {
  const v = o.bpftrace ?? CURRENT_BPFTRACE;
  const known = BPFTRACE_VERSIONS.find((k) => k === v);
  if (!known) throw userError(`unknown --bpftrace '${v}' (known layouts: ${BPFTRACE_VERSIONS.join(', ')})`);
  return known;
}

/** The positional program is a file when it names one (as `bpftrace prog.bt`), else program text. */
function isProgramFile(arg: string): boolean {
  if (/[{}]/.test(arg)) return false;
  try {
    return statSync(arg).isFile();
  } catch {
    if (/\.bt$/.test(arg)) throw userError(`cannot read program file ${arg}: no such file`);
    return false;
  }
}

function programSource(positional: string | undefined, o: QueryOpts): { src: string; file: string } {
  const given = [positional !== undefined, o.expr !== undefined, o.file !== undefined].filter(Boolean).length;
  if (given === 0) throw userError('no program: give one as an argument (text or a .bt file), with -e PROGRAM, or with --file FILE.bt');
  if (given > 1) throw userError('give the program once: as an argument, with -e, or with --file');
  const path = o.file ?? (positional !== undefined && isProgramFile(positional) ? positional : undefined);
  if (path !== undefined) {
    try {
      return { src: readFileSync(path, 'utf8'), file: path };
    } catch (e) {
      throw userError(`cannot read program file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  return { src: (positional ?? o.expr)!, file: 'stdin' };
}

/** No what-if option given beyond the defaults: mainline alone, nothing for variantsFromCli to build or refuse. */
function plainVariantOptions(o: QueryOpts): boolean {
  const none = (a: string[] | undefined): boolean => a === undefined || a.length === 0;
  return none(o.patch) && none(o.thp) && none(o.mthp) && none(o.pageSize) && none(o.patchOption) && o.zeroPage !== false &&
    o.select === undefined && o.baseThp === undefined && o.baseMthp === undefined && o.machinePageSize === undefined &&
    (o.kernel === undefined || o.kernel === DEFAULT_KERNEL);
}

export async function runQuery(trace: string, positional: string | undefined, o: QueryOpts): Promise<number> {
  const format = pickFormat(o);
  const bpftrace = pickVersion(o);
  const { src, file } = programSource(positional, o);
  // printf-heavy programs write millions of small strings: batch them into 64 KiB writes.
  let pending = '';
  const write = (s: string): void => {
    pending += s;
    if (pending.length >= 65536) flush();
  };
  const flush = (): void => {
    if (pending) process.stdout.write(pending);
    pending = '';
  };
  // the kernel's tracepoint list: the system of bare ftrace event names, and which probes name no tracepoint at all
  const tp = await import('../../analyze/tracepoint_check.js');
  let program: Program;
  try {
    // (the CSV writer is arquero's: ~166 modules, loaded only when CSV is printed)
    const csv = format === 'csv' ? (await import('../../analyze/tables.js')).toCsv : undefined;
    program = compileProgram(src, { file, format, bpftrace, write, systemOf: tp.systemOfEvent, csv });
  } catch (e) {
    if (isUserError(e) && e.detail) {
      process.stderr.write(e.detail + '\n');
      return e.exitCode;
    }
    throw e;
  }
  for (const n of program.notes) process.stderr.write(`faultline: note: ${n}\n`);
  // The model's modules (engine, patches, profile fit) load only when a model:* probe or a what-if option needs them:
  // a tracepoint one-liner then costs what `faultline info` does.
  const modelWanted = program.needsModel || !plainVariantOptions(o);
  const vmod = modelWanted ? await import('../variants.js') : null;
  if (program.needsModel) await (await import('../machine_page_size.js')).machinePageSizeFromTrace(trace, o);
  const variants: VariantSpec[] = vmod?.variantsFromCli(o) ?? [];
  if (variants.length > 1 && !program.needsModel)
    process.stderr.write('faultline: warning: --patch and --thp only affect model:* probes, and this program has none\n');

  let sink: EventSink = program.traceSink;
  let finish: ((r: ReadResult) => ReplayResult) | null = null;
  if (program.needsModel) {
    // latency_ns in model:fault / model:fork: the profile fitted to the trace (as replay and report), unless --profile
    const profile = await vmod!.resolveProfile(o.profile, trace, variants[0]!, traceFormat(o.format));
    const { createReplay } = await import('../../model/replay.js');
    const replay = createReplay(variants, program.probes, { profile });
    const traceSink = program.traceSink;
    const replaySink = replay.sink;
    sink = (e) => {
      traceSink(e);
      replaySink(e);
    };
    finish = replay.finish;
  }
  program.begin();
  let read: ReadResult;
  try {
    // (a trace the model does not read: faults and rss_stat reach the program by their parts, no object each)
    read = await readTrace(trace, sink, { format: traceFormat(o.format), ...(program.needsModel ? {} : { rows: program.traceRows }) });
  } finally {
    flush();
  }
  finish?.(read);
  // a probe that matched nothing and names no tracepoint the kernel defines: a typo, refused before END prints
  const unmatched = program.unmatchedProbes();
  const unknown = unmatched.map(tp.unknownTracepoint).find((r) => r !== null);
  if (unknown) throw userError(unknown, { file: trace });
  try {
    program.end();
  } catch (e) {
    // a field the trace does not carry stopped the query (analyze/builtins.ts: fieldRefusal): name the trace file
    flush();
    if (isUserError(e) && !e.file) throw inFile(e, trace);
    throw e;
  }
  flush();

  for (const probe of unmatched)
    process.stderr.write(`faultline: warning: ${probe} matched no event in ${read.file} (${read.events} events read)${tp.absentTracepointHint(probe)}\n`);
  warnSkippedLines(read.file, read.skippedLines, read.skippedExamples[0]);
  if (read.lostEvents > 0 && !o.allowLost) {
    process.stderr.write(
      `faultline: ${read.file}: the trace lost ${read.lostEvents} events, so counts above are lower bounds; pass --allow-lost to accept them\n`,
    );
    return 3;
  }
  return 0;
}

export function registerQuery(program: Command): void {
  const cmd = declareCommand(program, 'query')
    .option('-e, --expr <program>', 'program text, as bpftrace -e')
    .option('--file <file.bt>', 'read the program from a file (or give the file as the program argument, as bpftrace prog.bt)')
    .option('-f, --output-format <f>', 'output format, as bpftrace -f: text or json (or csv)')
    .option('--csv', 'maps as CSV rows')
    .option('--bpftrace <version>', `byte layout where bpftrace releases differ: ${BPFTRACE_VERSIONS.join(' or ')} (default ${CURRENT_BPFTRACE}, the current release)`);
  addOptions(cmd, ['json', 'format', 'allowLost', 'kernel', 'machineNoZeroPage', 'machinePageSize', 'profile', ...VARIANT_OPTIONS, 'lowMemory'], {
    json: "same as -f json (bpftrace's NDJSON)",
  });
  cmd.addHelpText('after', EXAMPLES)
    .action(action((trace: string, prog: string | undefined, o: QueryOpts) => runQuery(trace, prog, o)));
}
