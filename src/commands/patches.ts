// `faultline patches [--json]`: the patches and variant-option features faultline can replay, each with its upstream
// status, its source thread or commit and the published numbers it reproduces, and how --patch / --select /
// --patch-option / --thp pick the variants.
import type { Command } from 'commander';
import { action } from '../errors.js';
import { listEntries } from '../../model/patches/index.js';
import { statusColumn, statusText } from '../../model/patches/patch.js';
import { PATCH_SELECT_DEFAULT } from '../../model/select.js';
import { declareCommand } from '../command_list.js';
import { addOptions } from '../options.js';

/** The list as printed: name, status column, description; then its status in full, source and reproduced numbers. */
export function patchesText(): string {
  const es = listEntries();
  const w = Math.max(...es.map((p) => p.name.length));
  const sw = Math.max(...es.map((p) => statusColumn(p.status).length));
  const pad = ''.padEnd(w);
  const out: string[] = [];
  for (const p of es) {
    out.push(`${p.name.padEnd(w)}  ${statusColumn(p.status).padEnd(sw)}  ${p.description}`);
    if (p.option !== `--patch ${p.name}`) out.push(`${pad}  pick with: ${p.option}`);
    out.push(`${pad}  status: ${statusText(p.status)}`);
    out.push(`${pad}  source: ${p.source}`);
    out.push(`${pad}  reproduces: ${p.reproduces}`);
  }
  return out.join('\n') + '\n';
}

/** One entry of `faultline patches --json`. */
export interface PatchJson {
  name: string;
  option: string;
  description: string;
  status: ReturnType<typeof listEntries>[number]['status'] & { text: string };
  source: string;
  reproduces: string;
}

/** The list for --json: the status record as modelled plus its printed text. */
export function patchesJson(): PatchJson[] {
  return listEntries().map((p) => ({ name: p.name, option: p.option, description: p.description, status: { ...p.status, text: statusText(p.status) }, source: p.source, reproduces: p.reproduces }));
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
  '  faultline patches                                  the list: status (mainline since / proposed / abandoned / what-if), source, numbers',
  "  faultline patches --json | jq -r '.[] | [.name, .status.kind] | @tsv'",
  '  faultline replay t.txt.gz --patch refpage,cow-pte --patch refpage+cow-pte',
  "  faultline replay t.txt.gz --patch memset --select \"anon && size >= 1g\"",
  '',
].join('\n');

export function registerPatches(program: Command): void {
  addOptions(declareCommand(program, 'patches'), ['json'], { json: 'print a JSON array of {name, option, description, status: {kind, ..., text}, source, reproduces}' })
    .addHelpText('after', PATCHES_HELP)
    .action(
      action((opts: { json?: boolean }) => {
        if (opts.json) process.stdout.write(JSON.stringify(patchesJson()) + '\n');
        else process.stdout.write(patchesText());
        return 0;
      }),
    );
}
