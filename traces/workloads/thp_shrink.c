/* thp_shrink [blocks=32] [touch=8]: the THP shrinker (6.12) under memory reclaim. Moves itself into a memory cgroup of
 * its own (cgroup v2 where the memory controller is there, else v1's, as on this project's machine), maps BLOCKS x 2 MiB
 * (THP by the system setting: the recorder sets enabled=always and khugepaged/max_ptes_none), writes TOUCH pages per
 * 2 MiB (the first write faults in a whole zero-filled THP: do_huge_pmd_anonymous_page, which queues every THP for
 * deferred split), then asks for reclaim of its cgroup (v2 memory.reclaim, v1 memory.force_empty): shrink_slab runs the
 * deferred split shrinker (mm/huge_memory.c: deferred_split_scan), which splits a THP whose zero-filled subpages
 * exceed max_ptes_none (thp_underused) and maps those subpages to the shared zero page (try_to_map_unused_to_zeropage).
 * Checkpoints add thp_underused_split_page and thp_split_page (/proc/vmstat, system-wide) and the reclaim interface. */
#include "fl_common.h"
#include <sys/stat.h>

static char cg[512];   /* the cgroup made for this run */
static char home[512]; /* the memory cgroup to go back to */

static int write_str(const char *path, const char *s) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t k = write(fd, s, strlen(s));
  int e = errno;
  close(fd);
  errno = e;
  return k == (ssize_t)strlen(s) ? 0 : -1;
}

/* "v2" when the memory controller is on the unified hierarchy at /sys/fs/cgroup, else "v1" (/sys/fs/cgroup/memory). */
static const char *memcg_version(void) {
  char buf[512];
  if (fl_read_file("/sys/fs/cgroup/cgroup.controllers", buf, sizeof buf) > 0 && strstr(buf, "memory")) return "v2";
  if (access("/sys/fs/cgroup/memory/memory.force_empty", W_OK) == 0) return "v1";
  fprintf(stderr, "thp_shrink: no writable memory cgroup (v2 memory.reclaim or v1 memory.force_empty)\n");
  exit(2);
}

static void checkpoint(const char *label, const char *ver) {
  char extra[160];
  snprintf(extra, sizeof extra, ", \"thp_underused_split_page\": %ld, \"thp_split_page\": %ld, \"memcg\": \"%s\"",
           fl_vmstat("thp_underused_split_page"), fl_vmstat("thp_split_page"), ver);
  fl_checkpoint_x(label, extra);
}

int main(int argc, char **argv) {
  size_t blocks = (size_t)fl_arg(argc, argv, 1, 32);
  size_t touch = (size_t)fl_arg(argc, argv, 2, 8);
  if (blocks == 0 || touch == 0 || touch > FL_PMD / FL_PAGE) { fprintf(stderr, "thp_shrink: blocks > 0 and touch in 1..512\n"); return 2; }
  const char *ver = memcg_version();
  const char *root = strcmp(ver, "v2") == 0 ? "/sys/fs/cgroup" : "/sys/fs/cgroup/memory";
  /* v1: this process's memory cgroup from /proc/self/cgroup ("N:memory:/path"); v2: "0::/path" */
  char self[4096];
  if (fl_read_file("/proc/self/cgroup", self, sizeof self) <= 0) fl_die("/proc/self/cgroup");
  const char *key = strcmp(ver, "v2") == 0 ? "0::" : ":memory:";
  char *p = strstr(self, key);
  if (!p) { fprintf(stderr, "thp_shrink: no %s line in /proc/self/cgroup\n", key); return 2; }
  p += strlen(key);
  p[strcspn(p, "\n")] = 0;
  snprintf(home, sizeof home, "%s%s/cgroup.procs", root, p);
  snprintf(cg, sizeof cg, "%s/faultline-thp-shrink-%d", root, (int)getpid());
  checkpoint("start", ver);
  if (mkdir(cg, 0755) != 0) fl_die(cg);
  char procs[600], pid[32];
  snprintf(procs, sizeof procs, "%s/cgroup.procs", cg);
  snprintf(pid, sizeof pid, "%d", (int)getpid());
  if (write_str(procs, pid) != 0) fl_die(procs);
  size_t len = blocks * FL_PMD;
  char *m = fl_map_aligned(len, FL_PMD, 0); /* no madvise: THP as the system's enabled setting says */
  fl_region("thp", m, len);
  checkpoint("mapped", ver);
  for (size_t b = 0; b < blocks; b++)
    for (size_t i = 0; i < touch; i++) m[b * FL_PMD + i * FL_PAGE] = 1;
  checkpoint("touched", ver);
  char ctl[600];
  if (strcmp(ver, "v2") == 0) {
    snprintf(ctl, sizeof ctl, "%s/memory.reclaim", cg);
    char amount[32];
    snprintf(amount, sizeof amount, "%zu", len);
    if (write_str(ctl, amount) != 0 && errno != EAGAIN) fl_die(ctl); /* EAGAIN: less than asked was reclaimed */
  } else {
    snprintf(ctl, sizeof ctl, "%s/memory.force_empty", cg);
    if (write_str(ctl, "0") != 0 && errno != EBUSY) fl_die(ctl);
  }
  checkpoint("reclaimed", ver);
  for (size_t b = 0; b < blocks; b++)
    for (size_t i = 0; i < touch; i++) m[b * FL_PMD + i * FL_PAGE] = 2;
  checkpoint("rewritten", ver);
  munmap(m, len);
  if (write_str(home, pid) != 0) fl_die(home);
  if (rmdir(cg) != 0) fl_die(cg);
  checkpoint("end", ver);
  return 0;
}
