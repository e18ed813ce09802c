/* populate [pages=16384]: MAP_POPULATE (GUP faults: counted in minflt, no page_fault_user), then writes that
 * must not fault. mm/gup.c: populate_vma_page_range. */
#include "fl_common.h"
#include <sys/prctl.h>

int main(int argc, char **argv) {
  size_t pages = (size_t)fl_arg(argc, argv, 1, 16384);
  size_t len = pages * FL_PAGE;
  fl_checkpoint("start");
  /* MADV_NOHUGEPAGE cannot precede MAP_POPULATE, so THP is kept out process-wide (kernel/sys.c: PR_SET_THP_DISABLE). */
  if (prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) != 0) fl_die("prctl(PR_SET_THP_DISABLE)");
  /* Populate into a 2 MiB-aligned hole so the VmPTE figure is len / 2 MiB tables. */
  char *hole = fl_map_aligned(len, FL_PMD, 0);
  munmap(hole, len);
  char *p = mmap(hole, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_POPULATE,
                 -1, 0);
  if (p == MAP_FAILED) fl_die("mmap(MAP_POPULATE)");
  fl_region("populated", p, len);
  fl_checkpoint("populated");
  fl_write_pages(p, len, 1);
  fl_checkpoint("written");
  munmap(p, len);
  fl_checkpoint("end");
  return 0;
}
