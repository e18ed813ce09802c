// `faultline calibrate`: measure the cost profile (ns per modelled fault/fork step) on this machine.
import type { Command } from 'commander';
import { readFileSync, writeFileSync } from 'node:fs';
import { action } from '../errors.js';
import { userError } from '../../traces/errors.js';
import { parseCalibrateOutput } from '../../calibrate/output.js';
import { buildProfile } from '../../calibrate/profile.js';
import { runCalibrate } from '../../calibrate/run.js';
import { compareProfiles, formatComparison, formatTable } from '../../calibrate/table.js';
import { validateProfile, type ProfileFile } from '../../model/costs.js';
import { declareCommand } from '../command_list.js';
import { addOptions } from '../options.js';

interface CalibrateOpts {
  output?: string;
  runs: string;
  quick?: boolean;
  name?: string;
  compare?: string;
  conditions?: string;
  raw?: string;
  fromRaw?: string;
  idlePeers?: boolean;
  json?: boolean;
}

function readProfile(file: string): ProfileFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw userError(`${file}: cannot read the profile to compare with`);
  }
  try {
    return validateProfile(JSON.parse(text), file);
  } catch (e) {
    if (e instanceof SyntaxError) throw userError(`${file}: not valid JSON`);
    throw e;
  }
}

export function registerCalibrate(program: Command): void {
  addOptions(declareCommand(program, 'calibrate'), ['json'], { json: 'print the profile JSON on stdout instead of the table (a --compare table then goes to stderr)' })
    .option('-o, --output <file>', 'write the profile JSON here (default: print only)')
    .option('--runs <n>', 'repetitions of every measurement', '5')
    .option('--quick', 'small regions and sizes: a smoke run of a second or two, not a usable profile')
    .option('--name <name>', 'profile name (default: <arch>-<kernel>)')
    .option('--compare <profile.json>', 'also print each step median next to this profile\'s and their ratio; exit 1 if a priced step differs by >20%')
    .option('--raw <file>', 'also keep the calibrate program\'s raw samples in this file')
    .option('--from-raw <file>', 'build the profile from samples kept with --raw instead of measuring again')
    .option('--conditions <text>', 'free-form note on the machine load during the run, stored in the profile')
    .option('--idle-peers', 'no idle-priority spinners on the other CPUs: TLB-flush costs then follow whatever else runs there (not repeatable on a shared VM)')
    .addHelpText(
      'after',
      `
Examples:
  faultline calibrate --quick                                  a few seconds: does cc build it, does it run here?
  faultline calibrate -o /tmp/my-machine.json --conditions "idle, 2 vCPUs"
  faultline replay t.txt.gz --profile /tmp/my-machine.json     price the model's faults with this machine's costs
  faultline calibrate --compare model/profiles/x86_64-kvm-6.18.json --raw /tmp/samples.txt
  faultline calibrate --from-raw /tmp/samples.txt --json > /tmp/profile.json   rebuild without measuring again

Exit status: 0 ok; 1 when the measurement fails (no cc, the program fails) or a --compare step differs by >20%;
2 bad usage.`,
    )
    .action(
      action((opts: CalibrateOpts) => {
        const runs = Number(opts.runs);
        if (!Number.isInteger(runs) || runs < 1 || runs > 1000) throw userError(`--runs must be an integer from 1 to 1000, got "${opts.runs}"`);
        const other = opts.compare ? readProfile(opts.compare) : null;
        let text: string;
        if (opts.fromRaw) {
          try {
            text = readFileSync(opts.fromRaw, 'utf8');
          } catch {
            throw userError(`${opts.fromRaw}: cannot read the raw calibrate samples`);
          }
        } else {
          process.stderr.write(`faultline: calibrating (${opts.quick ? 'quick' : `${runs} runs`}; about ${opts.quick ? 3 : 20 * runs} s)...\n`);
          text = runCalibrate({ runs, quick: !!opts.quick, idlePeers: !!opts.idlePeers });
        }
        if (opts.raw) writeFileSync(opts.raw, text);
        const out = parseCalibrateOutput(text, opts.fromRaw ?? 'calibrate');
        const measuredRuns = out.info.runs ?? String(runs);
        const argv = ['faultline', 'calibrate', `--runs ${measuredRuns}`, ...(out.info.quick === '1' ? ['--quick'] : []), ...(out.info.peer_spinners === '0' ? ['--idle-peers'] : []), ...(opts.name ? [`--name ${opts.name}`] : [])];
        if (opts.fromRaw) argv.push('(profile rebuilt from its kept --raw samples)');
        const name = opts.name ?? `${out.info.machine ?? process.arch}-${out.info.kernel ?? 'unknown'}`;
        const profile = buildProfile(out, { name, command: argv.join(' '), date: out.info.date ?? new Date().toISOString(), conditions: opts.conditions });
        // With --json stdout holds only the profile; the human-readable table and comparison go to stderr.
        const human = opts.json ? process.stderr : process.stdout;
        if (opts.json) process.stdout.write(JSON.stringify(profile, null, 2) + '\n');
        else process.stdout.write(formatTable(profile));
        for (const n of profile.notes ?? []) human.write(`note: ${n}\n`);
        if (opts.output) {
          writeFileSync(opts.output, JSON.stringify(profile, null, 2) + '\n');
          process.stderr.write(`faultline: wrote ${opts.output}\n`);
        }
        if (other) {
          const cmp = formatComparison(compareProfiles(other, profile));
          human.write(`\nstep medians: ${opts.compare} (other) vs this run, ratio this/other:\n${cmp.text}`);
          const diag = cmp.diagnosticsOver.length > 0 ? `; diagnostics past 20%, not priced: ${cmp.diagnosticsOver.join(', ')}` : '';
          if (cmp.worst > 0.2) {
            process.stderr.write(`faultline: some priced step medians differ by more than 20% (worst ${cmp.worstStep}: ${(cmp.worst * 100).toFixed(0)}%)${diag}\n`);
            return 1;
          }
          process.stderr.write(`faultline: every priced step median within 20% of ${opts.compare} (worst ${cmp.worstStep}: ${(cmp.worst * 100).toFixed(0)}%)${diag}\n`);
        }
        return 0;
      }),
    );
}
