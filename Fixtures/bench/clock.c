// clock_gettime(CLOCK_MONOTONIC) latency through the C library (the vDSO natively),
// `iterations` times (argv[1], default 1000000) after a warm-up; cycles from rdtsc.
#include <stdlib.h>
#include "bench.h"

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 1000000;
    struct timespec ts;
    uint64_t sink = 0;
    for (int i = 0; i < 10000; i++) { clock_gettime(CLOCK_MONOTONIC, &ts); sink += ts.tv_nsec; }
    uint64_t t0 = bench_now_ns(), c0 = bench_rdtsc();
    for (long i = 0; i < n; i++) { clock_gettime(CLOCK_MONOTONIC, &ts); sink += ts.tv_nsec; }
    uint64_t c1 = bench_rdtsc(), t1 = bench_now_ns();
    bench_report("cycles_per_call", (double)(c1 - c0) / n);
    bench_report("ns_per_call", (double)(t1 - t0) / n);
    bench_report("sink", (double)(sink & 1));
    return 0;
}
