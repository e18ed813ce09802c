/* zygote [children=8] [file_mib=32] [dir=.] [lib... | @so-dir:DIR:MAX_MIB]: Android's Zygote shape. The parent maps a large read-only
 * file (a boot image / .oat stand-in, written to DIR then unlinked) and each LIB whole (PROT_READ, MAP_PRIVATE, as
 * ELF text and rodata), reads every page, writes a 4 MiB anonymous heap, then forks CHILDREN without exec, one at a
 * time; each child reads through every file mapping and writes every 8th heap page, then stays alive until all
 * are forked. fork copies no PTE of a file VMA without anon_vma (mm/memory.c: copy_page_range -> vma_needs_copy), so
 * every child faults the same file pages into tables of its own (do_read_fault + do_fault_around): the redundant
 * page tables Android counts per device. Every file's page cache is refilled with 4 KiB folios first (cache_4k): an
 * ext4 of 6.18 caches large folios, which fault-around maps whole and a 2 MiB one by PMD without a PTE table
 * (mm/filemap.c: filemap_map_pages -> filemap_map_pmd -> mm/memory.c: do_set_pmd), which faultline does not model.
 * @so-dir:DIR:MAX_MIB stands for every regular file of DIR whose name has ".so" and whose size is 1 byte .. MAX_MIB MiB,
 * in name order (a distribution's shared libraries as Zygote's preloaded ELF set), less each one whose page cache
 * stays partly resident after POSIX_FADV_DONTNEED (mapped by a running process, so its large folios would stay);
 * the "mapped" checkpoint says how many were mapped and skipped. */
#include "fl_common.h"
#include <dirent.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define MAX_MAPS 1024

static char *maps[MAX_MAPS];
static size_t lens[MAX_MAPS];
static int nmaps;

static void add_map(int fd, size_t len, const char *name) {
  if (nmaps == MAX_MAPS) { fprintf(stderr, "zygote: at most %d libraries\n", MAX_MAPS - 1); exit(2); }
  char *p = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
  if (p == MAP_FAILED) fl_die("mmap(file)");
  fl_region(name, p, len);
  maps[nmaps] = p;
  lens[nmaps++] = len;
}

/* Reads every page of every file mapping (one fault per fault-around window). */
static long read_maps(void) {
  long s = 0;
  for (int i = 0; i < nmaps; i++) s += fl_read_pages(maps[i], lens[i]);
  return s;
}

/* Refills a file's page cache with 4 KiB folios: drop what is cached (clean, unmapped pages go), then read(2) it
 * with FMODE_RANDOM, which reads without readahead in order-0 folios (mm/readahead.c: page_cache_sync_ra ->
 * force_page_cache_ra). Faults on its mapping are then minor and map 4 KiB pages, 16 per fault-around. */
static void cache_4k(int fd) {
  if (fsync(fd) != 0 && errno != EINVAL) fl_die("fsync");
  if (posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) != 0) fl_die("posix_fadvise(DONTNEED)");
  if (posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM) != 0) fl_die("posix_fadvise(RANDOM)");
  if (lseek(fd, 0, SEEK_SET) != 0) fl_die("lseek");
  static char buf[1 << 16];
  ssize_t k;
  while ((k = read(fd, buf, sizeof buf)) > 0) {}
  if (k < 0) fl_die("read");
}

/* Whether any page of the file is still in the page cache (mincore over a PROT_READ mapping of it). */
static int any_resident(int fd, size_t len) {
  void *p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) fl_die("mmap(mincore)");
  size_t n = (len + FL_PAGE - 1) / FL_PAGE;
  unsigned char *v = malloc(n);
  if (!v) fl_die("malloc");
  if (mincore(p, len, v) != 0) fl_die("mincore");
  int any = 0;
  for (size_t i = 0; i < n && !any; i++) any = v[i] & 1;
  free(v);
  munmap(p, len);
  return any;
}

static int libs_mapped, libs_skipped;

/* Maps one library whole (PROT_READ, MAP_PRIVATE) with its cache refilled in 4 KiB folios; with `only_droppable`,
 * skips it when its page cache cannot be dropped first (another process maps it). */
static void add_lib(const char *path, int only_droppable) {
  int lf = open(path, O_RDONLY | O_CLOEXEC);
  if (lf < 0) fl_die(path);
  struct stat st;
  if (fstat(lf, &st) != 0) fl_die("fstat");
  if (only_droppable) {
    if (posix_fadvise(lf, 0, 0, POSIX_FADV_DONTNEED) != 0) fl_die("posix_fadvise(DONTNEED)");
    if (any_resident(lf, (size_t)st.st_size)) {
      libs_skipped++;
      close(lf);
      return;
    }
  }
  cache_4k(lf);
  add_map(lf, (size_t)st.st_size, "lib");
  libs_mapped++;
}

static int is_so(const struct dirent *d) { return strstr(d->d_name, ".so") != NULL; }

/* @so-dir:DIR:MAX_MIB: every regular shared-library file of DIR up to MAX_MIB MiB, in name order. */
static void add_so_dir(const char *spec) {
  char dir[4096];
  snprintf(dir, sizeof dir, "%s", spec + strlen("@so-dir:"));
  char *colon = strrchr(dir, ':');
  if (!colon) { fprintf(stderr, "zygote: expected @so-dir:DIR:MAX_MIB\n"); exit(2); }
  *colon = 0;
  long max = atol(colon + 1) << 20;
  struct dirent **names;
  int n = scandir(dir, &names, is_so, alphasort);
  if (n < 0) fl_die(dir);
  for (int i = 0; i < n; i++) {
    char path[8192];
    snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 && st.st_size <= max) add_lib(path, 1);
    free(names[i]);
  }
  free(names);
}

int main(int argc, char **argv) {
  long children = fl_arg(argc, argv, 1, 8);
  size_t len = (size_t)fl_arg(argc, argv, 2, 32) << 20;
  const char *dir = fl_sarg(argc, argv, 3, ".");
  if (children < 1 || children > 64 || len == 0) { fprintf(stderr, "zygote: children must be 1..64 and file_mib > 0\n"); return 2; }
  fl_checkpoint("start");
  char path[4096];
  snprintf(path, sizeof path, "%s/faultline-zygote-%d.dat", dir, (int)getpid());
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
  cache_4k(fd);
  add_map(fd, len, "boot_image");
  for (int i = 4; i < argc; i++) {
    if (strncmp(argv[i], "@so-dir:", 8) == 0) add_so_dir(argv[i]);
    else add_lib(argv[i], 0);
  }
  size_t heap_len = 4UL << 20;
  char *heap = fl_map_4k(heap_len);
  fl_region("heap", heap, heap_len);
  size_t lib_bytes = 0;
  for (int i = 1; i < nmaps; i++) lib_bytes += lens[i];
  char mapped[128];
  snprintf(mapped, sizeof mapped, ", \"libs\": %d, \"libs_skipped\": %d, \"lib_bytes\": %zu", libs_mapped, libs_skipped, lib_bytes);
  fl_checkpoint_x("mapped", mapped);
  long s = read_maps();
  fl_checkpoint("preloaded");
  fl_write_pages(heap, heap_len, (char)(s | 1));
  fl_checkpoint("heap_written");
  int release[2];
  if (pipe(release) != 0) fl_die("pipe");
  pid_t pids[64];
  for (long k = 0; k < children; k++) {
    int done[2];
    if (pipe(done) != 0) fl_die("pipe");
    uint64_t t0 = fl_mono_ns();
    pid_t pid = fork();
    if (pid < 0) fl_die("fork");
    if (pid == 0) {
      close(release[1]);
      close(done[0]);
      fl_checkpoint("child_start");
      long cs = read_maps();
      fl_checkpoint("child_read");
      for (size_t o = 0; o < heap_len; o += 8 * FL_PAGE) ((volatile char *)heap)[o] = (char)(cs + 2);
      fl_checkpoint("child_wrote");
      if (write(done[1], "x", 1) != 1) fl_die("write(done)");
      char c;
      while (read(release[0], &c, 1) > 0) {}
      _exit(0);
    }
    uint64_t fork_ns = fl_mono_ns() - t0;
    close(done[1]);
    char c;
    if (read(done[0], &c, 1) != 1) fl_die("read(done)");
    close(done[0]);
    pids[k] = pid;
    char extra[96];
    snprintf(extra, sizeof extra, ", \"child_pid\": %d, \"fork_ns\": %llu, \"children\": %ld", (int)pid, (unsigned long long)fork_ns, k + 1);
    fl_checkpoint_x("forked", extra);
  }
  close(release[0]);
  close(release[1]);
  for (long k = 0; k < children; k++) {
    int st;
    if (waitpid(pids[k], &st, 0) != pids[k] || !WIFEXITED(st) || WEXITSTATUS(st) != 0) { fprintf(stderr, "zygote: child %d failed\n", (int)pids[k]); return 1; }
  }
  fl_checkpoint("children_exited");
  for (int i = 0; i < nmaps; i++) munmap(maps[i], lens[i]);
  munmap(heap, heap_len);
  fl_checkpoint("end");
  return 0;
}
