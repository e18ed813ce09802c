// Errors a user can act on. The CLI prints `message` as one line (no stack) and exits with `exitCode`.
export class TraceError extends Error {
  readonly userFacing = true;
  constructor(
    message: string,
    readonly file: string = '',
    readonly line: number = 0,
    readonly exitCode: number = 2,
  ) {
    super(file ? `${file}${line ? `:${line}` : ''}: ${message}` : message);
    this.name = 'TraceError';
  }
}
