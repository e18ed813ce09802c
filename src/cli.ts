// faultline's command line: the only module that knows traces/, model/, analyze/ and reports/ together.
import { Command } from 'commander';
import { reportError } from './errors.js';
import { packageVersion } from './version.js';
import { registerInfo } from './commands/info.js';
import { registerRecord } from './commands/record.js';
import { registerReplay } from './commands/replay.js';
import { registerValidate } from './commands/validate.js';
import { registerQuery } from './commands/query.js';
import { registerReport } from './commands/report.js';
import { registerCalibrate } from './commands/calibrate.js';
import { registerPatches } from './commands/patches.js';

export function buildProgram(): Command {
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
  registerInfo(program);
  registerRecord(program);
  registerReplay(program);
  registerValidate(program);
  registerQuery(program);
  registerReport(program);
  registerCalibrate(program);
  registerPatches(program);
  return program;
}

buildProgram()
  .parseAsync(process.argv)
  .catch((err: unknown) => {
    process.exitCode = reportError(err);
  });
