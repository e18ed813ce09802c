// The one failure calibrate raises: a run that cannot go on (no compiler, the program failed, unexpected output).
import { userError, type FaultlineError } from '../traces/errors.js';

/** A calibrate run that cannot go on (no compiler, the program failed): one line for the user, exit status 1. */
export function calibrateFailed(message: string): FaultlineError {
  return userError(message, { exitCode: 1 });
}
