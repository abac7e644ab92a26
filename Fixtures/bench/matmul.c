// Compute: dense matrix multiply C = A * B, n x n doubles (argv[1], default 640),
// i-k-j loop order. Times the multiply only (after allocation and initialisation).
#include <stdlib.h>
#include "bench.h"

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 640;
    double *a = malloc(sizeof(double) * n * n), *b = malloc(sizeof(double) * n * n), *c = calloc((size_t)n * n, sizeof(double));
    if (!a || !b || !c) return 2;
    for (int i = 0; i < n * n; i++) { a[i] = (i % 17) * 0.25; b[i] = (i % 13) * 0.5; }
    uint64_t t0 = bench_now_ns();
    for (int i = 0; i < n; i++)
        for (int k = 0; k < n; k++) {
            double aik = a[i * n + k];
            for (int j = 0; j < n; j++) c[i * n + j] += aik * b[k * n + j];
        }
    uint64_t t1 = bench_now_ns();
    double sum = 0;
    for (int i = 0; i < n * n; i++) sum += c[i];
    bench_report("seconds", (t1 - t0) / 1e9);
    bench_report("checksum", sum);
    return 0;
}
