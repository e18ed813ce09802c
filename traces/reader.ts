// The shape every format reader exports: a name from the closed TraceFormat union, how to recognise the format
// from its first lines (sniff), and a line parser factory (create), or for a binary format its own whole-file
// reader (read). traces/readers.ts lists them all.
import type { EventSink, ReadOptions, ReadResult, TraceFormat } from './events.js';
import type { MergeOptions } from './merge.js';
import type { LineCtx } from './decode.js';
import type { LineFn } from './lines.js';

/** How detection recognises a format from the first KiBs of text (see traces/detect.ts for how the parts combine). */
export interface Sniff {
  /** Text only this format's files hold anywhere in the head (an HTML page's trace-data block): decides at once. */
  marker?(head: string): boolean;
  /** Points for a header line this format writes (`cpus=2`, `# tracer: nop`); 0 for any other line. */
  header?(line: string): number;
  /** An event line in this format's shape; each line counts for the first reader in catalogue order that claims it. */
  event?(line: string): boolean;
  /** Any point decides: this format's lines are a later format's lines plus marks that format never writes. */
  decisive?: boolean;
  /** A binary format's framing in the first raw (decompressed) bytes: decides before any text detection. */
  bytes?(head: Uint8Array): boolean;
}

/** One reader's state over one file. */
export interface LineParser {
  line: LineFn;
  /** After the last line: a reason to refuse the whole file (an HTML page without trace data), or null. */
  end?(): string | null;
}

/** A text format: read.ts splits lines and merges what the parser pushes. */
export interface LineReader<F extends TraceFormat = TraceFormat> {
  readonly name: F;
  /** What users call it in messages: 'perf script', 'systrace HTML'. */
  readonly title: string;
  /** false when a last line without its newline is normal for the format (an HTML page), not a cut-off file. */
  readonly lastLineNeedsNewline: boolean;
  /** How this format's per-CPU streams interleave in the file, when not as the merge assumes by default. */
  readonly merge?: MergeOptions;
  readonly sniff: Sniff;
  create(ctx: LineCtx): LineParser;
}

/** A binary format (Perfetto protobuf): it streams the file itself, packets rather than lines. */
export interface FileReader<F extends TraceFormat = TraceFormat> {
  readonly name: F;
  readonly title: string;
  readonly sniff: Sniff;
  read(path: string, sink: EventSink, opts: ReadOptions & { merge?: MergeOptions }): Promise<ReadResult>;
}

export type Reader<F extends TraceFormat = TraceFormat> = LineReader<F> | FileReader<F>;
