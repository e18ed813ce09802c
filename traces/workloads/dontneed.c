/* dontneed [pages=16384]: write N pages, MADV_DONTNEED whole 2 MiB blocks of the first half (RSS falls; with
 * CONFIG_PT_RECLAIM VmPTE falls too: mm/memory.c zap_pte_range), re-touch them, then munmap all (free_pgtables). */
#include "fl_common.h"

int main(int argc, char **argv) {
  size_t pages = (size_t)fl_arg(argc, argv, 1, 16384);
  size_t len = pages * FL_PAGE;
  size_t half = (len / 2) & ~(FL_PMD - 1);
  fl_checkpoint("start");
  char *p = fl_map_4k(len);
  fl_region("anon", p, len);
  fl_checkpoint("mapped");
  fl_write_pages(p, len, 1);
  fl_checkpoint("written");
  if (half && madvise(p, half, MADV_DONTNEED) != 0) fl_die("madvise(MADV_DONTNEED)");
  char extra[64];
  snprintf(extra, sizeof extra, ", \"dontneed_len\": %zu", half);
  fl_checkpoint_x("dontneed", extra);
  fl_write_pages(p, half, 2);
  fl_checkpoint("retouched");
  if (munmap(p, len) != 0) fl_die("munmap");
  fl_checkpoint("unmapped");
  fl_checkpoint("end");
  return 0;
}
