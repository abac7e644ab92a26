// Memory: allocates argv[1] MiB (default 1024) with malloc and writes one byte in every 4 KiB
// page, then reads them back as a check; times the first touch only (the page faults that
// populate the memory), as a program that fills a large array does.
#include <stdlib.h>
#include "bench.h"

int main(int argc, char **argv) {
    long mib = argc > 1 ? atol(argv[1]) : 1024;
    size_t bytes = (size_t)mib << 20;
    volatile unsigned char *p = malloc(bytes);
    if (!p) { printf("malloc of %ld MiB failed\n", mib); return 2; }
    uint64_t t0 = bench_now_ns();
    for (size_t i = 0; i < bytes; i += 4096) p[i] = (unsigned char)(i >> 12);
    uint64_t t1 = bench_now_ns();
    for (size_t i = 0; i < bytes; i += 4096)
        if (p[i] != (unsigned char)(i >> 12)) { printf("page %zu lost its byte\n", i >> 12); return 1; }
    bench_report("seconds", (t1 - t0) / 1e9);
    bench_report("ns_per_page", (double)(t1 - t0) / (double)(bytes >> 12));
    return 0;
}
