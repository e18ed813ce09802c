// faultline calibrate: times each modelled mm fault path and fork() on warmed memory, one sample per line.
// Built and run by `faultline calibrate` (calibrate/output.ts parses the output); usage: calibrate [-r runs] [-q] [-w]
// Output lines: `info KEY VALUE`, `sample STEP NS_PER_UNIT UNITS`, `fork KIND BYTES PTES TABLES PMDS RUN NS`,
// `check NAME GOT WANT` (THP allocations seen in /proc/vmstat vs expected).
// Steps ending in _gup are the same fault paths driven by MADV_POPULATE_WRITE instead of a user access: no trap
// (mm/madvise.c: madvise_populate -> mm/gup.c: faultin_page_range -> __get_user_pages -> faultin_page -> handle_mm_fault).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

#define PG 4096UL
#define HPG (2UL << 20)
#define MIB (1UL << 20)

// The thread's CPU clock, not the wall clock: on a shared machine a timed loop is often descheduled, and the kernel
// work of a fault (or of fork's copy_process) is charged to the faulting (forking) thread, so CPU time is that work.
static clockid_t timer = CLOCK_THREAD_CPUTIME_ID;
static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(timer, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void stop_peers(void);
static void die(const char *what) {
  fprintf(stderr, "calibrate: %s: %s\n", what, strerror(errno));
  stop_peers();
  exit(1);
}

static void emit(const char *step, uint64_t ns, size_t units) {
  printf("sample %s %.1f %zu\n", step, (double)ns / (double)units, units);
}

// A 2 MiB-aligned private anonymous mapping, so THP eligibility and table counts are exact.
static char *map_aligned(size_t len, int advice) {
  size_t span = len + HPG;
  char *raw = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (raw == MAP_FAILED) die("mmap");
  uintptr_t a = ((uintptr_t)raw + HPG - 1) & ~(HPG - 1);
  if (a > (uintptr_t)raw) munmap(raw, a - (uintptr_t)raw);
  uintptr_t end = (uintptr_t)raw + span;
  if (end > a + len) munmap((void *)(a + len), end - (a + len));
  if (madvise((void *)a, len, advice) != 0) die("madvise(HUGEPAGE/NOHUGEPAGE)");
  return (char *)a;
}

static void touch(char *p, size_t len, size_t stride, int write) {
  for (size_t off = 0; off < len; off += stride) {
    if (write) *(volatile char *)(p + off) = 1;
    else (void)*(volatile char *)(p + off);
  }
}

static long minflt(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_minflt;
}

// Warm a pool of free pages right before a timed pass that allocates: the guest frees them to the head of its free
// lists, so the pass gets pages the host already backs (page reporting hands freed pages back to the host, and a
// host-cold page costs tens of microseconds more per fault here).
static void warm_pool(size_t len) {
  char *w = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (w == MAP_FAILED) die("mmap warm pool");
  madvise(w, len, MADV_NOHUGEPAGE);
  if (madvise(w, len, MADV_POPULATE_WRITE) != 0) touch(w, len, PG, 1);
  munmap(w, len);
}

// One chunk's faults: user accesses (a trap each) or one GUP call, over m strides from q.
typedef void (*fault_chunk_fn)(char *q, size_t m, size_t stride, int write);

static void touch_chunk(char *q, size_t m, size_t stride, int write) {
  for (size_t j = 0; j < m; j++) {
    if (write) *(volatile char *)(q + j * stride) = 1;
    else (void)*(volatile char *)(q + j * stride);
  }
}

// GUP: one MADV_POPULATE_WRITE call per chunk (per page when `stride` > 4 KiB: one page per stride).
static void populate_chunk(char *q, size_t m, size_t stride, int write) {
  (void)write;
  for (size_t j = 0; j < m; j += stride == PG ? m : 1)
    if (madvise(q + j * stride, stride == PG ? m * PG : PG, MADV_POPULATE_WRITE) != 0) die("madvise(MADV_POPULATE_WRITE)");
}

// Time faults in chunks of `chunk` strides; each chunk is one sample (robust medians under load), divided by the
// faults the kernel counted (ru_minflt), not the accesses: a fault may map more than one page, and
// mm/memory.c: mm_account_fault counts GUP faults in min_flt too.
static void timed_chunks(const char *step, char *p, size_t len, size_t stride, int write, size_t chunk, fault_chunk_fn fault) {
  size_t n = len / stride;
  for (size_t i = 0; i < n; i += chunk) {
    size_t m = n - i < chunk ? n - i : chunk;
    char *q = p + i * stride;
    long f0 = minflt();
    uint64_t t0 = now_ns();
    fault(q, m, stride, write);
    uint64_t t1 = now_ns();
    long faults = minflt() - f0;
    if (faults > 0) emit(step, t1 - t0, (size_t)faults);
  }
}

static void timed_touch(const char *step, char *p, size_t len, size_t stride, int write, size_t chunk) {
  timed_chunks(step, p, len, stride, write, chunk, touch_chunk);
}

static void timed_populate(const char *step, char *p, size_t len, size_t stride, size_t chunk) {
  timed_chunks(step, p, len, stride, 1, chunk, populate_chunk);
}

// Trapped and GUP passes over one region, chunk by chunk alternately, so both see the same machine state
// (on this VM the cost of a TLB-flushing fault moves 3x with what the other vCPU is doing; see tlb_flush).
static void timed_pair(const char *step, const char *gup_step, char *p, size_t len, size_t stride, size_t chunk) {
  size_t span = chunk * stride;
  for (size_t off = 0; off < len; off += 2 * span) {
    size_t m = len - off < span ? len - off : span;
    timed_touch(step, p + off, m, stride, 1, chunk);
    if (off + span < len) {
      size_t m2 = len - off - span < span ? len - off - span : span;
      timed_populate(gup_step, p + off + span, m2, stride, chunk);
    }
  }
}

// One GUP call that faults nothing (a present writable page): the syscall and walk overhead in the _gup steps that
// populate one page per call (thp_wp_split_gup); per 512-page call it is negligible.
static void gup_call(int iters) {
  char *p = map_aligned(HPG, MADV_NOHUGEPAGE);
  p[0] = 1;
  for (int i = 0; i < iters; i += 64) {
    uint64_t t0 = now_ns();
    for (int j = 0; j < 64; j++)
      if (madvise(p, PG, MADV_POPULATE_WRITE) != 0) die("madvise(MADV_POPULATE_WRITE)");
    emit("gup_call", now_ns() - t0, 64);
  }
  munmap(p, HPG);
}

// A TLB flush of one user page: mprotect of a present page changes a PTE and flushes it (mm/mprotect.c:
// change_protection -> tlb_flush_mmu -> arch/x86/mm/tlb.c: flush_tlb_mm_range), mprotect of an absent page changes
// nothing and flushes nothing; the difference is the PTE update plus the flush (a hypercall in a PVM guest).
static void tlb_flush(int iters) {
  char *p = map_aligned(HPG, MADV_NOHUGEPAGE);
  p[0] = 1;
  for (int i = 0; i < iters; i += 32) {
    uint64_t t0 = now_ns();
    for (int j = 0; j < 32; j++) {
      mprotect(p, PG, PROT_READ);
      mprotect(p, PG, PROT_READ | PROT_WRITE);
    }
    uint64_t t1 = now_ns();
    for (int j = 0; j < 32; j++) {
      mprotect(p + PG, PG, PROT_READ);
      mprotect(p + PG, PG, PROT_READ | PROT_WRITE);
    }
    uint64_t t2 = now_ns();
    double d = ((double)(t1 - t0) - (double)(t2 - t1)) / 64.0;
    printf("sample tlb_flush %.1f 64\n", d > 0 ? d : 0);
  }
  munmap(p, HPG);
}

static long vmstat(const char *key) {
  FILE *f = fopen("/proc/vmstat", "r");
  if (!f) return -1;
  char k[128];
  long v, r = -1;
  while (fscanf(f, "%127s %ld", k, &v) == 2)
    if (strcmp(k, key) == 0) { r = v; break; }
  fclose(f);
  return r;
}

// A child that holds the parent's pages shared (COW) until the parent closes the pipe.
static pid_t fork_holder(int *wfd) {
  int fds[2];
  if (pipe(fds) != 0) die("pipe");
  pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    char c;
    close(fds[1]);
    while (read(fds[0], &c, 1) > 0) {}
    _exit(0);
  }
  close(fds[0]);
  *wfd = fds[1];
  return pid;
}

static void release_holder(pid_t pid, int wfd) {
  close(wfd);
  waitpid(pid, NULL, 0);
}

static void fork_and_reap(void) {
  pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid == 0) _exit(0);
  waitpid(pid, NULL, 0);
}

// One `KEY: N kB` figure of /proc/self/status (key with its colon, e.g. "RssAnon:"), or -1.
static long status_kb(const char *key) {
  FILE *f = fopen("/proc/self/status", "r");
  if (!f) return -1;
  char l[256];
  long v = -1;
  size_t kl = strlen(key);
  while (fgets(l, sizeof l, f))
    if (strncmp(l, key, kl) == 0) { v = strtol(l + kl, NULL, 10); break; }
  fclose(f);
  return v;
}

// Does a read fault map the shared zero page (mm/memory.c: do_anonymous_page, read), and the huge zero folio?
// Some hypervisor guests turn it off (e.g. a `pvm_no_zero_page=1` command line): reads then allocate.
static int zero_page, huge_zero_page;
static void probe_zero_pages(void) {
  char *p = map_aligned(HPG, MADV_NOHUGEPAGE);
  long r0 = status_kb("RssAnon:");
  touch(p, HPG, PG, 0);
  zero_page = status_kb("RssAnon:") - r0 < 1024;
  munmap(p, HPG);
  p = map_aligned(4 * HPG, MADV_HUGEPAGE);
  long a0 = vmstat("thp_fault_alloc");
  touch(p, 4 * HPG, HPG, 0);
  huge_zero_page = vmstat("thp_fault_alloc") - a0 < 2;
  munmap(p, 4 * HPG);
  printf("info zero_page %d\ninfo huge_zero_page %d\n", zero_page, huge_zero_page);
}

static sigjmp_buf segv_env;
static void on_segv(int sig) { (void)sig; siglongjmp(segv_env, 1); }

// ---- 4K anonymous paths: mm/memory.c do_anonymous_page, do_wp_page, wp_page_copy, wp_page_reuse
static void run_anon(size_t len) {
  char *p = map_aligned(len, MADV_NOHUGEPAGE);
  touch(p, len, PG, 1); // warm: host backs these guest pages now
  madvise(p, len, MADV_DONTNEED);
  timed_touch(zero_page ? "anon_zero_page" : "anon_read_alloc", p, len, PG, 0, 512);
  if (zero_page) timed_touch("wp_page_copy_zero", p, len, PG, 1, 512);
  madvise(p, len, MADV_DONTNEED);
  warm_pool(len);
  timed_pair("anon_alloc", "anon_alloc_gup", p, len, PG, 512); // mm/memory.c: do_anonymous_page, trapped vs GUP
  int wfd;
  pid_t holder = fork_holder(&wfd);
  warm_pool(len);
  timed_pair("wp_page_copy", "wp_page_copy_gup", p, len, PG, 512); // child still maps them: wp_page_copy
  release_holder(holder, wfd);
  fork_and_reap(); // child gone: pages write-protected but exclusive again
  timed_pair("wp_page_reuse", "wp_page_reuse_gup", p, len, PG, 512); // wp_page_reuse
  // user-space fill/copy of resident pages: what a pattern fill or refpage copy adds per 4 KiB. Every page is touched
  // from user space first: the _gup half was never accessed by the user, and its first access costs a host-side fill
  // here (measured as gup_first_touch), which is not what a memset of a resident page costs.
  touch(p, len, PG, 1);
  char *src = map_aligned(len, MADV_NOHUGEPAGE);
  touch(src, len, PG, 1);
  for (size_t i = 0; i < len / PG; i += 512) {
    size_t m = len / PG - i < 512 ? len / PG - i : 512;
    uint64_t t0 = now_ns();
    for (size_t j = 0; j < m; j++) memset(p + (i + j) * PG, 0xa5, PG);
    emit("page_fill_4k", now_ns() - t0, m);
    t0 = now_ns();
    for (size_t j = 0; j < m; j++) memcpy(p + (i + j) * PG, src + (i + j) * PG, PG);
    emit("page_copy_4k", now_ns() - t0, m);
  }
  munmap(src, len);
  munmap(p, len);
  // first write in each 2 MiB block of a fresh VMA: one PTE table allocated per fault (mm/memory.c: pte_alloc)
  size_t vlen = len * 8;
  p = map_aligned(vlen, MADV_NOHUGEPAGE);
  warm_pool(vlen / HPG * 2 * PG); // a data page and a table page per fault
  // one fault per sample: a new table costs ~58 us here with a long tail (to 130 us); means over 16 faults followed
  // the tail and moved 36-65 us between runs, per-fault medians stay at the mode
  timed_touch("anon_alloc_newtable", p, vlen, HPG, 1, 1);
  munmap(p, vlen);
  // GUP population, no trap (mm/gup.c: populate_vma_page_range via MADV_POPULATE_WRITE)
  p = map_aligned(len, MADV_NOHUGEPAGE);
  warm_pool(len);
  for (size_t off = 0; off < len; off += HPG) {
    size_t m = len - off < HPG ? len - off : HPG;
    uint64_t t0 = now_ns();
    if (madvise(p + off, m, MADV_POPULATE_WRITE) != 0) die("madvise(MADV_POPULATE_WRITE)");
    emit("populate_per_page", now_ns() - t0, m / PG);
  }
  // the first user write to each page GUP populated: no guest fault (ru_minflt unchanged), yet not free in a guest
  // whose hypervisor maps the user page only on its first access (PVM shadow paging)
  for (size_t off = 0; off < len; off += 512 * PG) {
    size_t m = len - off < 512 * PG ? (len - off) / PG : 512;
    long f0 = minflt();
    uint64_t t0 = now_ns();
    for (size_t j = 0; j < m; j++) *(volatile char *)(p + off + j * PG) = 2;
    uint64_t t1 = now_ns();
    if (minflt() == f0) emit("gup_first_touch", t1 - t0, m);
  }
  munmap(p, len);
}

// ---- private file mappings: mm/memory.c do_read_fault (+ do_fault_around), do_cow_fault
static void run_file(size_t len, const char *dir) {
  char path[4096];
  snprintf(path, sizeof path, "%s/faultline-calibrate-XXXXXX", dir);
  int fd = mkstemp(path);
  if (fd < 0) die("mkstemp");
  unlink(path);
  // 4 KiB writes give order-0 page-cache folios: with large folios, 6.18 maps a whole folio per fault instead of 16 pages
  warm_pool(len);
  char buf[PG];
  memset(buf, 0x5a, PG);
  for (size_t off = 0; off < len; off += PG)
    if (write(fd, buf, PG) != (ssize_t)PG) die("write");
  // two mappings of the cached file: in `p` each read fault maps a fresh 16-page fault-around window
  // (fault_around_bytes 64 KiB); in `q` every page is mapped, then one PTE per window is zapped, so its refault finds
  // the 15 neighbours present and maps just 1 page. Chunks alternate, so both see the same machine load.
  char *p = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
  char *q = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
  if (p == MAP_FAILED || q == MAP_FAILED) die("mmap file");
  touch(q, len, PG, 0);
  for (size_t off = 8 * PG; off < len; off += 16 * PG) madvise(q + off, PG, MADV_DONTNEED);
  size_t win = 16 * PG, chunk = 32 * win;
  long r0 = status_kb("RssFile:"), f0 = minflt(), f16 = 0;
  for (size_t off = 0; off < len; off += chunk) {
    size_t m = len - off < chunk ? len - off : chunk;
    long a = minflt();
    timed_touch("file_read_16", p + off, m, win, 0, 32);
    f16 += minflt() - a;
    timed_touch("file_read_1", q + off + 8 * PG, m - 8 * PG, win, 0, 32);
  }
  long faults = minflt() - f0;
  if (f16 > 0) // RssFile grew by p's windows plus one page per q refault
    printf("info file_read_pages_per_fault %.2f\n", ((double)(status_kb("RssFile:") - r0) / 4.0 - (double)(faults - f16)) / (double)f16);
  munmap(p, len);
  munmap(q, len);
  p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  if (p == MAP_FAILED) die("mmap file rw");
  warm_pool(len);
  timed_touch("file_cow", p, len, PG, 1, 512);
  munmap(p, len);
  close(fd);
}

// ---- THP: mm/huge_memory.c do_huge_pmd_anonymous_page, do_huge_pmd_wp_page, do_huge_zero_wp_pmd
static void run_thp(size_t len) {
  size_t blocks = len / HPG;
  char *p = map_aligned(len, MADV_HUGEPAGE);
  touch(p, len, HPG, 1); // warm 2 MiB blocks, then give them back to the buddy allocator
  madvise(p, len, MADV_DONTNEED);
  long a1 = vmstat("thp_fault_alloc"), a2;
  timed_touch(huge_zero_page ? "thp_zero" : "thp_read_alloc", p, len, HPG, 0, 1);
  if (huge_zero_page) {
    a1 = vmstat("thp_fault_alloc");
    timed_touch("thp_zero_wp", p, len, HPG, 1, 1); // 6.13+: a fresh THP replaces the huge zero PMD
    a2 = vmstat("thp_fault_alloc");
    printf("check thp_zero_wp %ld %zu\n", a2 - a1, blocks);
  }
  madvise(p, len, MADV_DONTNEED);
  a1 = vmstat("thp_fault_alloc");
  timed_pair("thp_alloc", "thp_alloc_gup", p, len, HPG, 1); // do_huge_pmd_anonymous_page, trapped vs GUP
  a2 = vmstat("thp_fault_alloc");
  printf("check thp_alloc %ld %zu\n", a2 - a1, blocks); // GUP faults allocate THPs the same way
  int wfd;
  pid_t holder = fork_holder(&wfd);
  warm_pool(blocks * 2 * PG); // a 4 KiB copy and a PTE table per split
  // shared THP: do_huge_pmd_wp_page splits the PMD, then do_wp_page copies 4 KiB; GUP takes the same fallback
  timed_pair("thp_wp_split", "thp_wp_split_gup", p, len, HPG, 1);
  release_holder(holder, wfd);
  madvise(p, len, MADV_DONTNEED);
  touch(p, len, HPG, 1);
  fork_and_reap();
  timed_touch("thp_reuse", p, len, HPG, 1, 1); // exclusive again: reuse the whole PMD
  munmap(p, len);
}

// ---- segv: a user access to a PROT_NONE page, signal delivered and handled (arch/x86/mm/fault.c: bad_area_access_error)
static void run_segv(int iters) {
  char *p = mmap(NULL, PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) die("mmap");
  struct sigaction sa, old;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_segv;
  sa.sa_flags = SA_NODEFER;
  sigaction(SIGSEGV, &sa, &old);
  for (int i = 0; i < iters; i += 50) {
    volatile int k = 0;
    uint64_t t0 = now_ns();
    sigsetjmp(segv_env, 0);
    if (k < 50) {
      k = k + 1;
      (void)*(volatile char *)p;
    }
    emit("segv", now_ns() - t0, 50);
  }
  sigaction(SIGSEGV, &old, NULL);
  munmap(p, PG);
}

// ---- fork: kernel/fork.c dup_mmap -> mm/memory.c copy_page_range; the parent's CPU time in fork()
// All regions stay mapped; before each timed fork every region but the one measured is MADV_DONTFORK (dup_mmap skips
// VM_DONTCOPY VMAs), so the configurations can be interleaved round by round and all see the same machine load.
// Every timed fork is a first fork: the parent rewrites the measured region before it, so fork finds writable PTEs
// and pays for write-protecting them (__copy_present_ptes: ptep_set_wrprotect), as a process that wrote then forked.
struct fork_cfg {
  const char *kind;
  char *p;
  size_t len, stride, ptes, tables, pmds;
};

static void run_forks(int quick, int runs) {
  static const size_t dense_full[] = {32, 64, 128, 256}, dense_quick[] = {8, 16, 32};
  static const size_t sparse_full[] = {512, 1024, 2048, 4096}, sparse_quick[] = {256, 512};
  static const size_t thp_full[] = {128, 256, 512, 1024, 2048}, thp_quick[] = {16, 32, 64}; // 2 GiB: per-PMD cost ~2.5 us, so the fixed cost's noise swamps it on small forks
  const size_t *dense = quick ? dense_quick : dense_full, *sparse = quick ? sparse_quick : sparse_full;
  const size_t *thp = quick ? thp_quick : thp_full;
  size_t nd = quick ? 3 : 4, ns = quick ? 2 : 4, nt = quick ? 3 : 5, n = 0;
  struct fork_cfg cfg[20];
  cfg[n++] = (struct fork_cfg){"empty", NULL, 0, PG, 0, 0, 0};
  for (size_t i = 0; i < nd; i++) {
    size_t len = dense[i] * MIB;
    cfg[n++] = (struct fork_cfg){"4k", map_aligned(len, MADV_NOHUGEPAGE), len, PG, len / PG, len / HPG, 0};
  }
  cfg[n++] = (struct fork_cfg){"empty", NULL, 0, PG, 0, 0, 0};
  for (size_t i = 0; i < ns; i++) { // one page per 2 MiB: tables without PTEs, to separate per-table from per-PTE cost
    size_t len = sparse[i] * MIB;
    cfg[n++] = (struct fork_cfg){"4k_sparse", map_aligned(len, MADV_NOHUGEPAGE), len, HPG, len / HPG, len / HPG, 0};
  }
  cfg[n++] = (struct fork_cfg){"empty", NULL, 0, PG, 0, 0, 0}; // four empty forks per round: fork_fixed is their fastest
  for (size_t i = 0; i < nt; i++) {
    size_t len = thp[i] * MIB;
    char *p = map_aligned(len, MADV_HUGEPAGE);
    long a0 = vmstat("thp_fault_alloc");
    touch(p, len, HPG, 1);
    printf("check fork_thp_%zu %ld %zu\n", thp[i], vmstat("thp_fault_alloc") - a0, len / HPG);
    cfg[n++] = (struct fork_cfg){"thp", p, len, HPG, 0, 0, len / HPG};
  }
  cfg[n++] = (struct fork_cfg){"empty", NULL, 0, PG, 0, 0, 0};
  for (size_t c = 0; c < n; c++)
    if (cfg[c].p) madvise(cfg[c].p, cfg[c].len, MADV_DONTFORK);
  for (int r = 0; r < runs + 3; r++) {
    for (size_t c = 0; c < n; c++) {
      struct fork_cfg *f = &cfg[c];
      if (f->p) {
        madvise(f->p, f->len, MADV_DOFORK);
        touch(f->p, f->len, f->stride, 1); // untimed: after the last child exited these are reuse faults
      }
      uint64_t t0 = now_ns();
      pid_t pid = fork();
      uint64_t t1 = now_ns(); // copy_process runs in the parent's context
      if (pid < 0) die("fork");
      if (pid == 0) _exit(0);
      waitpid(pid, NULL, 0);
      if (f->p) madvise(f->p, f->len, MADV_DONTFORK);
      printf("fork %s %zu %zu %zu %zu %d %llu\n", f->kind, f->len, f->ptes, f->tables, f->pmds, r, (unsigned long long)(t1 - t0));
    }
  }
  for (size_t c = 0; c < n; c++)
    if (cfg[c].p) munmap(cfg[c].p, cfg[c].len);
}

// Pin to one CPU: the process, its fork children and the COW holder stay on it, so no step straddles a migration.
static int pin_cpu(int cpu) {
  if (cpu < 0) cpu = sched_getcpu();
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof set, &set) != 0) die("sched_setaffinity");
  return cpu;
}

// A SCHED_IDLE spinner on every other CPU: it runs only when nothing else wants that CPU, and keeps it from idling, so
// the other vCPUs are always running guest code during the measurement (the PVM host's TLB-flush hypercall costs
// ~4 us with the other vCPU halted and ~20 us with it running: see tlb_flush); without it the state follows other
// users' load. Killed by the parent at the end.
static pid_t peers[256];
static int npeers;
static void start_peers(int self) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  for (int c = 0; c < n && npeers < 256; c++) {
    if (c == self) continue;
    pid_t pid = fork();
    if (pid < 0) die("fork peer");
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL); // never outlive calibrate, however it ends
      if (getppid() == 1) _exit(0);
      cpu_set_t set;
      CPU_ZERO(&set);
      CPU_SET(c, &set);
      struct sched_param sp = {0};
      if (sched_setaffinity(0, sizeof set, &set) != 0 || sched_setscheduler(0, SCHED_IDLE, &sp) != 0) _exit(1);
      for (volatile unsigned long x = 0;; x++) {}
    }
    peers[npeers++] = pid;
  }
}
static void stop_peers(void) {
  for (int i = 0; i < npeers; i++) {
    kill(peers[i], SIGKILL);
    waitpid(peers[i], NULL, 0);
  }
  npeers = 0;
}

int main(int argc, char **argv) {
  int runs = 5, quick = 0, opt, cpu = -1, spin = 1;
  const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
  while ((opt = getopt(argc, argv, "r:qd:wc:s:")) != -1) {
    if (opt == 'r') runs = atoi(optarg);
    else if (opt == 'w') timer = CLOCK_MONOTONIC; // wall clock instead of the thread's CPU clock
    else if (opt == 'q') quick = 1;
    else if (opt == 'd') dir = optarg;
    else if (opt == 'c') cpu = atoi(optarg);
    else if (opt == 's') spin = atoi(optarg);
    else { fprintf(stderr, "usage: calibrate [-r runs] [-q] [-w] [-d tmpdir] [-c cpu] [-s 0|1 (idle spinners on the other CPUs)]\n"); return 2; }
  }
  if (runs < 1) runs = 1;
  setvbuf(stdout, NULL, _IOLBF, 0);
  struct utsname u;
  uname(&u);
  char date[32];
  time_t now = time(NULL);
  strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
  printf("info date %s\n", date);
  printf("info kernel %s\ninfo machine %s\ninfo runs %d\ninfo quick %d\ninfo clock %s\n", u.release, u.machine, runs, quick,
         timer == CLOCK_MONOTONIC ? "monotonic" : "thread_cputime");
  cpu = pin_cpu(cpu);
  if (spin) start_peers(cpu);
  printf("info cpu %d\ninfo peer_spinners %d\n", cpu, npeers);
  size_t anon_len = (quick ? 8 : 64) * MIB, thp_len = (quick ? 16 : 128) * MIB, file_len = (quick ? 2 : 64) * MIB;
  // warm-up: make the host back a pool of guest pages (first touch in a VM costs ~10x), then free them
  size_t warm = (quick ? 64 : 1024) * MIB;
  char *w = map_aligned(warm, MADV_HUGEPAGE);
  touch(w, warm, PG, 1);
  munmap(w, warm);
  probe_zero_pages();
  for (int r = 0; r < runs; r++) {
    printf("info run %d\n", r); // samples until the next such line belong to run r (the profile takes per-run medians)
    run_anon(anon_len);
    run_file(file_len, dir);
    run_thp(thp_len);
    run_segv(quick ? 200 : 2000);
    gup_call(quick ? 64 : 512);
    tlb_flush(quick ? 64 : 512); // last: a flush here makes the next user accesses to other pages slower too
  }
  run_forks(quick, runs);
  stop_peers();
  printf("info done 1\n");
  return 0;
}
