/* churn [threads=2] [rounds=32] [pages=256]: the call mix of allocators and runtimes, from several threads of one mm
 * at once. Each thread, per round: maps a 4K-only region, writes it, MADV_DONTNEEDs the first half, grows it with
 * mremap (may move), writes the new part, mprotects its last page PROT_NONE (a guard, freeing nothing), and munmaps it
 * on odd rounds (even rounds keep it). Then the main thread munmaps what was kept. */
#include "fl_common.h"
#include <pthread.h>

#define FL_CHURN_MAX_THREADS 16
#define FL_CHURN_MAX_ROUNDS 4096

struct worker { size_t rounds, pages; char *kept[FL_CHURN_MAX_ROUNDS]; size_t kept_len[FL_CHURN_MAX_ROUNDS]; };

static void *churn(void *arg) {
  struct worker *w = arg;
  size_t len = w->pages * FL_PAGE;
  for (size_t r = 0; r < w->rounds; r++) {
    char *p = fl_map_4k(len);
    fl_write_pages(p, len, 1);
    if (madvise(p, (len / 2) & ~(FL_PAGE - 1), MADV_DONTNEED) != 0) fl_die("madvise(MADV_DONTNEED)");
    char *q = mremap(p, len, 2 * len, MREMAP_MAYMOVE);
    if (q == MAP_FAILED) fl_die("mremap");
    fl_write_pages(q + len, len, 2);
    if (mprotect(q + 2 * len - FL_PAGE, FL_PAGE, PROT_NONE) != 0) fl_die("mprotect");
    if (r % 2) {
      if (munmap(q, 2 * len) != 0) fl_die("munmap");
      w->kept[r] = NULL;
    } else {
      w->kept[r] = q;
      w->kept_len[r] = 2 * len;
    }
  }
  return NULL;
}

int main(int argc, char **argv) {
  size_t threads = (size_t)fl_arg(argc, argv, 1, 2);
  size_t rounds = (size_t)fl_arg(argc, argv, 2, 32);
  size_t pages = (size_t)fl_arg(argc, argv, 3, 256);
  if (threads < 1 || threads > FL_CHURN_MAX_THREADS || rounds > FL_CHURN_MAX_ROUNDS || pages < 2) {
    fprintf(stderr, "churn: need 1..%d threads, at most %d rounds, at least 2 pages\n", FL_CHURN_MAX_THREADS,
            FL_CHURN_MAX_ROUNDS);
    return 2;
  }
  static struct worker w[FL_CHURN_MAX_THREADS];
  pthread_t t[FL_CHURN_MAX_THREADS];
  fl_checkpoint("start");
  for (size_t i = 0; i < threads; i++) {
    w[i].rounds = rounds;
    w[i].pages = pages;
    if (pthread_create(&t[i], NULL, churn, &w[i]) != 0) fl_die("pthread_create");
  }
  for (size_t i = 0; i < threads; i++) pthread_join(t[i], NULL);
  fl_checkpoint("churned");
  for (size_t i = 0; i < threads; i++)
    for (size_t r = 0; r < rounds; r++)
      if (w[i].kept[r] && munmap(w[i].kept[r], w[i].kept_len[r]) != 0) fl_die("munmap");
  fl_checkpoint("freed");
  fl_checkpoint("end");
  return 0;
}
