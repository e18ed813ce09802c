// Turns any failure into stderr text and an exit status: a user error is one line (and its hint), anything else is
// a bug report with the stack. Commander's own usage errors (unknown option, missing argument) exit 2 as well.
import { CommanderError } from 'commander';
import { isUserError, EXIT_USAGE } from '../traces/errors.js';
import { packageVersion } from './version.js';

/** Exit status of an internal error (sysexits.h EX_SOFTWARE). */
export const EXIT_INTERNAL = 70;

export function reportError(err: unknown): number {
  if (isUserError(err)) {
    // A query error prints bpftrace's text (location, source line, ~~~ marks) as is.
    process.stderr.write(err.detail ? `${err.detail}\n` : `faultline: ${err.message.split('\n')[0]}\n`);
    if (err.hint) process.stderr.write(`  hint: ${err.hint}\n`);
    return err.exitCode;
  }
  if (err instanceof CommanderError) {
    // Commander already printed its message (or the help / version); only the status is ours.
    return err.exitCode === 0 ? 0 : EXIT_USAGE;
  }
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e === 'object' && e.code === 'EPIPE') return 0; // the reader went away (`| head`): not an error
  const msg = e instanceof Error ? e.message : String(err);
  process.stderr.write(
    `faultline: internal error: ${msg.split('\n')[0]}\n` +
      `This is a bug in faultline ${packageVersion()} (node ${process.version}); please report it with the command line and this stack:\n` +
      `${e instanceof Error && e.stack ? e.stack : String(err)}\n`,
  );
  return EXIT_INTERNAL;
}

/** Wrap a commander action so every failure goes through reportError. */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<number | void> | number | void) {
  return async (...args: A): Promise<void> => {
    try {
      const code = await fn(...args);
      if (typeof code === 'number' && code !== 0) process.exitCode = code;
    } catch (err) {
      process.exitCode = reportError(err);
    }
  };
}

/** The one stderr line every command prints when a reader skipped lines it could not read (counted, not fatal). */
export function warnSkippedLines(trace: string, skipped: number, first: { file: string; line: number; reason: string } | undefined): void {
  if (skipped === 0) return;
  const where = first ? ` (first: ${first.file}:${first.line}: ${first.reason})` : '';
  // the reader's own name for the input (<stdin> for -)
  process.stderr.write(`faultline: warning: ${first?.file ?? trace}: skipped ${skipped} unreadable line${skipped === 1 ? '' : 's'}${where}; \`faultline info\` lists them\n`);
}
