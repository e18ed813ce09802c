/* pt_reclaim [gib=8] [touch_pages=16]: Qi Zheng's PT_RECLAIM cover letter loop, scaled: map GIB GiB (MAP_NORESERVE),
 * then per 2 MiB block write TOUCH_PAGES 4K pages and MADV_DONTNEED the whole block. With CONFIG_PT_RECLAIM (x86_64,
 * 6.14+) zap_pte_range frees each emptied PTE table (mm/pt_reclaim.c), so VmPTE stays small; without, it keeps one
 * table per block. The cover letter: 50 GiB, every page of each 2 MiB touched, VmPTE 102640 kB -> 240 kB. */
#include "fl_common.h"

int main(int argc, char **argv) {
  size_t gib = (size_t)fl_arg(argc, argv, 1, 8);
  size_t touch = (size_t)fl_arg(argc, argv, 2, 16);
  if (gib == 0 || touch == 0 || touch > FL_PMD / FL_PAGE) {
    fprintf(stderr, "%s: gib must be > 0 and touch_pages in 1..512\n", argv[0]);
    return 2;
  }
  size_t len = gib * FL_PUD;
  fl_checkpoint("start");
  char *p = fl_map_4k(len);
  fl_region("anon", p, len);
  fl_checkpoint("mapped");
  for (size_t off = 0; off < len; off += FL_PMD) {
    fl_write_pages(p + off, touch * FL_PAGE, 1);
    if (madvise(p + off, FL_PMD, MADV_DONTNEED) != 0) fl_die("madvise(MADV_DONTNEED)");
    if (off + FL_PMD == len / 2) fl_checkpoint("half_done");
  }
  fl_checkpoint("looped");
  if (munmap(p, len) != 0) fl_die("munmap");
  fl_checkpoint("end");
  return 0;
}
