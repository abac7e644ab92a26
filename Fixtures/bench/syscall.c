// Null syscall latency: getppid through a bare `syscall` instruction (no libc wrapper),
// `iterations` times (argv[1], default 1000000) after a warm-up; cycles from rdtsc.
#include <stdlib.h>
#include "bench.h"

static inline long raw_getppid(void) {
    long ret;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(110L) : "rcx", "r11", "memory");
    return ret;
}

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 1000000;
    for (int i = 0; i < 10000; i++) raw_getppid();
    uint64_t t0 = bench_now_ns(), c0 = bench_rdtsc();
    for (long i = 0; i < n; i++) raw_getppid();
    uint64_t c1 = bench_rdtsc(), t1 = bench_now_ns();
    bench_report("cycles_per_call", (double)(c1 - c0) / n);
    bench_report("ns_per_call", (double)(t1 - t0) / n);
    return 0;
}
