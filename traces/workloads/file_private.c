/* file_private [pages=4096] [dir=.]: a MAP_PRIVATE mapping of a page-cached file: read the first half
 * (do_read_fault + fault-around: file RSS), write it (do_wp_page -> wp_page_copy: file -> anon), then write the
 * unread second half (do_cow_fault). mm/memory.c: do_read_fault, do_cow_fault. */
#include "fl_common.h"

int main(int argc, char **argv) {
  size_t pages = (size_t)fl_arg(argc, argv, 1, 4096);
  const char *dir = fl_sarg(argc, argv, 2, ".");
  size_t len = pages * FL_PAGE, half = (pages / 2) * FL_PAGE;
  char path[4096];
  snprintf(path, sizeof path, "%s/faultline-file-private-%d.dat", dir, (int)getpid());
  fl_checkpoint("start");
  int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) fl_die(path);
  unlink(path);
  static char blk[1 << 16];
  memset(blk, 0x5A, sizeof blk);
  for (size_t o = 0; o < len;) {
    ssize_t k = write(fd, blk, len - o < sizeof blk ? len - o : sizeof blk);
    if (k <= 0) fl_die("write");
    o += (size_t)k;
  }
  fsync(fd); /* the pages stay in the page cache: read faults are minor */
  char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  if (p == MAP_FAILED) fl_die("mmap(file)");
  fl_region("file", p, len);
  fl_checkpoint("mapped");
  long s = fl_read_pages(p, half);
  fl_checkpoint("read_half");
  fl_write_pages(p, half, (char)(s + 1));
  fl_checkpoint("wrote_read_half");
  fl_write_pages(p + half, len - half, 1);
  fl_checkpoint("wrote_unread_half");
  munmap(p, len);
  close(fd);
  fl_checkpoint("end");
  return 0;
}
