// Shared helpers for the benchmark programs of `conformance bench` (Fixtures/bench/README.md).
// Each program prints `bench <key>=<value>` lines on stdout; the harness parses them.
#ifndef BENCH_H
#define BENCH_H
#include <stdint.h>
#include <stdio.h>
#include <time.h>

static inline uint64_t bench_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline uint64_t bench_rdtsc(void) {
    uint32_t lo, hi;
    __asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) :: "memory");
    return ((uint64_t)hi << 32) | lo;
}

static inline void bench_report(const char *key, double value) {
    printf("bench %s=%.6f\n", key, value);
}
#endif
