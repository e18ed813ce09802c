// faultline's command line: the only module that knows traces/, model/, analyze/ and reports/ together (through the
// command being run). Entry point of bin/faultline.js: parse argv, run, turn any failure into a status.
import { reportError } from './errors.js';
import { buildProgram } from './program.js';

// `faultline ... | head`: the reader went away, so stop at once, quietly, status 0 (replay and query used to die with a stack).
for (const stream of [process.stdout, process.stderr])
  stream.on('error', (err: NodeJS.ErrnoException) => process.exit(err.code === 'EPIPE' ? 0 : reportError(err)));

const argv = process.argv.slice(2);
buildProgram(argv)
  .then((program) => program.parseAsync(process.argv))
  .catch((err: unknown) => {
    process.exitCode = reportError(err);
  });
