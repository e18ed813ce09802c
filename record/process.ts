// The parts both backends share: the recorded command's signals and exit status, its stdout (the truth file), and
// copying the text trace into the output file (gzipped when it ends in .gz).
import { userError } from '../traces/errors.js';
import type { ChildProcess } from 'node:child_process';
import { closeSync, createWriteStream, openSync } from 'node:fs';
import { Transform, type Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { RecordOptions } from './options.js';

/** Lets Ctrl-C reach the recorded command (same process group) while we stay alive to finish the trace. */
export function holdSignals(): () => void {
  const ignore = (): void => {};
  process.on('SIGINT', ignore);
  process.on('SIGTERM', ignore);
  process.on('SIGHUP', ignore);
  return () => {
    process.off('SIGINT', ignore);
    process.off('SIGTERM', ignore);
    process.off('SIGHUP', ignore);
  };
}

export function waitExit(child: ChildProcess, what: string): Promise<number> {
  return new Promise((resolve, reject) => {
    child.once('error', (err) => reject(userError(`cannot run ${what}: ${err.message}`)));
    child.once('close', (code, signal) => resolve(code ?? (signal ? 128 + signalNumber(signal) : 1)));
  });
}

function signalNumber(sig: NodeJS.Signals): number {
  const table: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGSEGV: 11, SIGPIPE: 13, SIGTERM: 15 };
  return table[sig] ?? 0;
}

/** Where the command's stdout goes: the truth file, or our own stdout. close() is idempotent. */
export function stdoutTarget(opts: RecordOptions): { fd: number | 'inherit'; close: () => void } {
  if (!opts.truthFile) return { fd: 'inherit', close: () => {} };
  let fd: number;
  try {
    fd = openSync(opts.truthFile, 'w');
  } catch (err) {
    throw userError(`cannot write ${opts.truthFile}: ${(err as Error).message}`);
  }
  let open = true;
  return {
    fd,
    close: () => {
      if (open) closeSync(fd);
      open = false;
    },
  };
}

/** Copies a stream into the output file, gzipping when it ends in .gz; counts bytes and lost-event records. */
export async function writeOutput(src: Readable, output: string, scan?: (chunk: string) => void): Promise<number> {
  let bytes = 0;
  let carry = '';
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      bytes += chunk.length;
      if (scan) {
        const s = carry + chunk.toString('latin1');
        const cut = s.lastIndexOf('\n');
        scan(s.slice(0, cut + 1));
        carry = s.slice(cut + 1);
      }
      cb(null, chunk);
    },
    flush(cb) {
      if (scan && carry) scan(carry);
      cb();
    },
  });
  const out: Writable = createWriteStream(output);
  try {
    if (output.endsWith('.gz')) await pipeline(src, counter, createGzip({ level: 9 }), out);
    else await pipeline(src, counter, out);
  } catch (err) {
    throw userError(`cannot write ${output}: ${(err as Error).message}`);
  }
  return bytes;
}
