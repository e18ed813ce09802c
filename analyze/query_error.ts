// A query the user wrote wrong: rendered as bpftrace does (`stdin:1:12-20: ERROR: ...`, the line, `~~~` marks).
import type { Loc } from './ast.js';
import { userError, type FaultlineError } from '../traces/errors.js';

/** A user error whose message is the location line and whose detail is the whole bpftrace-style text. */
export function queryError(message: string, loc: Loc | null, source: string, file = 'stdin'): FaultlineError {
  const detail = render(message, loc, source, file);
  return userError(detail.split('\n')[0]!, { detail });
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
