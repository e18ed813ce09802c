// --low-memory: run the command under V8's --optimize-for-size, restarting node with it when it is not in force
// (a V8 flag set after start-up does not resize the heap already made, so the flag must be node's own).
import { spawn } from 'node:child_process';
import { constants } from 'node:os';

/** The V8 flag: a small young generation and the memory-constrained heap growing (V8's own, dynamic, heuristics). */
export const LOW_MEMORY_V8_FLAG = '--optimize-for-size';

/** argv asks for --low-memory and this node was started without the flag. */
export function wantsRestart(argv: readonly string[], execArgv: readonly string[] = process.execArgv): boolean {
  return argv.includes('--low-memory') && !execArgv.includes(LOW_MEMORY_V8_FLAG);
}

/**
 * Run this same command line in a node started with the flag, stdin, stdout and stderr shared; resolves to its exit
 * status (128 + the signal's number when a signal ended it, as a shell reports it). SIGINT and SIGTERM are passed on.
 */
export function restartWithLowMemory(argv: readonly string[]): Promise<number> {
  const child = spawn(process.execPath, [LOW_MEMORY_V8_FLAG, ...process.execArgv, process.argv[1]!, ...argv], { stdio: 'inherit' });
  const pass = (sig: NodeJS.Signals): void => void child.kill(sig);
  process.on('SIGINT', pass);
  process.on('SIGTERM', pass);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 + (constants.signals[signal] ?? 0) : 1)));
  });
}
