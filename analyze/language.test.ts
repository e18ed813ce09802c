// The language beyond one-liners: tuples, while, unroll, config, macro, 1e6 literals, has_key, #include, @x++ as a
// value, and refusals of what needs a live system, with bpftrace's error spans.
import { describe, expect, it } from 'vitest';
import { compileProgram } from './run.js';

function runBegin(src: string, format: 'text' | 'json' = 'text'): string {
  const p = compileProgram(src, { format });
  p.begin();
  p.end();
  return p.output();
}

function error(src: string): string {
  try {
    compileProgram(src);
  } catch (e) {
    return (e as { detail: string }).detail;
  }
  return 'no error';
}

describe('language', () => {
  it('tuples as map values and print() values, in text and JSON', () => {
    expect(runBegin('BEGIN { @t = (7, "fl"); print((1, "a")); }')).toBe('(1, a)\n\n\n@t: (7, fl)\n');
    expect(runBegin('BEGIN { @t = (7, "fl"); }', 'json')).toBe('{"type": "map", "data": {"@t": [7,"fl"]}}\n');
    expect(error('BEGIN { @k[(1, 2)] = count(); }')).toMatch(/tuple cannot be used as a map key/);
  });

  it('while and unroll loop; a runaway while is stopped', () => {
    expect(runBegin('BEGIN { $i = 0; while ($i < 4) { @w[$i] = sum($i + 1); $i++; } unroll(3) { @u = count(); } }')).toBe(
      '\n\n@u: 3\n@w[0]: 1\n@w[1]: 2\n@w[2]: 3\n@w[3]: 4\n',
    );
    const p = compileProgram('BEGIN { $i = 0; while ($i >= 0) { $i++; } }');
    expect(() => p.begin()).toThrow(/while loop ran 1000000 times/);
  });

  it('@x++ and ++$y as values: post yields the old value, pre the new one', () => {
    expect(runBegin('BEGIN { @x = 1; $y = @x++; $z = ++$y; printf("%d %d %d\\n", $y, $z, @x); }')).toBe('2 2 2\n\n\n@x: 2\n');
  });

  it('1e6 is the integer 1000000; has_key tests membership', () => {
    expect(runBegin('BEGIN { @[1] = 1; printf("%d %d %d\\n", 1e6, has_key(@, 1), has_key(@, 2)); }')).toBe('1000000 1 0\n\n\n@[1]: 1\n');
  });

  it('macros expand with their arguments; config is accepted, print_maps_on_exit honoured', () => {
    expect(runBegin('macro add(x, $y) { x + $y } BEGIN { $b = 2; @ = add(40, $b); }')).toBe('\n\n@: 42\n');
    expect(runBegin('config = { print_maps_on_exit = false; max_strlen = 64 } BEGIN { @ = 1; }')).toBe('\n\n');
    expect(compileProgram('config = { max_strlen = 64 } BEGIN { }').notes).toEqual(['stdin: config max_strlen ignored: it tunes a live bpftrace run, not a recorded trace']);
  });

  it('#include lines are accepted and said to be ignored', () => {
    const p = compileProgram('#include <linux/mm.h>\nBEGIN { @ = 1; }', { file: 'x.bt' });
    expect(p.notes).toEqual(['x.bt:1: #include <linux/mm.h> ignored: faultline reads tracepoint fields by name from the trace, not C headers']);
  });

  it('what needs a live system is refused with the reason, the whole call marked as bpftrace marks it', () => {
    const d = error('BEGIN { system("x"); }').split('\n');
    expect(d[0]).toBe('stdin:1:9-20: ERROR: needs a live system: system() runs commands on the live machine while tracing; faultline reads recorded traces');
    expect(d[2]).toBe('        ~~~~~~~~~~~');
    for (const [src, what] of [['BEGIN { @ = *0; }', '*ptr'], ['BEGIN { @[kstack] = count(); }', 'kstack'], ['BEGIN { time("%H"); }', 'time()'], ['BEGIN { cat("/etc/x"); }', 'cat()'], ['BEGIN { @ = rand; }', 'rand'], ['BEGIN { @ = uid; }', 'uid'], ['BEGIN { @ = cgroup; }', 'cgroup']] as const)
      expect(error(src)).toContain(`needs a live system: ${what}`);
  });

  it('a syntax error inside a call is marked from the call, as bpftrace 0.17 does for `count(;`', () => {
    expect(error('BEGIN { @ = count(; }').split('\n')[0]).toBe('stdin:1:13-20: ERROR: syntax error, unexpected ;');
  });

  it('casts, tuple elements, return, let, `if cond {`, and the preprocessor lines of bpftrace tools', () => {
    expect(runBegin('BEGIN { $x = 1 << 16 | 5; printf("%d %d %d\\n", (uint16)$x, (int8)255, $x); }')).toBe('5 -1 65541\n\n\n');
    expect(runBegin('BEGIN { $t = (1, 2, "s"); printf("%d %s\\n", $t.1, $t.2); }')).toBe('2 s\n\n\n');
    expect(runBegin('BEGIN { let $a; $a = 3; if $a > 2 { @ = 1; return; } @ = 2; }')).toBe('\n\n@: 1\n');
    const p = compileProgram('#ifndef BPFTRACE_HAVE_BTF\n#include <linux/sched.h>\n#else\n#define TASK_RUNNING 7\n#endif\nBEGIN { @ = TASK_RUNNING; }');
    p.begin();
    p.end();
    expect(p.output()).toBe('\n\n@: 7\n');
    expect(error('BEGIN { @ = ((struct task_struct *)0)->pid; }')).toMatch(/needs a live system: \(struct task_struct\*\) casts to a kernel type/);
    expect(error('BEGIN { @ = curtask.mm; }')).toMatch(/needs a live system/);
  });
});
