// Threads, OpenMP: dense matrix multiply C = A * B, n x n doubles (argv[1], default 1024),
// rows of C shared out over the OpenMP team (static schedule; OMP_NUM_THREADS sets its size),
// each row computed in k and j blocks that keep a tile of B in cache. Times the parallel
// region only. Built with gcc -fopenmp (glibc, libgomp linked statically).
#include <omp.h>
#include <stdlib.h>
#include "bench.h"

enum { KB = 128, JB = 512 };

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 1024;
    double *a = malloc(sizeof(double) * n * n), *b = malloc(sizeof(double) * n * n), *c = calloc((size_t)n * n, sizeof(double));
    if (!a || !b || !c) return 2;
    for (int i = 0; i < n * n; i++) { a[i] = (i % 17) * 0.25; b[i] = (i % 13) * 0.5; }
    int threads = 0;
    uint64_t t0 = bench_now_ns();
#pragma omp parallel
    {
#pragma omp single
        threads = omp_get_num_threads();
        for (int jj = 0; jj < n; jj += JB)
            for (int kk = 0; kk < n; kk += KB) {
                int jEnd = jj + JB < n ? jj + JB : n, kEnd = kk + KB < n ? kk + KB : n;
#pragma omp for schedule(static) nowait
                for (int i = 0; i < n; i++)
                    for (int k = kk; k < kEnd; k++) {
                        double aik = a[(size_t)i * n + k];
                        for (int j = jj; j < jEnd; j++) c[(size_t)i * n + j] += aik * b[(size_t)k * n + j];
                    }
            }
    }
    uint64_t t1 = bench_now_ns();
    double sum = 0;
    for (size_t i = 0; i < (size_t)n * n; i++) sum += c[i];
    bench_report("seconds", (t1 - t0) / 1e9);
    bench_report("threads", threads);
    bench_report("checksum", sum);
    return 0;
}
