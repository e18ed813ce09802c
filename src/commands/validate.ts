// Placeholder: `faultline validate` is registered here; its owner replaces this file.
import type { Command } from 'commander';
import { action, UsageError } from '../errors.js';

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('(not implemented yet)')
    .action(
      action(() => {
        throw new UsageError('validate is not implemented yet');
      }),
    );
}
