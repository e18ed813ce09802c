// Placeholder: `faultline info` is registered here; its owner replaces this file.
import type { Command } from 'commander';
import { action, UsageError } from '../errors.js';

export function registerInfo(program: Command): void {
  program
    .command('info')
    .description('(not implemented yet)')
    .action(
      action(() => {
        throw new UsageError('info is not implemented yet');
      }),
    );
}
