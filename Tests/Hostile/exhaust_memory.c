/*
 * exhaust_memory: allocates until the kernel says no. An impossible mmap must
 * fail with ENOMEM; then 1 MiB malloc blocks, each touched page by page, until
 * malloc returns NULL (ENOMEM), then anonymous 1 MiB mmaps, touched, until
 * MAP_FAILED. Running out must be an error return, never a crash.
 * Prints "ENOMEM ok after N MiB" and exits 0; exits 1 on a wrong errno.
 * Run it with a small guest (--memory 64M) so the limit comes quickly.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define CHUNK (1 << 20)

static void touch(volatile char *p) {
    for (size_t i = 0; i < CHUNK; i += 4096) p[i] = 1;
}

int main(void) {
    void *huge = mmap(0, 1ULL << 46, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    /* Linux (overcommit heuristic) refuses this with ENOMEM; reported, not required. */
    printf("mmap of 64 TiB: %s\n", huge == MAP_FAILED ? strerror(errno) : "succeeded");
    if (huge != MAP_FAILED) munmap(huge, 1ULL << 46);
    fflush(stdout);
    size_t megabytes = 0;
    for (;;) {
        char *p = malloc(CHUNK);
        if (!p) {
            if (errno != ENOMEM) { printf("malloc failed with %s\n", strerror(errno)); return 1; }
            break;
        }
        touch(p);
        megabytes++;
    }
    printf("malloc: NULL/ENOMEM after %zu MiB\n", megabytes);
    fflush(stdout);
    for (;;) {
        char *p = mmap(0, CHUNK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            if (errno != ENOMEM) { printf("mmap failed with %s\n", strerror(errno)); return 1; }
            break;
        }
        touch(p);
        megabytes++;
    }
    printf("ENOMEM ok after %zu MiB\n", megabytes);
    return 0;
}
