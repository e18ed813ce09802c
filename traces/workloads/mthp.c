/* mthp [sparse_mib=64] [dense_mib=16]: no MADV_(NO)HUGEPAGE on its regions, so the per-size THP settings
 * (hugepages-<size>kB/enabled) decide each fault's folio (mm/memory.c: alloc_anon_folio). Writes one byte per 256 KiB over SPARSE_MIB
 * (the RSS a large folio size costs a sparse toucher), every page of DENSE_MIB, each page of a 48 KiB mapping (too
 * small for 64 KiB folios), reads one byte per 64 KiB of 4 MiB; forks with only the dense region inherited
 * (MADV_DONTFORK on the rest): the child writes one byte per 64 KiB of the dense region (COW of one subpage each) and exits; the parent rewrites the dense region (reuse), unmaps 32 KiB from
 * the middle of a 64 KiB folio, then everything. */
#include "fl_common.h"
#include <sys/wait.h>

#define KIB 1024UL
#define MIB (1024UL * 1024UL)

int main(int argc, char **argv) {
  size_t slen = (size_t)fl_arg(argc, argv, 1, 64) * MIB;
  size_t dlen = (size_t)fl_arg(argc, argv, 2, 16) * MIB;
  if (slen == 0 || dlen < 128 * KIB) {
    fprintf(stderr, "mthp: sparse_mib must be > 0 and dense_mib >= 1\n");
    return 2;
  }
  size_t rlen = 4 * MIB, small = 48 * KIB;
  fl_checkpoint("start");
  char *s = fl_map_aligned(slen, FL_PMD, 0);
  char *d = fl_map_aligned(dlen, FL_PMD, 0);
  char *r = fl_map_aligned(rlen, FL_PMD, 0);
  char *m = fl_map_aligned(small, FL_PMD, 0);
  /* only the dense region goes to the child: fork copies the same 32 MiB of PTEs whatever the folio size (and the
   * small mapping stays a VMA of its own, never merged into a neighbour) */
  if (madvise(s, slen, MADV_DONTFORK) != 0 || madvise(r, rlen, MADV_DONTFORK) != 0 || madvise(m, small, MADV_DONTFORK) != 0)
    fl_die("madvise(MADV_DONTFORK)");
  fl_region("sparse", s, slen);
  fl_region("dense", d, dlen);
  fl_region("read", r, rlen);
  fl_region("small", m, small);
  fl_checkpoint("mapped");
  for (size_t o = 0; o < slen; o += 256 * KIB) s[o] = 1;
  fl_checkpoint("sparse_written");
  fl_write_pages(d, dlen, 1);
  fl_checkpoint("dense_written");
  for (size_t o = 0; o < small; o += FL_PAGE) m[o] = 1;
  fl_checkpoint("small_written");
  volatile char sink = 0;
  for (size_t o = 0; o < rlen; o += 64 * KIB) sink += r[o];
  (void)sink;
  fl_checkpoint("read");
  fflush(stdout); /* the child must not inherit unflushed output */
  uint64_t t0 = fl_mono_ns();
  pid_t c = fork();
  uint64_t t1 = fl_mono_ns();
  if (c < 0) fl_die("fork");
  char extra[128];
  if (c == 0) {
    snprintf(extra, sizeof extra, ", \"fork_ns\": %llu, \"parent_pid\": %d", (unsigned long long)(t1 - t0), (int)getppid());
    fl_checkpoint_x("child_after_fork", extra);
    for (size_t o = 3 * FL_PAGE; o < dlen; o += 64 * KIB) d[o] = 2;
    fl_checkpoint("child_written");
    fflush(stdout);
    _exit(0);
  }
  snprintf(extra, sizeof extra, ", \"fork_ns\": %llu, \"child_pid\": %d", (unsigned long long)(t1 - t0), (int)c);
  fl_checkpoint_x("parent_after_fork", extra);
  int st;
  if (waitpid(c, &st, 0) < 0) fl_die("waitpid");
  fl_checkpoint("child_exited");
  fl_write_pages(d, dlen, 3);
  fl_checkpoint("parent_rewritten");
  if (munmap(d + 64 * KIB + 16 * KIB, 32 * KIB) != 0) fl_die("munmap");
  fl_checkpoint("punched");
  munmap(s, slen);
  munmap(d, dlen); /* the hole is already unmapped: munmap skips it */
  munmap(r, rlen);
  munmap(m, small);
  fl_checkpoint("end");
  return 0;
}
