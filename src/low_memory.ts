// --low-memory: run the command under V8's --optimize-for-size, restarting node with it when it is not in force
// (a V8 flag set after start-up does not resize the heap already made, so the flag must be node's own).
import { spawn } from 'node:child_process';
import { constants } from 'node:os';

/**
 * The V8 flag: V8's conservative heap growing (src/heap/heap-controller.cc GrowingFactor: its dynamic factor capped at
 * 1.3, and 2 MB limit steps for 8; heap.cc ShouldOptimizeForMemoryUsage), so a long replay marks more often: more GC
 * time on a large live heap, which is why it is an option and not the default.
 */
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
