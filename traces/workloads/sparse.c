/* sparse [gib=1] [far_gib=8] [far_per_gib=3]: one byte per 2 MiB block over GIB GiB (one PTE table each), then
 * FAR_PER_GIB bytes in each 1 GiB block of a FAR_GIB GiB reservation (a PMD table per GiB, a PTE table per byte). */
#include "fl_common.h"

int main(int argc, char **argv) {
  size_t gib = (size_t)fl_arg(argc, argv, 1, 1);
  size_t far = (size_t)fl_arg(argc, argv, 2, 8);
  size_t per = (size_t)fl_arg(argc, argv, 3, 3);
  if (per > 512) per = 512;
  fl_checkpoint("start");
  size_t len = gib * FL_PUD;
  char *p = fl_map_aligned(len, FL_PUD, 0);
  if (madvise(p, len, MADV_NOHUGEPAGE) != 0) fl_die("madvise(MADV_NOHUGEPAGE)");
  fl_region("blocks", p, len);
  fl_checkpoint("mapped");
  for (size_t o = 0; o < len; o += FL_PMD) p[o] = 1;
  fl_checkpoint("per_2m_written");
  size_t flen = far * FL_PUD;
  char *q = fl_map_aligned(flen, FL_PUD, 0);
  if (madvise(q, flen, MADV_NOHUGEPAGE) != 0) fl_die("madvise(MADV_NOHUGEPAGE)");
  fl_region("far", q, flen);
  fl_checkpoint("far_mapped");
  for (size_t g = 0; g < far; g++)
    for (size_t k = 0; k < per; k++) q[g * FL_PUD + k * (FL_PUD / per)] = 1;
  fl_checkpoint("per_1g_written");
  munmap(q, flen);
  munmap(p, len);
  fl_checkpoint("end");
  return 0;
}
