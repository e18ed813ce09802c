/* write_touch [pages=16384]: write one byte in each of N fresh 4K pages (do_anonymous_page, write). */
#include "fl_common.h"

int main(int argc, char **argv) {
  size_t pages = (size_t)fl_arg(argc, argv, 1, 16384);
  fl_checkpoint("start");
  char *p = fl_map_4k(pages * FL_PAGE);
  fl_region("touch", p, pages * FL_PAGE);
  fl_checkpoint("mapped");
  fl_write_pages(p, pages * FL_PAGE, 1);
  fl_checkpoint("written");
  fl_write_pages(p, pages * FL_PAGE, 2); /* already writable: no faults */
  fl_checkpoint("rewritten");
  munmap(p, pages * FL_PAGE);
  fl_checkpoint("end");
  return 0;
}
