// printf as bpftrace does it: C conversions over 64-bit integers and strings, parsed once at compile time.

export interface FormatSpec {
  /** The text of the conversion, e.g. '%-10s', for messages. */
  text: string;
  flags: string;
  width: number;
  precision: number; // -1 when absent
  conv: 'd' | 'u' | 'x' | 'X' | 'o' | 's' | 'c' | 'p';
  /** Length modifier: '' (int), 'hh', 'h', or a 64-bit one (l, ll, j, z, t). */
  length: '' | 'hh' | 'h' | 'l' | 'll' | 'j' | 'z' | 't';
}

export type FormatPiece = string | FormatSpec;

/** Parse a printf format; throws a message (the caller adds the location) on a conversion bpftrace would reject. */
export function parseFormat(fmt: string): FormatPiece[] {
  const out: FormatPiece[] = [];
  let lit = '';
  const re = /%([-+ #0]*)(\d*)(?:\.(\d*))?(hh|h|ll|l|z|j|t)?([a-zA-Z%])/y;
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
      length: (m[4] ?? '') as FormatSpec['length'],
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

const BITS: Record<FormatSpec['length'], number> = { '': 32, hh: 8, h: 16, l: 64, ll: 64, j: 64, z: 64, t: 64 };

/**
 * The value as the C type the conversion names: without a length modifier %d/%i are int and %u/%x/%X/%o are
 * unsigned int, so 64-bit values are cut to 32 bits (bpftrace 0.17 passes them to snprintf; 0.26
 * format_string.cpp: as_signed_integer<long long, int> / as_unsigned_integer<unsigned long, unsigned int>).
 */
function cast(v: number, spec: FormatSpec): number {
  if (spec.conv === 'p' || spec.conv === 'c') return v;
  const bits = BITS[spec.length];
  if (bits === 64) return v;
  if (bits === 32 && (v | 0) === v) return spec.conv === 'd' ? v : v >>> 0;
  const b = BigInt(v);
  return Number(spec.conv === 'd' ? BigInt.asIntN(bits, b) : BigInt.asUintN(bits, b));
}

/** Format one integer argument. */
export function formatInt(raw: number, spec: FormatSpec): string {
  const v = cast(raw, spec);
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
