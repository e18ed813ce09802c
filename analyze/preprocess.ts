// The C preprocessor lines bpftrace's tools carry: #include noted and dropped, #ifdef/#ifndef/#else/#endif, #define constants.
// bpftrace runs clang's preprocessor; faultline keeps line numbers (directive and inactive lines become empty) and
// treats BPFTRACE_HAVE_BTF as defined, the branch the tools take on a BTF kernel (it needs no C headers).

const DEFINED_BY_BPFTRACE = ['BPFTRACE_HAVE_BTF'];

export interface Preprocessed {
  text: string;
  notes: string[];
}

/** Returns the program with directives applied, or throws a message string (with its 1-based line) on a bad one. */
export function preprocess(source: string, file: string): Preprocessed {
  if (!/^\s*#/m.test(source)) return { text: source, notes: [] };
  const defines = new Map<string, string>(DEFINED_BY_BPFTRACE.map((d) => [d, '1']));
  const notes: string[] = [];
  const active: boolean[] = [];
  const lines = source.split('\n');
  const on = () => active.every(Boolean);
  const out = lines.map((line, i) => {
    const d = /^\s*#\s*(\w+)\s*(.*?)\s*$/.exec(line);
    if (!d || (i === 0 && line.startsWith('#!'))) return on() ? substitute(line, defines) : '';
    const [, dir, rest] = d;
    const where = `${file}:${i + 1}`;
    switch (dir) {
      case 'include':
        if (on()) notes.push(`${where}: #include ${rest} ignored: faultline reads tracepoint fields by name from the trace, not C headers`);
        return '';
      case 'ifdef':
      case 'ifndef':
        active.push(defines.has(rest) === (dir === 'ifdef'));
        return '';
      case 'else':
        if (!active.length) throw `${where}: #else without #if`;
        active[active.length - 1] = !active[active.length - 1];
        return '';
      case 'endif':
        if (!active.pop() && active.length < 0) throw `${where}: #endif without #if`;
        return '';
      case 'define': {
        if (!on()) return '';
        const m = /^(\w+)(\(?)\s*(.*)$/.exec(rest);
        if (!m || m[2]) throw `${where}: only constant #defines are supported (#define NAME value)`;
        defines.set(m[1], m[3]);
        return '';
      }
      case 'undef':
        if (on()) defines.delete(rest);
        return '';
      default:
        throw `${where}: preprocessor directive #${dir} is not supported`;
    }
  });
  return { text: out.join('\n'), notes };
}

function substitute(line: string, defines: Map<string, string>): string {
  let s = line;
  for (const [name, value] of defines) if (value !== '1' || !DEFINED_BY_BPFTRACE.includes(name)) s = s.replace(new RegExp(`\\b${name}\\b`, 'g'), value);
  return s;
}
