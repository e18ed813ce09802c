/* pattern_init [allocs=256] [seed=1]: a bump heap of allocations sized 4 KiB..256 KiB (fixed PRNG); arena A
 * memsets a 0xAA pattern over each allocation then uses a few bytes, arena B only touches the same few bytes.
 * The refpage/pattern-populate question: what the pattern costs in faults and RSS. */
#include "fl_common.h"

static uint32_t rng;
static uint32_t next(void) {
  rng ^= rng << 13;
  rng ^= rng >> 17;
  rng ^= rng << 5;
  return rng;
}

int main(int argc, char **argv) {
  size_t allocs = (size_t)fl_arg(argc, argv, 1, 256);
  rng = (uint32_t)fl_arg(argc, argv, 2, 1) | 1u;
  size_t *sizes = calloc(allocs, sizeof *sizes);
  if (!sizes) fl_die("calloc");
  size_t total = 0;
  for (size_t i = 0; i < allocs; i++) {
    sizes[i] = ((size_t)(next() % 64) + 1) * FL_PAGE;
    total += sizes[i];
  }
  fl_checkpoint("start");
  char *a = fl_map_4k(total), *b = fl_map_4k(total);
  fl_region("memset_arena", a, total);
  fl_region("sparse_arena", b, total);
  fl_checkpoint("mapped");
  for (size_t i = 0, o = 0; i < allocs; o += sizes[i++]) memset(a + o, 0xAA, sizes[i]);
  fl_checkpoint("memset_done");
  /* use: the header word and one word in the middle of each allocation */
  for (size_t i = 0, o = 0; i < allocs; o += sizes[i++]) { a[o] = 1; a[o + sizes[i] / 2] = 1; }
  fl_checkpoint("memset_used");
  for (size_t i = 0, o = 0; i < allocs; o += sizes[i++]) { b[o] = 1; b[o + sizes[i] / 2] = 1; }
  fl_checkpoint("sparse_used");
  munmap(a, total);
  munmap(b, total);
  free(sizes);
  fl_checkpoint("end");
  return 0;
}
