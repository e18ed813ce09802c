// Placeholder: `faultline record` is registered here; its owner replaces this file.
import type { Command } from 'commander';
import { action, UsageError } from '../errors.js';

export function registerRecord(program: Command): void {
  program
    .command('record')
    .description('(not implemented yet)')
    .action(
      action(() => {
        throw new UsageError('record is not implemented yet');
      }),
    );
}
