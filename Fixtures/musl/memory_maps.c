// Checks the memory syscalls, each called by number: brk (query, grow, the new bytes are zero,
// shrink), anonymous mmap (zero-filled, writable), MAP_FIXED over an existing mapping,
// MAP_FIXED_NOREPLACE (EEXIST over a mapping), file-backed MAP_PRIVATE (contents and offset;
// writes stay private), munmap, mprotect (PROT_READ then back to writable), mremap (shrink,
// grow with MREMAP_MAYMOVE keeping the contents), madvise (MADV_DONTNEED zeroes an anonymous
// private page, MADV_NORMAL), msync (MS_SYNC on a file mapping, EINVAL unaligned), mincore
// (touched pages resident, ENOMEM for unmapped ones) and the EINVAL/ENOMEM cases.
// conformance-libcs: musl glibc
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

static const char *name(int e) {
    switch (e) {
    case EINVAL: return "EINVAL";
    case ENOMEM: return "ENOMEM";
    case EEXIST: return "EEXIST";
    case EBADF: return "EBADF";
    case EACCES: return "EACCES";
    case EFAULT: return "EFAULT";
    default: return "other";
    }
}

#define SHOW(label, expr) do { \
    errno = 0; long r_ = (long)(expr); int e_ = errno; \
    if (r_ < 0) printf("%s: %ld %s\n", label, r_, name(e_)); else printf("%s: %ld\n", label, r_); \
} while (0)

static void *map(void *address, size_t length, int prot, int flags, int fd, off_t offset) {
    return (void *)syscall(SYS_mmap, address, length, prot, flags, fd, offset);
}

static void show_map(const char *label, void *p) {
    if (p == MAP_FAILED) printf("%s: -1 %s\n", label, name(errno));
    else printf("%s: ok, page aligned %d\n", label, ((uintptr_t)p & 4095) == 0);
}

int main(void) {
    const long page = 4096;
    uintptr_t start = syscall(SYS_brk, 0);
    printf("brk(0) page aligned or not, nonzero: %d\n", start != 0);
    uintptr_t grown = syscall(SYS_brk, start + 3 * page);
    printf("brk grow 3 pages: %d\n", grown == start + 3 * page);
    int zero = 1;
    for (long i = 0; i < 3 * page; i++) zero &= ((char *)start)[i] == 0;
    printf("  new bytes zero: %d\n", zero);
    memset((void *)start, 7, 3 * page);
    uintptr_t shrunk = syscall(SYS_brk, start + page);
    printf("brk shrink to 1 page: %d\n", shrunk == start + page);
    printf("brk far below the heap refused (unchanged): %d\n", (uintptr_t)syscall(SYS_brk, 4096L) == start + page);
    syscall(SYS_brk, start + 2 * page);
    printf("  regrown page is zero again: %d\n", ((char *)start)[page + 10] == 0);

    char *anon = map(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    show_map("mmap anonymous 4 pages", anon);
    zero = 1;
    for (long i = 0; i < 4 * page; i++) zero &= anon[i] == 0;
    printf("  zero-filled: %d\n", zero);
    memset(anon, 'a', 4 * page);
    char *fixed = map(anon + page, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    printf("mmap MAP_FIXED over page 1: same address %d, zero %d, neighbours kept %c%c\n", fixed == anon + page,
           fixed[0] == 0 && fixed[page - 1] == 0, anon[0], anon[2 * page]);
    void *noreplace = map(anon + 2 * page, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    show_map("mmap MAP_FIXED_NOREPLACE over a mapping", noreplace);
    SHOW("munmap last page", syscall(SYS_munmap, anon + 3 * page, page));
    char *free_page = map(anon + 3 * page, page, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    printf("mmap MAP_FIXED_NOREPLACE on the freed page: same address %d\n", free_page == anon + 3 * page);

    // Every page is touched first: the kernel's table says every reserved page is resident in the
    // guest, while Linux reports untouched pages as not resident.
    free_page[0] = 'f';
    unsigned char vec[8];
    memset(vec, 0xff, sizeof vec);
    SHOW("mincore 4 pages", syscall(SYS_mincore, anon, 4 * page, vec));
    printf("  resident bits:");
    for (int i = 0; i < 4; i++) printf(" %d", vec[i] & 1);
    printf("\n");
    SHOW("mincore unaligned", syscall(SYS_mincore, anon + 1, page, vec));

    SHOW("mprotect read-only", syscall(SYS_mprotect, anon, page, PROT_READ));
    printf("  still readable: %c\n", anon[5]);
    SHOW("mprotect read-write", syscall(SYS_mprotect, anon, page, PROT_READ | PROT_WRITE));
    anon[5] = 'b';
    printf("  written: %c\n", anon[5]);
    SHOW("mprotect unaligned", syscall(SYS_mprotect, anon + 1, page, PROT_READ));

    SHOW("madvise MADV_NORMAL", syscall(SYS_madvise, anon, page, MADV_NORMAL));
    SHOW("madvise MADV_DONTNEED", syscall(SYS_madvise, anon, page, MADV_DONTNEED));
    printf("  page zero again: %d, next page kept: %c\n", anon[5] == 0, anon[2 * page]);
    SHOW("madvise unaligned", syscall(SYS_madvise, anon + 1, page, MADV_NORMAL));

    // A fresh mapping: the pages above were mapped separately (see mremap_merged).
    SHOW("munmap 4 pages", syscall(SYS_munmap, anon, 4 * page));
    anon = map(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *moved = (char *)syscall(SYS_mremap, anon, 4 * page, 2 * page, 0, 0);
    printf("mremap shrink to 2 pages: same address %d\n", moved == anon);
    memset(anon, 'm', 2 * page);
    moved = (char *)syscall(SYS_mremap, anon, 2 * page, 64 * page, MREMAP_MAYMOVE, 0);
    show_map("mremap grow to 64 pages, may move", moved);
    if (moved == MAP_FAILED) return 1;
    printf("  contents kept: %d, new tail zero: %d\n", moved[0] == 'm' && moved[2 * page - 1] == 'm',
           moved[2 * page] == 0 && moved[64 * page - 1] == 0);
    SHOW("mremap bad flags", syscall(SYS_mremap, moved, page, page, 0x80));
    SHOW("mremap zero new size", syscall(SYS_mremap, moved, page, 0, MREMAP_MAYMOVE));
    SHOW("munmap grown", syscall(SYS_munmap, moved, 64 * page));
    SHOW("munmap unaligned", syscall(SYS_munmap, moved + 1, page));
    SHOW("munmap zero length", syscall(SYS_munmap, moved, 0));

    int fd = syscall(SYS_openat, AT_FDCWD, "mapped.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
    char text[2 * 4096];
    for (int i = 0; i < (int)sizeof text; i++) text[i] = 'A' + (i / 4096) * 2 + (i % 2);
    syscall(SYS_write, fd, text, sizeof text);
    char *file = map(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    show_map("mmap file MAP_PRIVATE", file);
    printf("  bytes: %c%c %c%c\n", file[0], file[1], file[page], file[page + 1]);
    char *second = map(NULL, page, PROT_READ, MAP_PRIVATE, fd, page);
    show_map("mmap file at offset 1 page", second);
    printf("  bytes: %c%c\n", second[0], second[1]);
    file[0] = 'z';
    char first;
    syscall(SYS_pread64, fd, &first, 1, 0L);
    printf("  private write not in file: %c\n", first);
    SHOW("msync MS_SYNC", syscall(SYS_msync, file, 2 * page, MS_SYNC));
    SHOW("msync unaligned", syscall(SYS_msync, file + 1, page, MS_SYNC));
    SHOW("msync bad flags", syscall(SYS_msync, file, page, MS_SYNC | MS_ASYNC));
    char *beyond = map(NULL, page, PROT_READ, MAP_PRIVATE, fd, 16 * page);
    show_map("mmap file beyond its end (allowed)", beyond);
    show_map("mmap file unaligned offset", map(NULL, page, PROT_READ, MAP_PRIVATE, fd, 100));
    show_map("mmap closed fd", map(NULL, page, PROT_READ, MAP_PRIVATE, 99, 0));
    show_map("mmap zero length", map(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    show_map("mmap neither shared nor private", map(NULL, page, PROT_READ, MAP_ANONYMOUS, -1, 0));
    int ro = syscall(SYS_openat, AT_FDCWD, "mapped.txt", O_RDONLY);
    show_map("mmap read-only fd, MAP_PRIVATE writable (allowed)", map(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE, ro, 0));
    SHOW("munmap file", syscall(SYS_munmap, file, 2 * page));
    memset(vec, 0xff, sizeof vec);
    SHOW("mincore unmapped", syscall(SYS_mincore, file, page, vec));
    return 0;
}
