// Placeholder: `faultline patches` is registered here; its owner replaces this file.
import type { Command } from 'commander';
import { action, UsageError } from '../errors.js';

export function registerPatches(program: Command): void {
  program
    .command('patches')
    .description('(not implemented yet)')
    .action(
      action(() => {
        throw new UsageError('patches is not implemented yet');
      }),
    );
}
