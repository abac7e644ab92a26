/*
 * write_gigabyte: writes exactly 1 GiB to stdout in 1 MiB writes (retrying
 * short writes) and exits 0; the hypervisor moves the bytes straight from
 * guest memory, so its own memory use must not grow with the amount written.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char chunk[1 << 20];

int main(void) {
    memset(chunk, 'x', sizeof chunk);
    unsigned long long total = 0, goal = 1ULL << 30;
    while (total < goal) {
        ssize_t n = write(1, chunk, sizeof chunk);
        if (n <= 0) { fprintf(stderr, "write failed after %llu bytes\n", total); return 1; }
        total += (unsigned long long)n;
    }
    fprintf(stderr, "wrote %llu bytes\n", total);
    return 0;
}
