// faultline's one error type, in the lowest folder so every other may import it: a user error or an internal one.
// User error: one line naming the file (and line) and what is wrong, an optional hint, an exit status (2: bad
// usage or input). Internal: a bug; the CLI prints a bug report with the stack. Any other thrown value is internal.

export type ErrorKind = 'user' | 'internal';

/** Exit status of a user error unless it says otherwise: bad usage or input. */
export const EXIT_USAGE = 2;

export interface ErrorWhere {
  /** The file the error is about; the message then starts `FILE:` (or `FILE:LINE:`). */
  file?: string;
  line?: number;
  /** What the user can do about it, printed on its own line under the message. */
  hint?: string;
  exitCode?: number;
  /** Context printed under the message as is (a query's source line and its ~~~ marks). */
  detail?: string;
}

export class FaultlineError extends Error {
  readonly file: string;
  readonly line: number;
  readonly hint: string;
  readonly exitCode: number;
  readonly detail: string;
  constructor(
    readonly kind: ErrorKind,
    /** The message without its `FILE:LINE:` prefix. */
    readonly reason: string,
    where: ErrorWhere = {},
  ) {
    const file = where.file ?? '';
    const line = where.line ?? 0;
    super(file ? `${file}${line ? `:${line}` : ''}: ${reason}` : line ? `line ${line}: ${reason}` : reason);
    this.name = 'FaultlineError';
    this.file = file;
    this.line = line;
    this.hint = where.hint ?? '';
    this.exitCode = where.exitCode ?? (kind === 'user' ? EXIT_USAGE : 70);
    this.detail = where.detail ?? '';
  }
}

/** An error the user caused and can fix (bad option, unreadable file, malformed input). */
export function userError(reason: string, where: ErrorWhere = {}): FaultlineError {
  return new FaultlineError('user', reason, where);
}

/** A broken invariant inside faultline: reported as a bug, with the stack. */
export function internalError(reason: string): FaultlineError {
  return new FaultlineError('internal', reason);
}

export function isUserError(err: unknown): err is FaultlineError {
  return err instanceof FaultlineError && err.kind === 'user';
}

/** The same user error, now naming `file` (for errors raised below the layer that knows the file name). */
export function inFile(err: FaultlineError, file: string): FaultlineError {
  return userError(err.reason, { file, line: err.line, hint: err.hint, exitCode: err.exitCode, detail: err.detail });
}
