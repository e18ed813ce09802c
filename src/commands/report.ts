// Placeholder: `faultline report` is registered here; its owner replaces this file.
import type { Command } from 'commander';
import { action, UsageError } from '../errors.js';

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('(not implemented yet)')
    .action(
      action(() => {
        throw new UsageError('report is not implemented yet');
      }),
    );
}
