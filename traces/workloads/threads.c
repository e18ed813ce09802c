/* threads [pages=16384]: two threads write disjoint halves of one mapping (one mm: one RSS, faults from two tids). */
#include "fl_common.h"
#include <pthread.h>

struct half { char *p; size_t len; };

static void *toucher(void *arg) {
  struct half *h = arg;
  fl_write_pages(h->p, h->len, 1);
  return NULL;
}

int main(int argc, char **argv) {
  size_t pages = (size_t)fl_arg(argc, argv, 1, 16384);
  size_t len = pages * FL_PAGE, first = (pages / 2) * FL_PAGE;
  fl_checkpoint("start");
  char *p = fl_map_4k(len);
  fl_region("shared", p, len);
  fl_checkpoint("mapped");
  struct half h[2] = {{p, first}, {p + first, len - first}};
  pthread_t t[2];
  for (int i = 0; i < 2; i++)
    if (pthread_create(&t[i], NULL, toucher, &h[i]) != 0) fl_die("pthread_create");
  for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
  fl_checkpoint("written");
  munmap(p, len);
  fl_checkpoint("end");
  return 0;
}
