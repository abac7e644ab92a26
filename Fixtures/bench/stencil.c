// Compute: 2-D five-point Jacobi stencil on an n x n grid of doubles (argv[1], default 1024)
// for `steps` sweeps (argv[2], default 100), ping-ponging between two grids.
#include <stdlib.h>
#include "bench.h"

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 1024, steps = argc > 2 ? atoi(argv[2]) : 100;
    double *u = calloc((size_t)n * n, sizeof(double)), *v = calloc((size_t)n * n, sizeof(double));
    if (!u || !v) return 2;
    for (int i = 0; i < n; i++) { u[i] = v[i] = 1.0; u[(size_t)i * n] = v[(size_t)i * n] = 0.5; }
    uint64_t t0 = bench_now_ns();
    for (int s = 0; s < steps; s++) {
        for (int i = 1; i < n - 1; i++)
            for (int j = 1; j < n - 1; j++)
                v[(size_t)i * n + j] = 0.25 * (u[(size_t)(i - 1) * n + j] + u[(size_t)(i + 1) * n + j]
                                             + u[(size_t)i * n + j - 1] + u[(size_t)i * n + j + 1]);
        double *t = u; u = v; v = t;
    }
    uint64_t t1 = bench_now_ns();
    double sum = 0;
    for (size_t i = 0; i < (size_t)n * n; i++) sum += u[i];
    bench_report("seconds", (t1 - t0) / 1e9);
    bench_report("checksum", sum);
    return 0;
}
