/* fork [pages=16384] [child=all|half|sparse|none] [parent=all|none] [thp=0|1]: the parent writes N pages, forks
 * (fork_ns timed around fork()), the child writes all / half / one page per 2 MiB / nothing and exits, then the
 * parent writes again. kernel/fork.c: dup_mmap -> copy_page_range; mm/memory.c: do_wp_page after. */
#include "fl_common.h"
#include <sys/wait.h>

static size_t child_stride(const char *mode) {
  if (strcmp(mode, "all") == 0) return FL_PAGE;
  if (strcmp(mode, "sparse") == 0) return FL_PMD;
  return 0;
}

int main(int argc, char **argv) {
  size_t pages = (size_t)fl_arg(argc, argv, 1, 16384);
  const char *cmode = fl_sarg(argc, argv, 2, "all");
  const char *pmode = fl_sarg(argc, argv, 3, "all");
  int thp = (int)fl_arg(argc, argv, 4, 0);
  if (strcmp(cmode, "all") && strcmp(cmode, "half") && strcmp(cmode, "sparse") && strcmp(cmode, "none")) {
    fprintf(stderr, "fork: child mode must be all|half|sparse|none\n");
    return 2;
  }
  if (strcmp(pmode, "all") && strcmp(pmode, "none")) {
    fprintf(stderr, "fork: parent mode must be all|none\n");
    return 2;
  }
  size_t len = pages * FL_PAGE;
  fl_checkpoint("start");
  char *p = thp ? fl_map_thp(len) : fl_map_4k(len);
  fl_region(thp ? "thp" : "anon", p, len);
  fl_checkpoint("mapped");
  fl_write_pages(p, len, 1);
  fl_checkpoint("parent_written");
  fflush(stdout); /* the child must not inherit unflushed output */
  uint64_t t0 = fl_mono_ns();
  pid_t c = fork();
  uint64_t t1 = fl_mono_ns();
  if (c < 0) fl_die("fork");
  char extra[128];
  if (c == 0) {
    snprintf(extra, sizeof extra, ", \"fork_ns\": %llu, \"parent_pid\": %d", (unsigned long long)(t1 - t0),
             (int)getppid());
    fl_checkpoint_x("child_after_fork", extra);
    size_t stride = child_stride(cmode);
    if (strcmp(cmode, "half") == 0) fl_write_pages(p, len / 2, 2);
    else if (stride) for (size_t o = 0; o < len; o += stride) p[o] = 2;
    fl_checkpoint("child_written");
    fflush(stdout);
    _exit(0);
  }
  snprintf(extra, sizeof extra, ", \"fork_ns\": %llu, \"child_pid\": %d", (unsigned long long)(t1 - t0), (int)c);
  fl_checkpoint_x("parent_after_fork", extra);
  int st;
  if (waitpid(c, &st, 0) < 0) fl_die("waitpid");
  fl_checkpoint("child_exited");
  if (strcmp(pmode, "all") == 0) fl_write_pages(p, len, 3);
  fl_checkpoint("parent_rewritten");
  munmap(p, len);
  fl_checkpoint("end");
  return 0;
}
