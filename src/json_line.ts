// A command's result record as the one line `--json` prints: the named fields in the order given, keys in snake_case.
// (info and record each spelled this object out by hand; the key list is typed, so a renamed field is a compile error.)

const snake = (k: string): string => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** `keys` are `rec`'s own field names (camelCase); `lostEvents` is printed as `lost_events`. */
export function jsonLine<T extends object>(rec: T, keys: readonly (keyof T & string)[]): string {
  const o: Record<string, unknown> = {};
  for (const k of keys) o[snake(k)] = rec[k];
  return JSON.stringify(o) + '\n';
}
