/* thp [read|write] [blocks=32]: MADV_HUGEPAGE on a 2 MiB-aligned region; read-first maps the huge zero page
 * then writes (6.13+: a fresh THP), write-first allocates a THP per block (mm/huge_memory.c). */
#include "fl_common.h"

int main(int argc, char **argv) {
  const char *mode = fl_sarg(argc, argv, 1, "write");
  size_t blocks = (size_t)fl_arg(argc, argv, 2, 32);
  if (strcmp(mode, "read") && strcmp(mode, "write")) {
    fprintf(stderr, "thp: mode must be read|write\n");
    return 2;
  }
  size_t len = blocks * FL_PMD;
  fl_checkpoint("start");
  char *p = fl_map_thp(len);
  fl_region("thp", p, len);
  fl_checkpoint("mapped");
  if (strcmp(mode, "read") == 0) {
    long s = 0;
    for (size_t o = 0; o < len; o += FL_PMD) s += ((volatile char *)p)[o];
    fl_checkpoint("read");
    for (size_t o = 0; o < len; o += FL_PMD) p[o] = (char)(s + 1);
    fl_checkpoint("written");
  } else {
    for (size_t o = 0; o < len; o += FL_PMD) p[o] = 1;
    fl_checkpoint("written");
    fl_write_pages(p, len, 2); /* every 4K page of a PMD-mapped THP is already writable: no faults */
    fl_checkpoint("rewritten");
  }
  munmap(p, len);
  fl_checkpoint("end");
  return 0;
}
