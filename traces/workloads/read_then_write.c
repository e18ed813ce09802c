/* read_then_write [pages=16384]: read N fresh pages (zero page), then write them (do_wp_page from the zero page). */
#include "fl_common.h"

int main(int argc, char **argv) {
  size_t pages = (size_t)fl_arg(argc, argv, 1, 16384);
  fl_checkpoint("start");
  char *p = fl_map_4k(pages * FL_PAGE);
  fl_region("touch", p, pages * FL_PAGE);
  fl_checkpoint("mapped");
  long s = fl_read_pages(p, pages * FL_PAGE);
  fl_checkpoint("read");
  fl_write_pages(p, pages * FL_PAGE, (char)(s + 1));
  fl_checkpoint("written");
  fl_write_pages(p, pages * FL_PAGE, 3);
  fl_checkpoint("rewritten");
  munmap(p, pages * FL_PAGE);
  fl_checkpoint("end");
  return 0;
}
