// Errors the model raises for bad input (a version, a selector): one line for the user, never a stack trace.

export class ModelError extends Error {
  readonly userFacing = true;
  constructor(message: string, readonly exitCode = 2) {
    super(message);
    this.name = 'ModelError';
  }
}
