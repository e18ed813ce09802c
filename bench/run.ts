// `npm run bench`: runs each registered section and prints its figures (not a test: nothing is asserted).
// Usage: node dist/bench/run.js [SECTION...] [--events N] [--rounds N]
// To add a section: write bench/NAME.ts exporting `section: BenchSection`, and add it to SECTIONS below.
import { pathToFileURL } from 'node:url';
import { section as parse } from './parse.js';
import { section as variants } from './variants.js';
import { section as replay } from './replay.js';
import { section as query } from './query.js';
import { section as fleet } from './fleet.js';

export interface BenchArgs {
  /** Events in the main generated trace (default 3,000,000). */
  events: number;
  /** Timed rounds per figure in the parse section, best kept (default 2: the machine is shared). */
  rounds: number;
  /** Scratch directory for generated traces. */
  tmp: string;
}

export interface BenchSection {
  name: string;
  description: string;
  run(args: BenchArgs): Promise<void>;
}

export const SECTIONS: BenchSection[] = [parse, replay, variants, query, fleet];

function parseArgs(argv: string[]): { args: BenchArgs; only: string[] } {
  const args: BenchArgs = { events: 3_000_000, rounds: 2, tmp: process.env.TMPDIR ?? '/tmp' };
  const only: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--events') args.events = Number(argv[++i]);
    else if (a === '--rounds') args.rounds = Number(argv[++i]);
    else if (a === '--help' || a === '-h') {
      console.log('usage: node dist/bench/run.js [SECTION...] [--events N] [--rounds N]\nsections: ' + SECTIONS.map((s) => `${s.name} (${s.description})`).join(', '));
      process.exit(0);
    } else only.push(a);
  }
  if (!(args.events > 0) || !(args.rounds >= 1)) throw new Error('--events and --rounds need positive numbers');
  return { args, only };
}

export async function main(argv: string[]): Promise<void> {
  const { args, only } = parseArgs(argv);
  for (const s of SECTIONS) {
    if (only.length > 0 && !only.includes(s.name)) continue;
    console.log(`\n== ${s.name}: ${s.description}`);
    await s.run(args);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((e: Error) => {
    console.error(`bench: ${e.message}`);
    process.exitCode = 1;
  });
}
