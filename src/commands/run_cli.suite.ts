// Shared by the command tests: run faultline commands in-process and capture stdout, stderr and the exit code.
import { Command } from 'commander';

export interface CliRun {
  out: string;
  err: string;
  code: number;
}

/** Register commands on a fresh program, run `faultline ...argv`, restore the streams and process.exitCode. */
export async function runCli(register: (p: Command) => void, argv: string[]): Promise<CliRun> {
  let out = '';
  let err = '';
  const ow = process.stdout.write.bind(process.stdout);
  const ew = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string | Uint8Array) => ((out += String(s)), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string | Uint8Array) => ((err += String(s)), true)) as typeof process.stderr.write;
  process.exitCode = 0;
  try {
    const p = new Command('faultline').exitOverride();
    register(p);
    await p.parseAsync(['node', 'faultline', ...argv]);
  } finally {
    process.stdout.write = ow;
    process.stderr.write = ew;
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { out, err, code };
}
