// Placeholder: `faultline replay` is registered here; its owner replaces this file.
import type { Command } from 'commander';
import { action, UsageError } from '../errors.js';

export function registerReplay(program: Command): void {
  program
    .command('replay')
    .description('(not implemented yet)')
    .action(
      action(() => {
        throw new UsageError('replay is not implemented yet');
      }),
    );
}
