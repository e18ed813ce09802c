// printf as bpftrace does it: C conversions over 64-bit integers and strings, parsed once at compile time.

export interface FormatSpec {
  /** The text of the conversion, e.g. '%-10s', for messages. */
  text: string;
  flags: string;
  width: number;
  precision: number; // -1 when absent
  conv: 'd' | 'u' | 'x' | 'X' | 'o' | 's' | 'c' | 'p';
}

export type FormatPiece = string | FormatSpec;

/** Parse a printf format; throws a message (the caller adds the location) on a conversion bpftrace would reject. */
export function parseFormat(fmt: string): FormatPiece[] {
  const out: FormatPiece[] = [];
  let lit = '';
  const re = /%([-+ #0]*)(\d*)(?:\.(\d*))?(hh|h|ll|l|z|j)?([a-zA-Z%])/y;
  for (let i = 0; i < fmt.length; ) {
    const c = fmt[i];
    if (c !== '%') {
      lit += c;
      i++;
      continue;
    }
    re.lastIndex = i;
    const m = re.exec(fmt);
    if (!m) throw new Error(`printf: incomplete conversion at '${fmt.slice(i)}'`);
    i = re.lastIndex;
    const conv = m[5];
    if (conv === '%') {
      lit += '%';
      continue;
    }
    const norm = conv === 'i' ? 'd' : conv;
    if (!['d', 'u', 'x', 'X', 'o', 's', 'c', 'p'].includes(norm))
      throw new Error(`printf: invalid format conversion '%${conv}' (supported: %d %i %u %x %X %o %s %c %p)`);
    if (lit) out.push(lit);
    lit = '';
    out.push({
      text: m[0],
      flags: m[1],
      width: m[2] ? Number(m[2]) : 0,
      precision: m[3] !== undefined ? Number(m[3] || '0') : -1,
      conv: norm as FormatSpec['conv'],
    });
  }
  if (lit) out.push(lit);
  return out;
}

const TWO64 = 18446744073709551616n;

function unsigned(v: number, radix: number): string {
  if (v >= 0) return v.toString(radix);
  return (BigInt(v) + TWO64).toString(radix);
}

function pad(body: string, prefix: string, spec: FormatSpec, numeric: boolean): string {
  const len = prefix.length + body.length;
  if (spec.width <= len) return prefix + body;
  const fill = spec.width - len;
  if (spec.flags.includes('-')) return prefix + body + ' '.repeat(fill);
  if (numeric && spec.flags.includes('0') && spec.precision < 0) return prefix + '0'.repeat(fill) + body;
  return ' '.repeat(fill) + prefix + body;
}

/** Format one integer argument. */
export function formatInt(v: number, spec: FormatSpec): string {
  let prefix = '';
  let body: string;
  switch (spec.conv) {
    case 'd':
      if (v < 0) {
        prefix = '-';
        body = String(-v);
      } else {
        body = String(v);
        if (spec.flags.includes('+')) prefix = '+';
        else if (spec.flags.includes(' ')) prefix = ' ';
      }
      break;
    case 'u':
      body = unsigned(v, 10);
      break;
    case 'x':
    case 'p':
      body = unsigned(v, 16);
      if ((spec.flags.includes('#') && v !== 0) || spec.conv === 'p') prefix = '0x';
      break;
    case 'X':
      body = unsigned(v, 16).toUpperCase();
      if (spec.flags.includes('#') && v !== 0) prefix = '0X';
      break;
    case 'o':
      body = unsigned(v, 8);
      if (spec.flags.includes('#') && v !== 0) prefix = '0';
      break;
    case 'c':
      return pad(String.fromCharCode(((v % 256) + 256) % 256), '', spec, false);
    default:
      body = String(v);
  }
  if (spec.precision >= 0) {
    if (spec.precision === 0 && v === 0) body = '';
    else if (body.length < spec.precision) body = '0'.repeat(spec.precision - body.length) + body;
  }
  return pad(body, prefix, spec, true);
}

/** Format one string argument (%s; precision truncates as in C). */
export function formatStr(s: string, spec: FormatSpec): string {
  const body = spec.precision >= 0 ? s.slice(0, spec.precision) : s;
  return pad(body, '', spec, false);
}
