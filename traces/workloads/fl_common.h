/* Shared checkpoint helper for faultline's workloads: one JSON line of /proc ground truth per phase.
 * Header-only so each workload stays one .c file with no link-time dependencies. */
#ifndef FL_COMMON_H
#define FL_COMMON_H
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define FL_PAGE 4096UL
#define FL_PMD (2UL << 20)
#define FL_PUD (1UL << 30)

static __attribute__((unused)) int fl_marker_fd = -2;

static __attribute__((unused)) uint64_t fl_mono_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}

static __attribute__((unused)) void fl_die(const char *what) {
  fprintf(stderr, "%s: %s\n", what, strerror(errno));
  exit(1);
}

/* The recorder points FAULTLINE_TRACE_MARKER at its own tracefs instance; "off" disables markers. */
static __attribute__((unused)) void fl_marker_open(void) {
  const char *p = getenv("FAULTLINE_TRACE_MARKER");
  if (p && strcmp(p, "off") == 0) { fl_marker_fd = -1; return; }
  if (!p || !*p) p = "/sys/kernel/tracing/trace_marker";
  fl_marker_fd = open(p, O_WRONLY | O_CLOEXEC);
}

/* Reads one "Key:   N kB" value out of a /proc/self/status snapshot (-1 when absent). */
static __attribute__((unused)) long fl_status_kb(const char *buf, const char *key) {
  const char *p = strstr(buf, key);
  if (!p) return -1;
  p += strlen(key);
  while (*p == ' ' || *p == '\t' || *p == ':') p++;
  return strtol(p, NULL, 10);
}

/* Reads a whole small /proc file (seq_file may return it in several reads); returns bytes read or -1. */
static __attribute__((unused)) ssize_t fl_read_file(const char *path, char *buf, size_t cap) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  size_t n = 0;
  ssize_t k;
  while (n < cap - 1 && (k = read(fd, buf + n, cap - 1 - n)) > 0) n += (size_t)k;
  close(fd);
  buf[n] = 0;
  return (ssize_t)n;
}

/* Reads a /proc/vmstat counter (system-wide; used for thp_fault_alloc deltas). */
static __attribute__((unused)) long fl_vmstat(const char *key) {
  static char buf[16384];
  if (fl_read_file("/proc/vmstat", buf, sizeof buf) <= 0) return -1;
  size_t kl = strlen(key);
  for (char *p = buf; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
    if (strncmp(p, key, kl) == 0 && p[kl] == ' ') return strtol(p + kl + 1, NULL, 10);
  }
  return -1;
}

/* Prints one checkpoint line; `extra` is appended verbatim inside the JSON object (",\"k\": v" or ""). */
static __attribute__((unused)) void fl_checkpoint_x(const char *label, const char *extra) {
  static char buf[8192];
  uint64_t t = fl_mono_ns();
  if (fl_marker_fd == -2) fl_marker_open();
  if (fl_marker_fd >= 0) {
    char m[256];
    int k = snprintf(m, sizeof m, "faultline_checkpoint: label=%s pid=%d t_mono_ns=%llu\n", label, (int)getpid(),
                     (unsigned long long)t);
    if (write(fl_marker_fd, m, (size_t)k) < 0) { close(fl_marker_fd); fl_marker_fd = -1; }
  }
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  if (fl_read_file("/proc/self/status", buf, sizeof buf) <= 0) fl_die("read /proc/self/status");
  printf("{\"label\": \"%s\", \"t_mono_ns\": %llu, \"pid\": %d, \"rss_anon_kb\": %ld, \"rss_file_kb\": %ld, "
         "\"rss_shmem_kb\": %ld, \"vm_pte_kb\": %ld, \"vm_rss_kb\": %ld, \"minflt\": %ld, \"majflt\": %ld, "
         "\"thp_fault_alloc\": %ld%s}\n",
         label, (unsigned long long)t, (int)getpid(), fl_status_kb(buf, "RssAnon"), fl_status_kb(buf, "RssFile"),
         fl_status_kb(buf, "RssShmem"), fl_status_kb(buf, "VmPTE"), fl_status_kb(buf, "VmRSS"), ru.ru_minflt,
         ru.ru_majflt, fl_vmstat("thp_fault_alloc"), extra ? extra : "");
  fflush(stdout);
}

static __attribute__((unused)) void fl_checkpoint(const char *label) { fl_checkpoint_x(label, ""); }

/* Prints where a region lives, so tests and the model can attribute faults to it. */
static __attribute__((unused)) void fl_region(const char *name, const void *addr, size_t len) {
  printf("{\"region\": \"%s\", \"addr\": %llu, \"len\": %llu, \"pid\": %d}\n", name,
         (unsigned long long)(uintptr_t)addr, (unsigned long long)len, (int)getpid());
  fflush(stdout);
}

/* Anonymous private RW mapping of len bytes aligned to `align` (over-allocate, trim both ends). */
static __attribute__((unused)) char *fl_map_aligned(size_t len, size_t align, int extra_flags) {
  size_t span = len + align;
  char *p = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | extra_flags, -1, 0);
  if (p == MAP_FAILED) fl_die("mmap");
  uintptr_t a = ((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1);
  if (a > (uintptr_t)p) munmap(p, a - (uintptr_t)p);
  size_t tail = (uintptr_t)p + span - (a + len);
  if (tail) munmap((char *)(a + len), tail);
  return (char *)a;
}

/* 4K-only region: MADV_NOHUGEPAGE so the figures do not depend on THP settings. */
static __attribute__((unused)) char *fl_map_4k(size_t len) {
  char *p = fl_map_aligned(len, FL_PMD, 0);
  if (madvise(p, len, MADV_NOHUGEPAGE) != 0) fl_die("madvise(MADV_NOHUGEPAGE)");
  return p;
}

static __attribute__((unused)) char *fl_map_thp(size_t len) {
  char *p = fl_map_aligned(len, FL_PMD, 0);
  if (madvise(p, len, MADV_HUGEPAGE) != 0) fl_die("madvise(MADV_HUGEPAGE)");
  return p;
}

static __attribute__((unused)) long fl_arg(int argc, char **argv, int i, long dflt) {
  if (argc <= i) return dflt;
  char *end;
  long v = strtol(argv[i], &end, 0);
  if (*end || v < 0) {
    fprintf(stderr, "%s: argument %d must be a non-negative integer, got '%s'\n", argv[0], i, argv[i]);
    exit(2);
  }
  return v;
}

static __attribute__((unused)) const char *fl_sarg(int argc, char **argv, int i, const char *dflt) { return argc > i ? argv[i] : dflt; }

/* Touch one byte in each 4K page of [p, p+len): write or read. */
static __attribute__((unused)) void fl_write_pages(char *p, size_t len, char v) {
  for (size_t o = 0; o < len; o += FL_PAGE) ((volatile char *)p)[o] = v;
}

static __attribute__((unused)) long fl_read_pages(const char *p, size_t len) {
  long s = 0;
  for (size_t o = 0; o < len; o += FL_PAGE) s += ((const volatile char *)p)[o];
  return s;
}

#endif
