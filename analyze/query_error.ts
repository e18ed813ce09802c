// A query the user wrote wrong: rendered as bpftrace does (`stdin:1:12-20: ERROR: ...`, the line, `~~~` marks).
import type { Loc } from './ast.js';

export class QueryError extends Error {
  readonly userFacing = true;
  readonly exitCode = 2;
  /** The full bpftrace-style text: location line, source line, marks (several lines). */
  readonly detail: string;
  constructor(message: string, readonly loc: Loc | null, source: string, file = 'stdin') {
    const detail = render(message, loc, source, file);
    super(detail.split('\n')[0]);
    this.name = 'QueryError';
    this.detail = detail;
  }
}

function render(message: string, loc: Loc | null, source: string, file: string): string {
  if (!loc) return `${file}: ERROR: ${message}`;
  const where =
    loc.endLine !== loc.line
      ? `${file}:${loc.line}-${loc.endLine}`
      : `${file}:${loc.line}:${loc.col}-${loc.endCol}`;
  const text = source.split('\n')[loc.line - 1] ?? '';
  const width = loc.endLine === loc.line ? Math.max(1, loc.endCol - loc.col) : Math.max(1, text.length - loc.col + 1);
  const marks = ' '.repeat(Math.max(0, loc.col - 1)) + (width === 1 ? '^' : '~'.repeat(width));
  return `${where}: ERROR: ${message}\n${text}\n${marks}`;
}
