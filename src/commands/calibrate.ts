// Placeholder: `faultline calibrate` is registered here; its owner replaces this file.
import type { Command } from 'commander';
import { action, UsageError } from '../errors.js';

export function registerCalibrate(program: Command): void {
  program
    .command('calibrate')
    .description('(not implemented yet)')
    .action(
      action(() => {
        throw new UsageError('calibrate is not implemented yet');
      }),
    );
}
