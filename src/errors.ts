// One place that turns any failure into one line on stderr and an exit code: users never see a stack trace.
// Set FAULTLINE_DEBUG=1 to get the stack of an unexpected error.

interface UserFacing {
  userFacing: true;
  message: string;
  exitCode?: number;
}

function isUserFacing(err: unknown): err is UserFacing {
  return typeof err === 'object' && err !== null && (err as { userFacing?: unknown }).userFacing === true;
}

/** An error the user caused and can fix; the message says what to do. */
export class UsageError extends Error {
  readonly userFacing = true;
  constructor(message: string, readonly exitCode = 2) {
    super(message);
    this.name = 'UsageError';
  }
}

export function reportError(err: unknown): number {
  if (isUserFacing(err)) {
    process.stderr.write(`faultline: ${err.message.split('\n')[0]}\n`);
    return err.exitCode ?? 2;
  }
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e === 'object' && typeof e.code === 'string' && e.code === 'EPIPE') return 0;
  const msg = e instanceof Error ? e.message : String(err);
  process.stderr.write(`faultline: internal error: ${msg.split('\n')[0]} (rerun with FAULTLINE_DEBUG=1 for details, and please report it)\n`);
  if (process.env.FAULTLINE_DEBUG && e instanceof Error && e.stack) process.stderr.write(e.stack + '\n');
  return 70;
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
