/* guard [blocks=4]: guard regions (MADV_GUARD_INSTALL / MADV_GUARD_REMOVE, 6.13+) and MAP_DROPPABLE (6.11+) on a
 * 2*BLOCKS x 2 MiB private anonymous region. Phases: write the first half; install guards over the first block
 * (populated: zapped, RssAnon falls) and over the second half (untouched: PTE tables appear, no RSS); touch guard
 * pages (SIGSEGV each, caught); MADV_DONTNEED everything (markers stay, PT_RECLAIM frees only marker-free tables);
 * touch a guard page again (still SIGSEGV); remove the guards and re-write the first block; then write a
 * MAP_DROPPABLE mapping (counted as anon). mm/madvise.c: madvise_guard_install; mm/memory.c: handle_pte_marker. */
#include "fl_common.h"
#include <setjmp.h>
#include <signal.h>

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#define MADV_GUARD_REMOVE 103
#endif
#ifndef MAP_DROPPABLE
#define MAP_DROPPABLE 0x08
#endif

static sigjmp_buf fl_jmp;
static void on_segv(int sig) { (void)sig; siglongjmp(fl_jmp, 1); }

/* Writes one byte at p; returns 1 if it raised SIGSEGV (a guard page), 0 if it did not. */
static int touch_segv(char *p) {
  if (sigsetjmp(fl_jmp, 1)) return 1;
  *(volatile char *)p = 1;
  return 0;
}

int main(int argc, char **argv) {
  size_t blocks = (size_t)fl_arg(argc, argv, 1, 4);
  if (blocks < 2) { fprintf(stderr, "%s: blocks must be >= 2\n", argv[0]); return 2; }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_segv;
  sigaction(SIGSEGV, &sa, NULL);
  size_t half = blocks * FL_PMD, len = 2 * half;
  fl_checkpoint("start");
  char *p = fl_map_4k(len);
  fl_region("anon", p, len);
  fl_checkpoint("mapped");
  fl_write_pages(p, half, 1);
  fl_checkpoint("written");
  if (madvise(p, FL_PMD, MADV_GUARD_INSTALL) != 0) fl_die("madvise(MADV_GUARD_INSTALL) populated");
  if (madvise(p + half, half, MADV_GUARD_INSTALL) != 0) fl_die("madvise(MADV_GUARD_INSTALL) untouched");
  fl_checkpoint("guarded");
  int segv = touch_segv(p) + touch_segv(p + FL_PMD - FL_PAGE) + touch_segv(p + half) + touch_segv(p + len - FL_PAGE);
  char extra[64];
  snprintf(extra, sizeof extra, ", \"segv\": %d", segv);
  fl_checkpoint_x("touched_guards", extra);
  if (segv != 4) { fprintf(stderr, "guard: %d of 4 guard touches raised SIGSEGV\n", segv); return 1; }
  if (madvise(p, len, MADV_DONTNEED) != 0) fl_die("madvise(MADV_DONTNEED)");
  fl_checkpoint("dontneed");
  if (touch_segv(p + FL_PAGE) != 1) { fprintf(stderr, "guard: marker gone after MADV_DONTNEED\n"); return 1; }
  if (madvise(p, len, MADV_GUARD_REMOVE) != 0) fl_die("madvise(MADV_GUARD_REMOVE)");
  fl_checkpoint("removed");
  fl_write_pages(p, FL_PMD, 2);
  fl_checkpoint("rewritten");
  if (munmap(p, len) != 0) fl_die("munmap");
  fl_checkpoint("unmapped");
  char *d = mmap(NULL, FL_PMD, PROT_READ | PROT_WRITE, MAP_DROPPABLE | MAP_ANONYMOUS, -1, 0);
  if (d == MAP_FAILED) fl_die("mmap(MAP_DROPPABLE)");
  fl_region("droppable", d, FL_PMD);
  fl_write_pages(d, FL_PMD / 2, 3);
  fl_checkpoint("droppable_written");
  fl_checkpoint("end");
  return 0;
}
