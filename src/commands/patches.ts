// `faultline patches [--json]`: the proposed patches faultline can replay, one line each with its source thread,
// and how --patch / --select / --patch-option / --thp pick the variants.
import type { Command } from 'commander';
import { action } from '../errors.js';
import { listPatches } from '../../model/patches/index.js';
import { PATCH_SELECT_DEFAULT } from '../../model/select.js';
import { declareCommand } from '../command_list.js';
import { addOptions } from '../options.js';

/** The patch list as printed: name, description, source thread. */
export function patchesText(): string {
  const ps = listPatches();
  const w = Math.max(...ps.map((p) => p.name.length));
  const out: string[] = [];
  for (const p of ps) {
    out.push(`${p.name.padEnd(w)}  ${p.description}`);
    out.push(`${''.padEnd(w)}  source: ${p.source}`);
  }
  return out.join('\n') + '\n';
}

export const PATCHES_HELP = [
  '',
  'Variants: mainline is always replayed first; each --patch NAME adds one variant, replayed from the same parse.',
  '  --patch a+b             one variant with both patches (e.g. refpage+cow-pte)',
  '  --patch refpage+thp=always   a patch under another THP policy ("what does refpage lose by refusing THP")',
  '  --thp always|never      mainline under that THP policy (variant "thp=never"); --no-zero-page likewise',
  '  --patch cow-pte=v3      COW PTE v3+ semantics (per-page accounting back in fork) for that variant only',
  '  --patch-option cow-pte=v3    the same option for every variant',
  '',
  '--select EXPR picks the VMAs refpage, refpage-fd, pattern-populate and memset apply to (fixed when the VMA is',
  'first seen, normally at mmap). Default: private anonymous read-write mappings that are not stacks, brk heaps',
  'included, VMAs only inferred from faults excluded:',
  `  "${PATCH_SELECT_DEFAULT}"`,
  'Fields: size start end prot flags comm and the booleans anon file shared private stack heap inferred read write',
  'exec; constants VM_* and PROT_*; operators == != < <= > >= & | && || !; numbers take k/m/g suffixes.',
  `Example: --select "anon && private && write && size >= 64k && comm == 'pdfium'"`,
  'cow-pte and eager-populate ignore --select (they apply to every qualifying VMA).',
  '',
  'Examples:',
  '  faultline patches                                  the list, each with its source thread',
  "  faultline patches --json | jq -r '.[].name'",
  '  faultline replay t.txt.gz --patch refpage,cow-pte --patch refpage+cow-pte',
  "  faultline replay t.txt.gz --patch memset --select \"anon && size >= 1g\"",
  '',
].join('\n');

export function registerPatches(program: Command): void {
  addOptions(declareCommand(program, 'patches'), ['json'], { json: 'print a JSON array of {name, description, source}' })
    .addHelpText('after', PATCHES_HELP)
    .action(
      action((opts: { json?: boolean }) => {
        if (opts.json) {
          const ps = listPatches().map((p) => ({ name: p.name, description: p.description, source: p.source }));
          process.stdout.write(JSON.stringify(ps) + '\n');
        } else process.stdout.write(patchesText());
        return 0;
      }),
    );
}
