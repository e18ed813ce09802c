// Probes naming no kernel tracepoint are refused with the likeliest meant one; real ones, dynamic ones and globs are not.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { absentTracepointHint, systemOfEvent, unknownTracepoint } from './tracepoint_check.js';

describe('unknownTracepoint', () => {
  it('a misspelt event, system or both: refused, naming the tracepoint meant', () => {
    expect(unknownTracepoint('t:kmem:rss_stats')).toMatch(/^t:kmem:rss_stats: Linux 6\.12 defines no such tracepoint .*; did you mean tracepoint:kmem:rss_stat\?$/);
    expect(unknownTracepoint('t:exceptions:page_fault_usr')).toMatch(/did you mean tracepoint:exceptions:page_fault_user\?$/);
    expect(unknownTracepoint('tracepoint:exception:page_fault_user')).toMatch(/did you mean tracepoint:exceptions:page_fault_user\?$/);
    // the right event under another system: its own system is named
    expect(unknownTracepoint('t:mm:rss_stat')).toMatch(/did you mean tracepoint:kmem:rss_stat\?$/);
    expect(unknownTracepoint('t:syscalls:sys_enter_mmapp')).toMatch(/did you mean tracepoint:syscalls:sys_enter_mmap\?$/);
  });

  it('real tracepoints, globs, dynamic probes and unknown (out-of-tree) systems are not refused', () => {
    for (const p of ['t:kmem:rss_stat', 't:kmem:mm_page_alloc', 't:sched:sched_switch', 't:syscalls:sys_enter_munmap', 't:raw_syscalls:sys_enter', 't:huge_memory:mm_khugepaged_scan_pmd', 't:kmem:*', 't:*:rss_stat', 't:probe:do_anonymous_page', 't:probe_python:function__entry', 't:vendor_gpu:frame_done'])
      expect(unknownTracepoint(p), p).toBeNull();
  });

  it('the list holds the events the mm model reads, from the kernel headers that define them', () => {
    // include/trace/events/kmem.h, arch/x86/include/asm/trace/exceptions.h (made by DEFINE_PAGE_FAULT_EVENT), sched.h
    const src = readFileSync(new URL('./kernel_tracepoints.ts', import.meta.url), 'utf8');
    expect(src).toMatch(/^ {2}exceptions: 'page_fault_kernel page_fault_user',$/m);
    expect(src).toMatch(/^ {2}kmem: '.*\brss_stat\b.*',$/m);
    expect(src).toMatch(/^ {2}sched: '.*\bsched_process_fork\b.*',$/m);
  });

  it('a bare ftrace event name takes the one system that defines it', () => {
    expect(systemOfEvent('mm_vmscan_direct_reclaim_begin')).toBe('vmscan');
    expect(systemOfEvent('mm_filemap_add_to_page_cache')).toBe('filemap');
    expect(systemOfEvent('tracing_mark_write')).toBe('');
  });

  it('a real tracepoint the trace lacks: the warning says how to record it', () => {
    expect(absentTracepointHint('t:kmem:mm_page_alloc')).toBe(': none happened, or the recording did not enable kmem:mm_page_alloc (perf record -e kmem:mm_page_alloc)');
    expect(absentTracepointHint('t:kmem:*')).toBe('');
  });
});
