// Compute: integer sort, qsort-free: an in-place quicksort (median of three, insertion sort
// below 16) of `count` pseudo-random 32-bit integers (argv[1], default 4M), then a check.
#include <stdlib.h>
#include "bench.h"

static void isort(unsigned *a, long n) {
    for (long i = 1; i < n; i++) {
        unsigned v = a[i]; long j = i - 1;
        while (j >= 0 && a[j] > v) { a[j + 1] = a[j]; j--; }
        a[j + 1] = v;
    }
}

static void qsort_u32(unsigned *a, long n) {
    while (n > 16) {
        unsigned x = a[0], y = a[n / 2], z = a[n - 1];
        unsigned p = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
        long i = 0, j = n - 1;
        while (i <= j) {
            while (a[i] < p) i++;
            while (a[j] > p) j--;
            if (i <= j) { unsigned t = a[i]; a[i] = a[j]; a[j] = t; i++; j--; }
        }
        if (j + 1 < n - i) { qsort_u32(a, j + 1); a += i; n -= i; }
        else { qsort_u32(a + i, n - i); n = j + 1; }
    }
    isort(a, n);
}

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 4 << 20;
    unsigned *a = malloc(sizeof(unsigned) * n);
    if (!a) return 2;
    uint64_t s = 88172645463325252ull;
    for (long i = 0; i < n; i++) { s ^= s << 13; s ^= s >> 7; s ^= s << 17; a[i] = (unsigned)s; }
    uint64_t t0 = bench_now_ns();
    qsort_u32(a, n);
    uint64_t t1 = bench_now_ns();
    for (long i = 1; i < n; i++) if (a[i - 1] > a[i]) { printf("not sorted at %ld\n", i); return 1; }
    bench_report("seconds", (t1 - t0) / 1e9);
    bench_report("checksum", (double)a[n / 2]);
    return 0;
}
