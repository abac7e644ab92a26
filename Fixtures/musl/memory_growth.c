// Memory a program takes as it goes, with no size given to the runner: 20 blocks of 4 MiB
// (80 MiB, more than the RAM a guest starts with) are allocated and filled one after the other,
// each checked at the end; then a forked child checks them too, allocates and fills 24 MiB
// more of its own, and reports; the
// parent checks its blocks again after the child is gone (the child's memory was its own).
// Past a limit, malloc fails as under `ulimit -v`: a 1 TiB request returns NULL.
// conformance-libcs: musl glibc
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define BLOCKS 20
#define BLOCK_SIZE (4u << 20)

static unsigned char *blocks[BLOCKS];

static void fill(unsigned char *p, size_t n, unsigned seed) {
    for (size_t i = 0; i < n; i += 512) p[i] = (unsigned char)(seed * 31 + i / 512);
}

static int intact(const unsigned char *p, size_t n, unsigned seed) {
    for (size_t i = 0; i < n; i += 512)
        if (p[i] != (unsigned char)(seed * 31 + i / 512)) return 0;
    return 1;
}

static int count_intact(void) {
    int good = 0;
    for (int b = 0; b < BLOCKS; b++) good += intact(blocks[b], BLOCK_SIZE, (unsigned)b);
    return good;
}

int main(void) {
    for (int b = 0; b < BLOCKS; b++) {
        blocks[b] = malloc(BLOCK_SIZE);
        if (!blocks[b]) { printf("malloc of block %d failed\n", b); return 1; }
        fill(blocks[b], BLOCK_SIZE, (unsigned)b);
    }
    printf("parent: %d of %d blocks intact\n", count_intact(), BLOCKS);
    fflush(stdout);

    pid_t child = fork();
    if (child < 0) { perror("fork"); return 1; }
    if (child == 0) {
        printf("child: %d of %d inherited blocks intact\n", count_intact(), BLOCKS);
        unsigned char *more = malloc(24u << 20);
        if (!more) { printf("child: malloc of 24 MiB failed\n"); _exit(3); }
        fill(more, 24u << 20, 7);
        for (int b = 0; b < BLOCKS; b += 2) fill(blocks[b], BLOCK_SIZE, 1000u + (unsigned)b);
        printf("child: 24 MiB more %s\n", intact(more, 24u << 20, 7) ? "intact" : "damaged");
        fflush(stdout);
        _exit(0);
    }
    int status = 0;
    if (waitpid(child, &status, 0) != child) { perror("waitpid"); return 1; }
    printf("child exited with %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    printf("parent: %d of %d blocks intact after the child wrote its copies\n", count_intact(), BLOCKS);

    void *huge = malloc((size_t)1 << 40);
    printf("1 TiB malloc: %s\n", huge ? "succeeded" : "NULL");
    for (int b = 0; b < BLOCKS; b++) free(blocks[b]);
    return 0;
}
