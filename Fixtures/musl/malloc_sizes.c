// Checks malloc, realloc and free over many sizes (1 byte up to 32 MiB, so both the brk
// heap and mmap are used), that every block keeps its contents across realloc, and that
// freed memory can be reused. The 32 MiB block is grown to 64 MiB by realloc; guest RAM grows
// on demand to hold it.
// conformance-libcs: musl glibc
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check(const unsigned char *p, size_t n, unsigned char seed) {
    for (size_t i = 0; i < n; i += (n > 4096 ? 4093 : 1))
        if (p[i] != (unsigned char)(seed + i)) return 0;
    return n == 0 || p[n - 1] == (unsigned char)(seed + n - 1);
}

static void fill(unsigned char *p, size_t n, unsigned char seed) {
    for (size_t i = 0; i < n; i++) p[i] = (unsigned char)(seed + i);
}

int main(void) {
    size_t sizes[] = {1, 7, 16, 24, 100, 1000, 4095, 4096, 65536, 131072, 200000, 1 << 20,
                      5 << 20, 32u << 20};
    enum { count = sizeof sizes / sizeof sizes[0] };
    unsigned char *blocks[count];
    for (int i = 0; i < count; i++) {
        blocks[i] = malloc(sizes[i]);
        if (!blocks[i]) { printf("malloc(%zu) failed\n", sizes[i]); return 1; }
        fill(blocks[i], sizes[i], (unsigned char)i);
        printf("malloc %zu: 16-byte aligned %s\n", sizes[i], ((uintptr_t)blocks[i] & 15) == 0 ? "yes" : "no");
    }
    for (int i = 0; i < count; i++)
        printf("contents %zu: %s\n", sizes[i], check(blocks[i], sizes[i], (unsigned char)i) ? "ok" : "CORRUPT");
    for (int i = 0; i < count; i++) {
        size_t grown = sizes[i] * 2 + 3;
        unsigned char *p = realloc(blocks[i], grown);
        if (!p) { printf("realloc(%zu) failed\n", grown); return 1; }
        printf("realloc %zu -> %zu: %s\n", sizes[i], grown, check(p, sizes[i], (unsigned char)i) ? "kept" : "LOST");
        blocks[i] = p;
    }
    for (int i = 0; i < count; i++) {
        unsigned char *p = realloc(blocks[i], sizes[i] / 2 + 1);
        printf("shrink %zu: %s\n", sizes[i], p && check(p, sizes[i] / 2 + 1, (unsigned char)i) ? "kept" : "LOST");
        free(p);
    }
    unsigned long total = 0;
    for (int round = 0; round < 2000; round++) {
        size_t n = (size_t)(round * 37 % 3000) + 1;
        unsigned char *p = calloc(n, 1);
        if (!p) { printf("calloc failed in round %d\n", round); return 1; }
        for (size_t i = 0; i < n; i++) total += p[i];
        memset(p, 0xAB, n);
        free(p);
    }
    printf("calloc rounds: zeroed %s\n", total == 0 ? "yes" : "no");
    free(NULL);
    printf("done\n");
    return 0;
}
