// The faultline program: top-level help and the commands, of which only the one being run is loaded (COMMANDS in
// command_list.ts), so `faultline --version` or `info` never load vega.
import { Command } from 'commander';
import { packageVersion } from './version.js';
import { COMMANDS, declareCommand, isCommandName, type CommandName } from './command_list.js';

/** The command argv names: the first word that is not an option (`help X` names X); faultline has no option taking a value before it. */
export function invoked(argv: readonly string[]): CommandName | null {
  const words = argv.filter((a) => !a.startsWith('-'));
  const w = words[0] === 'help' ? words[1] : words[0];
  return w !== undefined && isCommandName(w) ? w : null;
}

export async function buildProgram(argv: readonly string[]): Promise<Command> {
  const program = new Command('faultline')
    .version(packageVersion())
    .description(
      'Replay recorded page-fault, fork and mmap traces through a model of the Linux mm paths, for mainline and ' +
        'proposed patches side by side.',
    )
    .addHelpText(
      'after',
      `
Start here:
  faultline info TRACE                       what the trace holds (formats: perf script, ftrace, trace-cmd, systrace HTML, .gz)
  faultline validate TRACE                   how far the model can be trusted on it (kmem:rss_stat vs the model)
  faultline replay TRACE --patch cow-pte     mainline and a patch side by side (faultline patches lists them)
  faultline report TRACE --patch refpage -o r.html
Each command has --help with examples; --json gives machine-readable output.`,
    )
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ outputError: (str, write) => write(str) })
    // Throw instead of exiting, so reportError gives usage errors status 2 (commander's own is 1, validate's "model disagrees").
    .exitOverride();
  const run = invoked(argv);
  for (const name of Object.keys(COMMANDS) as CommandName[]) {
    if (name === run) (await COMMANDS[name].load())(program);
    else declareCommand(program, name);
  }
  return program;
}
