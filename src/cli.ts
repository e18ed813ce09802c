// faultline's command line: the only module that knows traces/, model/, analyze/ and reports/ together (through the
// command being run). Entry point of bin/faultline.js: parse argv, run, turn any failure into a status.
import { reportError } from './errors.js';
import { buildProgram } from './program.js';
import { restartWithLowMemory, wantsRestart } from './low_memory.js';
import { keepHeapGrowingSmall } from './heap_growing.js';

// `faultline ... | head`: the reader went away, so stop at once, quietly, status 0 (replay and query used to die with a stack).
for (const stream of [process.stdout, process.stderr])
  stream.on('error', (err: NodeJS.ErrnoException) => process.exit(err.code === 'EPIPE' ? 0 : reportError(err)));

const argv = process.argv.slice(2);
const restart = wantsRestart(argv);
// (the restarted node has --optimize-for-size, which keepHeapGrowingSmall leaves alone)
if (!restart) keepHeapGrowingSmall();
const run = restart
  ? restartWithLowMemory(argv).then((status) => void (process.exitCode = status))
  : buildProgram(argv).then((program) => program.parseAsync(process.argv));
run.catch((err: unknown) => {
  process.exitCode = reportError(err);
});
