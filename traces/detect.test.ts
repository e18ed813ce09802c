import { describe, expect, it } from 'vitest';
import { binaryKind, detectFormat } from './detect.js';

describe('detectFormat', () => {
  it('tells the four formats apart from their first lines', () => {
    expect(detectFormat('            tiny 14414 [001]  1276.270438:  exceptions:page_fault_kernel: address=0x1 ip=elf_load error_code=0x2\n')).toBe('perf-script');
    expect(detectFormat('     Web Content 4242/4251  1276.270438: kmem:rss_stat: mm_id=1 curr=1 type=MM_ANONPAGES size=4096B\n')).toBe('perf-script');
    expect(detectFormat('            tiny 14485  1278.310112:          1 page-faults:  56301779e050 x+0x0 (/tmp/tiny)\n')).toBe('perf-script');
    expect(detectFormat('# tracer: nop\n#\n')).toBe('ftrace');
    expect(detectFormat('            tiny-14935   [001]   1304.483154: page_fault_kernel: address=0x1 ip=elf_load error_code=0x2\n')).toBe('ftrace');
    expect(detectFormat('  <idle>-0     (-----) [000] d..2  1234.567890: sched_switch: prev_comm=swapper\n')).toBe('ftrace');
    expect(detectFormat('cpus=2\n              <...>-4913  [000]   621.879456: print: tracing_mark_write: hi\n')).toBe('trace-cmd');
    expect(detectFormat('faultline-tc-2688:             tiny-15271 [000]  1322.204249: rss_stat: mm_id=1 curr=1 type=MM_ANONPAGES size=8192B\n')).toBe('trace-cmd');
    expect(detectFormat('<!DOCTYPE html>\n<html>\n')).toBe('systrace');
    expect(detectFormat('  var linuxPerfData = "\\\n# tracer: nop\\n\\\n')).toBe('systrace');
    expect(detectFormat('hello world\nthis is not a trace\n')).toBeNull();
    expect(detectFormat('')).toBeNull();
  });
  it('recognises the binary files people hand in by mistake', () => {
    expect(binaryKind(Buffer.from('PERFILE2\0\0\0\0'))).toBe('perf.data');
    expect(binaryKind(Buffer.concat([Buffer.from([0x17, 0x08, 0x44]), Buffer.from('tracing6')]))).toBe('trace.dat');
    expect(binaryKind(Buffer.from([1, 2, 0, 3]))).toBe('binary');
    expect(binaryKind(Buffer.from('# tracer: nop\n'))).toBeNull();
  });
});
