// Changes to part of memory that the kernel may back with 2 MiB pages (an 8 MiB anonymous
// mapping, 2 MiB-aligned blocks filled by first touch): one page unmapped, one made
// read-only, one made PROT_NONE, one discarded with MADV_DONTNEED, in the middle of a block;
// every other page keeps its bytes, the changed pages behave as Linux says (SIGSEGV with the
// right si_code, zero after MADV_DONTNEED); then the mapping is moved and grown by mremap,
// a partial munmap spans two blocks, and the brk heap (the brk syscall: musl's sbrk only
// reports the break) grows past 4 MiB and shrinks back.
// conformance-libcs: musl glibc
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MIB (1024ul * 1024ul)
#define PAGE 4096ul
#define SIZE (8 * MIB)

static sigjmp_buf recover;
static volatile int fault_code;

static void on_segv(int sig, siginfo_t *info, void *context) {
    (void)sig; (void)context;
    fault_code = info->si_code;
    siglongjmp(recover, 1);
}

static const char *code_name(int code) {
    return code == SEGV_MAPERR ? "SEGV_MAPERR" : code == SEGV_ACCERR ? "SEGV_ACCERR" : "other";
}

/* "ok" when reading (write = 0) or writing one byte at p does not fault, else the si_code. */
static const char *try_access(volatile unsigned char *p, int write) {
    fault_code = 0;
    if (sigsetjmp(recover, 1) == 0) {
        if (write) *p = 0x5a; else (void)*p;
        return "ok";
    }
    return code_name(fault_code);
}

static unsigned char pattern(size_t offset) { return (unsigned char)(offset / PAGE * 7 + 3); }

static void fill(unsigned char *base, size_t size) {
    for (size_t off = 0; off < size; off += PAGE) memset(base + off, pattern(off), PAGE);
}

/* Pages in [0, size) that lost their pattern, skipping the `skip` page offsets. */
static int damaged(const unsigned char *base, size_t size, const size_t *skip, int skips) {
    int count = 0;
    for (size_t off = 0; off < size; off += PAGE) {
        int skipped = 0;
        for (int i = 0; i < skips; i++) skipped |= skip[i] == off;
        if (skipped) continue;
        if (base[off] != pattern(off) || base[off + PAGE - 1] != pattern(off)) count++;
    }
    return count;
}

int main(void) {
    struct sigaction action = {0};
    action.sa_sigaction = on_segv;
    action.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &action, NULL);

    unsigned char *raw = mmap(NULL, SIZE + 2 * MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) { perror("mmap"); return 1; }
    /* A 2 MiB-aligned 8 MiB window inside it (the rest is unmapped). */
    unsigned char *base = (unsigned char *)(((uintptr_t)raw + 2 * MIB - 1) & ~(2 * MIB - 1));
    if (base > raw) munmap(raw, (size_t)(base - raw));
    munmap(base + SIZE, (size_t)(raw + SIZE + 2 * MIB - (base + SIZE)));
    fill(base, SIZE);
    printf("filled 8 MiB: %d damaged pages\n", damaged(base, SIZE, NULL, 0));

    size_t unmapped = 2 * MIB + 5 * PAGE, readonly = 2 * MIB + 300 * PAGE, none = 4 * MIB + 17 * PAGE,
           discarded = 6 * MIB + 511 * PAGE;
    printf("munmap one page: %d\n", munmap(base + unmapped, PAGE));
    printf("mprotect one page read-only: %d\n", mprotect(base + readonly, PAGE, PROT_READ));
    printf("mprotect one page PROT_NONE: %d\n", mprotect(base + none, PAGE, PROT_NONE));
    printf("madvise one page MADV_DONTNEED: %d\n", madvise(base + discarded, PAGE, MADV_DONTNEED));

    printf("read unmapped page: %s\n", try_access(base + unmapped, 0));
    printf("read read-only page: %s (byte ok: %s)\n", try_access(base + readonly, 0),
           base[readonly] == pattern(readonly) ? "yes" : "no");
    printf("write read-only page: %s\n", try_access(base + readonly, 1));
    printf("read PROT_NONE page: %s\n", try_access(base + none, 0));
    printf("discarded page reads zero: %s\n", base[discarded] == 0 && base[discarded + PAGE - 1] == 0 ? "yes" : "no");
    printf("write next to the unmapped page: %s\n", try_access(base + unmapped + PAGE, 1));
    base[unmapped + PAGE] = pattern(unmapped + PAGE);
    size_t changed[] = {unmapped, readonly, none, discarded};
    printf("other pages damaged: %d\n", damaged(base, SIZE, changed, 4));

    /* Restore the changed pages, then move and grow the whole mapping. */
    mprotect(base + readonly, PAGE, PROT_READ | PROT_WRITE);
    mprotect(base + none, PAGE, PROT_READ | PROT_WRITE);
    if (mmap(base + unmapped, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED) {
        perror("mmap fixed");
        return 1;
    }
    memset(base + unmapped, pattern(unmapped), PAGE);
    memset(base + discarded, pattern(discarded), PAGE);
    unsigned char *moved = mremap(base, SIZE, SIZE + 4 * MIB, MREMAP_MAYMOVE);
    if (moved == MAP_FAILED) { perror("mremap"); return 1; }
    printf("after mremap to 12 MiB: %d damaged pages, new tail reads zero: %s\n", damaged(moved, SIZE, NULL, 0),
           moved[SIZE] == 0 && moved[SIZE + 4 * MIB - 1] == 0 ? "yes" : "no");
    fill(moved + SIZE, 4 * MIB);
    /* A munmap across a block boundary: the last 1 MiB of block 1 and the first 1 MiB of block 2. */
    printf("munmap across a block boundary: %d\n", munmap(moved + 3 * MIB, 2 * MIB));
    printf("read inside it: %s\n", try_access(moved + 4 * MIB, 0));
    int lost = 0;
    for (size_t off = 0; off < SIZE + 4 * MIB; off += PAGE) {
        if (off >= 3 * MIB && off < 5 * MIB) continue;
        lost += moved[off] != pattern(off);
    }
    printf("pages outside it damaged: %d\n", lost);
    munmap(moved, 3 * MIB);
    munmap(moved + 5 * MIB, SIZE - MIB);

    /* The brk heap past 4 MiB and back. */
    unsigned char *start = (unsigned char *)syscall(SYS_brk, 0);
    if ((unsigned char *)syscall(SYS_brk, start + 6 * MIB) != start + 6 * MIB) { printf("brk failed\n"); return 1; }
    fill(start, 6 * MIB);
    printf("heap of 6 MiB: %d damaged pages\n", damaged(start, 6 * MIB, NULL, 0));
    syscall(SYS_brk, start + 3 * MIB);
    printf("heap shrunk to 3 MiB: %d damaged pages, beyond it: %s\n", damaged(start, 3 * MIB, NULL, 0),
           try_access(start + 4 * MIB, 0));
    syscall(SYS_brk, start + 6 * MIB);
    printf("heap grown again reads zero: %s\n", start[4 * MIB] == 0 && start[6 * MIB - 1] == 0 ? "yes" : "no");
    return 0;
}
