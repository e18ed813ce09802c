// Placeholder: `faultline query` is registered here; its owner replaces this file.
import type { Command } from 'commander';
import { action, UsageError } from '../errors.js';

export function registerQuery(program: Command): void {
  program
    .command('query')
    .description('(not implemented yet)')
    .action(
      action(() => {
        throw new UsageError('query is not implemented yet');
      }),
    );
}
